"""core.prepared: kept statements prepared on each PostgreSQL connection, planned once
where they declare one plan serves every value."""

import datetime

import pytest
from django.db import DataError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import prepared
from core.statements import Statement
from core.together import rows_together
from tests.core.statement_builds import divided, listed, named, of_collectivite, unpreparable
from tests.factories import SchemeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
)

START = datetime.date(2026, 3, 1)


def _plans(statement: Statement, arguments: dict) -> tuple[int, int]:
    # (generic plans, custom plans) PostgreSQL counted for the statement on this connection.
    compiled, _params = statement._kept_for(arguments)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [compiled.preparation.name],
        )
        found = cursor.fetchall()
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def schemes(two_collectivites):
    first, _second = two_collectivites
    for name, closes_on in [("Prepared A", START), ("Prepared B", None), ("Prepared C", START)]:
        SchemeFactory(name=name, collectivite=first, closes_on=closes_on)
    return first


@pytest.mark.django_db
def test_a_generic_statement_is_planned_once_for_every_value(schemes):
    statement = Statement(named, bound=("collectivite_id", "name", "start"), generic_plan=True)
    arguments = {"collectivite_id": schemes.pk, "name": "Prepared", "start": START}
    other = {"collectivite_id": schemes.pk, "name": "Prepared B", "start": START}

    with CaptureQueriesContext(connection) as queries:
        first = statement.rows(**arguments)
    assert first == ["Prepared A", "Prepared C"]
    # Prepared and run in one round trip; its constants written in, its values bound.
    (sent,) = [query["sql"] for query in queries.captured_queries]
    assert sent.count("PREPARE essdir_") == 1
    assert "'published'" in sent.split(" AS ", 1)[1]
    assert "EXECUTE essdir_" in sent

    with CaptureQueriesContext(connection) as queries:
        again = statement.rows(**other)
    assert again == ["Prepared C"]
    (sent,) = [query["sql"] for query in queries.captured_queries]
    assert "PREPARE" not in sent
    assert _plans(statement, arguments) == (2, 0)


@pytest.mark.django_db
def test_a_statement_of_values_shaping_its_plan_is_planned_for_each(schemes):
    statement = Statement(named, bound=("collectivite_id", "name", "start"))
    for name in ["Prepared", "Prepared B", "Prepared"]:
        statement.rows(collectivite_id=schemes.pk, name=name, start=START)
    generic, custom = _plans(statement, {"collectivite_id": 1, "name": "x", "start": START})
    assert (generic, custom) == (0, 3)


@pytest.mark.django_db
def test_prepared_rows_are_those_of_the_ordinary_query(schemes, two_collectivites):
    _first, second = two_collectivites
    calls = [
        (
            Statement(of_collectivite, bound=("collectivite_id",)),
            {"collectivite_id": schemes.pk, "limit": 4},
        ),
        (
            Statement(named, bound=("collectivite_id", "name", "start"), generic_plan=True),
            {"collectivite_id": schemes.pk, "name": "Prepared B", "start": START},
        ),
        (
            Statement(of_collectivite, bound=("collectivite_id",)),
            {"collectivite_id": second.pk, "limit": 4},
        ),
    ]
    with (
        override_settings(DATABASE_PREPARED_STATEMENTS=False),
        CaptureQueriesContext(connection) as queries,
    ):
        unprepared = rows_together(*calls)
    assert "EXECUTE" not in queries.captured_queries[0]["sql"]
    prepared = rows_together(*calls)
    assert prepared == unprepared
    assert [scheme.name for scheme in prepared[0]] == [
        "Prepared A",
        "Prepared B",
        "Prepared C",
        "Statement A",
    ]
    assert prepared[1] == ["Prepared C"]
    assert [scheme.name for scheme in prepared[2]] == ["Statement D"]


