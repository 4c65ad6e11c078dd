"""Statements compiled once per process: a query of a fixed shape built and compiled to SQL
the first time, then run with new values.

Django builds a queryset (filters, Q objects, joins) and compiles it to SQL on each request.
On the pages that compose a dozen lists (a territory, a collectivité), that is a quarter to a
third of the time the page takes, for SQL that differs from one request to the next only by
its values (the territory's key, today's date). A `Statement` builds its queryset once for
each shape with stand-in values, finds where each stand-in lands among the compiled
parameters, and afterwards swaps the request's values in: no building, no compiling.

Safe by construction, not by convention:

- the values a statement binds are plain integers, strings and dates, or lists of them
  (whose length keys the statement, each value its own stand-in); anything else (None, which
  compiles to IS NULL; a boolean, which two stand-ins cannot tell apart; a list repeating a
  value) makes it build the queryset the ordinary way;
- every stand-in must be found among the parameters, else the value shapes the SQL (a
  `__contains` wraps it in %…%) and the statement is never kept: the ordinary way, always;
- the shape is keyed by the other arguments (a limit is written into the SQL), the active
  language and today's date, so that a query reading either outside its arguments is
  rebuilt when they change;
- `settings.STATEMENTS_CHECKED` (on in the test suite) builds the ordinary queryset on every
  call as well and fails loudly when its SQL or parameters differ from the kept ones.

`querysets_together()` sends several kept statements of a page to PostgreSQL in one round trip
(core.together.rows_together() adds their prefetches, read together too).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.constants import MULTI
from django.utils import timezone, translation

from core import prepared


class StatementMismatch(AssertionError):
    """A kept statement's SQL differs from the queryset built the ordinary way: the
    function reads something outside its arguments."""


# Stand-ins, one per bound argument, chosen so that no real value meets them: keys far above
# any table's, dates in year 1, strings no visitor types. A date's stand-in is never the 1st
# of a month, so that a value derived from it (its month's first day) is not taken for it.
STAND_IN_KEYS = range(1_987_654_300, 1_987_654_700)
# The most values a statement binds (a list counts each of its values).
MAX_BOUND = 300


def _stand_in(kind: type, index: int):
    if kind is int:
        return STAND_IN_KEYS[index]
    if kind is str:
        return f"\x1fstand-in-{index}\x1f"
    return datetime.date(1, 1 + index // 27, 2 + index % 27)


def _kind(value) -> type | None:
    # bool is an int to Python, but two stand-ins cannot tell True from False.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return int
    if isinstance(value, str):
        return str
    if type(value) is datetime.date:
        return datetime.date
    return None


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: object
    sql: str
    params: tuple
    # (position in params, bound value's key, whether the parameter is its str())
    slots: tuple[tuple[int, tuple, bool], ...]
    # How it is prepared on PostgreSQL's connections (core.prepared).
    preparation: prepared.Preparation

    def params_for(self, values: dict) -> tuple:
        params = list(self.params)
        for position, key, as_text in self.slots:
            value = values[key]
            params[position] = str(value) if as_text else value
        return tuple(params)


def _flat(arguments: dict, bound: tuple[str, ...]) -> dict | None:
    """The values bound, keyed (name, None), or (name, index) for each value of a list or
    tuple; None when one cannot be bound (see _kind()), or when a list repeats a value
    (Django writes each once in an IN: the SQL's shape would differ)."""
    flat = {}
    for name in bound:
        value = arguments[name]
        if isinstance(value, list | tuple):
            if len(set(value)) != len(value):
                return None
            flat.update(((name, index), item) for index, item in enumerate(value))
        else:
            flat[(name, None)] = value
    if len(flat) > MAX_BOUND or any(_kind(value) is None for value in flat.values()):
        return None
    return flat


_UNKEPT = object()


class Statement:
    """`build(**arguments)` → a QuerySet, compiled once per shape; `rows(**arguments)` runs
    it and returns its rows as a list (model instances, dicts or tuples, as the queryset
    would give, prefetches included).

    `bound` names the arguments that are values in the SQL (keys, dates, words); the
    others shape it (a limit, a flag) and key the compiled statement. `kept_when(**arguments)`,
    when given, says whether the arguments' SQL may be the kept one: where a bound value
    shapes the SQL in a way the stand-in cannot (a search without a word worth matching is
    no search), it answers False and the queryset is built the ordinary way.

    On PostgreSQL, the statement is prepared on each connection (core.prepared) and planned
    for its values at each run; `generic_plan=True` says that one plan serves every value,
    planned once per connection: only where the bound values are record keys whose
    records' sizes do not change the plan (a collectivité's contacts, the keys of a list's
    rows), never a territory (a commune or a région: other plans) nor a date (past or
    upcoming events).
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        bound: tuple[str, ...],
        kept_when: Callable[..., bool] | None = None,
        generic_plan: bool = False,
    ):
        self.build = build
        self.bound = tuple(bound)
        self.kept_when = kept_when
        self.generic_plan = generic_plan
        self._kept: dict = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Statement({self.build.__qualname__}, bound={self.bound})"

    def rows(self, **arguments) -> list:
        """The rows of `build(**arguments)`."""
        compiled, params = self._kept_for(arguments)
        if compiled is None:
            return list(self.build(**arguments))
        connection = connections[compiled.queryset.db]
        # Prepared, it travels as querysets_together() sends statements (core.prepared).
        fetched = None
        if prepared.enabled(connection):
            fetched = _fetch_together(connection, [(compiled, params)])[0]
        return list(Statement._queryset(compiled, params, fetched))

    def sql(self, **arguments) -> tuple[str, tuple]:
        """The SQL and parameters of `build(**arguments)`, to run within another statement
        (as the search's candidates are, core.pagination.rows_of_statements())."""
        compiled, params = self._kept_for(arguments)
        if compiled is None:
            sql, params = self.build(**arguments).query.sql_with_params()
            return sql, tuple(params)
        return compiled.sql, params

    def _kept_for(self, arguments: dict) -> tuple[_Compiled | None, tuple]:
        """The kept statement of `arguments`' shape and its parameters, or (None, ())."""
        flat = _flat(arguments, self.bound)
        if flat is None or (self.kept_when is not None and not self.kept_when(**arguments)):
            return None, ()
        kinds = tuple((key, _kind(value)) for key, value in flat.items())
        shape = (
            tuple(sorted((k, v) for k, v in arguments.items() if k not in self.bound)),
            kinds,
            translation.get_language(),
            timezone.localdate(),
        )
        compiled = self._kept.get(shape)
        if compiled is None:
            with self._lock:
                if any(kept[3] != shape[3] for kept in self._kept):
                    # A new day: yesterday's statements will not serve again.
                    self._kept = {k: v for k, v in self._kept.items() if k[3] == shape[3]}
                compiled = self._kept.get(shape) or self._compile(arguments, kinds)
                self._kept[shape] = compiled
        if compiled is _UNKEPT:
            return None, ()
        params = compiled.params_for(flat)
        if settings.STATEMENTS_CHECKED:
            self._check(compiled, arguments, params)
        return compiled, params

    def _compile(self, arguments: dict, kinds: tuple) -> _Compiled | object:
        stand_ins = {key: _stand_in(kind, i) for i, (key, kind) in enumerate(kinds)}
        with_stand_ins = dict(arguments)
        for name in self.bound:
            if (name, None) in stand_ins:
                with_stand_ins[name] = stand_ins[(name, None)]
            else:
                length = len(arguments[name])
                with_stand_ins[name] = type(arguments[name])(
                    stand_ins[(name, index)] for index in range(length)
                )
        queryset = self.build(**with_stand_ins)
        compiler = queryset.query.get_compiler(using=queryset.db)
        compiler._kept_converters = {}  # shared by its bound copies (_bound())
        try:
            sql, params = compiler.as_sql()
        except Exception:  # EmptyResultSet, FullResultSet…: the ordinary way knows them
            return _UNKEPT
        slots = []
        for key, stand_in in stand_ins.items():
            found = [
                (position, isinstance(param, str) and not isinstance(stand_in, str))
                for position, param in enumerate(params)
                if (type(param) is type(stand_in) and param == stand_in)
                or (not isinstance(stand_in, str) and param == str(stand_in))
            ]
            if not found:
                return _UNKEPT
            slots.extend((position, key, as_text) for position, as_text in found)
        kept_positions = {position for position, _name, _as_text in slots}
        if any(
            _derived_from_stand_in(param)
            for position, param in enumerate(params)
            if position not in kept_positions
        ):
            # A stand-in transformed on its way (a word wrapped in %…%): its value shapes
            # the parameter, which a swap would get wrong.
            return _UNKEPT
        preparation = prepared.Preparation(
            slots=tuple(sorted(position for position, _key, _as_text in slots)),
            generic_plan=self.generic_plan,
        )
        return _Compiled(queryset, compiler, sql, tuple(params), tuple(slots), preparation)

    def _check(self, compiled: _Compiled, arguments: dict, params: tuple) -> None:
        ordinary = self.build(**arguments)
        sql, ordinary_params = ordinary.query.sql_with_params()
        if (sql, tuple(ordinary_params)) != (compiled.sql, params):
            raise StatementMismatch(
                f"{self!r}: the kept SQL differs from the ordinary one for {arguments!r}:\n"
                f"kept:     {compiled.sql} {params!r}\nordinary: {sql} {tuple(ordinary_params)!r}"
            )

    @staticmethod
    def _queryset(compiled: _Compiled, params: tuple, rows: list | None = None) -> QuerySet:
        # The kept queryset, answering this call's SQL and parameters (and rows, when they
        # were fetched already), its results not read yet.
        template = compiled.queryset
        compiler = _bound(compiled.compiler, compiled.sql, params, rows)
        compiler.connection = connections[template.db]
        queryset = QuerySet.__new__(type(template))
        queryset.__dict__.update(template.__dict__)
        queryset._result_cache = None
        queryset._prefetch_done = False
        queryset._query = _PreparedQuery(template.query, compiler)
        return queryset


def querysets_together(*calls: tuple[Statement, dict]) -> list[QuerySet]:
    """The queryset of each (statement, arguments) of `calls`, its rows read, the kept ones
    sent to PostgreSQL together: one round trip for a page's independent lists, where each
    statement waited for the database on its own (half a millisecond each before any work,
    on the benchmark's machine). Elsewhere (SQLite), or for a statement not kept, each runs
    on its own. Their prefetches are not run yet: `list()` of a queryset runs its own, and
    core.together.rows_together() runs them all, level by level, together."""
    kept = [statement._kept_for(arguments) for statement, arguments in calls]
    together = [index for index, (compiled, _params) in enumerate(kept) if compiled is not None]
    fetched: dict[int, list] = {}
    if together:
        using = {kept[index][0].queryset.db for index in together}
        connection = connections[using.pop()] if len(using) == 1 else None
        # One kept statement is sent so too when prepared (core.prepared).
        if connection is not None and (
            prepared.enabled(connection)
            or (len(together) > 1 and connection.vendor == "postgresql")
        ):
            rows = _fetch_together(connection, [kept[index] for index in together])
            fetched = dict(zip(together, rows, strict=True))
    found = []
    for index, (statement, arguments) in enumerate(calls):
        compiled, params = kept[index]
        if compiled is None:
            queryset = statement.build(**arguments)
        else:
            queryset = Statement._queryset(compiled, params, fetched.get(index))
        # What QuerySet._fetch_all() does, but the prefetches.
        queryset._result_cache = list(queryset._iterable_class(queryset))
        found.append(queryset)
    return found


def _fetch_together(connection, kept: list[tuple[_Compiled, tuple]]) -> list[list]:
    # Several statements in one query string: PostgreSQL's simple protocol runs them in
    # order and answers each (psycopg's nextset()); the values are bound on the client, as
    # Django's own cursor binds them. Prepared, they are EXECUTEs, between which the plan
    # mode's SETs answer no rows (core.prepared).
    from psycopg import ClientCursor

    fetched = []
    with connection.cursor() as cursor:
        binding = ClientCursor(cursor.connection)
        if prepared.enabled(connection):
            prepared.fetch(connection, cursor, kept, binding)
        else:
            cursor.execute(
                ";\n".join(binding.mogrify(compiled.sql, params) for compiled, params in kept)
            )
        while True:
            # rownumber: whether this answer holds rows, without building its description
            # (psycopg makes a Column object per column each time it is read).
            if cursor.rownumber is not None:
                fetched.append(cursor.fetchall())
            if not cursor.nextset():
                break
    if len(fetched) != len(kept):
        raise AssertionError(f"{len(kept)} statements sent, {len(fetched)} answered")
    return fetched


def _derived_from_stand_in(param) -> bool:
    """A parameter computed from a stand-in (a word wrapped in %…%, a date's year or month,
    a key plus one): its value depends on the argument in a way a swap would get wrong."""
    if isinstance(param, str):
        return "\x1fstand-in-" in param or param.startswith("0001-")
    if isinstance(param, datetime.date):  # dates and datetimes
        return param.year == 1
    return isinstance(param, int) and not isinstance(param, bool) and param in STAND_IN_KEYS


_BOUND_CLASSES: dict[type, type] = {}


def _bound(compiler, sql: str, params: tuple, rows: list | None = None):
    """A copy of the kept compiler answering this call's SQL and parameters, and its rows
    when they were fetched already (querysets_together()): what the query iterables read of a
    compiler (select, klass_info, converters…) comes from the kept one."""
    kind = type(compiler)
    bound_class = _BOUND_CLASSES.get(kind)
    if bound_class is None:

        def as_sql(self, *args, **kwargs):
            return self._statement

        def execute_sql(self, result_type=MULTI, *args, **kwargs):
            if self._rows is None or result_type != MULTI:
                return kind.execute_sql(self, result_type, *args, **kwargs)
            rows = self._rows
            if self.has_extra_select:  # as Django's cursor_iter() cuts them
                rows = [row[: self.col_count] for row in rows]
            return [rows] if rows else []

        def get_converters(self, expressions):
            # The kept statement's columns are the same at every call: their converters,
            # which asks each column's field and the backend (26 statements' worth on a
            # collectivité's page), are found once per database.
            # Keyed by the columns' identities, which the entry keeps alive (never reused).
            key = (self.connection.alias, tuple(map(id, expressions)))
            found = self._kept_converters.get(key)
            if found is None:
                converters = kind.get_converters(self, expressions)
                found = self._kept_converters[key] = (tuple(expressions), converters)
            return found[1]

        bound_class = _BOUND_CLASSES.setdefault(
            kind,
            type(
                f"Bound{kind.__name__}",
                (kind,),
                {"as_sql": as_sql, "execute_sql": execute_sql, "get_converters": get_converters},
            ),
        )
    copy = bound_class.__new__(bound_class)
    copy.__dict__.update(compiler.__dict__)
    copy._statement = (sql, params)
    copy._rows = rows
    return copy


class _PreparedQuery:
    """The kept query, whose compiler is the bound one."""

    def __init__(self, query, compiler):
        self._query = query
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)
