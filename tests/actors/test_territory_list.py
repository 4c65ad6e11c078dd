"""A territory's list of structures reads its keys from the places' index (ActorPlace's
`public` and `name`, with `family`, `subtype` and `legal_form`): it must list, count and
page exactly what the structures say, and follow what staff change at once."""

import pytest

from actors import services
from actors.derived import refresh_actor_places
from actors.models import ActorPlace
from core.publication import PublicationStatus
from tests.factories import ActorFactory, EstablishmentFactory, territory

pytestmark = pytest.mark.django_db

TOUL = "commune-54528"
DEPARTEMENT = "departement-54"
# The content version, the territory, the places' keys up to the exact count (counted, the
# page's taken from them: core.pagination.BoundedPaginator), the rows and their themes, the
# SIRENE coverage (actors.coverage) and whether any establishment is located (the map).
QUERIES = 7


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def listed(client, query: str) -> list[str]:
    response = client.get(f"/acteurs/?{query}")
    assert response.status_code == 200
    return [actor.name for actor in response.context["object_list"]]


def test_a_territory_lists_its_public_structures_by_name_and_counts_them(client):
    for name in ["Colibri", "Abeille", "Bourdon"]:
        ActorFactory(name=name)
    ActorFactory(name="Aaa brouillon", status=PublicationStatus.DRAFT)
    ActorFactory(name="Aab masqué", hidden=True)
    ActorFactory(name="Ailleurs", territory=territory("commune-57463"))

    response = client.get(f"/acteurs/?territoire={DEPARTEMENT}")

    assert [a.name for a in response.context["object_list"]] == ["Abeille", "Bourdon", "Colibri"]
    assert response.context["paginator"].count == 3
    assert listed(client, f"territoire={DEPARTEMENT}&tri=-nom") == ["Colibri", "Bourdon", "Abeille"]


def test_the_keys_come_from_the_places_only_when_the_territory_alone_or_a_family_narrows(
    rf, monkeypatch
):
    from actors import filters
    from actors.filters import ActorFilterSet
    from actors.models import Actor

    # Every legal form held by a structure is common here (see the rare ones below).
    monkeypatch.setattr(filters, "RARE_FORM", 0)

    def keys(query):
        request = rf.get("/acteurs/", query)
        filterset = ActorFilterSet(request.GET, queryset=Actor.objects.published(), request=request)
        assert filterset.is_valid()
        return filterset.listing_keys()

    ActorFactory(name="Abeille", family="association", legal_form="Association déclarée")
    assert list(keys({"territoire": DEPARTEMENT})) == list(
        Actor.objects.filter(name="Abeille").values_list("pk", flat=True)
    )
    assert keys({}) is None
    assert list(keys({"territoire": DEPARTEMENT, "famille": "association"})) == list(
        Actor.objects.filter(name="Abeille").values_list("pk", flat=True)
    )
    assert list(keys({"territoire": DEPARTEMENT, "famille": "cooperative"})) == []
    assert list(keys({"territoire": DEPARTEMENT, "type": "siae"})) == []
    assert keys({"famille": "association"}) is None
    assert keys({"territoire": DEPARTEMENT, "q": "abeille"}) is None
    assert keys({"territoire": DEPARTEMENT, "tri": "recent"}) is None
    assert list(keys({"territoire": DEPARTEMENT, "forme": "ASSOCIATION déclarée"})) == list(
        Actor.objects.filter(name="Abeille").values_list("pk", flat=True)
    )
    # A form no structure has is rare: read from the structures' index of legal forms.
    assert keys({"territoire": DEPARTEMENT, "forme": "SCIC"}) is None
    assert keys({"forme": "SCIC"}) is None


def test_other_filters_with_a_territory_still_list_exactly(client):
    ActorFactory(name="Abeille", family="association")
    ActorFactory(name="Bourdon", family="cooperative", subtype="siae")
    ActorFactory(name="Cigale", family="cooperative", hidden=True)
    ActorFactory(name="Dahlia", family="cooperative", territory=territory("commune-57463"))
    ActorFactory(name="Écureuil", family="association", subtype="siae")

    assert listed(client, f"territoire={DEPARTEMENT}&famille=cooperative") == ["Bourdon"]
    assert listed(client, f"territoire={DEPARTEMENT}&famille=association&tri=-nom") == [
        "Écureuil",
        "Abeille",
    ]
    assert listed(client, f"territoire={DEPARTEMENT}&type=siae") == ["Bourdon", "Écureuil"]
    assert listed(client, f"territoire={DEPARTEMENT}&type=siae&famille=association") == ["Écureuil"]
    assert listed(client, f"territoire={DEPARTEMENT}&tri=recent") == [
        "Abeille",
        "Bourdon",
        "Écureuil",
    ]


