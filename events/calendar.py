"""iCalendar (RFC 5545) export of events, with the icalendar library."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Timezone, vRecur
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


@dataclass(frozen=True)
class _Fields:
    """Everything an event's VEVENT is made of: its serialisation is a function of these."""

    uid: str
    updated_at: datetime.datetime
    title: str
    start_date: datetime.date
    start_time: datetime.time | None
    end_date: datetime.date | None
    end_time: datetime.time | None
    recurrence: str
    location: str
    url: str
    description: str
    cancelled: bool

    @classmethod
    def of(cls, event: Event, base_url: str) -> _Fields:
        location = ", ".join(
            part for part in [event.venue, event.address.replace("\n", ", ")] if part
        )
        if not location and event.territory_id:
            location = event.territory.name
        url = f"{base_url}{event.get_absolute_url()}"
        description = event.description
        if event.registration_url:
            description = f"{description}\n\nInscription : {event.registration_url}".strip()
        return cls(
            uid=event_uid(event),
            updated_at=event.updated_at,
            title=event.title,
            start_date=event.start_date,
            start_time=event.start_time,
            end_date=event.end_date,
            end_time=event.end_time,
            recurrence=event.recurrence,
            location=location,
            url=url,
            description=f"{description}\n\n{url}".strip(),
            cancelled=event.schedule_status == ScheduleStatus.CANCELLED,
        )


# The library takes about 0.3 ms to write an event (line folding, parameters): a feed of a
# département's agenda spent 30 ms there. An event's text is kept while it is unchanged.
@functools.lru_cache(maxsize=8192)
def _vevent(fields: _Fields) -> bytes:
    component = CalendarEvent()
    component.add("uid", fields.uid)
    component.add("dtstamp", fields.updated_at.astimezone(datetime.UTC))
    component.add("last-modified", fields.updated_at.astimezone(datetime.UTC))
    component.add("summary", fields.title)
    if fields.start_time:
        start = datetime.datetime.combine(fields.start_date, fields.start_time, tzinfo=PARIS)
        end_day = fields.end_date or fields.start_date
        if fields.end_time:
            end = datetime.datetime.combine(end_day, fields.end_time, tzinfo=PARIS)
        else:
            end = (
                start + datetime.timedelta(hours=2)
                if end_day == fields.start_date
                else (datetime.datetime.combine(end_day, datetime.time(23, 59), tzinfo=PARIS))
            )
        component.add("dtstart", start)
        component.add("dtend", max(end, start))
    else:
        # All-day events: DTEND is exclusive (RFC 5545, 3.6.1).
        component.add("dtstart", fields.start_date)
        component.add("dtend", (fields.end_date or fields.start_date) + datetime.timedelta(days=1))
    if fields.recurrence in RRULES:
        component.add("rrule", vRecur(RRULES[fields.recurrence]))
    if fields.location:
        component.add("location", fields.location)
    component.add("url", fields.url)
    component.add("description", fields.description)
    component.add("status", "CANCELLED" if fields.cancelled else "CONFIRMED")
    return component.to_ical()


@functools.cache
def _paris_timezone() -> bytes:
    # What Calendar.add_missing_timezones() adds for Europe/Paris, with its default range.
    return Timezone.from_tzid("Europe/Paris").to_ical()


def build_calendar(events: Iterable[Event], *, base_url: str, name: str) -> bytes:
    """The VCALENDAR of `events`: its properties, Europe/Paris's VTIMEZONE when an event has
    a time of day, then one VEVENT per event with a full date."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    dated = exportable(events)
    envelope = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    parts = [envelope.removesuffix(end)]
    if any(event.start_time for event in dated):
        parts.append(_paris_timezone())
    parts.extend(_vevent(_Fields.of(event, base_url)) for event in dated)
    parts.append(end)
    return b"".join(parts)
