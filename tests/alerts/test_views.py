import html
import logging
import re
from urllib.parse import quote, urlencode

import pytest

from alerts.models import Delivery, Frequency, Subscription, SubscriptionAttempt
from alerts.services import confirm, unsubscribe_all
from tests.alerts.conftest import html_of, text_of
from tests.conftest import HttpsClient
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db

TOUL = "liste=acteurs&territoire=commune-54528"


def link(message, kind: str) -> str:
    """The path of the `kind` link (confirmer, gerer, desabonner) of an e-mail."""
    return re.search(rf"https://testserver(/alertes/{kind}/[\w-]+/)", text_of(message)).group(1)


@pytest.fixture
def post_alert(client, django_capture_on_commit_callbacks):
    """Submit the alert form as a visitor does; e-mails leave when the request commits."""

    def post(query=TOUL, email="camille@example.org", frequency="weekly", **extra):
        data = {"email": email, "frequency": frequency, "nickname": "", **extra.pop("data", {})}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/alertes/creer/?{query}", data, **extra)

    return post


def make_subscription(email="camille@example.org", query="territoire=commune-54528", **kw):
    return Subscription.objects.create(
        email=email, search_list="acteurs", query=query, summary="Territoire : Toul (54528)", **kw
    )


def test_alert_form_states_search_purpose_and_retention(client, django_assert_num_queries):
    ThemeFactory(name="Réemploi", slug="reemploi")

    with django_assert_num_queries(3):  # the territory (by name, then by slug), the theme
        response = client.get(
            "/alertes/creer/?liste=acteurs&territoire=Toul&theme=reemploi&tri=recent&page=3"
        )

    assert response.status_code == 200
    search = response.context["search"]
    assert search.query == "territoire=commune-54528&theme=reemploi"
    assert search.summary == "Territoire : Toul (54528) · Thème : Réemploi"
    text = html.unescape(response.content.decode())
    assert (
        'Recherche suivie : <a href="/acteurs/?territoire=commune-54528&theme=reemploi">'
        "Acteurs de l'ESS</a> — Territoire : Toul (54528) · Thème : Réemploi" in text
    )
    assert 'action="/alertes/creer/?liste=acteurs&territoire=commune-54528&theme=reemploi"' in text
    assert "Votre adresse sert uniquement à vous envoyer cette alerte" in text
    assert "Sans confirmation dans les 7 jours, elles sont effacées." in text
    assert 'class="field hp" aria-hidden="true"' in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Indiquez la liste à suivre (acteurs, dispositifs, événements ou territoire)."),
        ("liste=membres", "Liste inconnue : « membres »."),
        (
            "liste=acteurs&territoire=nulle-part",
            "Territoire : Territoire inconnu : « nulle-part ». Indiquez une commune, un code "
            "postal, un département (nom ou numéro), une région ou une intercommunalité.",
        ),
        ("liste=evenements&du=demain", "Du : Saisissez une date valide."),
        ("liste=territoire", "Territoire : Ce champ est obligatoire."),
        (
            "liste=dispositifs&kind=subvention-magique",
            "Nature : Sélectionnez un choix valide. subvention-magique n’en fait pas partie.",
        ),
    ],
)
def test_alert_form_with_bad_list_or_filters_answers_400(client, query, message):
    response = client.get(f"/alertes/creer/?{query}")

    assert response.status_code == 400
    assert response.context["errors"] == [message]
    assert Subscription.objects.count() == 0


def test_alert_form_with_an_ambiguous_territory_offers_each_candidate(client):
    response = client.get("/alertes/creer/?liste=evenements&territoire=54200&type=forum")

    assert response.status_code == 400
    assert response.context["errors"] == [
        "Territoire : Plusieurs territoires correspondent à « 54200 » : choisissez le vôtre."
    ]
    choices = response.context["choices"]
    assert len(choices) > 1
    territory, url = choices[0]
    assert url == f"/alertes/creer/?liste=evenements&territoire={territory.short_slug}&type=forum"
    assert client.get(url).status_code == 200
    assert f'<a href="{url.replace("&", "&amp;")}">{territory}</a>' in response.content.decode()


