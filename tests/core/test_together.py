import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.statements import Statement, querysets_together
from core.together import Composed, read_together, rows_together
from territories.models import Action, Collectivite, KeyFigure, Scheme
from tests.core.statement_builds import of_collectivite
from tests.factories import CollectiviteFactory, SchemeFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def names_of(*, collectivite_id: int):
    return Scheme.objects.filter(collectivite_id=collectivite_id).order_by("name").values("name")


def collectivites_of(*, ids: list[int]):
    # A path of kept relations (actions, then their themes), a reverse foreign key, and a
    # lookup through a forward foreign key, which Django runs.
    return (
        Collectivite.objects.filter(pk__in=ids)
        .prefetch_related("actions__themes", "key_figures", "schemes__collectivite")
        .order_by("name")
    )


def test_rows_together_give_each_statement_s_rows_in_one_round_trip(two_collectivites):
    first, second = two_collectivites
    schemes = Statement(of_collectivite, bound=("collectivite_id",))
    names = Statement(names_of, bound=("collectivite_id",))
    calls = [
        (schemes, {"collectivite_id": first.pk, "limit": 2}),
        (names, {"collectivite_id": second.pk}),
        (schemes, {"collectivite_id": 1_000_000, "limit": 2}),  # none
        # None is never bound: this one is built the ordinary way, on its own.
        (schemes, {"collectivite_id": None, "limit": 2}),
    ]
    alone = [statement.rows(**arguments) for statement, arguments in calls]

    with CaptureQueriesContext(connection) as queries:
        together = rows_together(*calls)

    assert together == alone
    assert [scheme.name for scheme in together[0]] == ["Statement A", "Statement B"]
    assert together[0][0].collectivite.name == first.name  # select_related, read together
    assert together[1] == [{"name": "Statement D"}]
    assert together[2] == together[3] == []
    # The three kept statements in one round trip (prepared by the calls alone: EXECUTEs,
    # core.prepared), the one not kept, then the themes of the first (its prefetch); SQLite
    # runs each on its own (3 + 1 + 1).
    sent = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(sent) == 3
        assert sent[0].count("EXECUTE essdir_") == 3
    else:
        assert len(sent) == 5


def test_rows_together_of_nothing_or_one_statement():
    assert rows_together() == []
    statement = Statement(names_of, bound=("collectivite_id",))
    assert rows_together((statement, {"collectivite_id": 1_000_000})) == [[]]


