import pytest
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
    # The count, the page's keys, then its rows by key: no statement repeats the filter.
    assert len(queries.captured_queries) == 3
    assert not any("never" in str(q["sql"]) for q in queries.captured_queries)
