"""What templates/support/_services.html shows: the support services serving a territory.

The territory pages put `support_services` in their context (essdir/views.py); the contact
finder, whose view lives on a lower floor, lets the partial call `support_serving(commune)`
(support/context_processors.py). One query either way.
"""

from __future__ import annotations

from core.statements import Statement
from support.models import SupportService
from territories.models import Territory

# The most services a page lists, nearest zone first.
MAX_SERVICES = 20


def _serving(*, territory_id: int, size: int):
    return SupportService.objects.serving(Territory(pk=territory_id))[:size]


def _serving_any(*, territory_ids: list[int], size: int):
    return SupportService.objects.serving([Territory(pk=key) for key in territory_ids])[:size]


# Kept compiled (core.statements): every territory page and the finder's answer run them,
# the second for the communes of a postal code. The first reads the services of a territory
# through its few containers: one plan serves every territory (generic_plan,
# core.prepared); the second's communes may be many, planned for them.
_serving_statement = Statement(_serving, bound=("territory_id",), generic_plan=True)
_serving_any_statement = Statement(_serving_any, bound=("territory_ids",))


def serving(territory: Territory | list[Territory] | None) -> list[SupportService]:
    """The services whose zone covers `territory` (or any of a postal code's communes),
    nearest zone first ([] without one)."""
    if not territory:
        return []
    if isinstance(territory, Territory):
        return _serving_statement.rows(**serving_read(territory)[1])
    keys = [place.pk for place in territory]
    return _serving_any_statement.rows(territory_ids=keys, size=MAX_SERVICES)


def serving_read(territory: Territory) -> tuple[Statement, dict]:
    """serving(territory)'s statement and arguments, for a page that reads it with its
    other lists (core.together.read_together()): the same rows."""
    return _serving_statement, {"territory_id": territory.pk, "size": MAX_SERVICES}