def test_subscribing_sends_a_confirmation_with_a_working_link(client, smtp, post_alert):
    response = post_alert(frequency="daily")

    assert response.status_code == 302
    assert response["Location"] == "/alertes/creer/envoye/?liste=acteurs&territoire=commune-54528"
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.search_list, subscription.query) == (
        "camille@example.org",
        "acteurs",
        "territoire=commune-54528",
    )
    assert subscription.frequency == Frequency.DAILY
    assert subscription.confirmed_at is None
    [message] = smtp.messages
    assert message["To"] == "camille@example.org"
    assert message["From"] == "alertes@essdir.test"
    assert " ".join(message["Subject"].split()) == "Confirmez votre alerte essdir"
    confirm_path = link(message, "confirmer")
    assert confirm_path == f"/alertes/confirmer/{subscription.token}/"
    assert f'href="https://testserver{confirm_path}"' in html_of(message)
    assert "Acteurs de l'ESS — Territoire : Toul (54528)" in text_of(message)

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert f'<form method="post" action="{confirm_path}">' in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # following the link alone confirms nothing

    confirmed = client.post(confirm_path)

    assert confirmed.status_code == 200
    assert "<h1>Alerte confirmée</h1>" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert subscription.sent_until == subscription.confirmed_at
    assert len(smtp.messages) == 1


def test_sent_page_says_the_same_whatever_the_address(client, smtp, post_alert):
    first = post_alert()
    confirm(subscription=Subscription.objects.get())
    again = post_alert()

    assert first["Location"] == again["Location"]
    page = client.get(again["Location"])
    assert page.status_code == 200
    assert "Si l'adresse est valide, un e-mail vient de lui être envoyé." in html.unescape(
        page.content.decode()
    )


def test_subscribing_again_when_confirmed_sends_a_reminder_only(smtp, post_alert):
    post_alert()
    confirm(subscription=Subscription.objects.get())

    post_alert(frequency="daily")

    subscription = Subscription.objects.get()
    assert subscription.frequency == Frequency.WEEKLY
    assert [" ".join(m["Subject"].split()) for m in smtp.messages] == [
        "Confirmez votre alerte essdir",
        "Votre alerte essdir existe déjà",
    ]
    assert "confirmer" not in text_of(smtp.messages[1])
    assert link(smtp.messages[1], "gerer") == subscription.get_manage_path()


def test_subscribing_again_before_confirming_resends_the_same_link(smtp, post_alert):
    post_alert()
    post_alert(email="  Camille@Example.ORG ", frequency="daily")

    subscription = Subscription.objects.get()
    assert subscription.email == "camille@example.org"
    assert subscription.frequency == Frequency.DAILY
    assert [link(m, "confirmer") for m in smtp.messages] == [subscription.get_confirm_path()] * 2


def test_honeypot_filled_is_rejected(smtp, post_alert):
    response = post_alert(data={"nickname": "bot"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"nickname": ["Ce champ doit rester vide."]}
    assert Subscription.objects.count() == 0
    assert smtp.messages == []


def test_invalid_address_is_rejected(smtp, post_alert):
    response = post_alert(email="pas-une-adresse")

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["Saisissez une adresse de courriel valide."]
    }
    assert smtp.messages == []


def test_alerts_are_rate_limited_per_email_address(settings, smtp, post_alert):
    settings.ALERTS_PER_EMAIL = 2
    for number in range(2):
        post_alert(query=f"liste=acteurs&q=mot{number}", REMOTE_ADDR=f"203.0.113.{number}")

    refused = post_alert(query="liste=acteurs&q=autre", REMOTE_ADDR="203.0.113.9")
    other = post_alert(query="liste=acteurs&q=autre", email="dominique@example.org")

    assert refused.status_code == 429
    assert refused.context["form"].non_field_errors() == [
        "Trop de demandes d'alerte pour cette adresse ou depuis votre connexion. "
        "Réessayez dans une heure."
    ]
    assert 'value="camille@example.org"' in refused.content.decode()
    assert other.status_code == 302
    assert Subscription.objects.count() == 3
    assert len(smtp.messages) == 3


