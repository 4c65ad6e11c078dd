import datetime

import pytest
from icalendar import Calendar

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def parse(response) -> list:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_event_ics_has_paris_time_across_daylight_saving(client):
    summer = EventFactory(
        title="Été",
        start_date=datetime.date(2026, 6, 11),
        start_time=datetime.time(16, 30),
        end_time=datetime.time(19, 30),
    )
    winter = EventFactory(
        title="Hiver",
        start_date=datetime.date(2026, 12, 2),
        start_time=datetime.time(16, 30),
        end_time=datetime.time(19, 30),
    )

    (summer_event,) = parse(client.get(f"/evenements/{summer.slug}.ics"))
    (winter_event,) = parse(client.get(f"/evenements/{winter.slug}.ics"))

    summer_start = summer_event.decoded("dtstart")
    winter_start = winter_event.decoded("dtstart")
    assert str(summer_start.tzinfo) == "Europe/Paris"
    assert summer_start.utcoffset() == datetime.timedelta(hours=2)
    assert winter_start.utcoffset() == datetime.timedelta(hours=1)
    assert summer_start.astimezone(datetime.UTC).hour == 14
    assert winter_event.decoded("dtend").astimezone(datetime.UTC).hour == 18


def test_all_day_multi_day_event_has_an_exclusive_end(client):
    event = EventFactory(start_date=datetime.date(2025, 11, 7), end_date=datetime.date(2025, 11, 8))

    (component,) = parse(client.get(f"/evenements/{event.slug}.ics"))

    assert component.decoded("dtstart") == datetime.date(2025, 11, 7)
    assert component.decoded("dtend") == datetime.date(2025, 11, 9)


def test_uid_is_stable_between_exports(client):
    event = EventFactory()

    first = parse(client.get(f"/evenements/{event.slug}.ics"))[0]["uid"]
    event.title = "Nouveau titre"
    event.save()
    second = parse(client.get(f"/evenements/{event.slug}.ics"))[0]["uid"]

    assert first == second == f"event-{event.pk}@essdir.fr"


def test_filtered_feed_holds_only_matching_dated_events(client, territory):
    EventFactory(title="À Toul", territory=territory("commune-54528"))
    EventFactory(title="À Metz", territory=territory("commune-57463"))
    EventFactory(title="Sans date", start_date=None, date_precision="unknown")

    components = parse(
        client.get("/evenements/agenda.ics", {"territoire": "departement-54", "periode": "tous"})
    )

    assert [str(c["summary"]) for c in components] == ["À Toul"]


def test_feed_declares_a_timezone_and_a_name(client):
    EventFactory(start_time=datetime.time(9, 0))

    calendar = Calendar.from_ical(client.get("/evenements/agenda.ics").content)

    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert calendar["x-wr-calname"] == "Agenda de l'ESS (essdir)"


def test_yearly_event_exports_a_recurrence_rule(client):
    event = EventFactory(recurrence="yearly")

    (component,) = parse(client.get(f"/evenements/{event.slug}.ics"))

    assert component["rrule"]["FREQ"] == ["YEARLY"]


def test_undated_event_cannot_be_exported(client):
    event = EventFactory(start_date=None, date_precision="unknown")

    response = client.get(f"/evenements/{event.slug}.ics")

    assert response.status_code == 404
    assert "pas de date complète" in response.content.decode()


def test_feed_with_bad_parameters_is_a_400(client):
    response = client.get("/evenements/agenda.ics", {"du": "2025-13-01"})

    assert response.status_code == 400
    assert "Paramètres invalides" in response.content.decode()


def test_feed_is_what_the_library_writes_for_the_whole_calendar(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    EventFactory(title="Atelier", start_date=datetime.date(2030, 3, 2), start_time=datetime.time(9))
    EventFactory(
        title="Salon", start_date=datetime.date(2030, 4, 1), end_date=datetime.date(2030, 4, 2)
    )

    body = client.get("/evenements/agenda.ics").content
    reparsed = Calendar.from_ical(body)

    # Each event's text is kept between exports: the assembled feed stays the library's own
    # serialisation of one calendar, its time zone first.
    assert reparsed.to_ical() == body
    assert [c.name for c in reparsed.subcomponents] == ["VTIMEZONE", "VEVENT", "VEVENT"]


def test_feed_shows_an_edit_at_once(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    event = EventFactory(title="Avant", start_date=datetime.date(2030, 3, 2))
    assert [e["summary"] for e in parse(client.get("/evenements/agenda.ics"))] == ["Avant"]

    event.title = "Après"
    event.save()

    assert [e["summary"] for e in parse(client.get("/evenements/agenda.ics"))] == ["Après"]
