import pytest

from territories.models import PostalCode, Territory, TerritoryInclusion
from territories.services import import_geography, update_grouping
from tests.geo import geography_subset

pytestmark = pytest.mark.django_db


def test_import_geography_twice_changes_nothing():
    before = (
        Territory.objects.count(),
        TerritoryInclusion.objects.count(),
        PostalCode.objects.count(),
    )

    report = import_geography(geo=geography_subset())

    assert report.groupements_created == 0
    assert report.inclusions_added == 0
    assert report.inclusions_removed == 0
    assert report.postal_codes_added == 0
    after = (
        Territory.objects.count(),
        TerritoryInclusion.objects.count(),
        PostalCode.objects.count(),
    )
    assert after == before


def test_territory_slugs_are_readable(territory):
    toul = territory("commune-54528")

    assert toul.slug == "commune-54528-toul"
    assert territory("groupement-pays-tdl").slug == "groupement-pays-tdl-pays-terres-de-lorraine"


def test_container_population_and_commune_count_are_computed(territory):
    departement = territory("departement-54")
    communes = Territory.objects.communes().filter(departement_code="54")

    assert departement.commune_count == communes.count()
    assert departement.population == sum(c.population or 0 for c in communes)


def test_update_grouping_recomputes_what_it_contains(territory):
    grouping = territory("groupement-cd54-briey")
    toul = territory("commune-54528")
    assert not Territory.objects.inside(grouping).filter(pk=toul.pk).exists()

    update_grouping(
        grouping=grouping,
        epcis=[territory("epci-200070563")],
        restrict_to="54",
    )

    inside = Territory.objects.inside(grouping)
    assert inside.filter(pk=toul.pk).exists()
    assert not inside.filter(short_slug="epci-200070845").exists()
    assert Territory.objects.containing(toul).filter(pk=grouping.pk).exists()


def test_import_does_not_overwrite_a_corrected_grouping(territory):
    grouping = territory("groupement-cd54-briey")
    update_grouping(grouping=grouping, epcis=[territory("epci-200070563")], restrict_to="54")

    import_geography(geo=geography_subset())

    assert list(grouping.grouping_epcis.values_list("code", flat=True)) == ["200070563"]
