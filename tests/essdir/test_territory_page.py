"""Territory and collectivité pages answer what citizens ask, in that order: who to contact
here (the contact finder's answer card, and a way into the finder), the schemes open there,
the panorama, the structures and their map, the events."""

import re

import pytest

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

    assert "Aucun événement recensé" not in events
    undated = events[events.index("Dates à préciser") :]
    assert "Progr&#39;ESS : première édition" in undated
    assert "La matinée des financements à impact" in undated
    assert "Passés" not in events


@pytest.mark.parametrize("count", [1, 3])
def test_departement_page_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        collectivite = CollectiviteFactory(territory=territory("departement-54"))
        ContactFactory(collectivite=collectivite, territories=[territory("departement-54")])
        ContactFactory(collectivite=collectivite, territories=[territory("region-44")])
    refresh_panoramas()

    # Who to contact: the contacts serving the département or its région, one query (its
    # containers and the collectivités around it are the page's own).
    with django_assert_num_queries(13):
        response = client.get("/territoires/departement-54-meurthe-et-moselle/")

    serving = response.context["serving"]
    assert sum(len(group["contacts"]) for group in serving.groups) == 2 * count
    assert len(response.context["contact_cards"]) == 1
