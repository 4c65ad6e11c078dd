"""The site in English under /en/: interface translated, content from the sources in French.

The unmarked-strings check of the templates is in test_i18n_templates.py.
"""

import datetime
import logging
import re
from pathlib import Path
from xml.etree import ElementTree

import polib
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.template import engines
from django.utils import translation

from actors.models import Actor
from core.caching import content_version
from events.models import Event
from territories.models import Collectivite, Scheme
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EventFactory,
    SchemeFactory,
    ThemeFactory,
)
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def alternates(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)


def switcher(html: str) -> list[str]:
    return re.findall(r'<nav class="languages"[^>]*>\s*<ul>(.*?)</ul>', html, re.S)


# --- English pages ---------------------------------------------------------------------------


def test_english_home_page_shows_the_interface_in_english(client):
    html = client.get("/en/").content.decode()

    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#contenu">Skip to content</a>' in html
    assert "<h1>The social and solidarity economy near you</h1>" in html
    assert '<li><a class="nav-cta" href="/en/contacts/">Find my SSE contact</a></li>' in html
    assert '<button type="submit">Search</button>' in html
    assert "Aller au contenu" not in html


def test_english_list_keeps_french_content_marked_lang_fr(client):
    theme = ThemeFactory(name="Économie circulaire")
    actor = ActorFactory(name="Envie Terres de Lorraine", short_description="Réemploi solidaire")
    actor.themes.add(theme)

    html = client.get("/en/acteurs/").content.decode()

    assert '<h2 id="results-title">1 organisation</h2>' in html
    assert (
        f'<h3 class="card-title" lang="fr"><a href="/en/acteurs/{actor.slug}/">'
        "Envie Terres de Lorraine</a></h3>"
    ) in html
    assert '<span class="badge badge-light" lang="fr">Économie circulaire</span>' in html
    assert '<p lang="fr">Réemploi solidaire</p>' in html
    assert '<p class="muted"><span lang="fr">Toul</span></p>' in html
    assert '<h2 class="filters-title">Filter</h2>' in html
    assert '<label for="id_q">Keywords</label>' in html


def test_english_counts_use_english_plurals(client):
    ActorFactory.create_batch(2)

    html = client.get("/en/acteurs/").content.decode()

    assert '<h2 id="results-title">2 organisations</h2>' in html


def test_english_territory_page_translates_labels_and_counts(client):
    ActorFactory(name="Structure à Toul")

    html = client.get("/en/territoires/commune-54528/", follow=True).content.decode()

    assert '<h1 lang="fr">Toul</h1>' in html
    assert "<dt>Population</dt><dd>" in html
    assert " inhabitants</dd>" in html
    assert (
        "<p>The directory lists <strong>1</strong> SSE organisation here "
        "and <strong>0</strong> open establishments.</p>"
    ) in html


def test_french_page_is_unchanged_by_the_english_version(client):
    actor = ActorFactory(name="Envie Terres de Lorraine")

    html = client.get("/acteurs/").content.decode()

    assert '<html lang="fr">' in html
    assert '<h2 id="results-title">1 acteur</h2>' in html
    assert (
        f'<h3 class="card-title"><a href="/acteurs/{actor.slug}/">Envie Terres de Lorraine</a></h3>'
    ) in html
    assert 'lang="fr"' not in html.split("<main", 1)[1].split('<nav class="languages"')[0]
    assert '<p class="muted">Toul</p>' in html


def test_english_bad_filter_answers_400_with_an_english_message(client):
    response = client.get("/en/acteurs/", {"territoire": "nulle-part-0"})

    assert response.status_code == 400
    assert (
        "Unknown territory: “nulle-part-0”. Enter a municipality, a postcode, a département "
        "(name or number), a region or an intercommunal authority."
    ) in response.content.decode()


def test_english_proposal_form_labels_and_errors_are_in_english(client):
    form = client.get("/en/acteurs/referencer/").content.decode()
    response = client.post(
        "/en/acteurs/referencer/", {"commune": "nulle part du tout", "siren": "123"}
    )

    assert '<label for="id_name">Name of the organisation *</label>' in form
    assert '<label for="id_submitter_email">Your e-mail *</label>' in form
    assert '<button type="submit">Send the proposal</button>' in form
    assert response.status_code == 400
    html = response.content.decode()
    assert "<p>The form contains 7 errors: correct the fields marked below.</p>" in html
    assert "<p>A SIREN has exactly 9 digits.</p>" in html
    assert "<p>This field is required.</p>" in html
    assert "<p>No municipality matches. Enter a name or a postcode.</p>" in html


