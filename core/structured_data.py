"""schema.org descriptions (JSON-LD) of the detail pages: what every app's share."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
CONTEXT = "https://schema.org"


def place(territory) -> dict | None:
    if territory is None:
        return None
    kind = "City" if territory.kind == "commune" else "AdministrativeArea"
    return {"@type": kind, "name": territory.name}


def clean(data: dict) -> dict:
    """Drops what the source does not give: no empty property is ever published."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def moment(day: datetime.date, time: datetime.time | None) -> str:
    """A date, or a date and time with the Paris offset, in ISO 8601."""
    if time is None:
        return day.isoformat()
    return datetime.datetime.combine(day, time, tzinfo=PARIS).isoformat()
