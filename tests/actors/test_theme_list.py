"""A theme's list of structures reads its keys from the themes' lists (ActorThemeListing:
the theme, the structure's `public` and `name`): it must list, count and page exactly what
the structures and their themes say, and follow what staff change at once, from either
side of the relation."""

import importlib

import pytest
from django.db import connection

from actors import services
from actors.derived import refresh_derived_data, refresh_theme_listings
from actors.filters import ActorFilterSet
from actors.models import Actor, ActorPlace, ActorThemeListing
from core.publication import PublicationStatus
from tests.factories import ActorFactory, ThemeFactory, territory

pytestmark = pytest.mark.django_db

# The content version, the theme, the keys of the themes' lists up to the exact count
# (counted, the page's taken from them: core.pagination.BoundedPaginator), the rows and their
# themes, the SIRENE coverage (actors.coverage) and whether any establishment is located (the
# map).
QUERIES = 7


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


@pytest.fixture
def reemploi():
    return ThemeFactory(name="Réemploi", slug="reemploi")


def listed(client, query: str) -> list[str]:
    response = client.get(f"/acteurs/?{query}")
    assert response.status_code == 200
    return [actor.name for actor in response.context["object_list"]]


def with_theme(theme, **fields) -> Actor:
    actor = ActorFactory(**fields)
    actor.themes.add(theme)
    return actor


def test_a_theme_lists_its_public_structures_by_name_and_counts_them(client, reemploi):
    for name in ["Colibri", "Abeille", "Bourdon"]:
        with_theme(reemploi, name=name)
    with_theme(reemploi, name="Aaa brouillon", status=PublicationStatus.DRAFT)
    with_theme(reemploi, name="Aab masqué", hidden=True)
    with_theme(ThemeFactory(name="Autre"), name="Aac autre thème")
    ActorFactory(name="Aad sans thème")

    response = client.get("/acteurs/?theme=reemploi")

    assert [a.name for a in response.context["object_list"]] == ["Abeille", "Bourdon", "Colibri"]
    assert response.context["paginator"].count == 3
    assert listed(client, "theme=reemploi&tri=-nom") == ["Colibri", "Bourdon", "Abeille"]


def test_the_keys_come_from_the_themes_lists_only_when_the_theme_alone_or_a_family_narrows(
    rf, reemploi
):
    def keys(query):
        request = rf.get("/acteurs/", query)
        filterset = ActorFilterSet(request.GET, queryset=Actor.objects.published(), request=request)
        assert filterset.is_valid()
        return filterset.listing_keys()

    abeille = with_theme(reemploi, name="Abeille", family="association")

    assert list(keys({"theme": "reemploi"})) == [abeille.pk]
    assert list(keys({"theme": "reemploi", "tri": "-nom"})) == [abeille.pk]
    assert list(keys({"theme": "reemploi", "famille": "association"})) == [abeille.pk]
    assert list(keys({"theme": "reemploi", "famille": "cooperative"})) == []
    assert list(keys({"theme": "reemploi", "type": "siae", "famille": "association"})) == []
    # With a territory: the territory's range, narrowed to the theme's listing.
    assert list(keys({"theme": "reemploi", "territoire": "departement-54"})) == [abeille.pk]
    assert list(keys({"theme": "reemploi", "territoire": "departement-57"})) == []
    assert keys({"theme": "reemploi", "territoire": "departement-54", "tri": "recent"}) is None
    assert keys({"theme": "reemploi", "q": "abeille"}) is None
    assert keys({"theme": "reemploi", "tri": "recent"}) is None


def test_other_filters_with_a_theme_still_list_exactly(client, reemploi):
    with_theme(reemploi, name="Abeille", family="association")
    with_theme(reemploi, name="Bourdon", family="cooperative")

    assert listed(client, "theme=reemploi&famille=cooperative") == ["Bourdon"]
    assert listed(client, "theme=reemploi&famille=association&tri=-nom") == ["Abeille"]
    assert listed(client, "theme=reemploi&territoire=departement-54") == ["Abeille", "Bourdon"]
    assert listed(client, "theme=reemploi&tri=recent") == ["Abeille", "Bourdon"]