def test_alerts_are_rate_limited_per_network_address(settings, smtp, post_alert):
    settings.ALERTS_PER_IP = 2
    for number in range(2):
        post_alert(email=f"personne{number}@example.org", REMOTE_ADDR="203.0.113.7")

    refused = post_alert(email="autre@example.org", REMOTE_ADDR="203.0.113.7")
    other = post_alert(email="autre@example.org", REMOTE_ADDR="203.0.113.8")

    assert refused.status_code == 429
    assert other.status_code == 302
    assert Subscription.objects.count() == 3
    stored = list(SubscriptionAttempt.objects.values_list("email_hash", "address_hash"))
    assert all(len(a) == len(b) == 64 for a, b in stored)
    assert not any("203.0.113" in a or "example.org" in a for pair in stored for a in pair)


def test_behind_the_proxy_the_limit_is_per_visitor_not_per_proxy(settings, smtp, post_alert):
    settings.ALERTS_PER_IP = 1
    settings.BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    first = post_alert(HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    spoofed = post_alert(
        email="autre@example.org", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", **proxy
    )
    other = post_alert(email="autre@example.org", HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy)

    assert (first.status_code, spoofed.status_code, other.status_code) == (302, 429, 302)


def test_confirmation_not_sent_is_logged_without_the_address(smtp, post_alert, caplog):
    smtp.stop()

    with caplog.at_level(logging.WARNING, logger="alerts"):
        response = post_alert()

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert [r.getMessage() for r in caplog.records] == [
        f"Alert {subscription.pk}: e-mail not sent (ConnectionRefusedError 111)."
    ]
    assert "camille" not in caplog.text


@pytest.mark.parametrize("kind", ["confirmer", "gerer", "desabonner"])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("token", ["inconnu", "x" * 43, "a/b"])
def test_bad_tokens_answer_404(client, kind, method, token):
    make_subscription()

    response = getattr(client, method)(f"/alertes/{kind}/{token}/")

    assert response.status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_manage_page_lists_every_alert_of_the_address(client, count, django_assert_num_queries):
    alerts = [make_subscription(query=f"q=mot{n}") for n in range(count)]
    confirm(subscription=alerts[0])
    make_subscription(email="dominique@example.org")

    with django_assert_num_queries(2):
        response = client.get(alerts[-1].get_manage_path())

    assert response.status_code == 200
    assert [alert for alert, _url, _form in response.context["rows"]] == alerts
    text = html.unescape(response.content.decode())
    assert '<a href="/acteurs/?q=mot0">Acteurs de l\'ESS</a> — Territoire : Toul (54528)' in text
    assert text.count('<input type="hidden" name="alerte"') == count
    assert text.count("En attente de confirmation") == count - 1
    assert text.count("Confirmée") == 1
    assert 'name="robots" content="noindex"' in text
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_manage_page_links_territory_pages_at_their_canonical_address(
    client, django_assert_num_queries
):
    alert = Subscription.objects.create(
        email="camille@example.org", search_list="territoire", query="territoire=commune-54528"
    )
    make_subscription(query="q=mot")

    with django_assert_num_queries(3):  # the alert, the address's alerts, their territories
        response = client.get(f"/en{alert.get_manage_path()}")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert [url for _alert, url, _form in response.context["rows"]] == [
        "/en/territoires/commune-54528-toul/",
        "/en/acteurs/?q=mot",
    ]
    assert '<a href="/en/territoires/commune-54528-toul/">Territory page</a>' in text


def test_manage_page_deletes_one_alert(client):
    kept, deleted = make_subscription(query="q=a"), make_subscription(query="q=b")

    response = client.post(kept.get_manage_path(), {"alerte": deleted.token})

    assert response.status_code == 302
    assert response["Location"] == kept.get_manage_path()
    assert list(Subscription.objects.all()) == [kept]


def test_manage_page_deleting_its_own_alert_goes_to_another(client):
    first, second = make_subscription(query="q=a"), make_subscription(query="q=b")

    response = client.post(first.get_manage_path(), {"alerte": first.token})

    assert response["Location"] == second.get_manage_path()
    last = client.post(second.get_manage_path(), {"alerte": second.token})
    assert last["Location"] == "/alertes/desabonnement/"
    assert Subscription.objects.count() == 0


def test_manage_page_cannot_delete_another_address_alert(client):
    mine, theirs = make_subscription(), make_subscription(email="dominique@example.org")

    response = client.post(mine.get_manage_path(), {"alerte": theirs.token})

    assert response.status_code == 400
    assert response.context["delete_errors"] == {"alerte": ["Cette alerte n'existe plus."]}
    assert Subscription.objects.count() == 2


def test_unsubscribe_page_asks_before_deleting(client, django_assert_num_queries):
    subscription = make_subscription()

    with django_assert_num_queries(1):
        page = client.get(subscription.get_unsubscribe_path())

    assert page.status_code == 200
    text = page.content.decode()
    assert f'<form method="post" action="{subscription.get_unsubscribe_path()}">' in text
    assert Subscription.objects.count() == 1

    done = client.post(subscription.get_unsubscribe_path())

    assert done.status_code == 200
    assert "<h1>Désabonnement effectué</h1>" in done.content.decode()
    assert Subscription.objects.count() == 0


def test_one_click_unsubscribe_needs_no_csrf_token_and_deletes_everything():
    subscription = make_subscription()
    confirm(subscription=subscription)
    Delivery.objects.create(
        subscription=subscription,
        period="2026-W48",
        window_start=subscription.sent_until,
        window_end=subscription.sent_until,
    )
    mail_client = HttpsClient(enforce_csrf_checks=True)

    response = mail_client.post(
        subscription.get_unsubscribe_path(),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Subscription.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_confirm_page_query_count(client, django_assert_num_queries):
    subscription = make_subscription()

    with django_assert_num_queries(1):
        response = client.get(subscription.get_confirm_path())

    assert "<h1>Confirmer l'alerte</h1>" in html.unescape(response.content.decode())


def test_confirming_twice_keeps_the_first_confirmation(client):
    subscription = make_subscription()
    client.post(subscription.get_confirm_path())
    subscription.refresh_from_db()
    first = subscription.confirmed_at

    again = client.post(subscription.get_confirm_path())

    subscription.refresh_from_db()
    assert subscription.confirmed_at == first
    assert "<h1>Alerte confirmée</h1>" in html.unescape(again.content.decode())


@pytest.mark.parametrize(
    ("url", "href"),
    [
        (
            "/acteurs/?territoire=Toul&tri=nom",
            "/alertes/creer/?liste=acteurs&territoire=Toul&tri=nom",
        ),
        ("/dispositifs/?ouvert=on", "/alertes/creer/?liste=dispositifs&ouvert=on"),
        ("/evenements/", "/alertes/creer/?liste=evenements"),
        (
            "/territoires/commune-54528-toul/",
            "/alertes/creer/?liste=territoire&territoire=commune-54528",
        ),
    ],
)
def test_lists_and_territory_pages_link_to_the_alert_form(client, url, href):
    response = client.get(url)

    text = html.unescape(response.content.decode())
    assert f'<a href="{href}">Me prévenir des nouveautés</a>' in text
    assert client.get(href).status_code == 200


def test_list_with_invalid_filters_offers_no_alert(client):
    response = client.get("/acteurs/?territoire=54200")

    assert "Me prévenir des nouveautés" not in response.content.decode()


TOO_LONG = "é" * 167  # within q's 200 characters, but 1 004 once URL-encoded ("q=" and 6 × 167)
TOO_LONG_MESSAGE = (
    "Cette recherche est trop longue pour être suivie par une alerte : raccourcissez les "
    "mots-clés ou retirez des filtres (une lettre accentuée compte pour plusieurs caractères)."
)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_search_too_long_to_store_answers_400_with_the_reason(client, smtp, method):
    """Attack: 170 × "é" in q (1 020 characters URL-encoded, a varchar(1000) column) was a
    500 on PostgreSQL when the alert was stored."""
    data = {"email": "camille@example.org", "frequency": "weekly", "nickname": ""}

    response = getattr(client, method)(
        f"/alertes/creer/?liste=acteurs&q={quote(TOO_LONG)}", data if method == "post" else {}
    )

    assert response.status_code == 400
    assert response.context["errors"] == [TOO_LONG_MESSAGE]
    assert TOO_LONG_MESSAGE in html.unescape(response.content.decode())
    assert Subscription.objects.count() == 0
    assert smtp.messages == []


def test_the_longest_search_that_fits_is_stored(smtp, post_alert):
    fits = "é" * 166  # 998 characters once URL-encoded

    response = post_alert(query=f"liste=acteurs&q={quote(fits)}")

    assert response.status_code == 302
    assert Subscription.objects.get().query == "q=" + "%C3%A9" * 166
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("/en/acteurs/", "/en/alertes/creer/?liste=acteurs"),
        (
            "/en/territoires/commune-54528-toul/",
            "/en/alertes/creer/?liste=territoire&territoire=commune-54528",
        ),
    ],
)
def test_english_pages_link_to_the_english_alert_form(client, url, href):
    text = html.unescape(client.get(url).content.decode())

    assert f'<a href="{href}">Tell me what is new</a>' in text
    assert client.get(href).status_code == 200


