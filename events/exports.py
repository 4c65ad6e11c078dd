"""Open data of the agenda. There is no national schema for events: the fields follow
OpenAgenda's (title, description, timings with begin and end, attendanceMode, status,
location…) with their schema.org meaning; the format is documented in README.md."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.exports import Export, columns
from events.models import Event, ScheduleStatus

PARIS = ZoneInfo("Europe/Paris")
# OpenAgenda: attendanceMode 1 offline, 2 online, 3 mixed; status 1 scheduled, 6 cancelled.
OFFLINE, ONLINE, MIXED = 1, 2, 3
STATUS = {ScheduleStatus.SCHEDULED: 1, ScheduleStatus.CANCELLED: 6}


# The shape of each item of `timings` (the rows hold them as dicts), for the API's schema.
@dataclass
class Timing:
    begin: str
    end: str


def timings(event: Event) -> list[dict]:
    """[{begin, end}] in ISO 8601 with the Paris offset; none unless the day is known."""
    if not event.has_full_date:
        return []
    start_time = event.start_time or datetime.time(0, 0)
    end_day = event.end_date or event.start_date
    end_time = event.end_time or (datetime.time(23, 59) if not event.start_time else start_time)
    begin = datetime.datetime.combine(event.start_date, start_time, tzinfo=PARIS)
    end = datetime.datetime.combine(end_day, end_time, tzinfo=PARIS)
    return [{"begin": begin.isoformat(), "end": max(begin, end).isoformat()}]


def event_row(event: Event, base_url: str) -> dict:
    territory = event.territory
    place = bool(event.venue or event.address or territory)
    return {
        "uid": f"essdir-evenement-{event.pk}",
        "title": event.title,
        "description": event.description,
        "dateLabel": event.date_label,
        "timings": timings(event),
        "attendanceMode": MIXED
        if event.online and place
        else (ONLINE if event.online else OFFLINE),
        "status": STATUS.get(event.schedule_status, 1),
        "locationName": event.venue,
        "locationAddress": event.address,
        "locationCity": territory.name if territory and territory.kind == "commune" else "",
        "locationInsee": territory.code if territory and territory.kind == "commune" else "",
        "locationArea": territory.name if territory else "",
        "registrationUrl": event.registration_url,
        "url": base_url + event.get_absolute_url(),
        "updatedAt": event.updated_at.astimezone(datetime.UTC).isoformat(),
    }


EVENTS = Export(
    name="evenements",
    columns=columns(
        uid=str,
        title=str,
        description=str,
        dateLabel=str,
        timings=list[Timing],
        attendanceMode=int,
        status=int,
        locationName=str,
        locationAddress=str,
        locationCity=str,
        locationInsee=str,
        locationArea=str,
        registrationUrl=str,
        url=str,
        updatedAt=str,
    ),
    row=event_row,
    schema="OpenAgenda (champs), sans schéma national",
    # Upcoming events by default, as on the agenda; the national file holds them all.
    everything=(("periode", "tous"),),
)