def test_a_theme_in_a_territory_lists_and_counts_exactly(client, reemploi):
    with_theme(reemploi, name="Bourdon", family="cooperative")
    with_theme(reemploi, name="Abeille", family="association")
    with_theme(reemploi, name="Cigale", hidden=True)
    with_theme(reemploi, name="Dahlia", territory=territory("commune-57463"))
    with_theme(ThemeFactory(name="Autre"), name="Écureuil")
    ActorFactory(name="Fourmi")
    query = "theme=reemploi&territoire=departement-54"

    response = client.get(f"/acteurs/?{query}")

    assert [actor.name for actor in response.context["object_list"]] == ["Abeille", "Bourdon"]
    assert response.context["paginator"].count == 2
    assert listed(client, f"{query}&tri=-nom") == ["Bourdon", "Abeille"]
    assert listed(client, f"{query}&famille=cooperative") == ["Bourdon"]
    assert listed(client, "theme=reemploi&territoire=departement-57") == ["Dahlia"]


def test_themes_given_and_taken_from_either_side_show_at_once(client, reemploi):
    abeille = ActorFactory(name="Abeille")
    bourdon = ActorFactory(name="Bourdon")
    colibri = ActorFactory(name="Colibri")

    abeille.themes.add(reemploi)
    reemploi.actors.add(bourdon, colibri)
    assert listed(client, "theme=reemploi") == ["Abeille", "Bourdon", "Colibri"]

    abeille.themes.remove(reemploi)
    reemploi.actors.remove(colibri)
    assert listed(client, "theme=reemploi") == ["Bourdon"]

    abeille.themes.set([reemploi])
    bourdon.themes.clear()
    assert listed(client, "theme=reemploi") == ["Abeille"]

    reemploi.actors.clear()
    assert listed(client, "theme=reemploi") == []
    assert ActorThemeListing.objects.count() == 0


def test_staff_hiding_archiving_and_renaming_show_at_once_in_the_theme_list(client, reemploi):
    abeille = with_theme(reemploi, name="Abeille")
    bourdon = with_theme(reemploi, name="Bourdon")
    colibri = with_theme(reemploi, name="Colibri")

    services.set_hidden(actors=[abeille], hidden=True)
    bourdon.status = PublicationStatus.ARCHIVED
    bourdon.save(update_fields=["status", "updated_at"])
    colibri.name = "Aigle"
    colibri.save()

    assert listed(client, "theme=reemploi") == ["Aigle"]

    services.set_hidden(actors=[abeille], hidden=False)
    assert listed(client, "theme=reemploi") == ["Abeille", "Aigle"]


def test_a_deleted_structure_leaves_its_themes_lists(client, reemploi):
    abeille = with_theme(reemploi, name="Abeille")
    with_theme(reemploi, name="Bourdon")

    abeille.delete()

    assert listed(client, "theme=reemploi") == ["Bourdon"]
    assert ActorThemeListing.objects.count() == 1


def test_the_refresh_after_an_import_rebuilds_what_bulk_writes_left_behind(client, reemploi):
    abeille = with_theme(reemploi, name="Abeille")
    bourdon = with_theme(reemploi, name="Bourdon")
    # As the SIRENE import writes: in bulk, without signals.
    Actor.objects.filter(pk=abeille.pk).update(name="Zèbre", family="cooperative")
    Actor.objects.filter(pk=bourdon.pk).update(status=PublicationStatus.ARCHIVED)
    # Not yet in the lists; the page still shows only what is public, as the structures'
    # rows say (its rows are read by key from the published structures).
    assert sorted(ActorThemeListing.objects.values_list("name", "public")) == [
        ("Abeille", True),
        ("Bourdon", True),
    ]
    assert listed(client, "theme=reemploi") == ["Zèbre"]

    counts = refresh_derived_data(steps=["themes"])

    assert counts == {"themes": 2}
    assert listed(client, "theme=reemploi") == ["Zèbre"]
    assert refresh_theme_listings(actor_ids=[abeille.pk]) == 1
    assert sorted(ActorThemeListing.objects.values_list("name", "public")) == [
        ("Bourdon", False),
        ("Zèbre", True),
    ]
    assert listed(client, "theme=reemploi&famille=cooperative") == ["Zèbre"]


