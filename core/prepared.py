"""Kept statements (core.statements) prepared on each PostgreSQL connection.

A page's kept statements are the same SQL at every request, yet PostgreSQL parsed and
planned each of them every time: on the benchmark's database, a collectivité's page waited
13 ms for its 26 statements, of which 5 planning them for 1.5 executing them. Prepared once
per connection (`PREPARE`), a statement is parsed once; planned once too where its plan
does not depend on its values (`Statement(generic_plan=True)`: record keys, never a
territory's size nor a date), planned for its values at each run otherwise.

They travel as SQL (`PREPARE`, `SET plan_cache_mode`, `EXECUTE name(values)`) in the simple
protocol, several in one round trip as before: psycopg's pipeline of server-side prepared
statements measured slower than one string, by more than it saved.

Measured in process on the benchmark's database: the batches of four of the slowest pages,
47 → 31 ms; 14 pages, 9 % faster (two collectivités' pages 13 to 21 %).

`settings.DATABASE_PREPARED_STATEMENTS` off (environment `DATABASE_PREPARED_STATEMENTS=0`)
sends them as before: for a connection pooler in transaction mode (PgBouncer), whose server
connections change from one transaction to the next and do not know a session's prepared
statements.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, DataError, ProgrammingError, transaction

# Each kept statement's name on every connection: one per compiled statement, for the
# process's life (a connection of another process knows only its own).
_NAMES = itertools.count(1)
_PLACEHOLDER = re.compile(r"%%|%s")
# What a connection's prepared statements are kept on: the raw connection they were prepared
# on (a reconnection starts with none), and their names.
_STATE = "essdir_prepared_statements"
GENERIC, CUSTOM = "force_generic_plan", "force_custom_plan"
_SAVEPOINT = "essdir_prepare"
# The most statements prepared on a connection: each holds its plan in the server process
# (tens of kilobytes); past it, the connection's are all deallocated and prepared anew as
# they come (a prefetch prepares one statement per number of keys).
MAX_PREPARED = 300
# PostgreSQL's error code when a name is prepared already.
DUPLICATE_PREPARED_STATEMENT = "42P05"


@dataclass
class Preparation:
    """How one compiled statement is prepared: its name, the positions of its bound
    values among its parameters (core.statements' slots), whether one plan serves every
    value, its PREPARE (written once, on first use) and whether PostgreSQL refused it."""

    slots: tuple[int, ...]
    generic_plan: bool
    name: str = field(default_factory=lambda: f"essdir_{next(_NAMES)}")
    sql: str | None = None
    refused: bool = False

    def prepare_sql(self, sql: str, params: tuple, binding) -> str:
        """`PREPARE name AS …`: the bound values as $1, $2…, the statement's other
        parameters (the same at every call of its shape) written in, so that a generic plan
        knows them (a status, a kind, a limit)."""
        if self.sql is None:
            positions = {position: index for index, position in enumerate(self.slots, 1)}
            parameters = iter(enumerate(params))

            def replace(match: re.Match) -> str:
                if match.group() == "%%":
                    return "%"
                position, value = next(parameters)
                if position in positions:
                    return f"${positions[position]}"
                return binding.mogrify("%s", (value,))

            self.sql = f"PREPARE {self.name} AS " + _PLACEHOLDER.sub(replace, sql)
        return self.sql

    def execute_sql(self, params: tuple, binding) -> str:
        """`EXECUTE name(values)`: the values bound at this call."""
        if not self.slots:
            return f"EXECUTE {self.name}"
        values = tuple(params[position] for position in self.slots)
        return binding.mogrify(f"EXECUTE {self.name}({', '.join(['%s'] * len(values))})", values)


def enabled(connection) -> bool:
    """Whether kept statements are prepared on `connection` (PostgreSQL, and the setting)."""
    return connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS


def fetch(connection, cursor, kept: list, binding) -> None:
    """Run `kept` ((compiled, params) pairs) as one string on `cursor`, whose results
    the caller reads: each statement prepared on this connection the first time (its
    PREPARE in the same string), then `EXECUTE`d under the plan mode it declares, the
    session's own restored after. A statement PostgreSQL refuses to prepare (a parameter
    whose type it cannot infer) is found, sent as it is from then on, and the string sent
    again: a refusal costs a few round trips once per process, never a page."""
    prepared = _prepared_on(connection)
    deallocate = len(prepared) >= MAX_PREPARED
    if deallocate:
        prepared.clear()
    sql, new = _batch_sql(connection, kept, binding, prepared)
    if deallocate:
        sql = f"DEALLOCATE ALL;\n{sql}"
    try:
        cursor.execute(sql)
    except (ProgrammingError, DataError) as error:
        if not new:
            raise
        if connection.in_atomic_block:
            try:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            except DatabaseError:
                # Past the PREPAREs (their savepoint released): the statement's own error.
                raise error from None
        _prepare_each(connection, cursor, new, prepared, binding)
        sql, _new = _batch_sql(connection, kept, binding, prepared)
        cursor.execute(sql)
    prepared.update(preparation.name for preparation in new)


def _batch_sql(connection, kept: list, binding, prepared: set[str]) -> tuple[str, list]:
    # The string, and the preparations it prepares. In a transaction, its PREPAREs go in a
    # savepoint, so that a refusal leaves the transaction usable.
    prepares, parts, new, named = [], [], [], set()
    mode = None
    for compiled, params in kept:
        preparation = compiled.preparation
        if preparation.refused:
            parts.append(binding.mogrify(compiled.sql, params))
            continue
        if preparation.name not in prepared and preparation.name not in named:
            prepares.append(preparation.prepare_sql(compiled.sql, compiled.params, binding))
            new.append(preparation)
            named.add(preparation.name)
        wanted = GENERIC if preparation.generic_plan else CUSTOM
        if wanted != mode:
            parts.append(f"SET plan_cache_mode = {wanted}")
            mode = wanted
        parts.append(preparation.execute_sql(params, binding))
    if mode is not None:
        parts.append("RESET plan_cache_mode")
    if prepares and connection.in_atomic_block:
        prepares = [f"SAVEPOINT {_SAVEPOINT}", *prepares, f"RELEASE SAVEPOINT {_SAVEPOINT}"]
    return ";\n".join([*prepares, *parts]), new


def _prepared_on(connection) -> set[str]:
    # The names prepared on the connection's current raw connection.
    raw = connection.connection
    state = getattr(connection, _STATE, None)
    if state is None or state[0] is not raw:
        state = (raw, set())
        setattr(connection, _STATE, state)
    return state[1]


def _prepare_each(connection, cursor, new: list, prepared: set[str], binding) -> None:
    # After a string failed: each of its preparations on its own, to tell those PostgreSQL
    # refuses (sent as they are from then on) from those it prepared (a PREPARE is not
    # undone with its transaction: it may exist already).
    for preparation in new:
        try:
            if connection.in_atomic_block:
                with transaction.atomic(using=connection.alias):
                    cursor.execute(preparation.sql)
            else:
                cursor.execute(preparation.sql)
        except ProgrammingError as error:
            if getattr(error.__cause__, "sqlstate", None) != DUPLICATE_PREPARED_STATEMENT:
                preparation.refused = True
                continue
        except DataError:
            preparation.refused = True
            continue
        prepared.add(preparation.name)
