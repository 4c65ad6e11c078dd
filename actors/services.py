"""Writes with side effects on actors that staff and visitors make: public proposals and
their moderation, hiding structures, and the map's precomputed cells kept in step with
what the public sees. The SIRENE import is in actors/sirene/, the data derived from the
whole directory in actors/derived.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.text import slugify

from actors.derived import LISTED_FIELDS, refresh_actor_places, refresh_theme_listings
from actors.models import (
    MAP_CELL_DEGREES,
    Actor,
    ActorPlace,
    ActorProposal,
    ActorThemeListing,
    Establishment,
    MapCell,
    ProposalStatus,
)
from territories.models import PublicationStatus

PROPOSALS_PER_ADDRESS = 3
PROPOSAL_WINDOW = timedelta(hours=1)
# What the public lists of a territory or a theme read of a structure, copied into its
# listings (actors.models.derived.PublicListing): its visibility, then the rest.
LISTED = ("status", "hidden", *LISTED_FIELDS)


class RateLimited(Exception):
    """Too many proposals from one address."""


def hash_address(address: str) -> str:
    # Addresses are personal data: keep only a keyed hash, enough to count.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


@transaction.atomic
def submit_proposal(*, proposal: ActorProposal, themes: list, address: str) -> ActorProposal:
    """Store a public proposal as pending, unless its address sent too many recently."""
    address_hash = hash_address(address)
    since = timezone.now() - PROPOSAL_WINDOW
    if (
        ActorProposal.objects.from_address_since(address_hash, since).count()
        >= PROPOSALS_PER_ADDRESS
    ):
        raise RateLimited
    proposal.address_hash = address_hash
    proposal.status = ProposalStatus.PENDING
    proposal.save()
    proposal.themes.set(themes)
    return proposal


def unique_slug(name: str, model=Actor) -> str:
    base = slugify(name)[:100] or "structure"
    slug, counter = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def approve_proposal(*, proposal: ActorProposal, moderator: AbstractBaseUser) -> Actor:
    """Publish a pending proposal as an actor."""
    if proposal.status != ProposalStatus.PENDING:
        raise ValueError("Only a pending proposal can be approved.")
    actor = Actor.objects.create(
        name=proposal.name,
        slug=unique_slug(proposal.name),
        short_description=proposal.short_description,
        description=proposal.description,
        family=proposal.family,
        legal_form=proposal.legal_form,
        siren=proposal.siren,
        website=proposal.website,
        email=proposal.email,
        phone=proposal.phone,
        territory=proposal.territory,
        status=PublicationStatus.PUBLISHED,
        checked_at=timezone.localdate(),
    )
    actor.themes.set(proposal.themes.all())
    Actor.objects.filter(pk=actor.pk).refresh_search_context()
    refresh_actor_places(actor_ids=[actor.pk])
    proposal.status = ProposalStatus.APPROVED
    proposal.actor = actor
    proposal.moderated_at = timezone.now()
    proposal.moderated_by = moderator
    proposal.save(update_fields=["status", "actor", "moderated_at", "moderated_by"])
    return actor


@transaction.atomic
def set_hidden(*, actors, hidden: bool) -> int:
    """Hide structures from the directory, or show them again (kept in their history).

    Hidden structures stay hidden across SIRENE imports, which never write this field.
    """
    count = 0
    for actor in actors:
        if actor.hidden != hidden:
            actor.hidden = hidden
            actor.save(update_fields=["hidden", "updated_at"])
            count += 1
    return count


@transaction.atomic
def reject_proposal(*, proposal: ActorProposal, reason: str, moderator: AbstractBaseUser) -> None:
    """Reject a pending proposal, keeping it with its reason."""
    if proposal.status != ProposalStatus.PENDING:
        raise ValueError("Only a pending proposal can be rejected.")
    if not reason.strip():
        raise ValueError("A rejection needs a reason.")
    proposal.status = ProposalStatus.REJECTED
    proposal.rejection_reason = reason.strip()
    proposal.moderated_at = timezone.now()
    proposal.moderated_by = moderator
    proposal.save(update_fields=["status", "rejection_reason", "moderated_at", "moderated_by"])


# --- The map's precomputed cells follow what the public sees, at once -----------------------
#
# MapCell counts the located, open establishments of the structures the public sees; it is
# rebuilt nightly and after every import (actors.derived.refresh_map_cells). Between two
# rebuilds, staff publish, unpublish, archive, hide, show and delete structures: each such
# change moves the structure's establishments into or out of the cells in the same
# transaction, so that the national and regional clusters count what the list and the
# close-up map show. The Actor signals below catch every way staff write (the admin's form
# and actions, set_hidden, set_status, deletions, history restores); the import writes in
# bulk, without signals, and rebuilds the cells itself.


def is_public(status: str, hidden: bool) -> bool:
    """Whether the public sees a structure (Actor.objects.published())."""
    return status == PublicationStatus.PUBLISHED and not hidden


def shift_map_cells(actor_ids, sign: int) -> int:
    """Add (`sign` 1) or take out (-1) the located, open establishments of `actor_ids` to or
    from the map's precomputed cells; returns how many establishments moved.

    Counts and mean positions stay exact; a cell's zone grows with what is added and keeps
    its extent when establishments leave it (the next rebuild tightens it); a cell left
    empty goes. Nothing is done before the cells were first computed (the map then groups
    the establishments themselves). One query per cell touched, each an atomic UPDATE, so
    that two staff edits at once both count."""
    ids = list(actor_ids)
    if not ids or not MapCell.objects.exists():
        return 0
    groups = (
        Establishment.objects.active()
        .filter(actor__in=ids, latitude__isnull=False, longitude__isnull=False)
        .grid_clusters(MAP_CELL_DEGREES, MAP_CELL_DEGREES)
    )
    moved = 0
    for group in groups:
        count = group["count"] * sign
        lon_sum, lat_sum = group["lon"] * count, group["lat"] * count
        cell = MapCell.objects.filter(gx=int(group["gx"]), gy=int(group["gy"]))
        changes = {
            "count": F("count") + count,
            # Every right-hand side reads the row as it was: the old count and means.
            "lon": (F("lon") * F("count") + Value(lon_sum)) / (F("count") + count),
            "lat": (F("lat") * F("count") + Value(lat_sum)) / (F("count") + count),
        }
        if sign > 0:
            changes |= {
                "west": Least("west", Value(group["west"])),
                "south": Least("south", Value(group["south"])),
                "east": Greatest("east", Value(group["east"])),
                "north": Greatest("north", Value(group["north"])),
            }
            if not cell.update(**changes):
                MapCell.objects.create(
                    gx=int(group["gx"]),
                    gy=int(group["gy"]),
                    **{key: group[key] for key in ("count", "lon", "lat")},
                    **{key: group[key] for key in ("west", "south", "east", "north")},
                )
        elif cell.filter(count__gt=-count).update(**changes) == 0:
            cell.delete()  # its last establishments left
        moved += group["count"]
    return moved


def remember_whether_public(sender, instance: Actor, raw=False, update_fields=None, **kwargs):
    """pre_save: whether the public saw the structure before this write, and what else its
    listings carry (one query, only when the write may change them)."""
    instance._was_public = instance._was_listed = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(LISTED) & set(update_fields):
        return
    before = Actor.objects.filter(pk=instance.pk).values_list(*LISTED).first()
    instance._was_public = before is not None and is_public(*before[:2])
    instance._was_listed = before[2:] if before is not None else None


def follow_publicity(sender, instance: Actor, created=False, raw=False, **kwargs):
    """post_save: a structure the public starts or stops seeing enters or leaves the map's
    cells (a new one has no establishment yet, unless restored from the history), and its
    places (ActorPlace) and themes' listings (ActorThemeListing) carry its new visibility,
    name, family, subtype and legal form, which the territory and theme lists read."""
    was_public = False if created else getattr(instance, "_was_public", None)
    was_listed = getattr(instance, "_was_listed", None)
    instance._was_public = instance._was_listed = None
    if raw or was_public is None:
        return
    now_public = is_public(instance.status, instance.hidden)
    if now_public != was_public:
        shift_map_cells([instance.pk], 1 if now_public else -1)
    listed = {name: getattr(instance, name) for name in LISTED_FIELDS}
    if not created and (now_public != was_public or tuple(listed.values()) != was_listed):
        for listing in (ActorPlace, ActorThemeListing):
            listing.objects.filter(actor_id=instance.pk).update(public=now_public, **listed)


def follow_themes(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """m2m_changed of Actor.themes: the theme lists (ActorThemeListing) follow the themes
    staff, the moderation or the seed give a structure, from either side of the relation
    (`actor.themes.add(theme)`, `theme.actor_set.remove(actor)`), in the same transaction."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        actor_ids = [instance.pk]
    elif action == "post_clear":
        # A theme cleared of its structures: its listings go with the pairs.
        ActorThemeListing.objects.filter(theme_id=instance.pk).delete()
        return
    else:
        actor_ids = sorted(pk_set or ())
    if actor_ids:
        refresh_theme_listings(actor_ids=actor_ids)


def forget_deleted(sender, instance: Actor, **kwargs):
    """pre_delete: a public structure's establishments leave the map's cells before they
    are deleted with it."""
    if is_public(instance.status, instance.hidden):
        shift_map_cells([instance.pk], -1)
