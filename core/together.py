"""A page's independent lists read together: their kept statements in one round trip
(core.statements.querysets_together()), then their prefetches level by level, each level of
every list in one round trip too.

A search page shows five kinds of records, four of which prefetch their themes, partners,
organisers or territories: read list by list, those were six more round trips after the
lists' own, each waiting for the database before any work (half a millisecond on the
benchmark's machine). Read together, they are one.
"""

from __future__ import annotations

from core.prefetches import prefetch_together
from core.statements import Statement, querysets_together


def rows_together(*calls: tuple[Statement, dict]) -> list[list]:
    """The rows of each (statement, arguments) of `calls`, as `statement.rows(**arguments)`
    gives them, prefetches included: the kept statements sent to PostgreSQL together, then
    the kept prefetches of every list, level by level, each level together. Elsewhere
    (SQLite), or for what is not kept, each runs on its own."""
    querysets = querysets_together(*calls)
    prefetch_together(querysets)
    return [queryset._result_cache for queryset in querysets]