def _prefetched(collectivites: list) -> list:
    return [
        (
            collectivite.name,
            [
                (action.title, sorted(theme.name for theme in action.themes.all()))
                for action in collectivite.actions.all()
            ],
            [figure.value for figure in collectivite.key_figures.all()],
            sorted(scheme.name for scheme in collectivite.schemes.all()),
            all(action.collectivite is collectivite for action in collectivite.actions.all()),
        )
        for collectivite in collectivites
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_the_lists_prefetches_are_read_together_level_by_level(count, django_assert_num_queries):
    economy, culture = ThemeFactory(name="Économie"), ThemeFactory(name="Culture")
    keys = {"North": [], "South": []}
    for prefix, ids in keys.items():
        for number in range(count):
            collectivite = CollectiviteFactory(name=f"{prefix} {number}")
            ids.append(collectivite.pk)
            for order in range(number + 1):
                action = Action.objects.create(
                    collectivite=collectivite, title=f"{prefix} {number}.{order}", order=order
                )
                action.themes.set([economy, culture][: order % 2 + 1])
            KeyFigure.objects.create(collectivite=collectivite, value=f"{prefix}{number}")
            SchemeFactory(name=f"Scheme of {prefix} {number}", collectivite=collectivite)
    statement = Statement(collectivites_of, bound=("ids",))
    calls = [(statement, {"ids": keys["North"]}), (statement, {"ids": keys["South"]})]
    alone = [_prefetched(statement.rows(**arguments)) for _statement, arguments in calls]

    # PostgreSQL: the two lists; their actions and key figures (4 statements); the
    # actions' themes (2); Django's schemes, list by list (2; their collectivité is the
    # record they hang from). SQLite: each of those 2 + 4 + 2 + 2 on its own.
    expected = 1 + 1 + 1 + 2 if connection.vendor == "postgresql" else 2 + 4 + 2 + 2
    with django_assert_num_queries(expected):
        together = rows_together(*calls)
        seen = [_prefetched(rows) for rows in together]

    assert seen == alone
    assert seen[1][-1] == (
        f"South {count - 1}",
        [
            (
                f"South {count - 1}.{order}",
                ["Économie"] if order % 2 == 0 else ["Culture", "Économie"],
            )
            for order in range(count)
        ],
        [f"South{count - 1}"],
        [f"Scheme of South {count - 1}"],
        True,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs them one by one")
def test_rows_together_with_server_side_binding(two_collectivites, monkeypatch):
    # An operator may turn on psycopg's server-side binding (OPTIONS): a query string
    # without parameters still runs its statements in one round trip.
    import psycopg

    first, second = two_collectivites
    names = Statement(names_of, bound=("collectivite_id",))
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "cursor_factory", psycopg.Cursor)

    with CaptureQueriesContext(connection) as queries:
        together = rows_together(
            (names, {"collectivite_id": first.pk}), (names, {"collectivite_id": second.pk})
        )

    assert together == [
        [{"name": "Statement A"}, {"name": "Statement B"}, {"name": "Statement C"}],
        [{"name": "Statement D"}],
    ]
    assert len(queries.captured_queries) == 1


def test_read_together_gives_each_read_by_name_in_one_round_trip(two_collectivites):
    first, second = two_collectivites
    names = Statement(names_of, bound=("collectivite_id",))
    built = []

    def count_both(first_rows: list, second_rows: list) -> tuple[int, int]:
        built.append((first_rows, second_rows))
        return len(first_rows), len(second_rows)

    composed = Composed(
        ((names, {"collectivite_id": first.pk}), (names, {"collectivite_id": second.pk})),
        count_both,
    )

    with CaptureQueriesContext(connection) as queries:
        found = read_together(second=(names, {"collectivite_id": second.pk}), both=composed)

    assert found == {"second": [{"name": "Statement D"}], "both": (3, 1)}
    # The composed read's builder receives its own rows, in the order of its calls.
    assert built == [
        (
            [{"name": "Statement A"}, {"name": "Statement B"}, {"name": "Statement C"}],
            [{"name": "Statement D"}],
        )
    ]
    # Its three statements in one round trip on PostgreSQL; SQLite runs each on its own.
    expected = 1 if connection.vendor == "postgresql" else 3
    assert len(queries.captured_queries) == expected


def test_read_together_of_nothing():
    assert read_together() == {}


@pytest.mark.parametrize("count", [1, 3])
def test_a_read_record_s_prefetches_come_with_the_reads_own(count, django_assert_num_queries):
    economy = ThemeFactory(name="Économie")
    record = CollectiviteFactory(name="Record")
    for order in range(count):
        action = Action.objects.create(collectivite=record, title=f"Action {order}", order=order)
        action.themes.set([economy])
    KeyFigure.objects.create(collectivite=record, value="42")
    SchemeFactory(name="Scheme of the record", collectivite=record)
    statement = Statement(collectivites_of, bound=("ids",))
    expected = _prefetched(statement.rows(ids=[record.pk]))
    # The record read alone, its prefetches not run (core.views.KeptObjectMixin).
    pending = querysets_together((statement, {"ids": [record.pk]}))[0]
    names = Statement(names_of, bound=("collectivite_id",))

    # PostgreSQL: the read; the record's actions, key figures with the read's own level
    # (none here) in one; the actions' themes; Django's schemes. SQLite: each on its own.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 5):
        found = read_together(prefetching=[pending], names=(names, {"collectivite_id": record.pk}))
        seen = _prefetched(pending._result_cache)

    assert found == {"names": [{"name": "Scheme of the record"}]}
    assert seen == expected
    assert seen[0][1] == [(f"Action {order}", ["Économie"]) for order in range(count)]