def test_the_english_alert_form_is_in_english_and_posts_to_itself(client):
    response = client.get(f"/en/alertes/creer/?{TOUL}")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in text
    assert f'<form class="panel" method="post" action="/en/alertes/creer/?{TOUL}" novalidate>' in (
        text
    )
    assert (
        "We keep your address, the search you follow and the language of its e-mails, "
        "nothing else.</p>"
    ) in text


def test_english_alert_form_errors_are_in_english(client):
    response = client.get("/en/alertes/creer/?liste=acteurs&territoire=nulle-part-0")

    assert response.status_code == 400
    assert response.context["errors"] == [
        "Territory: Unknown territory: “nulle-part-0”. Enter a municipality, a postcode, a "
        "département (name or number), a region or an intercommunal authority."
    ]


VICTIM_SPELLINGS = [
    "victim@example.org",
    '"victim"@example.org',
    '"v\\ictim"@example.org',
    "Victim@EXAMPLE.org",
    '"VIC\\tim"@Example.Org',
    "victim+alerte@example.org",
]


def test_spellings_of_one_mailbox_share_its_rate_limit(settings, smtp, post_alert):
    """Attack: quoted local parts and escapes counted as new addresses, so that 6
    confirmation e-mails reached one mailbox in an hour instead of ALERTS_PER_EMAIL (3)."""
    settings.ALERTS_PER_EMAIL = 3

    responses = [
        post_alert(query=f"liste=acteurs&q=mot{n}", email=email, REMOTE_ADDR=f"203.0.113.{n}")
        for n, email in enumerate(VICTIM_SPELLINGS)
    ]

    assert [r.status_code for r in responses] == [302, 302, 302, 429, 429, 429]
    assert [m["To"] for m in smtp.messages] == ["victim@example.org"] * 3
    assert list(Subscription.objects.values_list("email", flat=True)) == ["victim@example.org"] * 3


