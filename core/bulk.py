"""Bulk writes: one column over many rows, and the rows a table derives from another's,
what a refresh over every row of a table writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import Model, QuerySet

# Each statement binds a chunk's keys once: well under every database's parameter limit.
KEYS_PER_STATEMENT = 5000


def update_column(model: type[Model], *, field: str, values: dict[int, object]) -> int:
    """Set `field` of the rows of `model` whose keys are in `values` to their values, in one
    statement; returns how many were given.

    On PostgreSQL the keys and values travel as two arrays joined to the table: Django's
    bulk_update() writes a CASE of one branch per row, which PostgreSQL tests row by row (a
    thousand rows a batch: half a million comparisons, and 200 000 rows of search contexts
    took minutes). Elsewhere, bulk_update().
    """
    if not values:
        return 0
    if connection.vendor != "postgresql":
        rows = [model(pk=key, **{field: value}) for key, value in values.items()]
        model._default_manager.bulk_update(rows, [field], batch_size=1000)
        return len(values)
    target = model._meta.get_field(field)
    key = model._meta.pk
    quote = connection.ops.quote_name
    table, column, key_column = quote(model._meta.db_table), quote(target.column), quote(key.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = given.value "
            f"FROM unnest(%s::{key.db_type(connection)}[], %s::{target.db_type(connection)}[]) "
            f"AS given(key, value) WHERE {table}.{key_column} = given.key",
            [list(values), list(values.values())],
        )
    return len(values)


def replace_derived_rows(
    *,
    derived: type[Model],
    source_field: str,
    sources: QuerySet,
    insert_sql: Callable[[str], str],
    keys: Iterable[int] | None,
) -> int:
    """Write again the rows of `derived` (whose `source_field` names a row of `sources`) of
    the sources of `keys`, or of every source when None: `insert_sql(condition)` is the
    INSERT … SELECT of the sources `condition` keeps, a template whose `{}` stands for the
    source's key column (as in "{} IN (%s, %s)"). Returns how many rows were written. To
    call inside a transaction.

    Two refreshes of the same sources at once take turns: each locks the sources' rows
    first, in key order, so that the second one deletes what the first one wrote instead of
    colliding with it (a unique constraint's error)."""
    locked = sources.select_for_update().order_by("pk")
    table = derived.objects
    with connection.cursor() as cursor:
        if keys is None:
            list(locked.values_list("pk", flat=True))
            table.all()._raw_delete(table.db)
            cursor.execute(insert_sql("1 = 1"))
            return cursor.rowcount
        keys, total = sorted(set(keys)), 0
        for start in range(0, len(keys), KEYS_PER_STATEMENT):
            chunk = keys[start : start + KEYS_PER_STATEMENT]
            list(locked.filter(pk__in=chunk).values_list("pk", flat=True))
            table.filter(**{f"{source_field}__in": chunk})._raw_delete(table.db)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(insert_sql(f"{{}} IN ({marks})"), chunk)
            total += cursor.rowcount
        return total
