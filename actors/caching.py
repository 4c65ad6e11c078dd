"""The page cache's vocabulary for ESS structures (core.caching).

- "actors": the family; every write to the app moves it on (the national lists).
- "actors.actor:<slug>": one structure's page. Moved on by a write to the structure (before
  and after: its slug may change), to its establishments, partnerships, scheme roles,
  themes and sources, and by a write to a structure it is a member or a network of (its
  page names them).
- "actors@<territory id>": the lists and pages of one territory, which show the structures
  acting in it (ActorPlace). Moved on for every territory the structure acts in when it
  changes, and for the territories it enters or leaves when its places are rebuilt
  (actors.derived.refresh_actor_places), so that a structure moving from Moselle to Nord
  makes both stale.
- "actors.networks": the networks that have members, the list's "Membre du réseau" options.
- "actors.map": whether any establishment is located (the maps' notice), moved on by a
  write to an establishment.
"""

from __future__ import annotations

from django.db.models import Q

from core.caching import register_tags, track

FAMILY = "actors"
NETWORKS = "actors.networks"
MAP = "actors.map"


def actor_tag(slug: str) -> str:
    return f"actors.actor:{slug}"


def territory_tag(territory_id: int) -> str:
    return f"actors@{territory_id}"


def actor_tags(actor_id: int | None, slug: str | None = None) -> set[str]:
    """Every tag a change of structure `actor_id` (whose slug is `slug`, or read) touches:
    its page, the territories it is listed in, the pages of its networks and members."""
    from actors.models import Actor, ActorPlace

    if actor_id is None:
        return set()
    places = ActorPlace.objects.filter(actor_id=actor_id).values_list("territory_id", flat=True)
    tags = places_tags(places)
    if slug is None:
        slug = Actor._base_manager.filter(pk=actor_id).values_list("slug", flat=True).first()
    if slug is not None:
        tags.add(actor_tag(slug))
    links = Actor.member_of.through.objects.filter(
        Q(from_actor_id=actor_id) | Q(to_actor_id=actor_id)
    ).values_list("from_actor_id", "from_actor__slug", "to_actor__slug")
    for member, member_slug, network_slug in links:
        tags |= {actor_tag(member_slug), actor_tag(network_slug)}
        if member != actor_id:
            tags.add(NETWORKS)  # it has members: a network of the list's options
    return tags


def places_tags(territory_ids) -> set[str]:
    return {territory_tag(territory_id) for territory_id in territory_ids}


def _containers_tags(commune_id: int | None) -> set[str]:
    from territories.models import TerritoryInclusion

    if commune_id is None:
        return set()
    containers = TerritoryInclusion.objects.filter(member_id=commune_id)
    return places_tags(containers.values_list("container_id", flat=True))


def _actor_before(actor, fields) -> set[str]:
    """Its page at its former address, when the slug may have changed."""
    from actors.models import Actor

    if fields is not None and "slug" not in fields:
        return set()
    old = Actor._base_manager.filter(pk=actor.pk).values_list("slug", flat=True).first()
    return {actor_tag(old)} if old not in (None, actor.slug) else set()


def _establishment_tags(establishment) -> set[str]:
    # The territory pages count establishments, closed ones too; the maps' notice.
    return actor_tags(establishment.actor_id) | _containers_tags(establishment.commune_id) | {MAP}


def _establishment_before(establishment, fields) -> set[str]:
    from actors.models import Establishment

    if fields is not None and not {"actor", "commune"} & set(fields):
        return set()
    old = Establishment._base_manager.filter(pk=establishment.pk).values_list(
        "actor_id", "commune_id"
    )
    tags = set()
    for actor_id, commune_id in old:
        if actor_id != establishment.actor_id:
            tags |= actor_tags(actor_id)
        if commune_id != establishment.commune_id:
            tags |= _containers_tags(commune_id)
    return tags


def _relation_before(model):
    """A partnership or scheme role moved to another structure: the former one's tags."""

    def before(record, fields) -> set[str]:
        if fields is not None and "actor" not in fields:
            return set()
        old = model._base_manager.filter(pk=record.pk).values_list("actor_id", flat=True).first()
        return actor_tags(old) if old not in (None, record.actor_id) else set()

    return before


def list_tags(request) -> list[str]:
    """The structures' list (actors.views.ActorListView): its territory's structures or all
    of them, the territories, and what its options and map notice read."""
    from territories.caching import list_tags as records_list_tags

    return [*records_list_tags(request, FAMILY, territory_tag), NETWORKS, MAP]


def connect() -> None:
    from actors.models import Actor, ActorPartnership, Establishment, SchemeRole

    track("actors", FAMILY)
    register_tags(Actor, lambda actor: actor_tags(actor.pk, actor.slug), before=_actor_before)
    register_tags(Establishment, _establishment_tags, before=_establishment_before)
    for model in (ActorPartnership, SchemeRole):
        register_tags(
            model, lambda record: actor_tags(record.actor_id), before=_relation_before(model)
        )
    # Members joining or leaving a network: the networks' options change.
    register_tags(Actor.member_of.through, lambda actor: {NETWORKS})
