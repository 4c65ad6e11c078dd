"""Derived data of the events: where each one takes place (EventPlace), rebuilt from its
territory and the geography's inclusions whenever either changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.bulk import replace_derived_rows
from events.models import Event, EventPlace
from territories.models import TerritoryInclusion


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
    (follow_inclusions). Two refreshes of the same events at once take turns
    (core.bulk.replace_derived_rows)."""
    return replace_derived_rows(
        derived=EventPlace,
        source_field="event",
        sources=Event.objects.all(),
        insert_sql=lambda condition: _places_sql(condition.format("e.id")),
        keys=event_ids,
    )


def follow_event(sender, instance: Event, raw: bool = False, **kwargs) -> None:
    """post_save of Event: its places follow its territory and its dates."""
    refresh_event_places(event_ids=[instance.pk])


def follow_inclusions(sender, **kwargs) -> None:
    """core.signals.inclusions_changed: every event's places follow the new inclusions."""
    refresh_event_places()
