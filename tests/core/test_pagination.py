import pytest

from core.pagination import counted_rows, with_total
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
