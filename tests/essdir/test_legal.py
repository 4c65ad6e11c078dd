"""The legal and trust pages: mentions légales, the RGAA statement, personal data, the site
map and the error report, linked from every page's footer."""

import re
from urllib.parse import quote

import pytest
from django.test import override_settings

from essdir.checks import W001, legal_facts_are_set

pytestmark = pytest.mark.django_db

OPERATOR = {
    "SITE_PUBLISHER": "Association Exemple (fictive)",
    "SITE_PUBLISHER_ADDRESS": "1 rue de l'Exemple, 54000 Nancy",
    "SITE_PUBLICATION_DIRECTOR": "Camille Exemple",
    "SITE_HOSTING_PROVIDER": "Hébergeur Exemple",
    "SITE_HOSTING_ADDRESS": "2 avenue de l'Exemple, 67000 Strasbourg",
    "SITE_CONTACT_EMAIL": "contact@example.org",
}


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', html)]


LEGAL_PAGES = [
    "/mentions-legales/",
    "/accessibilite/",
    "/donnees-personnelles/",
    "/plan-du-site/",
    "/signaler-une-erreur/",
]


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", LEGAL_PAGES)
def test_every_legal_page_answers_and_is_linked_from_the_footer(client, path, prefix):
    response = client.get(prefix + path)
    home = client.get(prefix + "/")

    assert response.status_code == 200
    footer = home.content.decode().split('<footer class="site-footer">')[1]
    assert any(href.startswith(prefix + path) for href in links(footer))


@override_settings(**OPERATOR)
def test_mentions_legales_name_the_operator_from_settings(client):
    page = client.get("/mentions-legales/").content.decode()

    for value in OPERATOR.values():
        assert value.replace("'", "&#39;") in page
    assert "non renseigné" not in page


def test_missing_operator_facts_are_said_missing_not_invented(client):
    page = client.get("/mentions-legales/").content.decode()

    assert page.count("non renseigné par l'exploitant du site") == 6


def test_deployment_check_warns_while_a_legal_fact_is_missing():
    with override_settings(**{**OPERATOR, "SITE_PUBLICATION_DIRECTOR": ""}):
        warnings = legal_facts_are_set()
    with override_settings(**OPERATOR):
        none = legal_facts_are_set()

    assert [(w.id, w.msg.split(" ")[0]) for w in warnings] == [(W001, "SITE_PUBLICATION_DIRECTOR")]
    assert none == []


def test_accessibility_statement_says_non_conforme_without_an_audit(client):
    page = client.get("/accessibilite/").content.decode()
    home = client.get("/").content.decode()

    assert "Ce site est non conforme avec le référentiel" in page
    assert "Défenseur des droits" in page
    assert "Accessibilité : non conforme" in home


@override_settings(ACCESSIBILITY_STATUS="partiellement")
def test_accessibility_status_follows_the_audit(client):
    page = client.get("/accessibilite/").content.decode()
    home = client.get("/").content.decode()

    assert "Ce site est partiellement conforme" in page
    assert "Accessibilité : partiellement conforme" in home


@override_settings(ALERTS_UNCONFIRMED_DAYS=7)
def test_personal_data_page_states_what_alerts_keep_and_for_how_long(client):
    page = client.get("/donnees-personnelles/").content.decode()

    assert "effacée après 7 jours" in page
    assert "sans traceur ni mesure d" in page


@override_settings(**OPERATOR)
def test_error_report_prefills_an_email_about_the_page(client):
    response = client.get("/signaler-une-erreur/?page=/acteurs/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "mailto:contact@example.org?subject=" in page
    assert quote("https://testserver/acteurs/", safe="") in page


@override_settings(**OPERATOR)
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/no-such-page-here/",
        "/acteurs/\r\nBcc: x@evil.example",
        "/" + "a" * 400,
        "javascript:alert(1)",
    ],
)
def test_error_report_refuses_foreign_or_unknown_pages(client, target):
    response = client.get("/signaler-une-erreur/", {"page": target})
    page = response.content.decode()

    # The page's own address (its language links) may carry the query string, encoded;
    # no link leads to the foreign page, nor does the e-mail name it.
    foreign = [
        href
        for href in links(page)
        if "evil.example" in href
        and not href.startswith(("https://testserver/", "/?", "/en/"))
        and not href.startswith("/signaler-une-erreur/")
    ]
    assert response.status_code == 400
    assert foreign == []
    assert "evil.example" not in page.split("<main")[1].split("</main>")[0]
    assert "ne désigne pas une page de l'annuaire" in page


def test_error_report_without_a_contact_address_says_whom_to_write_to(client):
    page = client.get("/signaler-une-erreur/?page=/acteurs/").content.decode()

    assert "mailto:" not in page
    assert "écrivez à la collectivité citée comme source" in page


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_error_report_page_footer_link_to_itself_answers_200(client, prefix):
    """The report page's own footer links to it with itself as the page: no 400 there."""
    response = client.get(f"{prefix}/signaler-une-erreur/?page={prefix}/signaler-une-erreur/")

    assert response.status_code == 200
    assert response.context["invalid_page"] is False
    assert response.context["page"] is None
