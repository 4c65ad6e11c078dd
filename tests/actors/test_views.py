import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.filters import ActorFilterSet
from actors.models import ActorPartnership, SchemeRole
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EventParticipationFactory,
    SchemeFactory,
    ThemeFactory,
    territory,
)

pytestmark = pytest.mark.django_db


def names(response):
    return [actor.name for actor in response.context["object_list"]]


@pytest.mark.parametrize("count", [1, 3])
def test_actor_list_query_count_is_constant(client, django_assert_num_queries, settings, count):
    theme = ThemeFactory(name="Réemploi")
    actors = ActorFactory.create_batch(count)
    for actor in actors:
        actor.themes.add(theme)

    # The first view reads the theme, network and partner options (memoized by content
    # version); the next ones only the version. The map reads the record of the SIRENE
    # imports (actors.coverage) and, none being recorded, whether any establishment is.
    # 21 more: the first page ever read initialises the versions of its 5 page-cache tags
    # (core.caching), in the database's cache table here (add(): 4 queries each, one read).
    with django_assert_num_queries(10 + 21):
        response = client.get("/acteurs/")
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # rendered again, not served from the page cache
    with django_assert_num_queries(6):
        again = client.get("/acteurs/")

    assert response.context["paginator"].count == count
    assert again.content == response.content
    text = html.unescape(response.content.decode())
    shown = [a for a in actors if f'<a href="{a.get_absolute_url()}">{a.name}</a>' in text]
    assert shown == actors
    assert text.count('<span class="badge badge-light">Réemploi</span>') == count


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("epci-200070563", True),
        ("groupement-pays-tdl", True),
        ("departement-54", True),
        ("region-44", True),
        ("commune-54528", True),
        ("departement-57", False),
        ("commune-54395", False),
    ],
)
def test_actor_in_toul_appears_under_every_territory_that_contains_toul(client, slug, expected):
    ActorFactory(name="Recyclerie de Toul", territory=territory("commune-54528"))

    response = client.get("/acteurs/", {"territoire": slug})

    assert ("Recyclerie de Toul" in names(response)) is expected


def test_actor_list_filters_by_theme_family_and_network(client):
    circular = ThemeFactory(name="Économie circulaire", slug="economie-circulaire")
    network = ActorFactory(name="Réseau")
    member = ActorFactory(name="Coopérative membre", family="cooperative")
    member.themes.add(circular)
    member.member_of.add(network)
    ActorFactory(name="Association isolée", family="association")

    assert names(client.get("/acteurs/", {"theme": "economie-circulaire"})) == [member.name]
    assert names(client.get("/acteurs/", {"famille": "cooperative"})) == [member.name]
    assert names(client.get("/acteurs/", {"reseau": network.slug})) == [member.name]


def test_actor_list_text_search_folds_accents(client):
    ActorFactory(name="Émmaüs Connect")
    ActorFactory(name="Envie")

    assert names(client.get("/acteurs/", {"q": "emmaus"})) == ["Émmaüs Connect"]


def test_actor_list_sorts_by_name_and_recency(client):
    # Created (by date) in an order that is neither the name order, its reverse, nor the
    # order of the rows in the table.
    def created(month):
        return datetime.datetime(2026, month, 1, tzinfo=datetime.UTC)

    ActorFactory(name="Alpha", created_at=created(3))
    ActorFactory(name="Bravo", created_at=created(1))
    ActorFactory(name="Charlie", created_at=created(2))

    assert names(client.get("/acteurs/", {"tri": "nom"})) == ["Alpha", "Bravo", "Charlie"]
    assert names(client.get("/acteurs/", {"tri": "-nom"})) == ["Charlie", "Bravo", "Alpha"]
    assert names(client.get("/acteurs/", {"tri": "-recent"})) == ["Alpha", "Charlie", "Bravo"]
    assert names(client.get("/acteurs/", {"tri": "recent"})) == ["Bravo", "Charlie", "Alpha"]


def test_draft_actor_is_not_public(client):
    draft = ActorFactory(name="Caché", status="draft")

    assert "Caché" not in names(client.get("/acteurs/"))
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_actor_detail_query_count_is_constant(client, django_assert_num_queries, count):
    actor = ActorFactory()
    related = []
    for _ in range(count):
        collectivite, scheme, network = CollectiviteFactory(), SchemeFactory(), ActorFactory()
        ActorPartnership.objects.create(actor=actor, collectivite=collectivite)
        SchemeRole.objects.create(actor=actor, scheme=scheme, role="beneficiary")
        actor.member_of.add(network)
        event = EventParticipationFactory(actor=actor, collectivite=None).event
        related += [collectivite, scheme, network, event]

    # 11 since the page lists the grants the structure received (grants.Grant, one query);
    # 16 more: the first page ever read initialises the versions of its 4 page-cache tags
    # (core.caching), in the database's cache table here (add(): 4 queries each).
    # PostgreSQL receives its coming and past events together (rows_together), and its
    # themes, sources, networks, members, partnerships and roles together
    # (core.prefetches, one level together): 5.
    with django_assert_num_queries((5 if connection.vendor == "postgresql" else 11) + 16):
        response = client.get(actor.get_absolute_url())

    text = html.unescape(response.content.decode())
    linked = [obj for obj in related if f'href="{obj.get_absolute_url()}"' in text]
    assert linked == related
    assert text.count("(bénéficiaire)") == count


