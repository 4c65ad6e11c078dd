import datetime

import pytest
from django.test import override_settings
from django.utils import translation

from core.statements import Statement, StatementMismatch
from territories.models import Collectivite, Scheme
from tests.factories import CollectiviteFactory, SchemeFactory

pytestmark = pytest.mark.django_db


class Counting:
    """A statement's build function that counts how often the queryset is built."""

    def __init__(self, build):
        self.build, self.calls = build, 0
        self.__qualname__ = build.__name__

    def __call__(self, **arguments):
        self.calls += 1
        return self.build(**arguments)


def of_collectivite(*, collectivite_id: int, limit: int):
    return (
        Scheme.objects.filter(collectivite_id=collectivite_id)
        .select_related("collectivite")
        .prefetch_related("themes")
        .order_by("name")[:limit]
    )


@pytest.fixture
def two_collectivites():
    first, second = CollectiviteFactory(), CollectiviteFactory()
    for name in ["Statement B", "Statement A", "Statement C"]:
        SchemeFactory(name=name, collectivite=first)
    SchemeFactory(name="Statement D", collectivite=second)
    return first, second


@override_settings(STATEMENTS_CHECKED=False)
def test_a_statement_is_built_once_then_runs_with_each_calls_values(
    two_collectivites, django_assert_num_queries
):
    first, second = two_collectivites
    build = Counting(of_collectivite)
    statement = Statement(build, bound=("collectivite_id",))

    with django_assert_num_queries(2):  # the rows, then their themes (the prefetch)
        rows = statement.rows(collectivite_id=first.pk, limit=2)
    assert [scheme.name for scheme in rows] == ["Statement A", "Statement B"]
    assert rows[0].collectivite == first  # select_related, no query
    assert list(rows[0].themes.all()) == []

    with django_assert_num_queries(2):
        rows = statement.rows(collectivite_id=second.pk, limit=2)
    assert [scheme.name for scheme in rows] == ["Statement D"]
    assert rows[0].collectivite == second
    assert build.calls == 1  # the second call swapped the key in

    # A limit is written into the SQL: another limit is another statement.
    assert [s.name for s in statement.rows(collectivite_id=first.pk, limit=3)] == [
        "Statement A",
        "Statement B",
        "Statement C",
    ]
    assert build.calls == 2


@override_settings(STATEMENTS_CHECKED=False)
def test_values_rows_and_dates_are_swapped_in(two_collectivites):
    first, _second = two_collectivites
    Scheme.objects.filter(name="Statement A").update(closes_on=datetime.date(2026, 1, 31))
    Scheme.objects.filter(name="Statement B").update(closes_on=datetime.date(2026, 6, 30))

    def ending_after(*, collectivite_id: int, day: datetime.date):
        return (
            Scheme.objects.filter(collectivite_id=collectivite_id, closes_on__gt=day)
            .order_by("closes_on")
            .values("name", "closes_on")
        )

    build = Counting(ending_after)
    statement = Statement(build, bound=("collectivite_id", "day"))
    assert statement.rows(collectivite_id=first.pk, day=datetime.date(2025, 12, 31)) == [
        {"name": "Statement A", "closes_on": datetime.date(2026, 1, 31)},
        {"name": "Statement B", "closes_on": datetime.date(2026, 6, 30)},
    ]
    assert statement.rows(collectivite_id=first.pk, day=datetime.date(2026, 2, 1)) == [
        {"name": "Statement B", "closes_on": datetime.date(2026, 6, 30)},
    ]
    assert build.calls == 1