def test_english_dates_numbers_and_amounts_follow_the_language(client):
    event = EventFactory(
        title="Forum de l'ESS",
        start_date=datetime.date(2026, 12, 3),
        start_time=datetime.time(14, 30),
    )
    scheme = SchemeFactory(amount=28000)

    english = client.get(f"/en/evenements/{event.slug}/").content.decode()
    french = client.get(f"/evenements/{event.slug}/").content.decode()
    english_scheme = client.get(f"/en/dispositifs/{scheme.slug}/").content.decode()
    french_scheme = client.get(f"/dispositifs/{scheme.slug}/").content.decode()

    assert "<dd>Thursday 3 December 2026, 14:30" in english
    assert "<dd>jeudi 3 décembre 2026, 14h30" in french
    assert "<dt>Amount</dt><dd>€28,000</dd>" in english_scheme
    assert "<dt>Montant</dt><dd>28\u00a0000\u00a0€</dd>" in french_scheme


def test_outage_page_of_an_english_address_is_in_english(client, caplog):
    def unreachable(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    with connection.execute_wrapper(unreachable), caplog.at_level(logging.WARNING):
        response = client.get("/en/acteurs/", {"q": "never seen"})

    assert response.status_code == 503
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>The directory is temporarily unavailable</h1>" in html


def test_english_pages_are_valid_html(client, seed, settings, territory):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    # The French addresses of the records, prefixed.
    with translation.override("fr"):
        urls = [
            "/en/",
            "/en/recherche/?q=emploi",
            "/en/collectivites/",
            f"/en{Collectivite.objects.get(slug='meurthe-et-moselle').get_absolute_url()}",
            f"/en{territory('commune-54528').get_absolute_url()}",
            f"/en{territory('departement-54').get_absolute_url()}",
            "/en/dispositifs/",
            f"/en{Scheme.objects.published().first().get_absolute_url()}",
            "/en/acteurs/",
            f"/en{Actor.objects.published().first().get_absolute_url()}",
            "/en/acteurs/referencer/",
            "/en/evenements/",
            f"/en{Event.objects.published().first().get_absolute_url()}",
            "/en/contacts/?q=54200",
            "/en/nulle-part/",
        ]
    responses = {url: client.get(url) for url in urls}

    statuses = {url: response.status_code for url, response in responses.items()}
    assert statuses == {url: 404 if url == "/en/nulle-part/" else 200 for url in urls}
    pages = {url: r.content.decode(r.charset) for url, r in responses.items()}
    assert all('<html lang="en">' in page for page in pages.values())
    errors = validate_html(pages)
    assert errors == {url: [] for url in pages}, report(errors)


# --- Language from the URL only ------------------------------------------------------------------


def test_unprefixed_pages_stay_french_whatever_the_browser_asks(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/acteurs/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.parametrize("path", ["/acteurs/", "/en/acteurs/"])
def test_pages_do_not_vary_with_the_browser_language(client, path):
    response = client.get(path)

    assert response["Vary"] == "Cookie"


def test_english_pages_stay_english_whatever_the_browser_asks(client):
    response = client.get("/en/acteurs/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("path", ["/", "/en/", "/acteurs/", "/en/acteurs/", "/en/contacts/"])
def test_public_pages_set_no_cookie(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert list(response.cookies) == []


def test_data_routes_stay_unprefixed_on_english_pages(client):
    html = client.get("/en/acteurs/").content.decode()

    assert '<a href="/acteurs/export.csv" download>CSV</a>' in html
    assert '<a href="/evenements/flux.atom">Atom feed of the events</a>' in html


# --- Switcher and alternates ---------------------------------------------------------------------


def test_french_page_links_to_its_english_version_with_the_same_query(client):
    html = client.get("/acteurs/?q=insertion").content.decode()

    assert switcher(html) == [
        '<li><a href="/en/acteurs/?q=insertion" hreflang="en" lang="en">English</a></li>'
    ]
    assert alternates(html) == [
        ("fr", "https://testserver/acteurs/?q=insertion"),
        ("x-default", "https://testserver/acteurs/?q=insertion"),
        ("en", "https://testserver/en/acteurs/?q=insertion"),
    ]


def test_english_page_links_to_its_french_version(client):
    collectivite = CollectiviteFactory()

    html = client.get(f"/en/collectivites/{collectivite.slug}/").content.decode()

    assert switcher(html) == [
        f'<li><a href="/collectivites/{collectivite.slug}/" hreflang="fr" lang="fr">'
        "Français</a></li>"
    ]
    assert alternates(html) == [
        ("fr", f"https://testserver/collectivites/{collectivite.slug}/"),
        ("x-default", f"https://testserver/collectivites/{collectivite.slug}/"),
        ("en", f"https://testserver/en/collectivites/{collectivite.slug}/"),
    ]


def test_unknown_address_has_no_language_alternates(client):
    response = client.get("/nulle-part/")

    assert response.status_code == 404
    assert alternates(response.content.decode()) == []
    assert switcher(response.content.decode()) == []


# --- Sitemap ------------------------------------------------------------------------------------


def test_sitemap_lists_both_languages_with_alternates(client):
    collectivite = CollectiviteFactory()

    root = ElementTree.fromstring(client.get("/sitemap.xml").content)

    entries = {
        url.find(f"{SITEMAP}loc").text: [
            (link.get("hreflang"), link.get("href")) for link in url.iter(f"{XHTML}link")
        ]
        for url in root.iter(f"{SITEMAP}url")
    }
    page = f"/collectivites/{collectivite.slug}/"
    expected = [
        ("fr", f"https://testserver{page}"),
        ("en", f"https://testserver/en{page}"),
        ("x-default", f"https://testserver{page}"),
    ]
    assert entries[f"https://testserver{page}"] == expected
    assert entries[f"https://testserver/en{page}"] == expected
    assert entries["https://testserver/en/"] == [
        ("fr", "https://testserver/"),
        ("en", "https://testserver/en/"),
        ("x-default", "https://testserver/"),
    ]


def test_robots_keep_crawlers_out_of_the_search_in_both_languages(client):
    response = client.get("/robots.txt")

    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /recherche/",
        "Disallow: /en/recherche/",
        "Sitemap: https://testserver/sitemap.xml",
    ]


# --- Page cache -------------------------------------------------------------------------------


def test_cached_french_page_is_never_served_in_english(client):
    ActorFactory()
    french = client.get("/acteurs/")
    english = client.get("/en/acteurs/")
    french_again = client.get("/acteurs/")

    assert '<html lang="fr">' in french.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert french_again.content == french.content
    assert english["ETag"] != french["ETag"]


def test_cached_english_page_is_never_served_in_french(client):
    ActorFactory()
    english = client.get("/en/acteurs/")
    french = client.get("/acteurs/")

    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="fr">' in french.content.decode()
    assert content_version() is not None


def test_french_etag_does_not_validate_the_english_page(client):
    etag = client.get("/acteurs/")["ETag"]

    response = client.get("/en/acteurs/", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


# --- Template helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Toul · 14h30 · 1"), ("en", '<span lang="fr">Toul</span> · 14:30 · 0')],
)
def test_template_helpers_follow_the_language(language, expected):
    template = engines["jinja2"].from_string(
        "{% filter french %}{{ name }}{% endfilter %} · {{ time|clock }} · {{ zero|plural_number }}"
    )
    context = {"name": "Toul", "time": datetime.time(14, 30), "zero": 0}

    with translation.override(language):
        assert template.render(context) == expected


# --- The catalogue ---------------------------------------------------------------------------


def test_every_message_has_an_english_translation():
    catalogue = polib.pofile(str(CATALOGUE))

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], [])
    assert catalogue.percent_translated() == 100


def test_translations_keep_the_placeholders_of_their_message():
    catalogue = polib.pofile(str(CATALOGUE))
    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}")

    wrong = []
    for entry in catalogue:
        if entry.msgid_plural:
            # The singular may leave the number out ("See the partner organisation").
            pairs = [(entry.msgid_plural, entry.msgstr_plural[1])]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for msgid, msgstr in pairs:
            if sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(msgstr)):
                wrong.append(msgid)
    assert wrong == []
