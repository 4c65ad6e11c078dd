"""Accent- and case-insensitive text matching that works on SQLite and PostgreSQL.

On PostgreSQL, `Folded` is `lower(unaccent(x))` (extension created by a migration); on
SQLite it calls `essdir_fold`, a Python function registered on every new connection.
"""

from __future__ import annotations

from django.db.models import CharField, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from territories.text import fold, normalize

MIN_TERM_LENGTH = 2
MAX_TERMS = 8


class Folded(Func):
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(Coalesce(expression, Value("")), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="essdir_fold", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="lower(unaccent(%(expressions)s))", **extra_context
        )


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("essdir_fold", 1, _fold_or_none, deterministic=True)


def _fold_or_none(value):
    return None if value is None else fold(str(value))


def search_terms(query: str) -> list[str]:
    """The words of `query` worth matching, folded."""
    terms = [term for term in normalize(query).split() if len(term) >= MIN_TERM_LENGTH]
    return terms[:MAX_TERMS]


def text_search(queryset: QuerySet, query: str, fields: list[str]) -> QuerySet:
    """Rows where every word of `query` appears in one of `fields` (accents and case folded)."""
    terms = search_terms(query)
    if not terms:
        return queryset
    annotations = {f"_folded_{i}": Folded(field) for i, field in enumerate(fields)}
    queryset = queryset.alias(**annotations)
    for term in terms:
        condition = Q()
        for alias in annotations:
            condition |= Q(**{f"{alias}__contains": term})
        queryset = queryset.filter(condition)
    return queryset
