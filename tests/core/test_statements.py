import datetime

import pytest
from django.test import override_settings
from django.utils import translation

from core.statements import Statement, StatementMismatch
from territories.models import Scheme
from tests.core.statement_builds import of_collectivite

pytestmark = pytest.mark.django_db


class Counting:
    """A statement's build function that counts how often the queryset is built."""

    def __init__(self, build):
        self.build, self.calls = build, 0
        self.__qualname__ = build.__name__

    def __call__(self, **arguments):
        self.calls += 1
        return self.build(**arguments)


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
