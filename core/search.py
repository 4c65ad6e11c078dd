"""Text search: French full-text search on PostgreSQL, an accent-folded fallback on SQLite.

PostgreSQL: each searchable table has a generated `search_vector` column (migration
territories 0003) with the `fr_unaccent` configuration: stemmed ("coopérative" finds
"coopératives"), accents and case folded, ranked with the title weighing more.
SQLite: every word must appear in one of the fields, accents and case folded (`essdir_fold`,
a Python function registered on each connection); a plural "s" is dropped from the words;
rows whose title holds the words come first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import Case, Exists, Expression, Subquery, When
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.where import WhereNode

from core.bulk import update_column
from core.text import fold, normalize

MIN_TERM_LENGTH = 2
MAX_TERMS = 8
CONFIG = "fr_unaccent"


class Folded(Func):
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(Coalesce(expression, Value("")), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="essdir_fold", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="lower(unaccent(%(expressions)s))", **extra_context
        )


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("essdir_fold", 1, _fold_or_none, deterministic=True)


def _fold_or_none(value):
    return None if value is None else fold(str(value))


@functools.lru_cache(maxsize=256)
def search_terms(query: str) -> tuple[str, ...]:
    """The words of `query` worth matching, folded, plural "s" and "x" dropped.

    Memoized: a search page asks again for every result it marks (a hundred times)."""
    terms = []
    for term in normalize(query).split():
        if len(term) < MIN_TERM_LENGTH:
            continue
        if len(term) > 4 and term[-1] in "sx":
            term = term[:-1]
        terms.append(term)
    return tuple(terms[:MAX_TERMS])


# At most this many matches whose title holds the words, and as many others, are ranked
# (see ranked_candidates()): 30 pages of a list, best first. With 1 000, "insertion" on
# 200 000 structures cost 37 ms a page; with 300, 28.
SEARCH_CANDIDATES = 300


def text_search(
    queryset: QuerySet, query: str, fields: list[tuple[str, str]], *, large: bool = False
) -> QuerySet:
    """Rows matching `query`, annotated with `search_rank` and ordered by it.

    `fields` lists (field, weight) pairs, weight "A" for titles, the first of which is the
    title: on PostgreSQL they are the columns of the generated search vector; on SQLite
    they are matched one by one. `large`: a table of hundreds of thousands of rows (the
    structures), whose candidates are read from the words' own place (candidate_keys()).
    """
    if not search_terms(query):
        return queryset
    if connection.vendor == "postgresql":
        title = next(field for field, weight in fields if weight == "A")
        return _fulltext(queryset, query, title, large=large)
    return _folded(queryset, query, fields)


def _ranked_by_relevance(queryset: QuerySet) -> bool:
    query = queryset.query
    return "_title_matches" in query.annotations and query.order_by[:1] == ("-search_rank",)


def _without_whole_text(queryset: QuerySet) -> QuerySet:
    """`queryset` without the condition "the search vector matches", where another implies
    it (the title's match, or a key among the matches): PostgreSQL reads no search vector
    for it (a hundred candidates of the search page: 1 ms a kind)."""
    queryset = queryset.all()
    queryset.query.where.children = [
        child
        for child in queryset.query.where.children
        if not isinstance(getattr(child, "lhs", None), WholeTextMatch)
    ]
    return queryset


@dataclass(frozen=True)
class Candidates:
    """The rows a list ranked by relevance ranks (ranked_candidates())."""

    queryset: QuerySet  # the candidates, ranked
    count: int  # how many
    more: bool  # whether more rows matched than were ranked
    keys: list[int]  # their keys, best first: a page reads its own rows by key


def ranked_candidates(queryset: QuerySet, limit: int | None = None) -> Candidates | None:
    """A list ranked by relevance restricted, once every other filter is applied, to the
    rows worth ranking: up to `limit` (SEARCH_CANDIDATES) matches whose title holds the
    words, and as many of the others, read in one statement (candidate_keys()) with
    whether more rows matched; then the candidates ranked by key. None when the queryset
    was not searched, or is listed in another order (by date, by name): every match
    counts.

    Ranking reads every match's search vector, so its cost grows with the number of
    matches ("insertion" matches tens of thousands of structures); this bounds it while
    keeping the title matches, which rank first. Beyond, a visitor refines the search.
    The list's count, its "plus de" and its page read the same candidates: read as
    subqueries of the page, they ran once for the count, once for the page and once more
    to count the other matches (a common word's whole bitmap each time: 57 of the 64 ms of
    "saint" on 200 000 structures), and two runs could pick different ones among equals.
    """
    if not _ranked_by_relevance(queryset):
        return None
    limit = SEARCH_CANDIDATES if limit is None else limit
    # As many other matches as the candidates can hold, and one more: fewer than that is
    # every match, which says whether any was left out.
    every = 2 * limit + 1
    rows = list(candidate_keys(queryset, titles=limit, others=every))
    chosen, match_keys = chosen_keys(rows, limit=limit)
    more = len(match_keys) == every or len(set(match_keys)) > len(chosen)
    keys = ",".join(map(str, chosen))
    return Candidates(among_candidates(queryset, keys), len(chosen), more, best_first(rows, chosen))


def chosen_keys(rows, *, limit: int) -> tuple[list[int], list[int]]:
    """From the (key, whether its title matches, rank) `rows` of candidate_keys(): the keys
    to rank (every title match, then up to `limit` of the other matches, each once), and
    the keys of the matches, whose number says how many matched."""
    title_keys, match_keys = [], []
    for key, is_title, _rank in rows:
        (title_keys if is_title else match_keys).append(key)
    return list(dict.fromkeys([*title_keys, *match_keys[:limit]])), match_keys


def best_first(rows, keys: list[int]) -> list[int]:
    """`keys` in the order among_candidates() ranks them, from the ranks their `rows` of
    candidate_keys() carry: the same ts_rank() of the same vectors, so that a page's rows
    are read by key alone, not every candidate's row and vector ranked again for twenty
    (a common word's 600 candidates: 3.7 of a list's 25 ms)."""
    rank = {key: value for key, _is_title, value in rows}
    return sorted(keys, key=lambda key: (-rank[key], key))


def candidate_keys(queryset: QuerySet, *, titles: int, others: int) -> QuerySet:
    """(key, whether its title matches, rank) of up to `titles` matches of a
    `text_search()` result whose title holds the words, and of up to `others` of its
    matches, in no order: one statement, which tells how many matched (up to `others`)
    and which to rank (among_candidates(), best_first()); each row's rank is the one
    among_candidates() orders by, computed while its row is read anyway. Not ranked by
    relevance (SQLite, or another order): no title matches, the others only, ranked 0."""
    matches = queryset.order_by()
    if not _ranked_by_relevance(queryset):
        unranked = matches[:others].annotate(_titled=Value(False), _rank=Value(0.0))
        return unranked.values_list("pk", "_titled", "_rank")
    columns = ("pk", "_titled", "search_rank")
    # The other matches from the words' own place in the table to its end, then from its
    # beginning (see _scan_start()): the same ones on every request, as many read as from a
    # place drawn at random. Read simply in no order, a scan of a large table started where
    # another one was (PostgreSQL's synchronized scans), and the same search showed other
    # structures from one request to the next; from the table's first block, it read
    # 30 273 structures for the 601 of "insertion", where it reads 3 536 from its own.
    others_keys = _from_the_words_place(matches, columns, titled=False)[:others]
    # A title match is a match (the title is in the search vector): the title matches
    # leave out the whole text's condition and the title's index alone answers them, where
    # PostgreSQL would otherwise intersect it with the whole text's bitmap (100 000 rows
    # for "association", 13 ms). Read the same way as the others.
    titled = _without_whole_text(matches.filter(_title_matches=True))
    title_keys = _from_the_words_place(titled, columns, titled=True)[:titles]
    return title_keys.union(others_keys, all=True)


def _from_the_words_place(matches: QuerySet, columns: tuple, *, titled: bool) -> QuerySet:
    """`columns` of `matches`, `_titled` set to `titled`; in a large table (text_search's
    `large`), from the words' own block to the table's end, then from its beginning (see
    _scan_start()). A small table's scans all start at its first block: PostgreSQL
    synchronizes only those of a table larger than a quarter of its shared buffers."""
    if "_from_start" not in matches.query.annotations or _read_from_elsewhere(matches.query):
        return matches.annotate(_titled=Value(titled)).values_list(*columns)
    tail, head = (
        matches.filter(**{part: True}).annotate(_titled=Value(titled)).values_list(*columns)
        for part in ("_from_start", "_before_start")
    )
    return tail.union(head, all=True)


def _read_from_elsewhere(query: Query) -> bool:
    """Whether a condition of `query` reads another table (a join, a subquery): a
    territory's places, a theme's structures, a network's members. PostgreSQL then reads the
    matches from that side (the places' index, a structure at a time) or from the words'
    index, in an order of their own, every time the same; read from the words' place, a
    territory holding fewer matches than the bound had the scan read the whole table
    ("insertion" around Toul: 2 x 100 ms, where its places give them in 3)."""
    if any(query.alias_refcount.get(alias) for alias in list(query.alias_map)[1:]):
        return True
    return _holds_a_subquery(query.where)


def _holds_a_subquery(node) -> bool:
    for child in node.children:
        if isinstance(child, WhereNode):
            if _holds_a_subquery(child):
                return True
        elif isinstance(child, (Exists, Subquery)) or isinstance(
            getattr(child, "rhs", None), (Query, Subquery)
        ):
            return True
    return False


def among_candidates(queryset: QuerySet, keys: str) -> QuerySet:
    """A `text_search()` result ranked among the rows of `keys` alone (comma-separated, as
    chosen from candidate_keys()): what ranked_candidates() ranks, without reading the
    matches again. Not ranked by relevance (SQLite, or another order): every match."""
    if not _ranked_by_relevance(queryset):
        return queryset
    # One text parameter (a kept statement binds it, core.statements), not an IN list of
    # hundreds (each a parameter Django prepares).
    column = connection.ops.quote_name(queryset.model._meta.pk.column)
    chosen_only = TableSQL(
        f"{{table}}.{column} = ANY(string_to_array(%s, ',')::bigint[])", (keys,), BooleanField()
    )
    return _without_whole_text(queryset).filter(chosen_only)


def title_vector_sql(column: str) -> str:
    """The title's own text vector: the expression of the index `title_index_operation`
    creates, which the title matches of candidate_keys() read."""
    return f"to_tsvector('{CONFIG}'::regconfig, coalesce({column}, ''))"


def title_vector_operation(table: str, column: str):
    """A migration operation storing `table`'s title vector in a generated `title_vector`
    column with its GIN index, in place of the expression index of `title_index_operation`
    (or, backwards, the other way round); PostgreSQL only, and idempotent.

    The title matches ranked first (candidate_keys) read it: with the vector stored, a
    common word ("solidaire", a quarter of the structures) costs a column test per row
    whichever plan PostgreSQL picks, where the expression computed the vector of each
    name it walked (15 ms for 300 matches)."""
    from django.db import migrations

    quoted = chr(34) + column + chr(34)

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "title_vector" tsvector '
            f"GENERATED ALWAYS AS ({title_vector_sql(quoted)}) STORED"
        )
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_title_vector_gin" ON "{table}" '
            f'USING GIN ("title_vector")'
        )
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_title_gin"')

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "title_vector"')
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_title_gin" ON "{table}" '
            f"USING GIN ({title_vector_sql(quoted)})"
        )

    return migrations.RunPython(forwards, backwards)


def title_index_operation(table: str, column: str):
    """A migration operation adding (or, backwards, dropping) the GIN index of `table`'s
    title vector; PostgreSQL only, and idempotent."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}_title_gin" ON "{table}" '
                f"USING GIN ({title_vector_sql(chr(34) + column + chr(34))})"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_title_gin"')

    return migrations.RunPython(forwards, backwards)


class TableSQL(Expression):
    """SQL over the query's own table, named `{table}` in `sql`: unlike RawSQL, it follows
    the alias the table gets inside a subquery (U0…), as candidate_keys() needs."""

    def __init__(self, sql: str, params: tuple, output_field):
        super().__init__(output_field=output_field)
        self.sql, self.params = sql, params

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return self.sql.format(table=table), self.params


class WholeTextMatch(TableSQL):
    """The condition "the search vector matches", which candidate_keys() leaves out where
    the title's, which implies it, is there."""


def _scan_start(table: str) -> str:
    """SQL of the first row of the block where a scan of `table` for the words (its one
    parameter) starts (candidate_keys()): a block drawn from the words by a hash, so that
    each search reads its own part of the table first, always the same one while the table
    keeps its size; PostgreSQL reads from there alone (a TID range scan)."""
    pages = f"(SELECT relpages FROM pg_class WHERE oid = '{table}'::regclass)"
    block = f"(hashtext(%s)::bigint & 2147483647) %% greatest({pages}, 1)"
    return f"format('(%%s,0)', {block})::tid"


def _fulltext(queryset: QuerySet, query: str, title: str, *, large: bool) -> QuerySet:
    tsquery = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"
    # The stored title vector (title_vector_operation), equal to title_vector_sql(column).
    title_vector = "{table}.title_vector"
    if large:
        start = _scan_start(queryset.model._meta.db_table)
        queryset = queryset.alias(
            _from_start=TableSQL(f"{{table}}.ctid >= {start}", (query,), BooleanField()),
            _before_start=TableSQL(f"{{table}}.ctid < {start}", (query,), BooleanField()),
        )
    return (
        queryset.alias(
            _matches=WholeTextMatch(
                f"{{table}}.search_vector @@ {tsquery}", (query,), output_field=BooleanField()
            ),
            _title_matches=TableSQL(
                f"{title_vector} @@ {tsquery}", (query,), output_field=BooleanField()
            ),
        )
        .filter(_matches=True)
        .annotate(
            search_rank=TableSQL(
                f"ts_rank({{table}}.search_vector, {tsquery})", (query,), output_field=FloatField()
            )
        )
        .order_by("-search_rank", "pk")
    )


def _folded(queryset: QuerySet, query: str, fields: list[tuple[str, str]]) -> QuerySet:
    terms = search_terms(query)
    aliases = {f"_folded_{i}": Folded(field) for i, (field, _weight) in enumerate(fields)}
    titles = [f"_folded_{i}" for i, (_f, weight) in enumerate(fields) if weight == "A"]
    queryset = queryset.alias(**aliases)
    for term in terms:
        condition = Q()
        for alias in aliases:
            condition |= Q(**{f"{alias}__contains": term})
        queryset = queryset.filter(condition)
    in_title = Q()
    for alias in titles:
        in_title |= Q(*[Q(**{f"{alias}__contains": term}) for term in terms])
    rank = Case(When(in_title, then=Value(2)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(search_rank=rank).order_by(F("search_rank").desc(), "pk")


def add_search_vector(schema_editor, table: str, columns: list[tuple[str, str]]) -> None:
    """Migration step: a generated `search_vector` column over (column, weight) pairs of
    `table`, with its GIN index; PostgreSQL only, and idempotent."""
    if schema_editor.connection.vendor != "postgresql":
        return
    vector = " || ".join(
        f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(\"{column}\", '')), '{weight}')"
        for column, weight in columns
    )
    schema_editor.execute(
        f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "search_vector" tsvector '
        f"GENERATED ALWAYS AS ({vector}) STORED"
    )
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{table}_search_gin" ON "{table}" USING GIN ("search_vector")'
    )


def drop_search_vector(schema_editor, table: str) -> None:
    """Migration step: undo `add_search_vector`."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "search_vector"')


def search_vector_operation(table: str, columns: list[tuple[str, str]]):
    """A migration operation adding (or, backwards, dropping) `table`'s search vector."""
    from django.db import migrations

    return migrations.RunPython(
        lambda apps, schema_editor: add_search_vector(schema_editor, table, columns),
        lambda apps, schema_editor: drop_search_vector(schema_editor, table),
    )


# Rows read, and their changes written, at a time by refresh_search_context().
REFRESH_BATCH = 2000


def refresh_search_context(queryset, context_of) -> int:
    """Recompute the `search_context` column of `queryset`'s rows as `context_of(row)`.

    The column holds what a row is found by besides its own fields (its themes, territory,
    carrying collectivité…), which a generated column cannot read from other tables. Only
    changed rows are written; returns how many.

    Read by key, a batch at a time, each batch's changes written before the next is read:
    the memory held is a batch's whatever the table's size (the whole table's changed rows
    were kept, 10 GB for a million structures), and no cursor stays open on the table
    being written (SQLite would not isolate it).
    """
    written, after = 0, None
    ordered = queryset.order_by("pk")
    while True:
        batch = ordered if after is None else ordered.filter(pk__gt=after)
        rows = list(batch[:REFRESH_BATCH])
        if not rows:
            return written
        changed = {}
        for row in rows:
            text = " ".join(part for part in context_of(row) if part)[:4000]
            if text != row.search_context:
                changed[row.pk] = text
        written += update_column(queryset.model, field="search_context", values=changed)
        after = rows[-1].pk


def replace_search_vector_operation(table: str, columns: list[tuple[str, str]]):
    """A migration operation that rebuilds `table`'s search vector over new columns."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        drop_search_vector(schema_editor, table)
        add_search_vector(schema_editor, table, columns)

    return migrations.RunPython(forwards, migrations.RunPython.noop)