@pytest.mark.parametrize("count", [1, 3])
def test_a_second_page_of_a_theme_reads_its_keys_then_its_rows(
    client, django_assert_num_queries, reemploi, count
):
    for index in range(20 + count):
        with_theme(reemploi, name=f"Structure {index:03d}")
    client.get("/acteurs/?theme=reemploi&page=2")  # option lists memoized

    with django_assert_num_queries(QUERIES):
        response = client.get("/acteurs/?theme=reemploi&page=2")

    names = [actor.name for actor in response.context["object_list"]]
    assert names == [f"Structure {index:03d}" for index in range(20, 20 + count)]
    assert response.context["paginator"].count == 20 + count


def test_the_migration_fills_the_lists_as_the_refresh_builds_them(reemploi):
    with_theme(reemploi, name="Abeille")
    with_theme(reemploi, name="Brouillon", status=PublicationStatus.DRAFT)
    with_theme(reemploi, name="Masqué", hidden=True)
    both = with_theme(ThemeFactory(name="Autre"), name="Colibri")
    both.themes.add(reemploi)
    built = sorted(ActorThemeListing.objects.values_list("theme_id", "actor_id", "public", "name"))
    ActorThemeListing.objects.all().delete()
    migration = importlib.import_module("actors.migrations.0015_theme_listing")

    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)

    filled = sorted(ActorThemeListing.objects.values_list("theme_id", "actor_id", "public", "name"))
    assert filled == built
    assert [(name, public) for _t, _a, public, name in filled if _t == reemploi.pk] == [
        ("Abeille", True),
        ("Brouillon", False),
        ("Masqué", False),
        ("Colibri", True),
    ]


def test_the_family_migration_fills_the_lists_as_the_refresh_builds_them(reemploi):
    with_theme(reemploi, name="Abeille", family="association", subtype="siae")
    with_theme(reemploi, name="Bourdon", family="cooperative", hidden=True)
    with_theme(ThemeFactory(name="Autre"), name="Colibri", family="mutuelle")
    listings = ActorThemeListing.objects.order_by("theme_id", "actor_id")
    places = ActorPlace.objects.order_by("territory_id", "actor_id")
    columns = ("actor_id", "family", "subtype")
    built = [list(rows.values_list(*columns)) for rows in (listings, places)]
    listings.update(family="", subtype="")
    places.update(family="", subtype="")
    migration = importlib.import_module("actors.migrations.0016_listing_family_subtype")

    with connection.cursor() as cursor:
        for table in migration.TABLES:
            cursor.execute(migration.FILL.format(table=table))

    filled = [list(rows.values_list(*columns)) for rows in (listings, places)]
    assert filled == built
    assert {row[1:] for row in filled[0]} == {
        ("association", "siae"),
        ("cooperative", ""),
        ("mutuelle", ""),
    }


def test_the_legal_form_migration_fills_the_lists_as_the_refresh_builds_them(reemploi):
    with_theme(reemploi, name="Abeille", legal_form="Association déclarée")
    with_theme(reemploi, name="Bourdon", legal_form="SCIC", hidden=True)
    with_theme(ThemeFactory(name="Autre"), name="Colibri", legal_form="Mutuelle")
    listings = ActorThemeListing.objects.order_by("theme_id", "actor_id")
    places = ActorPlace.objects.order_by("territory_id", "actor_id")
    columns = ("actor_id", "legal_form")
    built = [list(rows.values_list(*columns)) for rows in (listings, places)]
    listings.update(legal_form="")
    places.update(legal_form="")
    migration = importlib.import_module("actors.migrations.0018_listing_legal_form")

    with connection.cursor() as cursor:
        for table in migration.TABLES:
            cursor.execute(migration.FILL.format(table=table))

    filled = [list(rows.values_list(*columns)) for rows in (listings, places)]
    assert filled == built
    assert {row[1] for row in filled[0]} == {"Association déclarée", "SCIC", "Mutuelle"}


def test_a_theme_s_structures_of_a_legal_form(client, reemploi):
    with_theme(reemploi, name="Abeille", legal_form="Association déclarée")
    with_theme(reemploi, name="Bourdon", legal_form="SCIC")
    with_theme(reemploi, name="Cigale", legal_form="SCIC", hidden=True)
    with_theme(ThemeFactory(name="Autre"), name="Colibri", legal_form="SCIC")

    response = client.get("/acteurs/", {"theme": reemploi.slug, "forme": "scic"})

    assert [actor.name for actor in response.context["object_list"]] == ["Bourdon"]
    assert response.context["paginator"].count == 1
