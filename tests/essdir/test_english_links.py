"""Every link of the English pages stays English: it answers 200 under /en/, except the
French-only data (exports, feeds, calendars, the API, the national files, the catalogue)
and the switcher's link to the French page."""

import pprint
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import translation

from actors.models import Actor
from alerts.models import Subscription
from essdir.downloads import build_downloads
from events.models import Event
from territories.models import Collectivite, Scheme
from tests.responses import close_quietly

pytestmark = pytest.mark.django_db

# The routes whose content exists in French only (README, "Languages"): English pages link
# their unprefixed addresses.
FRENCH_ONLY_ROUTES = {
    "calendar",
    "feed",
    "ics",
    "map_geojson",
    "download",
    "catalogue",
    "sitemap",
    "robots",
}
FRENCH_ONLY_PREFIXES = ("/api/", "/static/")


class Links(HTMLParser):
    """The `href` of every <a> of a page, but the switcher's link to the other language."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") and "hreflang" not in attributes:
            self.hrefs.append(attributes["href"])


def internal_links(page_url: str, html: str) -> set[str]:
    """The site's own addresses a page links to (path and query, without fragment)."""
    parser = Links()
    parser.feed(html)
    found = set()
    for href in parser.hrefs:
        url = urlsplit(urljoin(f"https://testserver{page_url}", href))
        if url.scheme not in ("http", "https") or url.hostname != "testserver":
            continue
        found.add(f"{url.path}?{url.query}" if url.query else url.path)
    return found


def is_french_only(path: str) -> bool:
    if path.startswith(FRENCH_ONLY_PREFIXES):
        return True
    try:
        with translation.override("fr"):  # an unprefixed path is French
            match = resolve(path.split("?")[0])
    except Resolver404:
        return False
    return (
        match.url_name in FRENCH_ONLY_ROUTES
        or match.url_name.endswith(("export_csv", "export_json"))
        or match.namespace == "api"
    )


@pytest.fixture(autouse=True)
def downloads_root(settings, tmp_path):
    """The national files of the test's own (none unless it builds them)."""
    settings.DOWNLOADS_ROOT = tmp_path / "downloads"


def english_pages() -> list[str]:
    """One page of each kind, in English (an English alert's pages too)."""
    collectivite = Collectivite.objects.published().get(slug="meurthe-et-moselle")
    alert = Subscription.objects.create(
        email="camille@example.org",
        search_list="territoire",
        query="territoire=departement-54",
        language="en",
    )
    with translation.override("en"):
        return [
            "/en/",
            "/en/recherche/?q=emploi",
            "/en/acteurs/",
            "/en/dispositifs/",
            "/en/evenements/",
            "/en/collectivites/",
            "/en/collectivites/budgets/",
            "/en/collectivites/subventions/",
            "/en/territoires/commune-54528-toul/",
            "/en/contacts/?q=Toul",
            "/en/territoires/",
            "/en/contacts/?q=54200",
            "/en/donnees/",
            "/en/acteurs/referencer/",
            collectivite.get_absolute_url(),
            collectivite.territory.get_absolute_url(),
            Scheme.objects.published().order_by("pk").first().get_absolute_url(),
            Actor.objects.published().order_by("pk").first().get_absolute_url(),
            Event.objects.published().order_by("pk").first().get_absolute_url(),
            "/en/alertes/creer/?liste=territoire&territoire=departement-54",
            "/en/alertes/creer/envoye/?liste=territoire&territoire=departement-54",
            alert.get_confirm_path(),
            alert.get_manage_path(),
            alert.get_unsubscribe_path(),
            "/en/alertes/desabonnement/",
            "/en/integrer/meurthe-et-moselle/code/",
            "/en/integrer/meurthe-et-moselle/",
            "/en/integrer/territoire/commune-54528-toul/",
            f"/en/integrer/territoire/{collectivite.territory.slug}/code/",
            "/en/mentions-legales/",
            "/en/accessibilite/",
            "/en/donnees-personnelles/",
            "/en/plan-du-site/",
            "/en/signaler-une-erreur/?page=/en/",
        ]


def test_english_pages_answer_in_english(client, seed):
    pages = english_pages()

    responses = {url: client.get(url) for url in pages}

    assert {url: r.status_code for url, r in responses.items()} == dict.fromkeys(pages, 200)
    languages = {url: r["Content-Language"] for url, r in responses.items()}
    assert languages == dict.fromkeys(pages, "en")


def test_every_link_of_the_english_pages_answers_200_and_stays_english(client, seed):
    build_downloads()  # so that /en/donnees/ links the national files too
    links: dict[str, str] = {}  # link -> the first page found linking it
    for page in english_pages():
        response = client.get(page)
        assert response.status_code == 200, page
        for link in sorted(internal_links(page, response.content.decode())):
            links.setdefault(link, page)

    french = {
        link: page
        for link, page in links.items()
        if not link.startswith("/en/") and not is_french_only(link)
    }
    statuses = {}
    for link in links:
        response = client.get(link)
        statuses[link] = response.status_code
        close_quietly(response)  # the national files are open files
    failing = {link: (status, links[link]) for link, status in statuses.items() if status != 200}

    assert french == {}, pprint.pformat(french)
    assert failing == {}, pprint.pformat(failing)
    assert len(links) > 100, len(links)
    assert {link for link in links if link.startswith("/donnees/telechargements/")} != set()
