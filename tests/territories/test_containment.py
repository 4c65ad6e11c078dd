"""The containment rule: exact for communes, by majority for groupings in a département."""

import pytest

from territories.models import Territory, TerritoryInclusion
from territories.services import rebuild_inclusions
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def inside(slug: str) -> set[str]:
    container = Territory.objects.get(short_slug=slug)
    return set(Territory.objects.inside(container).values_list("short_slug", flat=True))


def test_grouping_straddling_a_boundary_is_inside_its_main_departement_only():
    assert "groupement-pays-tdl" in inside("departement-54")
    assert "groupement-pays-tdl" not in inside("departement-88")
    assert "groupement-pays-tdl" in inside("region-44")


def test_epci_straddling_a_boundary_is_inside_the_departement_of_most_of_its_people():
    # CC du Pays de Colombey: 37 communes in 54, Vicherey in the Vosges.
    assert "epci-245400510" in inside("departement-54")
    assert "epci-245400510" not in inside("departement-88")
    # CC Mad et Moselle: 40 of 47 communes in 54, but population decides (10 067 against
    # 9 086 in Moselle): Meurthe-et-Moselle.
    assert "epci-200070738" in inside("departement-54")
    assert "epci-200070738" not in inside("departement-57")


def test_majority_inclusions_are_marked_not_exact():
    link = TerritoryInclusion.objects.get(
        container__short_slug="departement-54", member__short_slug="groupement-pays-tdl"
    )
    whole = TerritoryInclusion.objects.get(
        container__short_slug="departement-54", member__short_slug="epci-245400171"
    )

    assert (link.exact, whole.exact) == (False, True)


def test_exact_containment_leaves_straddling_groupings_out():
    departement = Territory.objects.get(short_slug="departement-54")

    exact = set(Territory.objects.inside_exactly(departement).values_list("short_slug", flat=True))

    assert "groupement-pays-tdl" not in exact
    assert "epci-245400171" in exact


def test_communes_stay_exactly_where_they_are():
    containers = set(
        Territory.objects.containing(Territory.objects.get(short_slug="commune-88504")).values_list(
            "short_slug", flat=True
        )
    )

    assert "groupement-pays-tdl" in containers
    assert "departement-88" in containers
    assert "departement-54" not in containers


def test_actors_of_a_straddling_grouping_are_listed_in_its_departement(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    pays = Territory.objects.get(short_slug="groupement-pays-tdl")
    ActorFactory(name="Envie Terres de Lorraine", territory=pays)

    in_54 = client.get("/acteurs/", {"territoire": "departement-54"})
    in_88 = client.get("/acteurs/", {"territoire": "departement-88"})

    assert [a.name for a in in_54.context["object_list"]] == ["Envie Terres de Lorraine"]
    assert list(in_88.context["object_list"]) == []


def test_rebuilding_containment_twice_changes_nothing():
    assert rebuild_inclusions() == (0, 0)


def test_staff_see_which_communes_lie_outside_a_groupings_main_departement():
    pays = Territory.objects.get(short_slug="groupement-pays-tdl")

    main, outside = pays.communes_outside_main_departement()

    assert (main, [c.code for c in outside]) == ("54", ["88504"])
