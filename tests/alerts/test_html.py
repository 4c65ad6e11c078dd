"""The alerts' pages, and the HTML of their e-mails, are valid HTML (W3C Nu checker)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Subscription
from tests.alerts.conftest import html_of
from tests.factories import ActorFactory
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

CREATE = "/alertes/creer/?liste=acteurs&territoire=commune-54528"


def test_alert_pages_and_emails_are_valid_html(client, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CREATE, {"email": "camille@example.org", "frequency": "daily"})
    pending = Subscription.objects.get()
    since = timezone.now() - datetime.timedelta(days=1)
    confirmed = Subscription.objects.create(
        email="camille@example.org", search_list="acteurs", confirmed_at=since, sent_until=since
    )
    ActorFactory(name="Structure nouvelle")
    call_command("send_alerts", stdout=io.StringIO())

    responses = {
        "form": client.get(CREATE),
        "form with errors": client.post(CREATE, {"email": "x", "frequency": "monthly"}),
        "invalid search": client.get("/alertes/creer/?liste=membres"),
        "sent": client.get("/alertes/creer/envoye/?liste=acteurs"),
        "confirm": client.get(pending.get_confirm_path()),
        "confirmed": client.post(pending.get_confirm_path()),
        "manage": client.get(confirmed.get_manage_path()),
        "unsubscribe": client.get(confirmed.get_unsubscribe_path()),
        "unsubscribed": client.get("/alertes/desabonnement/"),
    }
    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        **dict.fromkeys(responses, 200),
        "form with errors": 400,
        "invalid search": 400,
    }
    pages = {name: r.content.decode(r.charset) for name, r in responses.items()}
    subjects = [" ".join(m["Subject"].split()) for m in smtp.messages]
    assert subjects == [
        "Confirmez votre alerte essdir",
        "essdir : 1 nouveauté(s) — Acteurs de l'ESS",
    ]
    pages |= {f"e-mail: {s}": html_of(m) for s, m in zip(subjects, smtp.messages, strict=True)}
    errors = validate_html(pages)
    assert errors == {name: [] for name in pages}, report(errors)
