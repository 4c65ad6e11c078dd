"""Territory and collectivité pages answer what citizens ask, in that order: who to contact
here (the contact finder's answer card, and a way into the finder), the schemes open there,
the panorama, the structures and their map, the events."""

import re

import pytest
from django.db import connection

from actors.derived import refresh_panoramas
from tests.essdir.test_views import Page
from tests.factories import CollectiviteFactory, ContactFactory, territory

pytestmark = pytest.mark.django_db

# The headings of a territory page, in the order a citizen's questions come.
TERRITORY_ORDER = [
    'id="contact-here-title"',
    'id="schemes-title"',
    'id="panorama-calcule-title"',
    'id="actors-title"',
    'id="events-title"',
]
COLLECTIVITE_ORDER = [
    'id="contact-here-title"',
    'id="dispositifs-title"',
    'id="panorama-calcule-title"',
    'id="acteurs-title"',
    'id="evenements-title"',
]


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def positions(html: str, markers: list[str]) -> list[int]:
    return [html.index(marker) for marker in markers]


def section(html: str, title_id: str) -> str:
    """The text of the section whose heading has the id `title_id`."""
    start = html.rindex("<section", 0, html.index(f'id="{title_id}"'))
    return html[start : html.index("</section>", start)]


def card(html: str) -> str:
    """The first answer card of the page."""
    start = html.index('<article class="card contact"')
    return html[start : html.index("</article>", start)]


def test_a_departement_page_answers_who_to_contact_first(client, seed):
    html = client.get("/territoires/departement-54-meurthe-et-moselle/").content.decode()

    assert positions(html, TERRITORY_ORDER) == sorted(positions(html, TERRITORY_ORDER))
    assert "Qui contacter en Meurthe-et-Moselle" in html
    # The card comes first in the section: the département's central ESS contact.
    answer = card(section(html, "contact-here-title"))
    assert "Catherine Mengel" in answer
    assert '<a href="tel:0383945580">03 83 94 55 80</a>' in answer
    assert '<a href="mailto:cmengel@departement54.fr">cmengel@departement54.fr</a>' in answer
    # Then the finder, for the contact closest to one's commune (no JavaScript: a form).
    contacts = section(html, "contact-here-title")
    assert 'action="/contacts/"' in contacts
    assert 'name="q"' in contacts
    # And the others serving the whole département, staff before elected representatives.
    assert contacts.index("Sylvie Marchal") < contacts.index("Chaynesse Khirouni")
    # The page keeps the meta description's promise.
    description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
    assert "contact" in description


def test_a_commune_page_gives_the_finders_card_and_link(client, seed):
    page = client.get("/territoires/commune-54528-toul/")
    html = page.content.decode()
    finder = client.get("/contacts/", {"commune": "commune-54528"}).content.decode()

    assert positions(html, TERRITORY_ORDER) == sorted(positions(html, TERRITORY_ORDER))
    assert "Qui contacter à Toul" in html
    # The same card as the contact finder's for Toul.
    assert card(html) == card(finder)
    assert "Fant LONGO" in card(html)
    assert (
        "/contacts/?commune=commune-54528",
        "Trouver mon contact ESS à Toul",
    ) in Page(page).links
    # The others serving Toul, among them the CTES of its territory.
    assert "(CTES) – Terres de Lorraine" in section(html, "contact-here-title")


def test_a_territory_that_nobody_serves_says_so(client, seed):
    html = client.get("/territoires/region-84/", follow=True).content.decode()
    contacts = section(html, "contact-here-title")

    assert "<article" not in contacts
    assert "Aucun contact ESS n'est encore recensé pour ce territoire." in contacts
    assert 'action="/contacts/"' in contacts


def test_a_collectivite_page_answers_who_to_contact_first(client, seed):
    html = client.get("/collectivites/meurthe-et-moselle/").content.decode()
    contacts = section(html, "contact-here-title")

    assert positions(html, COLLECTIVITE_ORDER) == sorted(positions(html, COLLECTIVITE_ORDER))
    assert "Catherine Mengel" in card(contacts)
    assert "03 83 94 55 80" in card(contacts)
    # Its own contacts follow the card, the CTES among them.
    assert contacts.index("Tous ses contacts") > contacts.index("</article>")
    assert "(CTES) – Briey" in contacts
    # The table of contents follows the page.
    toc = html[html.index('<nav class="toc"') : html.index("</nav>", html.index('class="toc"'))]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert anchors[:5] == ["contacter", "dispositifs", "panorama", "acteurs", "evenements"]


def test_a_collectivite_without_coordinates_says_the_sources_give_none(client, seed):
    html = client.get("/collectivites/hauts-de-seine/").content.decode()

    answer = card(section(html, "contact-here-title"))
    assert "Département des Hauts-de-Seine" in answer
    assert "Les sources ne donnent aucune coordonnée" in answer


def test_a_collectivite_lists_its_events_whose_sources_give_no_full_date(client, seed):
    html = client.get("/collectivites/hauts-de-seine/").content.decode()
    events = section(html, "evenements-title")

    # A day without a year: among the past events, "date incomplète" (events/models.py).
    assert "Aucun événement recensé" not in events
    past = events[events.index("Passés") :]
    assert past.count("Date incomplète — Le 22 novembre") == 2
    assert "Progr&#39;ESS : première édition" in past
    assert "La matinée des financements à impact" in past


