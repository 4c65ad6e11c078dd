"""Derived data of the events: where each one takes place (EventPlace), rebuilt from its
territory and the geography's inclusions whenever either changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from events.models import Event, EventPlace
from territories.models import TerritoryInclusion

# Each statement binds a chunk's ids once: well under every database's parameter limit.
EVENTS_PER_STATEMENT = 5000


def _places_sql(event_filter: str) -> str:
    place, event = EventPlace._meta.db_table, Event._meta.db_table
    inclusion = TerritoryInclusion._meta.db_table
    return (
        f"INSERT INTO {place} (event_id, territory_id, start_date, start_time) "
        f"SELECT e.id, i.container_id, e.start_date, e.start_time FROM {event} e "
        f"JOIN {inclusion} i ON i.member_id = e.territory_id "
        f"WHERE {event_filter}"
    )


@transaction.atomic
def refresh_event_places(*, event_ids: Iterable[int] | None = None) -> int:
    """Rebuild where events take place (EventPlace): for `event_ids`, or for every event
    when None. Returns how many places they now have.

    Called when an event is saved (follow_event) and when the geography's inclusions change
    (follow_inclusions). Two refreshes of the same events at once take turns: each locks
    the events' rows first, in key order, so that the second one reads what the first one
    wrote instead of colliding with it (the unique constraint's error)."""
    events = Event.objects.select_for_update().order_by("pk")
    with connection.cursor() as cursor:
        if event_ids is None:
            list(events.values_list("pk", flat=True))
            EventPlace.objects.all()._raw_delete(EventPlace.objects.db)
            cursor.execute(_places_sql("1 = 1"))
            return cursor.rowcount
        ids, total = sorted(set(event_ids)), 0
        for start in range(0, len(ids), EVENTS_PER_STATEMENT):
            chunk = ids[start : start + EVENTS_PER_STATEMENT]
            list(events.filter(pk__in=chunk).values_list("pk", flat=True))
            EventPlace.objects.filter(event_id__in=chunk)._raw_delete(EventPlace.objects.db)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(_places_sql(f"e.id IN ({marks})"), chunk)
            total += cursor.rowcount
        return total


def follow_event(sender, instance: Event, raw: bool = False, **kwargs) -> None:
    """post_save of Event: its places follow its territory and its dates."""
    refresh_event_places(event_ids=[instance.pk])


def follow_inclusions(sender, **kwargs) -> None:
    """core.signals.inclusions_changed: every event's places follow the new inclusions."""
    refresh_event_places()