@override_settings(STATEMENTS_CHECKED=False)
def test_values_that_shape_the_sql_are_never_swapped(two_collectivites):
    first, _second = two_collectivites

    def named(*, word: str):
        return Scheme.objects.filter(name__contains=word).order_by("name").values_list("name")

    build = Counting(named)
    statement = Statement(build, bound=("word",))
    # A word in a LIKE is wrapped in %…%: the statement is not kept, each call builds.
    assert statement.rows(word="ment A") == [("Statement A",)]
    assert statement.rows(word="ment C") == [("Statement C",)]
    assert build.calls == 3  # the stand-in, then the two calls the ordinary way

    # None compiles to IS NULL: the ordinary way, never a kept statement.
    build = Counting(of_collectivite)
    statement = Statement(build, bound=("collectivite_id",))
    assert statement.rows(collectivite_id=None, limit=5) == []
    assert build.calls == 1
    assert [s.name for s in statement.rows(collectivite_id=first.pk, limit=1)] == ["Statement A"]


@override_settings(STATEMENTS_CHECKED=False)
def test_the_language_and_the_day_key_the_statement(two_collectivites):
    first, _second = two_collectivites
    build = Counting(of_collectivite)
    statement = Statement(build, bound=("collectivite_id",))
    statement.rows(collectivite_id=first.pk, limit=1)
    with translation.override("en"):
        statement.rows(collectivite_id=first.pk, limit=1)
    assert build.calls == 2


def test_a_statement_reading_outside_its_arguments_fails_when_checked(two_collectivites):
    first, _second = two_collectivites
    outside = {"from": "Statement A"}

    def careless(*, limit: int, collectivite_id: int):
        return Scheme.objects.filter(
            collectivite_id=collectivite_id, name__gte=outside["from"]
        ).order_by("name")[:limit]

    statement = Statement(careless, bound=("collectivite_id",))
    assert len(statement.rows(limit=2, collectivite_id=first.pk)) == 2
    outside["from"] = "Statement C"
    with pytest.raises(StatementMismatch):
        statement.rows(limit=2, collectivite_id=first.pk)


@override_settings(STATEMENTS_CHECKED=False)
def test_a_value_derived_from_an_argument_keeps_the_statement_unkept(two_collectivites):
    Scheme.objects.filter(name="Statement A").update(closes_on=datetime.date(2026, 3, 1))

    def closing_since_the_month_began(*, day: datetime.date):
        since = day.replace(day=1)
        return Scheme.objects.filter(closes_on__gte=since).values_list("name", flat=True)

    build = Counting(closing_since_the_month_began)
    statement = Statement(build, bound=("day",))
    assert statement.rows(day=datetime.date(2026, 3, 31)) == ["Statement A"]
    assert statement.rows(day=datetime.date(2026, 4, 30)) == []
    assert build.calls == 3  # the stand-in, then each call the ordinary way


@override_settings(STATEMENTS_CHECKED=False)
def test_a_list_binds_each_value_and_its_length_keys_the_statement(two_collectivites):
    first, second = two_collectivites

    def of_any(*, collectivite_ids: list[int]):
        return (
            Scheme.objects.filter(collectivite__in=collectivite_ids)
            .order_by("name")
            .values_list("name", flat=True)
        )

    build = Counting(of_any)
    statement = Statement(build, bound=("collectivite_ids",))
    both = ["Statement A", "Statement B", "Statement C", "Statement D"]
    assert statement.rows(collectivite_ids=[first.pk, second.pk]) == both
    assert statement.rows(collectivite_ids=[second.pk, first.pk]) == both
    assert statement.rows(collectivite_ids=[second.pk]) == ["Statement D"]
    assert build.calls == 2  # one statement of two values, one of one
    # Django writes a repeated value once: the ordinary way, whatever was kept.
    assert statement.rows(collectivite_ids=[second.pk, second.pk]) == ["Statement D"]
    assert build.calls == 3