def test_a_collectivite_lists_its_events_that_come_back_without_a_date(client, seed):
    html = client.get("/collectivites/ca-haguenau/").content.decode()
    events = section(html, "evenements-title")

    assert "Aucun événement recensé" not in events
    undated = events[events.index("Dates à préciser") :]
    assert "Petits déjeuners trimestriels de l&#39;ESS" in undated
    assert "Évènement annuel ESS et économie « traditionnelle »" in undated


@pytest.mark.parametrize("count", [1, 3])
def test_departement_page_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        collectivite = CollectiviteFactory(territory=territory("departement-54"))
        ContactFactory(collectivite=collectivite, territories=[territory("departement-54")])
        ContactFactory(collectivite=collectivite, territories=[territory("region-44")])
    refresh_panoramas()

    # Who to contact: the contacts serving the département or its région, one query (its
    # containers and the collectivités around it are the page's own). The panoramas of the
    # territory and its containers, then France's. Its schemes and its
    # sub-territories each with their count, in one statement (core.pagination.counted_rows()).
    # PostgreSQL receives every read that needs the territory alone together (its lists,
    # the panorama and the record of the imports, the contacts' links, the support services,
    # its schemes' keys: core.together.read_together), then its schemes by key: 2.
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 12):
        response = client.get("/territoires/departement-54-meurthe-et-moselle/")

    serving = response.context["serving"]
    assert sum(len(group["contacts"]) for group in serving.groups) == 2 * count
    assert len(response.context["contact_cards"]) == 1


# --- /territoires/ ---------------------------------------------------------------------------

BROWSE_ORDER = [
    'id="kind-region"',
    'id="kind-departement"',
    'id="kind-groupement"',
    'id="kind-ept"',
    'id="kind-epci"',
]


def test_territories_list_regions_then_departements_then_the_rest(client):
    response = client.get("/territoires/")
    html = response.content.decode()
    links = Page(response).links

    assert positions(html, BROWSE_ORDER) == sorted(positions(html, BROWSE_ORDER))
    regions = html[html.index(BROWSE_ORDER[0]) : html.index(BROWSE_ORDER[1])]
    departements = html[html.index(BROWSE_ORDER[1]) : html.index(BROWSE_ORDER[2])]
    assert ">Grand Est</a>" in regions
    assert ">Île-de-France</a>" in regions
    assert ">Meurthe-et-Moselle (54)</a>" in departements
    assert ">Hauts-de-Seine (92)</a>" in departements
    assert "Pays Terres de Lorraine" in html[html.index(BROWSE_ORDER[2]) :]
    # Every région and département is on the first page; no commune is listed.
    kinds = [t.kind for t in response.context["territories"]]
    assert set(kinds) <= {"region", "departement", "groupement", "ept", "epci"}
    assert kinds.count("departement") == territory_count("departement")
    assert kinds.count("region") == territory_count("region")
    assert not any(href.startswith("/territoires/commune-") for href, _ in links)
    # The rest on the next pages, bounded.
    assert len(kinds) <= 200
    assert client.get("/territoires/", {"page": 2}).status_code == 200


def territory_count(kind: str) -> int:
    from territories.models import Territory

    return Territory.objects.filter(kind=kind).count()


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Toul", "/territoires/commune-54528-toul/"),
        ("toul", "/territoires/commune-54528-toul/"),
        ("54200", "/territoires/commune-54528-toul/"),
        ("54528", "/territoires/commune-54528-toul/"),
        ("Lunéville", "/territoires/commune-54329-luneville/"),
        ("Luneville", "/territoires/commune-54329-luneville/"),
        ("54", "/territoires/departement-54-meurthe-et-moselle/"),
        ("Meurthe-et-Moselle", "/territoires/departement-54-meurthe-et-moselle/"),
        ("grand est", "/territoires/region-44-grand-est/"),
        ("200070563", "/territoires/epci-200070563-cc-terres-touloises/"),
        ("Pays Terres", "/territoires/groupement-pays-tdl-pays-terres-de-lorraine/"),
    ],
)
def test_the_field_finds_any_territory_as_typed(client, typed, found):
    response = client.get("/territoires/", {"q": typed})

    assert response.status_code == 200
    assert found in [href for href, _ in Page(response).links]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": "x" * 300}, 400),
        ({"q": "Toul\x00"}, 400),
        ({"page": "abc"}, 404),
        ({"page": "999"}, 404),
        ({"q": "Toul", "page": "99"}, 404),
    ],
)
def test_bad_input_on_the_territories_list_is_a_4xx(client, query, status):
    assert client.get("/territoires/", query).status_code == status


def test_english_pages_answer_in_the_same_order(client, seed):
    territory_html = client.get("/en/territoires/departement-54-meurthe-et-moselle/")
    territory_html = territory_html.content.decode()
    scheme_html = client.get("/en/dispositifs/agiren54/").content.decode()
    collectivite_html = client.get("/en/collectivites/hauts-de-seine/").content.decode()

    assert positions(territory_html, TERRITORY_ORDER) == sorted(
        positions(territory_html, TERRITORY_ORDER)
    )
    assert "Whom to contact in Meurthe-et-Moselle" in territory_html
    assert 'action="/en/contacts/"' in territory_html
    assert "How to take part" in scheme_html
    assert "write to Département de Meurthe-et-Moselle, which runs it." in scheme_html
    assert "Incomplete date" in section(collectivite_html, "evenements-title")
    browse = client.get("/en/territoires/").content.decode()
    assert browse.index(">Regions</h3>") < browse.index(">Départements</h3>")