@pytest.mark.django_db
def test_the_session_s_plan_mode_is_left_as_it_was(schemes):
    statement = Statement(named, bound=("collectivite_id", "name", "start"), generic_plan=True)
    statement.rows(collectivite_id=schemes.pk, name="Prepared", start=START)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)


@pytest.mark.django_db
def test_a_statement_postgresql_refuses_to_prepare_is_sent_as_it_is_in_a_transaction(schemes):
    statement = Statement(unpreparable, bound=("name",))
    assert connection.in_atomic_block
    assert statement.rows(name="Prepared A") == [("Prepared A", False)]
    compiled, _params = statement._kept_for({"name": "Prepared A"})
    assert compiled.preparation.refused
    # The transaction the page runs in goes on.
    assert statement.rows(name="Prepared C") == [("Prepared C", False)]
    assert list(schemes.schemes.order_by("name").values_list("name", flat=True)[:1]) == [
        "Prepared A"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_refuses_to_prepare_is_sent_as_it_is_in_autocommit(
    two_collectivites,
):
    first, _second = two_collectivites
    statement = Statement(unpreparable, bound=("name",))
    good = Statement(named, bound=("collectivite_id", "name", "start"), generic_plan=True)
    assert not connection.in_atomic_block
    found = rows_together(
        (good, {"collectivite_id": first.pk, "name": "Statement", "start": START}),
        (statement, {"name": "Statement B"}),
    )
    assert found == [[], [("Statement B", False)]]
    # The good one was prepared (before, or after the refusal was found): executed now.
    with CaptureQueriesContext(connection) as queries:
        assert good.rows(collectivite_id=first.pk, name="Statement", start=START) == []
    assert "PREPARE" not in queries.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(two_collectivites):
    first, _second = two_collectivites
    statement = Statement(of_collectivite, bound=("collectivite_id",), generic_plan=True)
    assert [s.name for s in statement.rows(collectivite_id=first.pk, limit=1)] == ["Statement A"]
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        rows = statement.rows(collectivite_id=first.pk, limit=1)
    assert [scheme.name for scheme in rows] == ["Statement A"]
    assert "PREPARE essdir_" in queries.captured_queries[0]["sql"]


@pytest.mark.parametrize("in_transaction", [True, False])
@pytest.mark.django_db(transaction=True)
def test_a_statement_failing_as_it_runs_raises_its_own_error(two_collectivites, in_transaction):
    first, _second = two_collectivites
    statement = Statement(divided, bound=("collectivite_id", "divisor"))
    assert statement.rows(collectivite_id=first.pk, divisor=2) == [0, 0, 0]
    failing = Statement(divided, bound=("collectivite_id", "divisor"), generic_plan=True)
    if in_transaction:
        with pytest.raises(DataError, match="division by zero"), transaction.atomic():
            failing.rows(collectivite_id=first.pk, divisor=0)
    else:
        with pytest.raises(DataError, match="division by zero"):
            failing.rows(collectivite_id=first.pk, divisor=0)
    compiled, _params = failing._kept_for({"collectivite_id": first.pk, "divisor": 0})
    assert not compiled.preparation.refused
    assert failing.rows(collectivite_id=first.pk, divisor=3) == [0, 0, 0]


@pytest.mark.django_db
def test_a_connection_holds_a_bounded_number_of_prepared_statements(monkeypatch, schemes):
    monkeypatch.setattr(prepared, "MAX_PREPARED", 3)
    statement = Statement(named, bound=("collectivite_id", "name", "start"), generic_plan=True)
    for size in range(1, 6):  # five statements: one per shape (a list's length)
        names = [f"Prepared {letter}" for letter in "ABCDE"[:size]]
        rows_together((statement, {"collectivite_id": schemes.pk, "name": "P", "start": START}))
        rows = Statement(listed, bound=("names",), generic_plan=True).rows(names=names)
        assert rows == sorted(set(names) & {"Prepared A", "Prepared B", "Prepared C"})
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone()[0] <= 3