@pytest.mark.parametrize("count", [1, 3])
def test_a_many_to_many_prefetch_runs_kept_and_gives_each_record_its_own(
    count, django_assert_num_queries
):
    from core.prefetches import _LEVELS
    from tests.factories import ThemeFactory

    themes = [ThemeFactory(name=name) for name in ["Économie", "Culture", "Vie associative"]]
    schemes = [SchemeFactory(name=f"Prefetch {n}") for n in range(count)]
    for number, scheme in enumerate(schemes):
        scheme.themes.set(themes[: number + 1])

    listed = Scheme.objects.filter(name__startswith="Prefetch ").order_by("name")
    with django_assert_num_queries(2):  # the schemes, then every one's themes
        rows = list(listed.prefetch_related("themes"))
        names = [[theme.name for theme in scheme.themes.all()] for scheme in rows]

    # Each its own themes, in French dictionary order (Theme's own order), as Django gives.
    assert (
        names
        == [["Économie"], ["Culture", "Économie"], ["Culture", "Économie", "Vie associative"]][
            :count
        ]
    )
    assert _LEVELS[(Scheme, "themes")] is not None  # the kept way was taken


def test_a_path_through_a_relation_django_runs_is_left_to_django():
    from core.prefetches import _split_prefetches

    # funders__collectivite goes through a forward foreign key, which is not kept: the
    # whole path goes to Django, with any other lookup through "funders".
    queryset = Scheme.objects.prefetch_related(
        "themes", "funders__collectivite", "funders", "sources"
    )
    kept, others = _split_prefetches(queryset)
    assert [[(level.name, deeper) for level, deeper in tree.items()] for tree in kept] == [
        [("themes", {})],
        [("sources", {})],
    ]
    assert others == ("funders__collectivite", "funders")


def test_a_path_of_kept_relations_is_one_tree_filled_level_by_level():
    from core.prefetches import _split_prefetches

    queryset = Collectivite.objects.prefetch_related("actions", "actions__themes", "key_figures")
    kept, others = _split_prefetches(queryset)
    assert others == ()
    assert [
        [(level.name, [deeper.name for deeper in below]) for level, below in tree.items()]
        for tree in kept
    ] == [[("actions", ["themes"])], [("key_figures", [])]]


@pytest.mark.parametrize("count", [1, 3])
def test_a_reverse_foreign_key_path_runs_kept_and_points_back_to_its_record(
    count, django_assert_num_queries
):
    from core.prefetches import _LEVELS
    from territories.models import Action, KeyFigure
    from tests.factories import ThemeFactory

    economy, culture = ThemeFactory(name="Économie"), ThemeFactory(name="Culture")
    collectivites = [CollectiviteFactory(name=f"Prefetch {n}") for n in range(count)]
    for number, collectivite in enumerate(collectivites):
        for order in range(number + 1):
            action = Action.objects.create(
                collectivite=collectivite, title=f"Action {number}.{order}", order=order
            )
            action.themes.set([economy, culture][: order + 1])
        KeyFigure.objects.create(collectivite=collectivite, value=str(number), label="lieux")

    listed = Collectivite.objects.filter(name__startswith="Prefetch ").order_by("name")
    # The collectivités, their actions, the actions' themes, their key figures.
    with django_assert_num_queries(4):
        rows = list(listed.prefetch_related("actions__themes", "key_figures"))
        seen = [
            (
                [
                    (action.title, [theme.name for theme in action.themes.all()])
                    for action in collectivite.actions.all()
                ],
                [figure.value for figure in collectivite.key_figures.all()],
                all(action.collectivite is collectivite for action in collectivite.actions.all()),
            )
            for collectivite in rows
        ]

    assert (
        seen
        == [
            ([("Action 0.0", ["Économie"])], ["0"], True),
            ([("Action 1.0", ["Économie"]), ("Action 1.1", ["Culture", "Économie"])], ["1"], True),
            (
                [
                    ("Action 2.0", ["Économie"]),
                    ("Action 2.1", ["Culture", "Économie"]),
                    ("Action 2.2", ["Culture", "Économie"]),
                ],
                ["2"],
                True,
            ),
        ][:count]
    )
    assert _LEVELS[(Collectivite, "actions")] is not None  # the kept way was taken
    # A further filter on the relation still asks the database, for this record only.
    assert [a.title for a in rows[-1].actions.filter(order__gte=1)] == [
        f"Action {count - 1}.{order}" for order in range(1, count)
    ]
