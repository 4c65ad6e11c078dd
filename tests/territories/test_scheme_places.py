"""Where each scheme can be reached (SchemePlace): the schemes of a territory larger than
a commune are read from these stored rows, which must always give what the rule of
Scheme.accessible_in() says (its area covers the territory or lies inside it), whatever
moves: the scheme, its carrier, or the geography's inclusions."""

import pytest
from django.conf import settings

from territories.derived import refresh_scheme_places
from territories.models import (
    Collectivite,
    Scheme,
    SchemePlace,
    Territory,
    TerritoryInclusion,
    TerritoryKind,
)
from territories.services import update_grouping
from tests.concurrency import at_once, fictive_departement
from tests.factories import CollectiviteFactory, SchemeFactory, territory

pytestmark = pytest.mark.django_db

MOSELLE, MEURTHE_ET_MOSELLE, GRAND_EST = "departement-57", "departement-54", "region-44"
TOUL, BRIEY = "commune-54528", "groupement-cd54-briey"


def accessible(place: Territory) -> set[str]:
    return set(Scheme.objects.accessible_in(place).values_list("slug", flat=True))


def by_the_rule(place: Territory) -> set[str]:
    """The schemes whose area (their territory, else their carrier's) contains `place` or
    lies inside it, from the inclusions alone: what the stored places must give."""
    containers = set(
        TerritoryInclusion.objects.filter(member=place).values_list("container_id", flat=True)
    )
    members = set(
        TerritoryInclusion.objects.filter(container=place).values_list("member_id", flat=True)
    )
    found = set()
    for slug, own, carriers in Scheme.objects.values_list(
        "slug", "territory_id", "collectivite__territory_id"
    ):
        area = own if own is not None else carriers
        if area in containers or area in members:
            found.add(slug)
    return found


def test_the_schemes_of_every_larger_territory_are_those_the_rule_gives(seed):
    places = Territory.objects.exclude(kind=TerritoryKind.COMMUNE)
    checked = 0
    for place in places.iterator():
        assert accessible(place) == by_the_rule(place), place.short_slug
        checked += 1

    # The seed's geography: its régions, départements, intercommunalities and groupings.
    assert checked == places.count() > 100
    # Not an empty agreement: the Région's schemes reach every one of its départements.
    assert len(accessible(territory(MOSELLE))) > 10


def test_a_schemes_places_are_the_territories_containing_its_area():
    scheme = SchemeFactory(territory=territory(TOUL))

    places = SchemePlace.objects.filter(scheme=scheme)
    containing = set(
        TerritoryInclusion.objects.filter(member=territory(TOUL)).values_list(
            "container_id", flat=True
        )
    )
    assert set(places.values_list("territory_id", flat=True)) == containing
    assert {territory(TOUL).pk, territory(MEURTHE_ET_MOSELLE).pk} <= containing
    assert list(places.filter(is_area=True).values_list("territory_id", flat=True)) == [
        territory(TOUL).pk
    ]


def test_a_scheme_moving_is_reached_where_it_now_is_and_no_longer_where_it_was():
    scheme = SchemeFactory(territory=territory(MOSELLE))
    assert scheme.slug in accessible(territory(MOSELLE))
    assert scheme.slug not in accessible(territory(MEURTHE_ET_MOSELLE))

    scheme.territory = territory(MEURTHE_ET_MOSELLE)
    scheme.save()

    assert scheme.slug in accessible(territory(MEURTHE_ET_MOSELLE))
    assert scheme.slug not in accessible(territory(MOSELLE))
    # Its Région still covers both.
    assert scheme.slug in accessible(territory(GRAND_EST))


def test_a_scheme_without_territory_follows_its_carriers():
    carrier = CollectiviteFactory(territory=territory(MOSELLE))
    scheme = SchemeFactory(collectivite=carrier, territory=None)
    assert scheme.slug in accessible(territory(MOSELLE))

    carrier.territory = territory(MEURTHE_ET_MOSELLE)
    carrier.save()

    assert scheme.slug in accessible(territory(MEURTHE_ET_MOSELLE))
    assert scheme.slug not in accessible(territory(MOSELLE))


def test_a_scheme_whose_area_enters_a_grouping_is_reached_there():
    scheme = SchemeFactory(territory=territory(TOUL))
    assert scheme.slug not in accessible(territory(BRIEY))

    # The grouping now holds Toul's intercommunality: the inclusions are rebuilt.
    update_grouping(
        grouping=territory(BRIEY), epcis=[territory("epci-200070563")], restrict_to="54"
    )

    assert scheme.slug in accessible(territory(BRIEY))
    assert accessible(territory(BRIEY)) == by_the_rule(territory(BRIEY))


def test_refreshing_twice_keeps_one_row_per_place():
    scheme = SchemeFactory(territory=territory(TOUL))
    before = sorted(SchemePlace.objects.values_list("scheme_id", "territory_id", "is_area"))

    assert refresh_scheme_places(scheme_ids=[scheme.pk, scheme.pk]) == len(
        [row for row in before if row[0] == scheme.pk]
    )
    total = refresh_scheme_places()

    after = sorted(SchemePlace.objects.values_list("scheme_id", "territory_id", "is_area"))
    assert after == before
    assert total == len(after)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES,
    reason="two writers at once need PostgreSQL (SQLite's test database lives in memory)",
)
def test_two_refreshes_of_one_scheme_at_once_keep_its_places_once():
    place = fictive_departement()
    carrier = Collectivite.objects.create(
        name="Département Fictif", slug="departement-fictif", kind="departement", territory=place
    )
    scheme = Scheme.objects.create(name="Fonds", slug="fonds", collectivite=carrier)

    def refresh():
        refresh_scheme_places(scheme_ids=[scheme.pk])

    errors = at_once(refresh, refresh)

    assert errors == []
    assert list(SchemePlace.objects.values_list("scheme_id", "territory_id", "is_area")) == [
        (scheme.pk, place.pk, True)
    ]
