"""Pagination that stays fast on large tables: counts and pages are bounded."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

MAX_RESULTS = 10_000


class BoundedPaginator(Paginator):
    """Counts at most MAX_RESULTS rows (a LIMIT-ed subquery, not a COUNT of the table).

    Past that, the list says "plus de 10 000" and its last page is page MAX_RESULTS / size:
    a visitor refines the filters rather than paging that deep.
    """

    max_results = MAX_RESULTS

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "count") and hasattr(object_list, "query"):
            found = object_list[: self.max_results + 1].count()
        else:
            found = len(object_list)
        self.truncated = found > self.max_results
        return min(found, self.max_results)
