"""A page's independent lists read together: their kept statements in one round trip
(core.statements.querysets_together()), then their prefetches level by level, each level of
every list in one round trip too.

A search page shows five kinds of records, four of which prefetch their themes, partners,
organisers or territories: read list by list, those were six more round trips after the
lists' own, each waiting for the database before any work (half a millisecond on the
benchmark's machine). Read together, they are one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.prefetches import prefetch_together
from core.statements import Statement, querysets_together


def rows_together(
    *calls: tuple[Statement, dict], prefetching: Sequence[QuerySet] = ()
) -> list[list]:
    """The rows of each (statement, arguments) of `calls`, as `statement.rows(**arguments)`
    gives them, prefetches included: the kept statements sent to PostgreSQL together, then
    the kept prefetches of every list, level by level, each level together. Elsewhere
    (SQLite), or for what is not kept, each runs on its own. The prefetches of
    `prefetching`, querysets already read (a page's record), run with theirs."""
    querysets = querysets_together(*calls)
    prefetch_together([*querysets, *prefetching])
    return [queryset._result_cache for queryset in querysets]


@dataclass(frozen=True)
class Composed:
    """A read of several statements whose rows `build` turns into one value (an answer, a
    comparison…), so that a page can send them with its other reads (read_together()).
    `build` receives the rows of each of `calls`, in order, and may read more."""

    calls: tuple[tuple[Statement, dict], ...]
    build: Callable[..., Any]


def read_together(
    *, prefetching: Sequence[QuerySet] = (), **reads: tuple[Statement, dict] | Composed
) -> dict[str, Any]:
    """{name: value} of each of `reads`, every statement of them sent in one round trip
    (rows_together()): a (statement, arguments) gives its rows, a Composed what its
    `build` makes of its own. A page's reads that depend on its object only, whichever
    module knows how to build them, wait for the database once; the prefetches of its
    object, read without them (`prefetching`, see core.views.KeptObjectMixin), run with
    the reads' own."""
    calls: list[tuple[Statement, dict]] = []
    spans: dict[str, slice] = {}
    for name, read in reads.items():
        own = read.calls if isinstance(read, Composed) else (read,)
        spans[name] = slice(len(calls), len(calls) + len(own))
        calls.extend(own)
    rows = rows_together(*calls, prefetching=prefetching)
    found = {}
    for name, read in reads.items():
        own = rows[spans[name]]
        found[name] = read.build(*own) if isinstance(read, Composed) else own[0]
    return found
