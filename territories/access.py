"""Who may do what in the back-office: the one rule, used by every admin and view.

A staff account belongs to collectivités (StaffMembership). Its "own records" are the
collectivité itself, its contacts, budgets and schemes, the events it is responsible for or
organises, the actors attached to it (partnership) or acting inside its territory, and the
proposals of actors located there. Superusers (network administrators) see everything.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from territories.models import Collectivite, StaffMembership, StaffRole, Territory

_CACHE = "_essdir_memberships"


def memberships(user) -> dict[int, str]:
    """{collectivité id: role} for `user`, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    if not hasattr(user, _CACHE):
        setattr(
            user,
            _CACHE,
            dict(StaffMembership.objects.filter(user=user).values_list("collectivite_id", "role")),
        )
    return getattr(user, _CACHE)


def is_network_admin(user) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def is_member(user) -> bool:
    return bool(memberships(user))


def collectivite_ids(user) -> set[int]:
    return set(memberships(user))


def managed_collectivite_ids(user) -> set[int]:
    return {pk for pk, role in memberships(user).items() if role == StaffRole.MANAGER}


def _territory_ids(user) -> QuerySet:
    return Collectivite.objects.filter(pk__in=collectivite_ids(user)).values("territory_id")


def _inside_own_territories(user) -> QuerySet:
    return Territory.objects.filter(container_links__container__in=_territory_ids(user)).values(
        "pk"
    )


def scope(user, model: type[Model]) -> Q:
    """The condition on `model` selecting the records `user` may manage."""
    from actors.models import Actor, ActorProposal
    from events.models import Event
    from territories.models import Budget, Contact, Scheme

    if is_network_admin(user):
        return Q()
    own = collectivite_ids(user)
    if not own:
        return Q(pk__in=[])
    if model is Collectivite:
        return Q(pk__in=own)
    if model in (Contact, Budget, Scheme):
        return Q(collectivite__in=own)
    if model is Event:
        return Q(collectivite__in=own) | Q(
            pk__in=Event.objects.filter(
                participations__collectivite__in=own, participations__role="organiser"
            ).values("pk")
        )
    if model is Actor:
        return Q(territory__in=_inside_own_territories(user)) | Q(
            pk__in=Actor.objects.filter(partnerships__collectivite__in=own).values("pk")
        )
    if model is ActorProposal:
        return Q(territory__in=_inside_own_territories(user))
    if model is StaffMembership:
        return Q(collectivite__in=managed_collectivite_ids(user))
    raise ValueError(f"No access rule for {model.__name__}")


def scoped(user, queryset: QuerySet) -> QuerySet:
    """`queryset` restricted to what `user` may manage."""
    condition = scope(user, queryset.model)
    return queryset if not condition else queryset.filter(condition)


def in_scope(user, obj: Model) -> bool:
    """Whether `user` may manage `obj`, including a deleted record rebuilt from its history."""
    from actors.models import Actor, ActorProposal
    from events.models import Event
    from territories.models import Budget, Contact, Scheme

    if is_network_admin(user):
        return True
    own = collectivite_ids(user)
    if not own:
        return False
    if isinstance(obj, Collectivite):
        return obj.pk in own
    if isinstance(obj, Contact | Budget | Scheme):
        return obj.collectivite_id in own
    if isinstance(obj, StaffMembership):
        return obj.collectivite_id in managed_collectivite_ids(user)
    if obj.pk and type(obj).objects.filter(pk=obj.pk).exists():
        return type(obj).objects.filter(scope(user, type(obj)), pk=obj.pk).exists()
    # A deleted record: judge it on the columns it kept.
    if isinstance(obj, Event):
        return obj.collectivite_id in own
    if isinstance(obj, Actor | ActorProposal):
        return (
            bool(obj.territory_id)
            and Territory.objects.filter(
                pk=obj.territory_id, container_links__container__in=_territory_ids(user)
            ).exists()
        )
    return False
