"""Pagination that stays fast on large tables: exact counts only when small, and bounded."""

import json

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Window
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

MAX_RESULTS = 10_000


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` returns (no scan), None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(queryset, bound: int | None = None) -> int:
    """The number of rows, counted up to `bound` + 1 (enough to say "plus de 1 000").

    Only the keys are counted: no ordering, ranking or other annotation in the count.
    """
    bound = settings.EXACT_COUNT_UP_TO if bound is None else bound
    if queryset._fields is not None and len(queryset._fields) == 1:
        # Already one column (keys such as ActorPlace.listing_keys): counted as it is, so
        # that an index holding that column answers alone.
        return queryset.order_by()[: bound + 1].count()
    return queryset.order_by().values("pk")[: bound + 1].count()


def counted_rows(queryset, size: int):
    """The first `size` rows of `queryset`, each carrying how many rows it has (a window
    count over the whole result, computed before the limit; with_total() reads it).

    For lists of hundreds or a few thousand rows (the schemes of a territory): the database
    reads them all once, instead of once for the rows and again for the count. A list
    that may hold millions (structures) is counted by bounded_count() instead.
    """
    return queryset.annotate(_listed_total=Window(Count("pk")))[:size]


def with_total(rows: list) -> tuple[list, int]:
    """`rows` of counted_rows() and the count of the whole result they carry."""
    return rows, (rows[0]._listed_total if rows else 0)


def rows_of_statements(
    statements: list[tuple[str, tuple]], using: str = "default"
) -> list[list[tuple]]:
    """The rows of each of `statements` (SQL and parameters), read in one statement: a page
    that reads several small sets of keys (the search, five kinds' candidates) waits for
    the database once. Each statement's rows, in the order the database gives them."""
    parts, params = [], []
    for index, (sql, values) in enumerate(statements):
        parts.append(f"SELECT {index} AS essdir_part, part_rows.* FROM ({sql}) AS part_rows")
        params.extend(values)
    found: list[list[tuple]] = [[] for _statement in statements]
    if not statements:
        return found
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for part, *row in cursor.fetchall():
            found[part].append(tuple(row))
    return found


def bounded_label(count: int, bound: int | None = None) -> str:
    """A count from `bounded_count()`: "plus de 1 000" past `bound`, else the number."""
    bound = settings.EXACT_COUNT_UP_TO if bound is None else bound
    if count > bound:
        return _("plus de %(count)s") % {"count": intcomma(bound)}
    return intcomma(count)


class BoundedPaginator(Paginator):
    """Counts exactly up to EXACT_COUNT_UP_TO rows (a LIMIT-ed subquery, never the table).

    Beyond, PostgreSQL's planner estimate decides: above MAX_RESULTS the list says "plus de
    10 000" and stops at page MAX_RESULTS / page size (a visitor refines the filters rather
    than paging that deep); below, rows are counted exactly up to the bound, since a low
    estimate (statistics not yet gathered) must never hide pages that exist.
    """

    max_results = MAX_RESULTS
    truncated = False
    # From this row on, a page's keys are read first (see page()).
    deferred_from = 200

    def __init__(
        self,
        *args,
        ranked=None,
        keys=None,
        by_key=None,
        keys_counted=False,
        counted_keys=None,
        exact_up_to=None,
        max_results=None,
        **kwargs,
    ):
        # The rows' primary keys in the list's order, from a narrower source than the rows
        # (an index range of precomputed rows, such as a territory's public structures, or
        # a search's candidates ranked as their keys were read): counted and sliced instead
        # of the rows, which are then read by key. Set before Paginator's own __init__,
        # whose check of the rows' order does not apply to them.
        self.keys = keys
        super().__init__(*args, **kwargs)
        # Up to how many rows the list is counted exactly before the planner's estimate is
        # asked (EXACT_COUNT_UP_TO by default). A list whose rows are few by nature (the
        # agenda's events) counts up to max_results at once: one statement, where one of a
        # thousand rows, then the estimate, then the count up to max_results were three,
        # the first and the last reading the same matches (see FilteredListView).
        self.exact_up_to = exact_up_to
        # How many rows the list pages through at most, past which it says "plus de"
        # (MAX_RESULTS by default).
        if max_results is not None:
            self.max_results = max_results
        # A list ranked by relevance pages through the best candidates of its matches
        # (core.search.ranked_candidates): how many, and whether more rows matched.
        self.ranked = ranked
        # Where those rows are read from by key: the list's own rows without its filters
        # (what it selects and prefetches), since the keys already went through them.
        self.by_key = by_key
        # Whether `keys` are few enough (a few thousand at most, such as the schemes) that
        # the page's keys carry the count of them all: a window count, in the statement that
        # sorts them all anyway, instead of a count of its own reading them all again.
        self.keys_counted = keys_counted
        # With `keys_counted`: `counted_keys(bottom, size)`, the (key, count of all) rows of
        # a page from a kept statement (a scheme list narrowed by its territory alone),
        # read instead of annotating `keys`, which are then built only if that page is
        # empty (a number past the last page).
        self.counted_keys = counted_keys
        self._read_keys: dict[int, list] = {}
        # Whether more keys than EXACT_COUNT_UP_TO were read already (_read_first_keys()).
        self._beyond_exact = False

    def _check_object_list_is_ordered(self):
        # Keys come in the list's order (and reading the rows' order would build them).
        if self.keys is None:
            super()._check_object_list_is_ordered()

    @cached_property
    def count(self) -> int:
        if self.ranked is not None:
            # Every candidate is listed (a few hundred); "plus de" when more matched than
            # were ranked.
            self.truncated = self.ranked.more
            return self.ranked.count
        object_list = self.object_list if self.keys is None else self.keys
        if not (hasattr(object_list, "query") and hasattr(object_list, "count")):
            return len(object_list)
        bound = settings.EXACT_COUNT_UP_TO if self.exact_up_to is None else self.exact_up_to
        if not self._beyond_exact:
            found = bounded_count(object_list, bound)
            if found <= bound:
                return found
            if bound >= self.max_results:
                self.truncated = True
                return self.max_results
        keys = object_list if object_list._fields else object_list.values("pk")
        estimate = planner_estimate(keys.order_by())
        if estimate is not None and estimate > self.max_results:
            self.truncated = True
            return self.max_results
        found = bounded_count(object_list, self.max_results)
        self.truncated = found > self.max_results
        return min(found, self.max_results)

    def page(self, number):
        """A page; deep ones read their 20 keys first, then those rows only.

        OFFSET walks every row before the page: for page 500 of the actors by name, 10 000
        rows fetched from the table in name order (18 ms). The keys alone come from an
        index that holds what the list filters on, without touching the table (1.6 ms).
        """
        if self.ranked is None and self.keys is not None and "count" not in self.__dict__:
            if self.keys_counted:
                self._read_counted_keys(number)
            else:
                self._read_first_keys(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list
        if self.keys is None and (bottom < self.deferred_from or not hasattr(rows, "query")):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.keys is not None:
            # The page's keys from their own index, then those rows only, in their order.
            read = self._read_keys.get(bottom)
            keys = list(self.keys[bottom:top]) if read is None else read[: top - bottom]
            return self._get_page(self._rows_of(keys), number, self)
        keys = rows.values("pk")[bottom:top]
        return self._get_page(rows.filter(pk__in=keys), number, self)

    def _rows_of(self, keys: list) -> list:
        """The rows of `keys`, in their order. Read from `by_key` when given: the filters
        the keys went through (a territory's union of areas, a theme's join, a search) are
        neither compiled nor run again for twenty rows."""
        if self.by_key is None:
            return self.object_list.filter(pk__in=keys)
        found = {row.pk: row for row in self.by_key.filter(pk__in=keys).order_by()}
        return [found[key] for key in keys if key in found]

    def _bottom_of(self, number) -> int | None:
        """The first row of page `number`, None when the number is no page's (then
        validate_number() says what is wrong)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                return None
            number = int(number)
        except (TypeError, ValueError):
            return None
        return (number - 1) * self.per_page if number >= 1 else None

    def _read_first_keys(self, number) -> None:
        """Count the keys and read page `number`'s in one statement, for the pages among
        the first EXACT_COUNT_UP_TO rows: up to that many keys and one more, in the list's
        order, from the index that holds them (as many entries as counting them reads).
        A territory's list of a few hundred structures waited for the database twice,
        for its count, then for its page's keys. Past the bound, the count goes on as
        `count` says, the page's keys already read."""
        bottom, bound = self._bottom_of(number), settings.EXACT_COUNT_UP_TO
        if bottom is None or bottom >= bound:
            return
        first = list(self.keys[: bound + 1])
        wanted = bottom + self.per_page + self.orphans
        if len(first) <= bound:
            self.__dict__["count"] = len(first)
        else:
            self._beyond_exact = True
        if len(first) <= bound or wanted <= len(first):
            self._read_keys[bottom] = first[bottom:wanted]

    def _read_counted_keys(self, number) -> None:
        """Read page `number`'s keys with the count of all (see `keys_counted`); nothing
        when the number is no page's or the page, past the first, is empty: the count is
        then taken the ordinary way, and validate_number() says what is wrong."""
        bottom = self._bottom_of(number)
        if bottom is None:
            return
        size = self.per_page + self.orphans
        if self.counted_keys is not None:
            rows = self.counted_keys(bottom, size)
        else:
            counted = self.keys.annotate(_listed_total=Window(Count("pk")))
            rows = list(counted.values_list("pk", "_listed_total")[bottom : bottom + size])
        if not rows:
            if bottom == 0:
                # No first page: nothing listed, nothing to count again.
                self.__dict__["count"] = 0
            return
        total = rows[0][1]
        self.truncated = total > self.max_results
        self.__dict__["count"] = min(total, self.max_results)
        self._read_keys[bottom] = [key for key, _total in rows]
