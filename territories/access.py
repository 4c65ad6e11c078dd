"""Who may manage what in the back-office: which collectivités a staff account belongs to.

A staff account belongs to collectivités (StaffMembership), as editor or manager. What each
collectivité *owns* is stated next to each model, by its QuerySet's `owned_by()`; this
module only answers for a user, and `scoped()` / `in_scope()` delegate to those rules. A
model that the back-office scopes without such a rule fails the `essdir.E002` system check
at start-up. Superusers (network administrators) manage everything.
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.db import models

from core.publication import PublicationStatus

_CACHE = "_essdir_memberships"


class StaffRole(models.TextChoices):
    EDITOR = "editor", "Éditeur·rice"
    MANAGER = "manager", "Gestionnaire (gère aussi les éditeurs)"


def memberships(user) -> dict[int, str]:
    """{collectivité id: role} for `user`, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    if not hasattr(user, _CACHE):
        # Through the reverse accessor of StaffMembership.user: no import of the model here.
        setattr(user, _CACHE, dict(user.memberships.values_list("collectivite_id", "role")))
    return getattr(user, _CACHE)


def is_network_admin(user) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def is_member(user) -> bool:
    return bool(memberships(user))


def collectivite_ids(user) -> set[int]:
    return set(memberships(user))


def managed_collectivite_ids(user) -> set[int]:
    return {pk for pk, role in memberships(user).items() if role == StaffRole.MANAGER}


def owner_ids(user, model: type[models.Model]) -> set[int]:
    """The collectivités through which `user` manages records of `model`."""
    if getattr(model, "owner_role", None) == StaffRole.MANAGER:
        return managed_collectivite_ids(user)
    return collectivite_ids(user)


def scoped(user, queryset: models.QuerySet) -> models.QuerySet:
    """`queryset` restricted to what `user` may manage (its model's `owned_by()` rule)."""
    if is_network_admin(user):
        return queryset
    return queryset.owned_by(owner_ids(user, queryset.model))


def in_scope(user, obj: models.Model) -> bool:
    """Whether `user` may manage `obj`, including a deleted record rebuilt from its history."""
    if is_network_admin(user):
        return True
    own = owner_ids(user, type(obj))
    if not own:
        return False
    manager = type(obj)._default_manager
    if obj.pk is not None and manager.filter(pk=obj.pk).exists():
        return manager.owned_by(own).filter(pk=obj.pk).exists()
    # Not (or no longer) in the database: judged on the columns the record kept.
    return obj.is_owned_by(own)


# --- What staff keep up to date (the back-office home, the "à revoir" filter and report) --


def kept_by(model: type[models.Model], collectivites) -> models.QuerySet:
    """The records of `model` the staff of `collectivites` (ids or a queryset) keep up to
    date: what they own, unless the model's QuerySet says otherwise with `kept_by()` (a
    structure's staff keep their partners, not every structure SIRENE places there)."""
    manager = model._default_manager
    if hasattr(manager, "kept_by"):
        return manager.kept_by(collectivites)
    return manager.owned_by(collectivites)


def to_review(records: models.QuerySet, today: datetime.date) -> models.QuerySet:
    """Those of `records` to check again: stale, and still on the site (not archived)."""
    return records.stale(today).exclude(status=PublicationStatus.ARCHIVED)


def collectivites_of(user):
    """The collectivités whose records `user` keeps: theirs, or all for the network."""
    collectivite = apps.get_model("territories", "Collectivite")
    if is_network_admin(user):
        return collectivite.objects.all()
    return sorted(collectivite_ids(user))
