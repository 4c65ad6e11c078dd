"""The alerts' pages, and the HTML of their e-mails, are valid HTML (W3C Nu checker)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from alerts.models import Subscription
from tests.alerts.conftest import html_of
from tests.factories import ActorFactory
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

CREATE = "/alertes/creer/?liste=acteurs&territoire=commune-54528"


@pytest.mark.parametrize(
    ("prefix", "subjects"),
    [
        ("", ["Confirmez votre alerte essdir", "essdir : 1 nouveauté(s) — Acteurs de l'ESS"]),
        ("/en", ["Confirm your essdir alert", "essdir: 1 update(s) — SSE organisations"]),
    ],
)
def test_alert_pages_and_emails_are_valid_html(
    client, smtp, django_capture_on_commit_callbacks, prefix, subjects
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(prefix + CREATE, {"email": "camille@example.org", "frequency": "daily"})
    pending = Subscription.objects.get()
    since = timezone.now() - datetime.timedelta(days=1)
    confirmed = Subscription.objects.create(
        email="camille@example.org",
        search_list="acteurs",
        confirmed_at=since,
        sent_until=since,
        language=pending.language,
    )
    ActorFactory(name="Structure nouvelle")
    call_command("send_alerts", stdout=io.StringIO())
    with translation.override("fr"):  # the French paths, prefixed below
        confirm_path, manage_path = pending.get_confirm_path(), confirmed.get_manage_path()
        unsubscribe_path = confirmed.get_unsubscribe_path()

    responses = {
        "form": client.get(prefix + CREATE),
        "form with errors": client.post(prefix + CREATE, {"email": "x", "frequency": "monthly"}),
        "invalid search": client.get(f"{prefix}/alertes/creer/?liste=membres"),
        "sent": client.get(f"{prefix}/alertes/creer/envoye/?liste=acteurs"),
        "confirm": client.get(prefix + confirm_path),
        "confirmed": client.post(prefix + confirm_path),
        "manage": client.get(prefix + manage_path),
        "unsubscribe": client.get(prefix + unsubscribe_path),
        "unsubscribed": client.get(f"{prefix}/alertes/desabonnement/"),
    }
    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        **dict.fromkeys(responses, 200),
        "form with errors": 400,
        "invalid search": 400,
    }
    pages = {name: r.content.decode(r.charset) for name, r in responses.items()}
    assert [" ".join(m["Subject"].split()) for m in smtp.messages] == subjects
    pages |= {f"e-mail: {s}": html_of(m) for s, m in zip(subjects, smtp.messages, strict=True)}
    errors = validate_html(pages)
    assert errors == {name: [] for name in pages}, report(errors)
