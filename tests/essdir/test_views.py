"""The site-wide pages of essdir/views.py (home, search) and the sitemap stay fast."""

import datetime
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse

from actors.derived import refresh_panoramas
from territories.models import Territory
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    ContactFactory,
    EstablishmentFactory,
    EventFactory,
    SchemeFactory,
    SchemeFunderFactory,
)

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class Page(HTMLParser):
    """A page as a visitor reads it: its text, and its links with their text."""

    def __init__(self, response):
        super().__init__()
        self.text, self.links, self._link = "", [], None
        self.feed(response.content.decode())

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._link = [dict(attrs).get("href"), ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append(tuple(self._link))
            self._link = None

    def handle_data(self, data):
        self.text += data
        if self._link is not None:
            self._link[1] += data


def linked(response, records) -> list:
    """The records of `records` the page links to, with their name as the link's text."""
    links = Page(response).links
    return [r for r in records if (r.get_absolute_url(), str(r)) in links]


@pytest.mark.parametrize("count", [1, 3])
def test_home_query_count_is_constant(
    client, django_assert_num_queries, time_machine, territory, count
):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC))
    collectivites = [CollectiviteFactory(name=f"Collectivité {n}") for n in range(count)]
    events = [
        EventFactory(title=f"Rencontre {n}", start_date=datetime.date(2026, 12, 1 + n))
        for n in range(count)
    ]
    actors = ActorFactory.create_batch(count)
    EstablishmentFactory(actor=actors[0], commune=territory("commune-54528"))
    refresh_panoramas()

    # With the record of the SIRENE imports (actors.coverage): none, the page says so. The
    # first collectivités and how many in all are one statement (core.pagination.with_total).
    # The content version (the tests' cache is the database), then the collectivités,
    # France's panorama, the events and the record of the imports: PostgreSQL receives
    # those four in one round trip (core.together.read_together), SQLite one by one.
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 5):
        response = client.get(reverse("site:home"))

    assert linked(response, collectivites) == collectivites
    assert linked(response, events) == events
    assert [e.title for e in response.context["events"]] == [e.title for e in events]
    counts = response.context["counts"]
    assert (str(counts["structures"]), str(counts["establishments"])) == (str(count), "1")


def test_home_counts_live_before_the_panoramas_are_computed(client):
    ActorFactory.create_batch(2)

    counts = client.get(reverse("site:home")).context["counts"]

    assert (str(counts["structures"]), str(counts["establishments"])) == ("2", "0")


@pytest.mark.parametrize("query", ["toul", "saint-d", "54200"])
def test_search_names_the_communes_of_the_query_without_a_query_more(
    client, django_assert_num_queries, query
):
    ActorFactory(name=f"{query} acteur")
    # The first five communes the query names, in their order (by name, then code).
    places = [t.name for t in Territory.objects.matching_place(query)[:5]]
    assert places  # the communes of the test geography so named

    # The page cache's version, then the communes' keys read with the candidates, those
    # communes with the best results (the one acteur found), then its partners and themes:
    # PostgreSQL 4 (the communes in the bests' round trip), SQLite 6.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 6):
        response = client.get(reverse("site:search"), {"q": query})

    assert [place.name for place in response.context["places"]] == places
    links = {url for url, _text in Page(response).links}
    assert f"/contacts/?commune={response.context['places'][0].short_slug}" in links