def test_actor_detail_shows_every_relation_linked(client):
    actor = ActorFactory(name="Relais 2D")
    collectivite = CollectiviteFactory(name="CA de Haguenau")
    ActorPartnership.objects.create(actor=actor, collectivite=collectivite, note="clauses sociales")
    scheme = SchemeFactory(name="Convention Relais 2D")
    SchemeRole.objects.create(actor=actor, scheme=scheme, role="operator")
    network = ActorFactory(name="IAE Grand Est")
    actor.member_of.add(network)

    text = html.unescape(client.get(actor.get_absolute_url()).content.decode())

    assert f'href="{collectivite.get_absolute_url()}"' in text
    assert "clauses sociales" in text
    assert f'href="{scheme.get_absolute_url()}"' in text
    assert "(opérateur)" in text
    assert f'href="{network.get_absolute_url()}"' in text
    network_page = html.unescape(client.get(network.get_absolute_url()).content.decode())
    assert f'href="{actor.get_absolute_url()}"' in network_page


def test_collectivite_page_shows_its_partner_actors(client):
    actor = ActorFactory(name="Partenaire local")
    collectivite = CollectiviteFactory()
    ActorPartnership.objects.create(actor=actor, collectivite=collectivite)

    text = client.get(collectivite.get_absolute_url()).content.decode()

    assert "Partenaire local" in text


def test_territory_page_shows_the_actors_acting_there(client):
    ActorFactory(name="Atelier de Toul", territory=territory("commune-54528"))

    text = client.get("/territoires/departement-54-meurthe-et-moselle/").content.decode()

    assert "Atelier de Toul" in text
    assert "?territoire=departement-54" in text


@pytest.mark.parametrize(
    "query",
    [
        {"territoire": "nulle-part"},
        {"theme": "inconnu"},
        {"famille": "secte"},
        {"reseau": "inconnu"},
        {"tri": "mot_de_passe"},
        {"q": "x" * 300},
        {"forme": "y" * 300},
        {"partenaire": "\x00"},
    ],
)
def test_actor_list_bad_input_is_a_400_with_a_message(client, query):
    response = client.get("/acteurs/", query)

    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_actor_seed_facts_are_on_their_pages(seed, client):
    kaleidoscoop = html.unescape(client.get("/acteurs/kaleidoscoop/").content.decode())
    emmaus = html.unescape(client.get("/acteurs/emmaus-connect/").content.decode())

    assert "2 800 m²" in kaleidoscoop
    assert "Eurométropole de Strasbourg" in kaleidoscoop
    assert 'href="/acteurs/envie/"' in emmaus
    assert 'href="/acteurs/humanis/"' in emmaus


def test_long_lists_count_up_to_a_bound_and_stop_deep_paging(client, monkeypatch, settings):
    from core.pagination import BoundedPaginator

    settings.CACHE_MIDDLEWARE_SECONDS = 0
    settings.EXACT_COUNT_UP_TO = 10
    monkeypatch.setattr(BoundedPaginator, "max_results", 25)
    ActorFactory.create_batch(30)

    first = client.get("/acteurs/")
    deep = client.get("/acteurs/", {"page": 3})

    paginator = first.context["paginator"]
    assert (paginator.count, paginator.truncated, paginator.num_pages) == (25, True, 2)
    assert "Plus de 25 acteurs" in first.content.decode()
    assert deep.status_code == 404


@pytest.mark.parametrize("tri", ["nom", "-nom", "recent"])
def test_deep_pages_read_their_keys_first_and_list_the_same_rows(
    client, monkeypatch, settings, tri
):
    from core.pagination import BoundedPaginator

    settings.CACHE_MIDDLEWARE_SECONDS = 0
    ActorFactory.create_batch(settings.PAGE_SIZE + 5)
    offset_pages = [client.get("/acteurs/", {"tri": tri, "page": n}) for n in (1, 2)]

    monkeypatch.setattr(BoundedPaginator, "deferred_from", 1)
    with CaptureQueriesContext(connection) as queries:
        keyed_pages = [client.get("/acteurs/", {"tri": tri, "page": n}) for n in (1, 2)]

    assert [names(page) for page in keyed_pages] == [names(page) for page in offset_pages]
    assert len(names(keyed_pages[1])) == 5
    # Page 2 read its keys in a subquery, then those rows.
    assert any("IN (SELECT" in q["sql"] and "OFFSET" in q["sql"] for q in queries.captured_queries)


def test_every_order_of_the_list_has_its_own_french_label():
    choices = dict(ActorFilterSet().form.fields["tri"].choices)

    assert choices == {
        "": "Nom (A → Z)",
        "nom": "Nom (A → Z)",
        "-nom": "Nom (Z → A)",
        "recent": "Plus anciens d'abord",
        "-recent": "Plus récents d'abord",
        "id": "Ordre d'enregistrement",
        "-id": "Ordre d'enregistrement inversé",
    }
