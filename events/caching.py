"""The page cache's vocabulary for events (core.caching).

- "events": the family; every write to the app moves it on (the national lists).
- "events.event:<slug>": one event's page. Moved on by a write to the event (before and
  after: its slug may change), to its participations, and to a structure taking part (the
  page names its organisers).
- "events@<territory id>": the lists and pages of one territory, which show the events
  placed inside it. Moved on for every territory containing the event's territory, before
  and after the write: an event moved from Moselle to Nord makes both stale.

An event's write also moves on the pages of the structures taking part in it
(actors.caching.actor_tag): a structure's page lists its events.
"""

from __future__ import annotations

from actors.caching import actor_tag
from core.caching import register_tags, track

FAMILY = "events"


def event_tag(slug: str) -> str:
    return f"events.event:{slug}"


def territory_tag(territory_id: int) -> str:
    return f"events@{territory_id}"


def _territory_tags(territory_id: int | None) -> set[str]:
    from territories.models import TerritoryInclusion

    if territory_id is None:
        return set()
    containers = TerritoryInclusion.objects.filter(member_id=territory_id)
    return {territory_tag(pk) for pk in containers.values_list("container_id", flat=True)}


def _event_tags(event) -> set[str]:
    from events.models import EventParticipation

    tags = {event_tag(event.slug)} | _territory_tags(event.territory_id)
    parties = EventParticipation.objects.filter(event_id=event.pk, actor__isnull=False)
    return tags | {actor_tag(slug) for slug in parties.values_list("actor__slug", flat=True)}


def _event_before(event, fields) -> set[str]:
    """Its page at its former address, the territories it leaves."""
    from events.models import Event

    if fields is not None and not {"slug", "territory"} & set(fields):
        return set()
    tags = set()
    old = Event._base_manager.filter(pk=event.pk).values_list("slug", "territory_id")
    for slug, territory_id in old:
        if slug != event.slug:
            tags.add(event_tag(slug))
        if territory_id != event.territory_id:
            tags |= _territory_tags(territory_id)
    return tags


def _participation_tags(participation) -> set[str]:
    from actors.models import Actor
    from events.models import Event

    events = Event._base_manager.filter(pk=participation.event_id)
    tags = {event_tag(slug) for slug in events.values_list("slug", flat=True)}
    if participation.actor_id is not None:
        actors = Actor._base_manager.filter(pk=participation.actor_id)
        tags |= {actor_tag(slug) for slug in actors.values_list("slug", flat=True)}
    return tags


def _participation_before(participation, fields) -> set[str]:
    from events.models import EventParticipation

    if fields is not None and not {"event", "actor"} & set(fields):
        return set()
    old = EventParticipation._base_manager.filter(pk=participation.pk)
    tags = set()
    for event_slug, actor_slug in old.values_list("event__slug", "actor__slug"):
        tags.add(event_tag(event_slug))
        if actor_slug is not None:
            tags.add(actor_tag(actor_slug))
    return tags


def _actor_events_tags(actor) -> set[str]:
    """A structure's write: the pages of the events it takes part in name it."""
    from events.models import EventParticipation

    parties = EventParticipation.objects.filter(actor_id=actor.pk)
    return {event_tag(slug) for slug in parties.values_list("event__slug", flat=True)}


def connect() -> None:
    from actors.models import Actor
    from events.models import Event, EventParticipation

    track("events", FAMILY)
    register_tags(Event, _event_tags, before=_event_before)
    register_tags(EventParticipation, _participation_tags, before=_participation_before)
    register_tags(Actor, _actor_events_tags)