@pytest.mark.parametrize("count", [1, 3])
def test_search_query_count_is_constant(client, django_assert_num_queries, count):
    owner = CollectiviteFactory(name="Conseil départemental")
    collectivites = [CollectiviteFactory(name=f"Zorglub collectivité {n}") for n in range(count)]
    schemes = [
        SchemeFactory(name=f"Zorglub dispositif {n}", collectivite=owner) for n in range(count)
    ]
    actors = [ActorFactory(name=f"Zorglub acteur {n}") for n in range(count)]
    events = [EventFactory(title=f"Zorglub événement {n}") for n in range(count)]
    contacts = [
        ContactFactory(name=f"Zorglub contact {n}", collectivite=owner) for n in range(count)
    ]

    # 13: every kind's candidates read in one statement, with the keys of the communes of
    # that name (none here), then each kind's best results; the themes of the schemes,
    # actors and events found (their readable line) fetched once per kind. PostgreSQL
    # receives the five kinds' best in one round trip, then what they prefetch (themes,
    # partners, organisers, territories) in another (core.together.rows_together): 4.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 13):
        response = client.get(reverse("site:search"), {"q": "zorglub"})

    counts = {group["title"]: group["count"] for group in response.context["groups"]}
    assert counts == {
        "Collectivités": count,
        "Dispositifs": count,
        "Acteurs": count,
        "Événements": count,
        "Contacts": count,
    }
    page = Page(response)
    assert f"{5 * count} résultats pour « zorglub »" in page.text
    for records in (collectivites, schemes, actors, events):
        assert sorted(map(str, linked(response, records))) == sorted(map(str, records))
    # Contacts have no page of their own: their collectivité's is linked.
    assert [c.name for c in contacts if c.name in page.text] == [c.name for c in contacts]
    assert (owner.get_absolute_url(), owner.name) in page.links


@pytest.mark.parametrize("count", [1, 3])
def test_sitemap_query_count_is_constant(client, django_assert_num_queries, count):
    collectivite = CollectiviteFactory()
    records = [
        collectivite,
        *CollectiviteFactory.create_batch(count - 1),
        *SchemeFactory.create_batch(count, collectivite=collectivite),
        *ActorFactory.create_batch(count),
        *EventFactory.create_batch(count),
    ]

    # Each sitemap reads its items once for both languages (a list: no separate count).
    with django_assert_num_queries(4):
        response = client.get(reverse("sitemap"))

    locations = [loc.text for loc in ElementTree.fromstring(response.content).iter(f"{SITEMAP}loc")]
    pages = [
        "/",
        "/collectivites/",
        "/collectivites/budgets/",
        "/collectivites/subventions/",
        "/dispositifs/",
        "/contacts/",
        "/acteurs/",
        "/evenements/",
    ]
    urls = pages + [record.get_absolute_url() for record in records]
    expected = [f"https://testserver{prefix}{url}" for url in urls for prefix in ("", "/en")]
    assert locations == expected


@pytest.mark.parametrize(("carried", "link"), [(3, False), (21, True)])
def test_a_collectivite_page_lists_its_first_schemes_and_links_to_them_all(client, carried, link):
    collectivite = CollectiviteFactory(name="Département fictif", slug="departement-fictif")
    for index in range(carried):
        SchemeFactory(collectivite=collectivite, name=f"Dispositif {index:02d}")
    co_funded = SchemeFactory(name="Dispositif d'une autre")
    SchemeFunderFactory(scheme=co_funded, collectivite=collectivite)

    response = client.get("/collectivites/departement-fictif/")

    shown = [scheme.name for scheme in response.context["schemes"]]
    assert shown == [f"Dispositif {index:02d}" for index in range(min(carried, 20))]
    assert response.context["scheme_count"] == carried
    assert [s.name for s in response.context["funded_schemes"]] == ["Dispositif d'une autre"]
    text = response.content.decode()
    all_of_them = (
        '<a href="/dispositifs/?funder=departement-fictif">'
        f"Tous ses dispositifs, portés ou cofinancés ({carried + 1})</a>"
    )
    assert (all_of_them in text) is link


@pytest.mark.parametrize(
    "factory, name",
    [
        (ActorFactory, "name"),
        (CollectiviteFactory, "name"),
        (SchemeFactory, "name"),
        (EventFactory, "title"),
    ],
)
def test_detail_pages_serve_each_published_record_and_hide_drafts_from_visitors(
    client, factory, name
):
    # The record is read by a statement kept compiled (core.views.KeptObjectMixin): each
    # page shows its own record, whichever was read first.
    first, second = factory(**{name: "Fiche Alpha"}), factory(**{name: "Fiche Beta"})
    draft = factory(**{name: "Fiche Brouillon"}, status="draft")

    for record in [first, second]:
        response = client.get(record.get_absolute_url())
        assert response.status_code == 200
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1)
        assert heading.strip() == getattr(record, name)

    assert client.get(draft.get_absolute_url()).status_code == 404
    unknown = first.get_absolute_url().replace(first.slug, "fiche-inconnue")
    assert client.get(unknown).status_code == 404
