"""Lookups whose SQL takes a value computed beforehand, so that a kept statement
(core.statements) can bind it: a value the lookup itself derives from its argument (a
LIKE pattern built from words) is never bound, and its query is built anew each time."""

from __future__ import annotations

from django.db import connections
from django.db.models import CharField, Lookup
from django.db.models.lookups import StartsWith


def prefix_pattern(text: str, using: str = "default") -> str:
    """The LIKE pattern of the values starting with `text` (its %, _ and \\ escaped), as
    `__startswith` writes it: what `__prefix_pattern` takes."""
    return connections[using].ops.prep_for_like_query(text) + "%"


class PrefixPattern(StartsWith):
    """`field__prefix_pattern=prefix_pattern(text)`: the SQL and parameter of
    `field__startswith=text`, the pattern given rather than built from `text`. Its
    `lookup_name` stays "startswith": the backends' operators and casts are read by it."""

    def process_rhs(self, qn, connection):
        # StartsWith's, without escaping the value and appending "%" to it: the pattern
        # comes whole.
        return Lookup.process_rhs(self, qn, connection)


CharField.register_lookup(PrefixPattern, lookup_name="prefix_pattern")
