"""What the test database holds between tests, so that expensive data is built once.

pytest-django gives each test that uses the database one of two kinds of isolation:

* **Rolled back** (most tests: Django's TestCase): the test runs in a transaction rolled
  back after it. Under it, this module may keep an outer transaction, a *layer*, holding
  data that consecutive tests share: the seed data (the `seed` fixture of tests/conftest.py)
  and the fixtures made with `shared_data` below (like Django's `setUpTestData`). Each
  test's own transaction is then a savepoint in the layer: what the test writes is rolled
  back, the layer's data stays for the next test that needs the same layer; the first test
  that needs another closes it (rollback) before its own transaction starts.
* **Committed**: pytest-django empties the database after each `transaction=True` test
  (TRUNCATE, the geography with it; the geography's rows of its first import are then
  written back). The browser tests (tests/browser/conftest.py) commit
  too, since the live server must read what they write, but they run over a committed
  *baseline* instead (the geography, plus the seed data for `seeded_live`), built once and
  put back after each test: the small tables (all but the geography's largest) get their
  rows back when they differ, the rows added to the others are deleted.

`prepare()` switches the state before pytest-django opens a test's own transaction: the
`pytest_fixture_setup` hook of tests/conftest.py calls it as pytest-django's
`_django_db_helper` fixture (which every database test goes through) is set up.
tests/conftest.py also orders the tests so that those sharing a state run one after another.
The state lives in this process: each pytest-xdist worker has its own (and its own database).
"""

from __future__ import annotations

import copy
import io
import sys
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connection, connections, transaction

from tests.geo import load_test_geography

# What a test needs (`Need.committed`): the committed data it runs over.
GEOGRAPHY = "geography"
SEED = "seed"
# What is committed (`DatabaseState.committed`): GEOGRAPHY, SEED, or unknown once a
# transactional test of pytest-django's ran (it empties the database after itself).
UNKNOWN = "unknown"

# The layer of the seed data, loaded as `manage.py seed` does.
SEED_LAYER = "seed"

# Integer primary keys grow: rows added after a snapshot have larger ones.
INTEGER_KEYS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "SmallIntegerField",
    "PositiveSmallIntegerField",
}
# Never emptied: Django's record of the migrations applied.
KEPT_TABLES = {"django_migrations"}
# Tables of at most this many rows (all but the territories, their postal codes and their
# inclusions) are kept whole in a snapshot.
SMALL_TABLE = 2000


def load_seed() -> None:
    call_command("seed", "--skip-geography", verbosity=0, stdout=io.StringIO())


def shared_data(build):
    """Turn `build()` (a function that creates records) into a fixture giving each test a
    deep copy of what `build()` returned, its records being in the database.

    `build()` runs once for the tests that use the fixture one after another, in a layer
    (see above), as Django's TestCase.setUpTestData does: each test still writes and rolls
    back on its own, and gets its own copy of the Python objects. For rolled-back tests only
    (a committed test fails). The fixture's name is the function's.
    """

    def fixture(db, request):
        return copy.deepcopy(STATE.layer_value(request, fixture))

    fixture.__name__ = build.__name__
    fixture.__doc__ = build.__doc__
    fixture.shared_build = build
    return pytest.fixture(name=build.__name__)(fixture)


@dataclass(frozen=True)
class Need:
    """What one test needs of the database."""

    # "rollback" (Django's TestCase), "committed" (the browser tests: commit over a
    # baseline cleaned after each test), "flush" (pytest-django's transactional tests:
    # emptied after each) or "own" (a Django TestCase class, which manages its data).
    mode: str
    # The layers of a rolled-back test, in the order they are built: SEED_LAYER, then the
    # `build` functions of its `shared_data` fixtures.
    layers: tuple = ()
    # The committed data of a committed test (GEOGRAPHY or SEED).
    committed: str = GEOGRAPHY


@dataclass
class TableState:
    """One table in a snapshot: its rows when it is small (all but the geography's), else
    enough to delete the rows added since: its largest integer key, or its keys."""

    table: str
    model: object  # None for a table without a model (the cache's)
    key: str
    count: int
    rows: list | None = None
    largest: object = None
    keys: set | None = None


