"""One meaning of "the schemes of this territory": those accessible there (the schemes of
the collectivités that cover it and those carried inside it), in the list, its exports, the
API, the alerts, the territory page, the contact finder, the widget and the search."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from territories.filters import SchemeFilterSet
from territories.models import Scheme, Territory
from territories.models.schemes import SchemeQuerySet
from tests.essdir.test_views import Page
from tests.factories import CollectiviteFactory, SchemeFactory, territory

pytestmark = pytest.mark.django_db

BAS_RHIN = "departement-67"
# The Région Grand Est's 12 schemes and the CA de Haguenau's 2: the only ones of the seed
# accessible in the Bas-Rhin (the Eurométropole de Strasbourg has none).
BAS_RHIN_CARRIERS = {"region-grand-est": 12, "ca-haguenau": 2}


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def carriers(schemes) -> dict[str, int]:
    found: dict[str, int] = {}
    for scheme in schemes:
        found[scheme.collectivite.slug] = found.get(scheme.collectivite.slug, 0) + 1
    return found


def listed(client, territoire: str) -> list[str]:
    """The slugs of every scheme /dispositifs/?territoire= lists, page after page."""
    slugs, page = [], 1
    while True:
        response = client.get("/dispositifs/", {"territoire": territoire, "page": page})
        assert response.status_code == 200
        slugs += [scheme.slug for scheme in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return slugs
        page += 1


def test_the_list_of_a_departement_holds_its_regions_schemes_and_those_carried_there(client, seed):
    response = client.get("/dispositifs/", {"territoire": BAS_RHIN})

    assert response.context["paginator"].count == 14
    assert carriers(Scheme.objects.filter(slug__in=listed(client, BAS_RHIN))) == BAS_RHIN_CARRIERS
    text = Page(response).text
    # Each scheme says who offers it, and the page what "accessible" means.
    assert "Porté par Région Grand Est" in text
    assert "Porté par Communauté d'agglomération de Haguenau" in text
    assert "ceux des collectivités qui le couvrent" in text


def test_export_api_page_and_list_agree_on_a_departement(client, seed):
    slugs = set(listed(client, BAS_RHIN))

    exported = list(
        csv.DictReader(
            io.StringIO(body(client.get("/dispositifs/export.csv", {"territoire": BAS_RHIN})))
        )
    )
    as_json = json.loads(body(client.get("/dispositifs/export.json", {"territoire": BAS_RHIN})))
    api = client.get("/api/dispositifs/", {"territoire": BAS_RHIN, "page_size": 200}).json()
    page = client.get(territory(BAS_RHIN).get_absolute_url())

    assert len(slugs) == 14
    assert len(exported) == 14
    assert len(as_json) == 14
    assert len(api["results"]) == 14
    assert {row["titre"] for row in exported} == set(
        Scheme.objects.filter(slug__in=slugs).values_list("name", flat=True)
    )
    assert page.context["scheme_count"] == 14
    assert {scheme.slug for scheme in page.context["schemes"]} == slugs


def test_finder_and_widget_of_a_commune_list_what_its_list_lists(client, seed):
    haguenau = territory("commune-67180")
    slugs = listed(client, "commune-67180")

    finder = client.get("/contacts/", {"commune": "commune-67180"})
    widget = client.get(reverse("widget:territory", kwargs={"slug": haguenau.slug}))
    search = client.get("/recherche/", {"q": "Haguenau", "territoire": "commune-67180"})

    assert len(slugs) == 14
    assert finder.context["scheme_count"] == 14
    assert [scheme.slug for scheme in finder.context["schemes"]] == [
        scheme.slug for scheme in Scheme.objects.published().accessible_in(haguenau).nearest_first()
    ]
    assert {scheme.slug for scheme in finder.context["schemes"]} == set(slugs)
    # The widget shows the first three, most local first: Haguenau's own.
    assert carriers(widget.context["schemes"]) == {"ca-haguenau": 2, "region-grand-est": 1}
    assert ("/dispositifs/?territoire=commune-67180", "Tous les dispositifs sur essdir") in (
        Page(widget).links
    )
    assert search.status_code == 200


def test_accessible_in_covers_the_areas_around_and_inside_a_territory():
    departement = CollectiviteFactory(name="Département 54", territory=territory("departement-54"))
    region = CollectiviteFactory(name="Région", kind="region", territory=territory("region-44"))
    toul = CollectiviteFactory(name="Toul", kind="commune", territory=territory("commune-54528"))
    moselle = CollectiviteFactory(name="Moselle", territory=territory("departement-57"))
    of_departement = SchemeFactory(name="Du département", collectivite=departement)
    of_region = SchemeFactory(name="De la région", collectivite=region)
    carried_in_toul = SchemeFactory(name="De Toul", collectivite=toul)
    # No covered territory: its carrier's.
    unbounded = SchemeFactory(name="Sans territoire", collectivite=toul, territory=None)
    SchemeFactory(name="De la Moselle", collectivite=moselle)
    # The Département's scheme for one of its territories of action only.
    for_briey = SchemeFactory(
        name="Pour Briey", collectivite=departement, territory=territory("groupement-cd54-briey")
    )

    def names(*territories):
        return set(Scheme.objects.accessible_in(*territories).values_list("name", flat=True))

    assert names(territory("departement-54")) == {
        of_departement.name,
        of_region.name,
        carried_in_toul.name,
        unbounded.name,
        for_briey.name,
    }
    assert names(territory("commune-54528")) == {
        of_departement.name,
        of_region.name,
        carried_in_toul.name,
        unbounded.name,
    }
    assert names(territory("region-44")) == {
        of_departement.name,
        of_region.name,
        carried_in_toul.name,
        unbounded.name,
        "De la Moselle",
        for_briey.name,
    }
    # Several communes (a postal code): what every one of them may turn to.
    assert names(territory("commune-54528"), territory("commune-54395")) == {
        of_departement.name,
        of_region.name,
    }
    # Communes are reached by key, larger territories in one pass over the schemes: both
    # shapes of the query answer the same (a place of no known kind takes the one pass).
    for communes in [["commune-54528"], ["commune-54528", "commune-54395"]]:
        places = [territory(slug) for slug in communes]
        unknown = [Territory(pk=place.pk, kind="") for place in places]
        assert names(*places) == names(*unknown)


@pytest.mark.parametrize("count", [1, 3])
def test_scheme_list_filtered_by_territory_query_count_is_constant(
    client, django_assert_num_queries, settings, count
):
    region = CollectiviteFactory(name="Région", kind="region", territory=territory("region-44"))
    SchemeFactory.create_batch(count, collectivite=region)
    SchemeFactory(name="Ailleurs", collectivite__territory=territory("departement-92"))
    client.get("/dispositifs/", {"territoire": BAS_RHIN})  # the options, memoized
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    # The territory, the page's keys with the count of all (one window count), the version
    # (the options' memo), the page's rows (a card shows no themes: none read).
    with django_assert_num_queries(4):
        response = client.get("/dispositifs/", {"territoire": BAS_RHIN})

    assert response.context["paginator"].count == count


@pytest.mark.parametrize("count", [1, 3])
def test_a_departements_page_lists_its_schemes_nearest_first_keys_then_rows(
    client, django_assert_num_queries, settings, count
):
    region = CollectiviteFactory(name="Région", kind="region", territory=territory("region-44"))
    departement = CollectiviteFactory(
        name="Département", kind="departement", territory=territory("departement-54")
    )
    for number in range(count):
        SchemeFactory(name=f"Régional {number}", collectivite=region, territory=region.territory)
        SchemeFactory(
            name=f"Départemental {number}",
            collectivite=departement,
            territory=departement.territory,
        )
    SchemeFactory(name="Ailleurs", collectivite__territory=territory("departement-92"))
    url = territory("departement-54").get_absolute_url()
    client.get(url)  # the page-cache tags
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    # Their SQL read below: sent as it is, not as the EXECUTEs of statements prepared by the
    # first request (core.prepared).
    settings.DATABASE_PREPARED_STATEMENTS = False

    # The page's 13 reads (tests/territories/test_views.py), its schemes' being two: their
    # keys, sorted and counted in one statement, then those schemes by key (5 on PostgreSQL,
    # which receives every read that needs the territory alone with the keys,
    # core.together.read_together).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 15) as queries:
        response = client.get(url)

    assert [scheme.name for scheme in response.context["schemes"]] == [
        *(f"Départemental {number}" for number in range(count)),
        *(f"Régional {number}" for number in range(count)),
    ]
    assert response.context["scheme_count"] == 2 * count
    scheme_statements = [q["sql"] for q in queries if '"territories_scheme"' in q["sql"]]
    assert len(scheme_statements) == 2
    assert "OVER ()" in scheme_statements[0]


@pytest.mark.parametrize("territoire", [BAS_RHIN, "region-44", "commune-67482", "commune-54528"])
def test_a_territorys_list_read_by_its_kept_statement_is_the_filtered_lists(seed, territoire):
    filterset = SchemeFilterSet(
        {"territoire": territoire}, queryset=Scheme.objects.published().for_list()
    )
    ordinary = filterset.listing_keys()
    expected = [(key, len(ordinary)) for key in ordinary]

    read = filterset.counted_keys()

    assert read(0, 100) == expected
    assert read(2, 3) == expected[2:5]
    assert territoire == "commune-54528" or expected != []


@override_settings(STATEMENTS_CHECKED=False, CACHE_MIDDLEWARE_SECONDS=0)
def test_a_list_narrowed_by_its_territory_alone_builds_none_of_its_filters(
    client, seed, monkeypatch
):
    client.get("/dispositifs/", {"territoire": BAS_RHIN})  # the statement compiled
    built = []
    accessible_in = SchemeQuerySet.accessible_in

    def counted(self, *territories):
        built.append(territories)
        return accessible_in(self, *territories)

    monkeypatch.setattr(SchemeQuerySet, "accessible_in", counted)

    alone = client.get("/dispositifs/", {"territoire": BAS_RHIN})
    assert (alone.context["paginator"].count, built) == (14, [])
    narrowed = client.get("/dispositifs/", {"territoire": BAS_RHIN, "kind": "appel_a_projets"})
    assert narrowed.status_code == 200
    assert len(built) == 1