@pytest.mark.parametrize("rare", [False, True])
def test_a_legal_form_of_a_territory_lists_exactly_whatever_its_case(
    client, django_assert_num_queries, monkeypatch, rare
):
    from actors import filters

    # A common form is read from the places' index (ActorPlace's legal_form), a rare one
    # from the structures' index of legal forms, either after the count that tells them
    # apart: a query more than the territory alone.
    monkeypatch.setattr(filters, "RARE_FORM", 1_000 if rare else 0)
    ActorFactory(name="Abeille", legal_form="Association déclarée")
    ActorFactory(name="Bourdon", legal_form="SCIC")
    ActorFactory(name="Cigale", legal_form="SCIC", hidden=True)
    ActorFactory(name="Dahlia", legal_form="SCIC", territory=territory("commune-57463"))
    ActorFactory(name="Écureuil", legal_form="scic", family="cooperative")
    query = f"territoire={DEPARTEMENT}&forme=Scic"
    client.get(f"/acteurs/?{query}")  # option lists memoized

    with django_assert_num_queries(QUERIES + 1):
        assert listed(client, query) == ["Bourdon", "Écureuil"]
    assert listed(client, f"{query}&famille=cooperative") == ["Écureuil"]
    assert listed(client, f"{query}&tri=-nom") == ["Écureuil", "Bourdon"]
    assert listed(client, f"territoire={DEPARTEMENT}&forme=SARL") == []
    # Without a territory, from the structures' own index of legal forms.
    assert listed(client, "forme=SCIC") == ["Bourdon", "Dahlia", "Écureuil"]

    bourdon = ActorPlace.objects.filter(actor__name="Bourdon")
    assert set(bourdon.values_list("legal_form", flat=True)) == {"SCIC"}


def test_a_family_or_subtype_staff_change_shows_at_once_in_the_territory_list(client):
    abeille = ActorFactory(name="Abeille", family="association")
    ActorFactory(name="Bourdon", family="cooperative", subtype="siae")

    abeille.family, abeille.subtype, abeille.legal_form = "cooperative", "siae", "SCIC"
    abeille.save()

    assert listed(client, f"territoire={DEPARTEMENT}&famille=cooperative") == ["Abeille", "Bourdon"]
    assert listed(client, f"territoire={DEPARTEMENT}&famille=association") == []
    assert listed(client, f"territoire={DEPARTEMENT}&type=siae") == ["Abeille", "Bourdon"]
    assert listed(client, f"territoire={DEPARTEMENT}&forme=scic") == ["Abeille"]
    places = ActorPlace.objects.filter(actor=abeille).values_list("family", "subtype", "legal_form")
    assert set(places) == {("cooperative", "siae", "SCIC")}


@pytest.mark.parametrize("count", [1, 3])
def test_a_family_of_a_territory_takes_the_queries_of_the_territory_alone(
    client, django_assert_num_queries, count
):
    for number in range(count):
        ActorFactory(name=f"Abeille {number}", family="association")
    ActorFactory(name="Bourdon", family="cooperative")
    client.get(f"/acteurs/?territoire={DEPARTEMENT}&famille=association")  # warm the caches

    with django_assert_num_queries(QUERIES):
        response = client.get(f"/acteurs/?territoire={DEPARTEMENT}&famille=association")

    assert len(response.context["object_list"]) == response.context["paginator"].count == count


def test_staff_hiding_archiving_and_renaming_show_at_once_in_the_territory_list(client):
    abeille = ActorFactory(name="Abeille")
    bourdon = ActorFactory(name="Bourdon")
    colibri = ActorFactory(name="Colibri")

    services.set_hidden(actors=[abeille], hidden=True)
    bourdon.status = PublicationStatus.ARCHIVED
    bourdon.save(update_fields=["status", "updated_at"])
    colibri.name = "Aigle"
    colibri.save()

    assert listed(client, f"territoire={TOUL}") == ["Aigle"]
    assert set(ActorPlace.objects.filter(actor=colibri).values_list("name", flat=True)) == {"Aigle"}

    services.set_hidden(actors=[abeille], hidden=False)
    assert listed(client, f"territoire={DEPARTEMENT}") == ["Abeille", "Aigle"]


def test_a_structure_listed_through_an_establishment_carries_its_name_and_visibility():
    actor = ActorFactory(name="Zèbre", territory=None)
    EstablishmentFactory(actor=actor, commune=territory("commune-57463"))
    refresh_actor_places(actor_ids=[actor.pk])

    places = ActorPlace.objects.filter(actor=actor, territory=territory("departement-57"))
    assert list(places.values_list("public", "name", "family", "subtype", "legal_form")) == [
        (True, "Zèbre", actor.family, actor.subtype, actor.legal_form)
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_a_second_page_of_a_territory_reads_its_keys_then_its_rows(
    client, django_assert_num_queries, count
):
    for index in range(20 + count):
        ActorFactory(name=f"Structure {index:03d}")
    client.get(f"/acteurs/?territoire={DEPARTEMENT}&page=2")  # option lists memoized

    with django_assert_num_queries(QUERIES):
        response = client.get(f"/acteurs/?territoire={DEPARTEMENT}&page=2")

    names = [actor.name for actor in response.context["object_list"]]
    assert names == [f"Structure {index:03d}" for index in range(20, 20 + count)]
    assert response.context["paginator"].count == 20 + count
