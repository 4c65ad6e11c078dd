"""Writes with side effects on actors that staff and visitors make: public proposals and
their moderation, hiding structures. The SIRENE import is in actors/sirene/, the data
derived from the whole directory in actors/derived.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actors.derived import refresh_actor_places
from actors.models import Actor, ActorProposal, ProposalStatus
from territories.models import PublicationStatus

PROPOSALS_PER_ADDRESS = 3
PROPOSAL_WINDOW = timedelta(hours=1)


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