class DatabaseState:
    def __init__(self):
        self.committed = UNKNOWN
        self.snapshots: dict[str, list[TableState]] = {}
        self.layer_key: tuple = ()
        self.layer_atomic = None
        self.layer_values: dict = {}
        self.prepared_for: str | None = None
        self.blocker = None  # pytest-django's django_db_blocker
        self.started = False
        self._tables: list[tuple] | None = None
        # What load_test_geography() wrote into an emptied database, [(model, rows)], to
        # write the same rows back the next time.
        self.geography: list[tuple] | None = None

    # --- Per test --------------------------------------------------------------------------

    def before_setup(self, layers: tuple | None) -> None:
        """Before the fixtures of the next test are set up: close the layer unless that test
        is rolled back over the same `layers` (None: it is not rolled back).

        Not later, in prepare(): a fixture may start Playwright first, whose event loop gives
        the main thread other database connections (Django keeps them per asyncio context
        while a loop runs), where the layer's transaction is out of reach.
        """
        if self.layer_atomic is None:
            return
        if layers is not None and self._layers_over(self.committed, layers) == self.layer_key:
            return
        with self.blocker.unblock():
            self._close_layer()

    def prepare(self, item, need: Need, blocker) -> None:
        """Make the database hold what `item` needs, before its own transaction starts."""
        self.blocker = blocker
        with blocker.unblock():
            self._recover_broken_layer()
            self._check_layer()
            if not self.started:
                # The first test of this process: django_db_setup left the geography.
                self._snapshot(GEOGRAPHY)
                self.committed, self.started = GEOGRAPHY, True
            if need.mode == "rollback":
                self._prepare_rollback(need)
            else:
                self._close_layer()
                if need.mode == "committed":
                    self._commit(need.committed)
                else:
                    # pytest-django empties the database after the test (or the TestCase
                    # class manages it): none of our data must remain in it, and what
                    # remains after is unknown. Like every test, it starts with the
                    # geography, which the transactional test before it may have emptied.
                    if self.committed == UNKNOWN:
                        self._commit(GEOGRAPHY)
                    elif self.committed == SEED:
                        self._restore(GEOGRAPHY)
                    self.committed = UNKNOWN
                    self.snapshots.clear()
        self.prepared_for = item.nodeid

    def after_committed_test(self, blocker) -> None:
        """Put the baseline back as it was before a committed test, and close the database
        connections as pytest-django does after a transactional test (the main thread's
        are not the same while Playwright's event loop runs: see before_setup)."""
        with blocker.unblock():
            self._restore(self.committed)
            connections.close_all()

    def close(self, blocker) -> None:
        """At the end of the session: nothing of ours stays (a database kept with
        --reuse-db starts the next run with the geography only)."""
        with blocker.unblock():
            self._close_layer()
            if self.committed == SEED:
                self._restore(GEOGRAPHY)

    # --- What the fixtures ask ---------------------------------------------------------------

    def holds_seed(self, item) -> bool:
        """Whether the seed data is in the database for `item` (a layer or committed)."""
        self._check_prepared(item)
        return self.committed == SEED or SEED_LAYER in self.layer_key

    def layer_value(self, request, fixture):
        self._check_prepared(request.node)
        build = fixture.shared_build
        if build not in self.layer_key:
            raise RuntimeError(
                f"{build.__name__}: shared data is for tests rolled back at the end, not for "
                "transactional ones (transaction=True, live_server…)."
            )
        return self.layer_values[build]

    def _check_prepared(self, item) -> None:
        if self.prepared_for != item.nodeid:
            raise RuntimeError(
                "The test database was not prepared for this test: tests/conftest.py's "
                "pytest_fixture_setup hook did not see pytest-django's _django_db_helper "
                "fixture (renamed by a new pytest-django?). See tests/dbstate.py."
            )

    # --- Layers ----------------------------------------------------------------------------

    @staticmethod
    def _layers_over(committed: str, layers: tuple) -> tuple:
        """The layers to build over the committed data: not the seed data's if committed."""
        return tuple(layer for layer in layers if not (layer == SEED_LAYER and committed == SEED))

    def _prepare_rollback(self, need: Need) -> None:
        committed = SEED if self.committed == SEED and SEED_LAYER in need.layers else GEOGRAPHY
        layers = self._layers_over(committed, need.layers)
        if (committed, layers) == (self.committed, self.layer_key):
            return
        self._close_layer()
        self._commit(committed)
        if layers:
            atomic = transaction.atomic()
            # Like the class-wide transaction of Django's TestCase: a durable atomic block
            # may run inside (the test's own transaction comes in between anyway).
            atomic._from_testcase = True
            atomic.__enter__()
            self.layer_atomic, self.layer_key = atomic, layers
            for layer in layers:
                if layer == SEED_LAYER:
                    load_seed()
                else:
                    self.layer_values[layer] = layer()

    def _recover_broken_layer(self) -> None:
        """A test that broke the connection under the layer (closed it, or left an error in
        its transaction that no savepoint of its own rolled back) must not fail every test
        after it: the layer's transaction is rolled back (by PostgreSQL itself when the
        connection is gone) and built again for the next test, which is said on stderr."""
        if self.layer_atomic is None or connection.atomic_blocks[-1:] != [self.layer_atomic]:
            return
        usable = connection.connection is not None and connection.is_usable()
        if usable and not connection.needs_rollback:
            return
        sys.stderr.write(
            f"tests/dbstate: the shared data's transaction was broken after "
            f"{self.prepared_for}; it is built again.\n"
        )
        try:
            self.layer_atomic.__exit__(DatabaseError, DatabaseError("broken"), None)
        except DatabaseError:
            connection.close()
        self.layer_atomic, self.layer_key = None, ()
        self.layer_values.clear()

    def _check_layer(self) -> None:
        """The layer's transaction must still be the innermost one, between tests."""
        if self.layer_atomic is None:
            return
        if not connection.atomic_blocks or connection.atomic_blocks[-1] is not self.layer_atomic:
            where = "not the innermost" if self.layer_atomic in connection.atomic_blocks else "gone"
            raise RuntimeError(
                f"After {self.prepared_for}, the transaction of the shared test data is {where} "
                f"({len(connection.atomic_blocks)} atomic blocks): was the connection closed, "
                "a transaction left open, or an asyncio event loop started?"
            )

    def _close_layer(self) -> None:
        if self.layer_atomic is None:
            return
        self._check_layer()
        transaction.set_rollback(True)
        self.layer_atomic.__exit__(None, None, None)
        self.layer_atomic, self.layer_key, self.layer_values = None, (), {}

    # --- Committed data --------------------------------------------------------------------

    def _commit(self, wanted: str) -> None:
        """Make the committed data the geography, or the geography and the seed data."""
        if self.committed == wanted:
            return
        if self.committed == UNKNOWN:
            # Emptied by a transactional test: the geography again (idempotent, should that
            # test have loaded it).
            with transaction.atomic():
                self._load_geography()
            self._snapshot(GEOGRAPHY)
            self.committed = GEOGRAPHY
        if wanted == GEOGRAPHY and self.committed == SEED:
            self._restore(GEOGRAPHY)
        elif wanted == SEED and self.committed == GEOGRAPHY:
            with transaction.atomic():
                load_seed()
            self._snapshot(SEED)
        self.committed = wanted

    def _load_geography(self) -> None:
        """The geography, into a database a transactional test emptied: imported the first
        time (2 s), then the rows it wrote then written back (a fraction of it) while the
        tables it wrote are empty (else imported again)."""
        if self.geography is not None:
            with connection.cursor() as cursor:
                if not any(
                    self._count(cursor, model._meta.db_table) for model, _ in self.geography
                ):
                    for model, rows in self.geography:
                        self._insert(cursor, model, rows)
                        if self._count(cursor, model._meta.db_table) != len(rows):
                            raise RuntimeError(f"The geography's {model.__name__} not restored.")
                    # Sequences past the keys written (a test may have reset them).
                    models = [model for model, _rows in self.geography]
                    for sql in connection.ops.sequence_reset_sql(no_style(), models):
                        cursor.execute(sql)
                    return
        with connection.cursor() as cursor:
            before = {table: self._count(cursor, table) for table, *_ in self.tables()}
        load_test_geography()
        with connection.cursor() as cursor:
            added = [
                (table, model)
                for table, model, _key, _integer in self.tables()
                if self._count(cursor, table) != before[table]
            ]
        # Kept when every table it wrote was empty and has a model to read it by.
        if all(model is not None and before[table] == 0 for table, model in added):
            self.geography = [(model, self._rows(model)) for _table, model in added]

    def _restore(self, name: str) -> None:
        """Put the tables back as in the snapshot `name`: a small table whose rows differ
        gets the snapshot's rows again; from the others, the rows added since are deleted.
        If rows of a large table are gone (or were added with smaller keys), the database is
        emptied and built again."""
        quote = connection.ops.quote_name
        changed = []
        with transaction.atomic(), connection.cursor() as cursor:
            # Foreign keys are checked at the commit (deferred), when every table is back.
            for state in self.snapshots[name]:
                table = quote(state.table)
                if state.rows is not None:
                    if self._rows(state.model) != state.rows:
                        cursor.execute(f"DELETE FROM {table}")
                        self._insert(cursor, state.model, state.rows)
                    continue
                if state.keys is not None:
                    cursor.execute(f"SELECT {quote(state.key)} FROM {table}")
                    extra = [row[0] for row in cursor.fetchall() if row[0] not in state.keys]
                    for start in range(0, len(extra), 500):
                        batch = extra[start : start + 500]
                        marks = ", ".join(["%s"] * len(batch))
                        cursor.execute(
                            f"DELETE FROM {table} WHERE {quote(state.key)} IN ({marks})", batch
                        )
                elif state.largest is None:
                    cursor.execute(f"DELETE FROM {table}")
                else:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE {quote(state.key)} > %s", [state.largest]
                    )
                if state.model is not None and self._count(cursor, state.table) != state.count:
                    changed.append(state.table)
        if self.committed == SEED and name == GEOGRAPHY:
            self.snapshots.pop(SEED, None)
        self.committed = name
        if changed:
            self._empty_database()
            self.committed, self.snapshots = UNKNOWN, {}
            self._commit(name)

    def _snapshot(self, name: str) -> None:
        quote = connection.ops.quote_name
        states = []
        with connection.cursor() as cursor:
            for table, model, key, integer in self.tables():
                state = TableState(table, model, key, self._count(cursor, table))
                if model is not None and state.count <= SMALL_TABLE:
                    state.rows = self._rows(model)
                elif integer:
                    cursor.execute(f"SELECT MAX({quote(key)}) FROM {quote(table)}")
                    state.largest = cursor.fetchone()[0]
                else:
                    cursor.execute(f"SELECT {quote(key)} FROM {quote(table)}")
                    state.keys = {row[0] for row in cursor.fetchall()}
                states.append(state)
        self.snapshots[name] = states

    @staticmethod
    def _rows(model) -> list[tuple]:
        fields = [field.attname for field in model._meta.concrete_fields]
        return list(model._base_manager.order_by("pk").values_list(*fields))

    @staticmethod
    def _insert(cursor, model, rows: list[tuple]) -> None:
        """Write rows read by _rows() back as they were (no save(): no signal, no auto_now);
        by COPY on PostgreSQL (the geography's rows: 1.3 to 1.5 s by INSERTs, 0.4 s so)."""
        if not rows:
            return
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in fields)
        values = (
            [
                field.get_db_prep_save(value, connection)
                for field, value in zip(fields, row, strict=True)
            ]
            for row in rows
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values))

    def _empty_database(self) -> None:
        """Empty every table, as pytest-django does after a transactional test."""
        call_command("flush", interactive=False, verbosity=0)

    @staticmethod
    def _count(cursor, table: str) -> int:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]

    def tables(self) -> list[tuple]:
        """(table, model or None, primary key column, whether the key is an integer) of
        every table but Django's record of the migrations."""
        if self._tables is None:
            models = {
                model._meta.db_table: model
                for model in apps.get_models(include_auto_created=True)
                if model._meta.managed and not model._meta.proxy
            }
            tables = []
            with connection.cursor() as cursor:
                for table in connection.introspection.table_names(cursor):
                    if table in KEPT_TABLES:
                        continue
                    model = models.get(table)
                    if model is not None:
                        pk = model._meta.pk
                        integer = pk.get_internal_type() in INTEGER_KEYS
                        tables.append((table, model, pk.column, integer))
                    else:
                        key = connection.introspection.get_primary_key_column(cursor, table)
                        if key is None:
                            raise RuntimeError(f"Table {table} has no primary key.")
                        tables.append((table, None, key, False))
            self._tables = tables
        return self._tables


STATE = DatabaseState()
