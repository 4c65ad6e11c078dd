"""The reads of the territory and collectivité pages kept compiled (core.statements): the
same SQL for every territory, only its key and today's date differ."""

from __future__ import annotations

import datetime

from actors.models import Actor, published_scheme_roles
from core.pagination import counted_rows
from core.prefetches import KeptPrefetch
from core.statements import Statement
from events.models import Event
from territories.models import Budget, Collectivite, Contact, ContactRole, Scheme, Territory


def _first_actors(*, territory_id: int, size: int):
    # Names and links only: the first of the territory's list.
    listed = Actor.objects.published().first_listed_in(Territory(pk=territory_id), size)
    return listed.only("name", "slug")


def _collectivites_around(*, territory_id: int):
    return Collectivite.objects.published().around(Territory(pk=territory_id)).for_list()


def _upcoming_events(*, territory_id: int, today: datetime.date, size: int):
    events = Event.objects.published().upcoming_in(Territory(pk=territory_id), today)
    return events.for_cards()[:size]


def _partners(*, collectivite_id: int, size: int):
    # Names and links only (the collectivité's page lists them so).
    partners = Actor.objects.published().partners_of([collectivite_id]).order_by("name")
    return counted_rows(partners.only("name", "slug"), size)


def _schemes_of(*, collectivite_id: int, size: int):
    return counted_rows(Scheme.objects.published().of(collectivite_id).for_list(), size)


def _co_funded_by(*, collectivite_id: int, size: int):
    collectivite = Collectivite(pk=collectivite_id)
    return counted_rows(Scheme.objects.published().co_funded_by(collectivite).for_list(), size)


def _contacts_of(*, collectivite_id: int):
    return Contact.objects.published().of(collectivite_id).for_list().by_importance()


def _events_involving(*, collectivite_id: int, today: datetime.date, size: int):
    events = Event.objects.published().involving(collectivite=collectivite_id)
    return events.upcoming(today).for_cards()[:size]


def _undated_events_involving(*, collectivite_id: int, size: int):
    events = Event.objects.published().involving(collectivite=collectivite_id)
    return events.recurring_undated().for_cards()[:size]


def _past_events_involving(*, collectivite_id: int, today: datetime.date, size: int):
    events = Event.objects.published().involving(collectivite=collectivite_id)
    return events.past(today).for_cards()[:size]


def _collectivites(*, size: int):
    return counted_rows(Collectivite.objects.published().for_list(), size)


def _upcoming_everywhere(*, today: datetime.date, size: int):
    return Event.objects.published().upcoming(today).for_cards()[:size]


def _public_actor(*, slug: str):
    return Actor.objects.published().for_detail().filter(slug=slug)


def _public_collectivite(*, slug: str):
    return Collectivite.objects.published().for_detail().filter(slug=slug)


def _public_scheme(*, slug: str):
    roles = KeptPrefetch("actor_roles", published_scheme_roles)
    return (
        Scheme.objects.published()
        .for_detail()
        .select_related("collectivite__territory")
        .prefetch_related(roles)
        .filter(slug=slug)
    )


def _officers_of(*, collectivite_id: int):
    return Contact.objects.published().of(collectivite_id).filter(role=ContactRole.OFFICER)


def _actor_events(*, actor_id: int, today: datetime.date, size: int):
    events = Event.objects.published().involving(actor=actor_id)
    return events.upcoming(today).for_cards()[:size]


def _past_actor_events(*, actor_id: int, today: datetime.date, size: int):
    return Event.objects.published().involving(actor=actor_id).past(today).for_cards()[:size]


def _budgets_of(*, collectivite_id: int):
    return Budget.objects.published().of(collectivite_id).for_detail()


# Planned once per connection (generic_plan, core.prepared): the reads by a collectivité's key
# (its records are a few hundred at most: one plan serves them all) and by a slug (a unique
# key); measured on the benchmark's 109 collectivités, none slower than planned for its
# values. Those by territory (a commune or a région: other plans) or by date (upcoming or
# past) are planned for their values at each run; a generic plan of the agenda's next
# events took 7 ms where its own took 0.26.

# The first `size` public structures of a territory's list (Actor.first_listed_in).
first_actors = Statement(_first_actors, bound=("territory_id",))
# The published collectivités acting around a territory (Collectivite.around).
collectivites_around = Statement(_collectivites_around, bound=("territory_id",))
# The next `size` events inside a territory (Event.in_territory, upcoming).
upcoming_events = Statement(_upcoming_events, bound=("territory_id", "today"))

# A collectivité's partner structures, its schemes, those it co-funds (each the first
# `size`, carrying how many in all: core.pagination.with_total), its contacts by importance,
# its next dated events and those that come back without a date.
partners = Statement(_partners, bound=("collectivite_id",), generic_plan=True)
schemes_of = Statement(_schemes_of, bound=("collectivite_id",), generic_plan=True)
co_funded_by = Statement(_co_funded_by, bound=("collectivite_id",), generic_plan=True)
contacts_of = Statement(_contacts_of, bound=("collectivite_id",), generic_plan=True)
events_involving = Statement(_events_involving, bound=("collectivite_id", "today"))
undated_events_involving = Statement(_undated_events_involving, bound=("collectivite_id",))
# Past events compare with values derived from today (its month's first day, its year), which
# a stand-in cannot stand for: today keys the statement instead (a new one each day).
past_events_involving = Statement(_past_events_involving, bound=("collectivite_id",))

# The home page: the first `size` published collectivités (carrying how many in all) and the
# next events of the whole directory (France's panorama: actors.panorama.national_panorama).
collectivites = Statement(_collectivites, bound=(), generic_plan=True)
upcoming_everywhere = Statement(_upcoming_everywhere, bound=("today",))

# The detail pages' published records by slug (core.views.KeptObjectMixin), a carrier's
# officers (a scheme's page), a structure's next events.
public_actor = Statement(_public_actor, bound=("slug",), generic_plan=True)
public_collectivite = Statement(_public_collectivite, bound=("slug",), generic_plan=True)
public_scheme = Statement(_public_scheme, bound=("slug",), generic_plan=True)
officers_of = Statement(_officers_of, bound=("collectivite_id",), generic_plan=True)
actor_events = Statement(_actor_events, bound=("actor_id", "today"))
past_actor_events = Statement(_past_actor_events, bound=("actor_id",))
# A collectivité's published budgets, their lines and the schemes they fund.
budgets_of = Statement(_budgets_of, bound=("collectivite_id",), generic_plan=True)
