"""Where each event takes place (EventPlace): a territory's upcoming events are read from
these stored rows, which must always give what in_territory() and upcoming() say from the
events and the inclusions themselves, whatever moves: the event's territory, its dates, or
the geography's inclusions."""

import datetime

import pytest
from django.conf import settings

from events.derived import refresh_event_places
from events.models import DatePrecision, Event, EventPlace
from territories.models import Territory, TerritoryInclusion
from territories.services import update_grouping
from tests.concurrency import at_once, fictive_departement
from tests.factories import EventFactory, territory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
TOUL, METZ, NANCY = "commune-54528", "commune-57463", "commune-54395"
MEURTHE_ET_MOSELLE, MOSELLE, GRAND_EST = "departement-54", "departement-57", "region-44"
BRIEY = "groupement-cd54-briey"


def upcoming_in(place: Territory) -> list[str]:
    return list(Event.objects.published().upcoming_in(place, TODAY).values_list("slug", flat=True))


def by_the_rule(place: Territory) -> list[str]:
    """The upcoming events of `place` from the events' territories and the inclusions alone,
    in the agenda's order: what the stored places must give."""
    events = Event.objects.published().in_territory(place).upcoming(TODAY)
    return list(events.values_list("slug", flat=True))


@pytest.fixture
def agenda():
    """Events in and around Meurthe-et-Moselle: past, running, upcoming, same day at two
    times, undated, a draft, one in Moselle, one online without territory."""
    day = datetime.date
    return [
        EventFactory(slug="toul-later", territory=territory(TOUL), start_date=day(2026, 12, 3)),
        EventFactory(
            slug="toul-morning",
            territory=territory(TOUL),
            start_date=day(2026, 12, 1),
            start_time=datetime.time(9),
        ),
        EventFactory(
            slug="nancy-afternoon",
            territory=territory(NANCY),
            start_date=day(2026, 12, 1),
            start_time=datetime.time(14),
        ),
        EventFactory(
            slug="nancy-running",
            territory=territory(NANCY),
            start_date=day(2026, 11, 20),
            end_date=day(2026, 11, 25),
        ),
        EventFactory(slug="nancy-past", territory=territory(NANCY), start_date=day(2026, 11, 2)),
        EventFactory(
            slug="nancy-undated",
            territory=territory(NANCY),
            start_date=None,
            date_precision=DatePrecision.UNKNOWN,
        ),
        EventFactory(
            slug="toul-draft",
            territory=territory(TOUL),
            start_date=day(2026, 12, 2),
            status="draft",
        ),
        EventFactory(
            slug="metz",
            territory=territory(METZ),
            start_date=day(2026, 12, 1),
            start_time=datetime.time(12),
        ),
        EventFactory(slug="online", territory=None, start_date=day(2026, 12, 1)),
    ]


def test_a_territorys_upcoming_events_are_those_the_rule_gives_in_its_order(agenda):
    assert upcoming_in(territory(MEURTHE_ET_MOSELLE)) == [
        "nancy-running",
        "toul-morning",
        "nancy-afternoon",
        "toul-later",
    ]
    assert upcoming_in(territory(GRAND_EST)) == [
        "nancy-running",
        "toul-morning",
        "metz",
        "nancy-afternoon",
        "toul-later",
    ]
    assert upcoming_in(territory(TOUL)) == ["toul-morning", "toul-later"]
    assert upcoming_in(territory(MOSELLE)) == ["metz"]
    for place in (MEURTHE_ET_MOSELLE, GRAND_EST, TOUL, MOSELLE, NANCY, BRIEY):
        assert upcoming_in(territory(place)) == by_the_rule(territory(place)), place


def test_an_events_places_are_the_territories_containing_its_own_with_its_start():
    event = EventFactory(
        territory=territory(TOUL),
        start_date=datetime.date(2026, 12, 1),
        start_time=datetime.time(9, 30),
    )

    containing = set(
        TerritoryInclusion.objects.filter(member=territory(TOUL)).values_list(
            "container_id", flat=True
        )
    )
    assert {territory(TOUL).pk, territory(MEURTHE_ET_MOSELLE).pk} <= containing
    assert sorted(
        EventPlace.objects.filter(event=event).values_list("territory_id", flat=True)
    ) == (sorted(containing))
    assert set(EventPlace.objects.filter(event=event).values_list("start_date", "start_time")) == {
        (datetime.date(2026, 12, 1), datetime.time(9, 30))
    }


def test_an_event_moving_is_listed_where_it_now_is_and_no_longer_where_it_was(agenda):
    event = Event.objects.get(slug="metz")

    event.territory = territory(TOUL)
    event.save()

    assert "metz" in upcoming_in(territory(MEURTHE_ET_MOSELLE))
    assert "metz" not in upcoming_in(territory(MOSELLE))
    assert upcoming_in(territory(MOSELLE)) == by_the_rule(territory(MOSELLE)) == []


def test_an_event_put_off_takes_its_new_place_in_the_agenda(agenda):
    event = Event.objects.get(slug="toul-morning")

    event.start_date = datetime.date(2026, 12, 10)
    event.save()

    assert upcoming_in(territory(TOUL)) == ["toul-later", "toul-morning"]
    assert upcoming_in(territory(TOUL)) == by_the_rule(territory(TOUL))


def test_an_event_whose_commune_enters_a_grouping_is_listed_there(agenda):
    assert upcoming_in(territory(BRIEY)) == []

    # The grouping now holds Toul's intercommunality: the inclusions are rebuilt.
    update_grouping(
        grouping=territory(BRIEY), epcis=[territory("epci-200070563")], restrict_to="54"
    )

    assert upcoming_in(territory(BRIEY)) == ["toul-morning", "toul-later"]
    assert upcoming_in(territory(BRIEY)) == by_the_rule(territory(BRIEY))


def test_refreshing_twice_keeps_one_row_per_place(agenda):
    before = sorted(EventPlace.objects.values_list("event_id", "territory_id", "start_date"))
    toul = Event.objects.get(slug="toul-later")

    assert refresh_event_places(event_ids=[toul.pk, toul.pk]) == len(
        [row for row in before if row[0] == toul.pk]
    )
    total = refresh_event_places()

    after = sorted(EventPlace.objects.values_list("event_id", "territory_id", "start_date"))
    assert after == before
    assert total == len(after)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES,
    reason="two writers at once need PostgreSQL (SQLite's test database lives in memory)",
)
def test_a_full_refresh_and_an_events_refresh_at_once_keep_its_places_once():
    place = fictive_departement()
    event = Event.objects.create(
        title="Forum", slug="forum", kind="forum", territory=place, start_date=TODAY
    )

    errors = at_once(lambda: refresh_event_places(event_ids=[event.pk]), refresh_event_places)

    assert errors == []
    assert list(EventPlace.objects.values_list("event_id", "territory_id", "start_date")) == [
        (event.pk, place.pk, TODAY)
    ]
