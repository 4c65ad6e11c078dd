"""iCalendar (RFC 5545) export of events, with the icalendar library."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, vRecur
from icalendar import Event as CalendarEvent

from events.models import DatePrecision, Event, Recurrence, ScheduleStatus

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//essdir//Annuaire de l'ESS//FR"
RRULES = {
    Recurrence.YEARLY: {"FREQ": "YEARLY"},
    Recurrence.QUARTERLY: {"FREQ": "MONTHLY", "INTERVAL": 3},
    Recurrence.MONTHLY: {"FREQ": "MONTHLY"},
}


def exportable(events: Iterable[Event]) -> list[Event]:
    """Only events with a full date can go into a calendar."""
    return [e for e in events if e.start_date and e.date_precision == DatePrecision.DAY]


def event_uid(event: Event) -> str:
    # Stable across exports, so that subscribed calendars update instead of duplicating.
    return f"event-{event.pk}@{settings.CALENDAR_UID_DOMAIN}"


def _component(event: Event, base_url: str) -> CalendarEvent:
    component = CalendarEvent()
    component.add("uid", event_uid(event))
    component.add("dtstamp", event.updated_at.astimezone(datetime.UTC))
    component.add("last-modified", event.updated_at.astimezone(datetime.UTC))
    component.add("summary", event.title)
    if event.start_time:
        start = datetime.datetime.combine(event.start_date, event.start_time, tzinfo=PARIS)
        end_day = event.end_date or event.start_date
        if event.end_time:
            end = datetime.datetime.combine(end_day, event.end_time, tzinfo=PARIS)
        else:
            end = (
                start + datetime.timedelta(hours=2)
                if end_day == event.start_date
                else (datetime.datetime.combine(end_day, datetime.time(23, 59), tzinfo=PARIS))
            )
        component.add("dtstart", start)
        component.add("dtend", max(end, start))
    else:
        # All-day events: DTEND is exclusive (RFC 5545, 3.6.1).
        component.add("dtstart", event.start_date)
        component.add("dtend", (event.end_date or event.start_date) + datetime.timedelta(days=1))
    if event.recurrence in RRULES:
        component.add("rrule", vRecur(RRULES[event.recurrence]))
    location = ", ".join(part for part in [event.venue, event.address.replace("\n", ", ")] if part)
    if not location and event.territory_id:
        location = event.territory.name
    if location:
        component.add("location", location)
    url = f"{base_url}{event.get_absolute_url()}"
    component.add("url", url)
    description = event.description
    if event.registration_url:
        description = f"{description}\n\nInscription : {event.registration_url}".strip()
    component.add("description", f"{description}\n\n{url}".strip())
    component.add(
        "status", "CANCELLED" if event.schedule_status == ScheduleStatus.CANCELLED else "CONFIRMED"
    )
    return component


def build_calendar(events: Iterable[Event], *, base_url: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    for event in exportable(events):
        calendar.add_component(_component(event, base_url))
    calendar.add_missing_timezones()
    return calendar.to_ical()