def test_spellings_of_one_mailbox_share_its_alert(smtp, post_alert):
    post_alert(email='"camille"@example.org')
    post_alert(email='"CAM\\ille"@EXAMPLE.org', frequency="daily")

    subscription = Subscription.objects.get()
    assert subscription.email == "camille@example.org"
    assert [link(m, "confirmer") for m in smtp.messages] == [subscription.get_confirm_path()] * 2


def test_an_international_domain_is_stored_in_ascii(smtp, post_alert):
    post_alert(email="camille@EXÄMPLE.org")
    post_alert(email="camille@xn--exmple-cua.org")

    assert Subscription.objects.get().email == "camille@xn--exmple-cua.org"
    assert [m["To"] for m in smtp.messages] == ["camille@xn--exmple-cua.org"] * 2


@pytest.mark.parametrize(
    ("email", "message"),
    [
        (
            '"vic\\ tim"@example.org',
            "Écrivez votre adresse sans guillemets ni barre oblique inverse (\\) : les "
            "adresses qui en ont besoin ne sont pas acceptées.",
        ),
        ("victim@[192.0.2.1]", "Indiquez une adresse avec un nom de domaine, pas une adresse IP."),
        (
            "victim@faß.de",
            "Ce nom de domaine ne s'écrit pas de façon sûre en ASCII : saisissez-le en "
            "caractères simples ou sous sa forme « xn-- ».",
        ),
    ],
)
def test_an_address_without_one_safe_spelling_is_refused_with_the_reason(
    smtp, post_alert, email, message
):
    response = post_alert(email=email)

    assert response.status_code == 400
    assert response.context["form"].errors == {"email": [message]}
    assert message in html.unescape(response.content.decode())
    assert Subscription.objects.count() == 0
    assert SubscriptionAttempt.objects.count() == 0
    assert smtp.messages == []


