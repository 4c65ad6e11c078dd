import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import BoundedPaginator, counted_rows, with_total
from territories.models import Scheme
from tests.factories import SchemeFactory

pytestmark = pytest.mark.django_db


def schemes():
    return Scheme.objects.filter(name__startswith="Pagination ").order_by("name")


def test_counted_rows_of_an_empty_list_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert with_total(list(counted_rows(schemes(), 2))) == ([], 0)


@pytest.mark.parametrize("count", [1, 3])
def test_counted_rows_gives_the_first_rows_and_the_whole_count_in_one_query(
    count, django_assert_num_queries
):
    for number in range(count):
        SchemeFactory(name=f"Pagination {number}")

    with django_assert_num_queries(1):
        rows, total = with_total(list(counted_rows(schemes(), 2)))

    assert [scheme.name for scheme in rows] == [f"Pagination {n}" for n in range(min(count, 2))]
    assert total == count


@pytest.mark.parametrize("count", [1, 3])
def test_a_page_of_keys_reads_its_rows_by_key_in_the_keys_order(count):
    made = [SchemeFactory(name=f"Pagination {number}") for number in range(count)]
    # The keys in their own order (here the reverse of the names'), as a list's index
    # gives them; the rows' source says nothing of the list's filter.
    keys = Scheme.objects.filter(pk__in=[s.pk for s in made]).order_by("-name")
    paginator = BoundedPaginator(
        schemes().filter(summary="never"),  # the list's filters, which the keys went through
        2,
        keys=keys.values_list("pk", flat=True),
        by_key=Scheme.objects.all(),
    )

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(1)

    expected = [f"Pagination {n}" for n in reversed(range(count))][:2]
    assert [scheme.name for scheme in page.object_list] == expected
    assert paginator.count == count
    # The keys (up to EXACT_COUNT_UP_TO and one more), counted and the page's taken from
    # them, then its rows by key: no statement repeats the filter.
    assert len(queries.captured_queries) == 2
    assert not any("never" in str(q["sql"]) for q in queries.captured_queries)


def keys_paginator(count: int, per_page: int = 2) -> BoundedPaginator:
    for number in range(count):
        SchemeFactory(name=f"Pagination {number}")
    return BoundedPaginator(
        schemes(), per_page, keys=schemes().values_list("pk", flat=True), by_key=Scheme.objects
    )


def test_keys_past_the_exact_count_read_the_page_once_then_count_on(settings):
    settings.EXACT_COUNT_UP_TO = 2
    paginator = keys_paginator(5)

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(1)

    assert [scheme.name for scheme in page] == ["Pagination 0", "Pagination 1"]
    assert (paginator.count, paginator.truncated) == (5, False)
    sent = [query["sql"] for query in queries.captured_queries]
    # The first three keys (more than the bound: the count goes on, the planner's estimate
    # then the count up to max_results, PostgreSQL's only), then the page's rows by key:
    # neither its keys nor the count up to the bound are read again.
    assert len(sent) == (4 if connection.vendor == "postgresql" else 3)
    assert sent[0].endswith("LIMIT 3")
    assert sum("COUNT(*)" in sql for sql in sent) == 1


def test_keys_of_a_page_past_the_exact_count_are_read_for_it(settings):
    settings.EXACT_COUNT_UP_TO = 2
    paginator = keys_paginator(5)

    assert [scheme.name for scheme in paginator.page(3)] == ["Pagination 4"]
    with pytest.raises(EmptyPage):
        paginator.page(4)
    with pytest.raises(PageNotAnInteger):
        paginator.page("deux")


def test_keys_of_an_empty_list():
    assert [scheme.name for scheme in keys_paginator(0).page(1)] == []
    with pytest.raises(EmptyPage):
        keys_paginator(0).page(2)


def counted_paginator(count: int, per_page: int = 2) -> BoundedPaginator:
    for number in range(count):
        SchemeFactory(name=f"Pagination {number}")
    return BoundedPaginator(
        schemes(),
        per_page,
        keys=schemes().values_list("pk", flat=True),
        by_key=Scheme.objects.all(),
        keys_counted=True,
    )


@pytest.mark.parametrize("count", [1, 3])
def test_counted_keys_give_the_page_and_the_count_of_all_in_one_statement(
    count, django_assert_num_queries
):
    paginator = counted_paginator(count)

    # The page's keys with the count of all, then the page's rows: no count of its own.
    with django_assert_num_queries(2):
        page = paginator.page(1)
        assert paginator.count == count

    assert [scheme.name for scheme in page] == [f"Pagination {n}" for n in range(min(count, 2))]
    assert (paginator.num_pages, paginator.truncated) == ((count + 1) // 2, False)


def test_counted_keys_last_page_and_pages_past_the_end():
    assert [s.name for s in counted_paginator(3).page("2")] == ["Pagination 2"]
    with pytest.raises(EmptyPage):
        counted_paginator(0).page(3)  # past the end: no keys, counted the ordinary way


@pytest.mark.parametrize("number", ["abc", "1.5", None])
def test_counted_keys_refuse_what_is_no_page_number(number):
    with pytest.raises(PageNotAnInteger):
        counted_paginator(3).page(number)


def test_counted_keys_stop_at_the_most_results_listed(monkeypatch):
    monkeypatch.setattr(BoundedPaginator, "max_results", 2)
    paginator = counted_paginator(3, per_page=1)

    assert [s.name for s in paginator.page(2)] == ["Pagination 1"]
    assert (paginator.count, paginator.truncated) == (2, True)
    with pytest.raises(EmptyPage):
        counted_paginator(0, per_page=1).page(3)


@pytest.mark.parametrize(("count", "expected"), [(3, (3, False)), (5, (4, True))])
def test_a_list_counted_up_to_its_bound_at_once(settings, monkeypatch, count, expected):
    # A list whose rows are few by nature (the agenda's) is counted up to max_results in one
    # statement, neither counted to EXACT_COUNT_UP_TO first nor estimated by the planner.
    settings.EXACT_COUNT_UP_TO = 2
    monkeypatch.setattr(BoundedPaginator, "max_results", 4)
    for number in range(count):
        SchemeFactory(name=f"Pagination {number}")
    paginator = BoundedPaginator(schemes(), 2, exact_up_to=4)

    with CaptureQueriesContext(connection) as queries:
        counted = (paginator.count, paginator.truncated)

    assert counted == expected
    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].endswith("LIMIT 5) subquery")
    assert paginator.num_pages == 2
