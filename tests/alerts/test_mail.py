"""The alerts' e-mails come in the language of the page the alert was asked from: subject,
text and links (under /en/ for an English alert); French for the alerts asked before the
language was recorded."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from alerts.models import Subscription
from alerts.services import confirm
from tests.alerts.conftest import html_of, text_of
from tests.alerts.test_digests import header, items, run, scenario, subscription  # noqa: F401
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

TOUL = "liste=acteurs&territoire=commune-54528"


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """Submit the alert form of the page at `prefix` ("" or "/en") as a visitor does."""

    def post(prefix, email="camille@example.org", frequency="weekly"):
        data = {"email": email, "frequency": frequency, "nickname": ""}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"{prefix}/alertes/creer/?{TOUL}", data)

    return post


def text(message) -> str:
    return text_of(message).replace("\r\n", "\n")


def html(message) -> str:
    return html_of(message).replace("\r\n", "\n")


def links(message) -> list[str]:
    """Every address of the e-mail's text."""
    return re.findall(r"https://testserver\S*", text_of(message))


def test_an_alert_asked_from_an_english_page_writes_in_english(client, smtp, ask):
    response = ask("/en")

    assert response.status_code == 302
    assert response["Location"] == f"/en/alertes/creer/envoye/?{TOUL}"
    alert = Subscription.objects.get()
    assert alert.language == "en"
    [message] = smtp.messages
    assert header(message, "Subject") == "Confirm your essdir alert"
    token = alert.token
    assert header(message, "List-Unsubscribe") == (
        f"<https://testserver/en/alertes/desabonner/{token}/>"
    )
    assert text(message) == (
        "Hello,\n\n"
        "You asked to be told about what is new in this search of the essdir directory:\n"
        "SSE organisations — Territory: Toul (54528)\n\n"
        "To confirm, follow this link:\n"
        f"https://testserver/en/alertes/confirmer/{token}/\n\n"
        "Without confirmation, you will receive nothing and your address will be erased. "
        "If you did not make this request, ignore this message.\n\n"
        "--\n"
        f"See and delete my alerts: https://testserver/en/alertes/gerer/{token}/\n"
        f"Unsubscribe: https://testserver/en/alertes/desabonner/{token}/\n"
        "essdir — https://testserver/en/\n\n"
    )
    assert html(message).startswith('<!doctype html>\n<html lang="en">\n')
    assert f'<a href="https://testserver/en/alertes/confirmer/{token}/">' in html(message)
    confirm_page = client.get(f"/en/alertes/confirmer/{token}/")
    assert confirm_page.status_code == 200
    assert confirm_page["Content-Language"] == "en"


def test_an_alert_asked_from_a_french_page_writes_in_french(smtp, ask):
    ask("")

    alert = Subscription.objects.get()
    assert alert.language == "fr"
    [message] = smtp.messages
    assert header(message, "Subject") == "Confirmez votre alerte essdir"
    assert links(message) == [
        f"https://testserver/alertes/confirmer/{alert.token}/",
        f"https://testserver/alertes/gerer/{alert.token}/",
        f"https://testserver/alertes/desabonner/{alert.token}/",
        "https://testserver/",
    ]
    assert html(message).startswith('<!doctype html>\n<html lang="fr">\n')


def test_an_alert_stored_without_a_language_is_french():
    alert = Subscription.objects.create(email="camille@example.org", search_list="acteurs")

    assert alert.language == "fr"


def test_a_confirmed_alert_keeps_its_language_when_asked_again_from_the_other(smtp, ask):
    ask("")
    confirm(subscription=Subscription.objects.get())

    ask("/en")

    assert Subscription.objects.get().language == "fr"
    reminder = smtp.messages[-1]
    assert header(reminder, "Subject") == "Votre alerte essdir existe déjà"
    assert "/en/" not in text_of(reminder)


def test_an_unconfirmed_alert_takes_the_language_of_the_last_request(smtp, ask):
    ask("")

    ask("/en")

    assert Subscription.objects.get().language == "en"
    assert [header(m, "Subject") for m in smtp.messages] == [
        "Confirmez votre alerte essdir",
        "Confirm your essdir alert",
    ]


def test_an_english_digest_is_english_with_english_links(smtp, scenario):  # noqa: F811
    alert = subscription(since=scenario["since"])
    Subscription.objects.filter(pk=alert.pk).update(language="en")

    run("--frequency", "daily")

    [message] = smtp.messages
    assert header(message, "Subject") == "essdir: 2 update(s) — SSE organisations"
    assert items(message) == [
        "- [New] Structure nouvelle — Toul",
        "- [Changed] Structure modifiée — Toul",
    ]
    assert header(message, "List-Unsubscribe") == (
        f"<https://testserver/en/alertes/desabonner/{alert.token}/>"
    )
    assert links(message) == [
        "https://testserver/en/acteurs/structure-nouvelle/",
        "https://testserver/en/acteurs/structure-modifiee/",
        "https://testserver/en/acteurs/?theme=reemploi",
        "https://testserver/en/acteurs/?theme=reemploi",
        f"https://testserver/en/alertes/gerer/{alert.token}/",
        f"https://testserver/en/alertes/desabonner/{alert.token}/",
        "https://testserver/en/",
    ]
    page = html(message)
    assert page.startswith('<!doctype html>\n<html lang="en">\n')
    assert '<a href="https://testserver/en/acteurs/?theme=reemploi">See the list</a>' in page
    assert (
        '<li><strong>New:</strong> <a href="https://testserver/en/acteurs/structure-nouvelle/">'
        '<span lang="fr">Structure nouvelle — Toul</span></a></li>'
    ) in page


def test_a_french_digest_is_french_with_french_links(smtp, scenario):  # noqa: F811
    alert = subscription(since=scenario["since"])

    run("--frequency", "daily")

    [message] = smtp.messages
    assert alert.language == "fr"
    assert header(message, "Subject") == "essdir : 2 nouveauté(s) — Acteurs de l'ESS"
    assert items(message) == [
        "- [Nouveau] Structure nouvelle — Toul",
        "- [Modifié] Structure modifiée — Toul",
    ]
    assert links(message) == [
        "https://testserver/acteurs/structure-nouvelle/",
        "https://testserver/acteurs/structure-modifiee/",
        "https://testserver/acteurs/?theme=reemploi",
        "https://testserver/acteurs/?theme=reemploi",
        f"https://testserver/alertes/gerer/{alert.token}/",
        f"https://testserver/alertes/desabonner/{alert.token}/",
        "https://testserver/",
    ]


def test_an_english_digest_marks_french_names_in_html_and_keeps_its_text_plain():
    """The text version neither escapes (it said "l&#39;ESS") nor carries markup."""
    event = EventFactory(
        title="Forum de l'ESS", start_date=None, date_precision="unknown", date_label="Au printemps"
    )
    record = {"record": event, "key": "evenements"}

    with translation.override("en"):
        text = render_to_string("alerts/email/_record.txt", record)
        page = render_to_string("alerts/email/_record.html", record)

    assert text == "Forum de l'ESS — Incomplete date — Au printemps"
    assert page == (
        '<span lang="fr">Forum de l&#39;ESS</span> — Incomplete date — '
        '<span lang="fr">Au printemps</span>\n'  # the date's template ends its line
    )