PHISHING = {
    "territoire": "commune-54528",
    "q": (
        "Votre compte essdir expire aujourd'hui.\r\n"
        "Reconnectez-vous : https://essdir-login.example/connexion\n\nL'équipe essdir"
    ),
    "forme": "SCOP\nAppelez le 08 99 00 00 00",
}


def test_free_text_of_a_search_is_not_relayed_by_its_e_mails(smtp, post_alert):
    """Attack: up to ~320 characters of q and forme, line breaks included, were copied
    verbatim into the confirmation e-mail, sent to any address typed: a relay for
    phishing text. Free text is left out of the e-mails; filters chosen from lists are
    named by their labels."""
    post_alert(query=f"liste=acteurs&{urlencode(PHISHING)}")
    confirm(subscription=Subscription.objects.get())
    post_alert(query=f"liste=acteurs&{urlencode(PHISHING)}")  # the reminder, once confirmed

    confirmation, reminder = smtp.messages
    assert text_of(confirmation).splitlines()[2:4] == [
        "Vous avez demandé à être prévenu des nouveautés de cette recherche de l'annuaire essdir :",
        "Acteurs de l'ESS — Mots-clés : (texte libre) · Territoire : Toul (54528) · "
        "Forme juridique : (texte libre)",
    ]
    assert text_of(reminder).splitlines()[3] == text_of(confirmation).splitlines()[3]
    assert (
        "Acteurs de l'ESS — Mots-clés : (texte libre) · Territoire : Toul (54528) · "
        "Forme juridique : (texte libre)</p>" in html.unescape(html_of(confirmation))
    )
    for message in (confirmation, reminder):
        everything = message.as_string() + text_of(message) + html_of(message)
        for typed in [
            "compte",
            "expire",
            "Reconnectez",
            "essdir-login",
            "Appelez",
            "08 99",
            "SCOP",
        ]:
            assert typed not in everything


def test_the_site_shows_free_text_on_one_short_line(client):
    response = client.get(f"/alertes/creer/?liste=acteurs&{urlencode(PHISHING)}")

    assert response.context["search"].summary == (
        "Mots-clés : « Votre compte essdir expire aujourd'hui.… » · Territoire : Toul (54528) · "
        "Forme juridique : « SCOP Appelez le 08 99 00 00 00 »"
    )


def test_unsubscribe_all_deletes_every_alert_of_the_address_and_their_deliveries():
    mine = [make_subscription(query="q=a"), make_subscription(query="q=b")]
    confirm(subscription=mine[0])
    Delivery.objects.create(
        subscription=mine[0],
        period="2026-W48",
        window_start=mine[0].sent_until,
        window_end=mine[0].sent_until,
    )
    theirs = make_subscription(email="dominique@example.org")

    assert unsubscribe_all(subscription=mine[1]) == 2

    assert list(Subscription.objects.all()) == [theirs]
    assert Delivery.objects.count() == 0
