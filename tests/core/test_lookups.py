import pytest

from core.lookups import prefix_pattern
from territories.models import Territory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["toul", "saint-", "50%", "a_b", "back\\slash"])
def test_a_prefix_pattern_is_startswith_with_the_pattern_given(text):
    given = Territory.objects.filter(search_name__prefix_pattern=prefix_pattern(text))
    built = Territory.objects.filter(search_name__startswith=text)

    assert given.query.sql_with_params() == built.query.sql_with_params()


def test_a_prefix_pattern_matches_the_names_starting_so_and_no_wildcard():
    names = Territory.objects.filter(search_name__prefix_pattern=prefix_pattern("toul"))
    # "%" and "_" are the text's, not wildcards: no name starts with them.
    wildcards = Territory.objects.filter(search_name__prefix_pattern=prefix_pattern("t_ul%"))

    assert sorted(names.values_list("search_name", flat=True)) == sorted(
        Territory.objects.filter(search_name__startswith="toul").values_list(
            "search_name", flat=True
        )
    )
    assert "toul" in names.values_list("search_name", flat=True)
    assert list(wildcards) == []
