"""Prefetches kept compiled: `prefetch_related()` of plain relations run as kept statements
(core.statements) rather than built again by Django on every request.

Django builds each prefetch's queryset (a filter on the instances' keys, its joins) and
compiles it for every list it fills. On a collectivité's page (its key figures, strategic
axes, actions and their themes, sources) that was a quarter of the time its record took.
The relations kept are the plain ones, whose query is the related model's default queryset
filtered on the instances' keys:

- a many-to-many relation, either way (`themes`, `sources`, a theme's `schemes`);
- a reverse foreign key to the instances' primary key (a collectivité's `key_figures`);
- a path of them (`actions__themes`): each level filled on the records of the one above;
- a `KeptPrefetch`: one of those relations with its own queryset (an event's organisers),
  built by a module-level function, which keys the kept statement.

Any other lookup (a `Prefetch` with a queryset of its own, a forward foreign key, a path
through one), and every lookup sharing its first relation with it, is left to Django.

The kept ones are read level by level, the statements of one level together (one round
trip on PostgreSQL, core.statements.querysets_together()): a collectivité's sources, key
figures, axes and actions at once, then the actions' themes. core.together.rows_together()
does the same across a page's lists.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)
from django.db.models.query import ModelIterable

from core.statements import STAND_IN_KEYS, Statement, querysets_together


class KeptPrefetch(Prefetch):
    """`Prefetch(lookup, queryset=build(*arguments), to_attr=…)` whose query is kept
    compiled: `build` is a module-level function (it keys the statement, with `arguments`),
    giving the related records' queryset before it is filtered on the instances."""

    def __init__(self, lookup: str, build: Callable[..., QuerySet], *arguments, to_attr=None):
        if "<" in build.__qualname__:  # a lambda or a local function: a new key each call
            raise TypeError(f"KeptPrefetch takes a module-level function, not {build!r}")
        super().__init__(lookup, queryset=build(*arguments), to_attr=to_attr)
        self.build, self.arguments = build, arguments


class KeptPrefetchQuerySet(QuerySet):
    """A QuerySet whose prefetches of plain relations run kept compiled, level by level,
    each level's statements together (see the module's docstring); Django runs the
    others."""

    def _prefetch_related_objects(self):
        prefetch_together([self])


def prefetch_together(querysets: list[QuerySet]) -> None:
    """Run the prefetches of `querysets`, whose rows are read: the lookups Django runs, each
    on its own, then the kept ones of every queryset, level by level, the statements of
    one level together."""
    pending: list[tuple[list, dict]] = []
    for queryset in querysets:
        rows = queryset._result_cache
        if queryset._prefetch_related_lookups and not queryset._prefetch_done and rows:
            if isinstance(queryset, KeptPrefetchQuerySet):
                kept, others = split_prefetches(queryset)
            else:
                kept, others = [], queryset._prefetch_related_lookups
            if others:
                prefetch_related_objects(rows, *others)
            pending.extend((rows, tree) for tree in kept)
        queryset._prefetch_done = True
    while pending:
        # Each (rows, level) of this depth with the keys its records are read by.
        work = [
            (rows, level, deeper, level.keys(rows))
            for rows, tree in pending
            for level, deeper in tree.items()
        ]
        work = [item for item in work if item[3]]
        read = querysets_together(
            *((level.statement, {"ids": ids}) for _rows, level, _deeper, ids in work)
        )
        pending = []
        for (rows, level, deeper, _ids), queryset in zip(work, read, strict=True):
            records = queryset._result_cache
            level.give(rows, records)
            if deeper and records:
                pending.append((records, deeper))


_LEVELS: dict[tuple, ManyToManyPrefetch | ReverseForeignKeyPrefetch | None] = {}


def _level(model: type, name: str, base: tuple = (), to_attr: str | None = None):
    # base: () for the relation's default queryset, else (build, arguments) of KeptPrefetch.
    key = (model, name, base, to_attr)
    if key not in _LEVELS:
        descriptor = getattr(model, name, None)
        # A many-to-many descriptor is a reverse many-to-one one too: tested first.
        if isinstance(descriptor, ManyToManyDescriptor):
            _LEVELS[key] = ManyToManyPrefetch.of(model, name, base, to_attr)
        elif isinstance(descriptor, ReverseManyToOneDescriptor):
            _LEVELS[key] = ReverseForeignKeyPrefetch.of(model, name, base, to_attr)
        else:
            _LEVELS[key] = None
    return _LEVELS[key]


def _path(model: type, lookup) -> list | None:
    """The levels of a lookup ("actions__themes"), or None when one is not kept."""
    if isinstance(lookup, KeptPrefetch):
        if LOOKUP_SEP in lookup.prefetch_through:
            return None
        level = _level(
            model, lookup.prefetch_through, (lookup.build, lookup.arguments), lookup.to_attr
        )
        return None if level is None else [level]
    if not isinstance(lookup, str):
        return None
    levels = []
    for name in lookup.split(LOOKUP_SEP):
        level = _level(model, name)
        if level is None:
            return None
        levels.append(level)
        model = level.related_model
    return levels


def split_prefetches(queryset: QuerySet) -> tuple[list[dict], tuple]:
    """The prefetches of `queryset` kept compiled, as trees of levels (one per first
    relation), and the lookups Django runs."""
    lookups = queryset._prefetch_related_lookups
    if not lookups or queryset._fields is not None:
        return [], lookups

    def first(lookup) -> str:
        # Where the records go (a Prefetch's `to_attr`), which lookups through them name.
        return getattr(lookup, "prefetch_to", lookup).split(LOOKUP_SEP)[0]

    paths = {id(lookup): _path(queryset.model, lookup) for lookup in lookups}
    # A relation that a lookup left to Django goes through stays with Django, for all the
    # lookups through it: Django prefetches the nested records on the very objects it gives.
    to_django = {first(lookup) for lookup in lookups if paths[id(lookup)] is None}
    trees: dict[str, dict] = {}
    others = []
    for lookup in lookups:
        if first(lookup) in to_django:
            others.append(lookup)
            continue
        node = trees.setdefault(first(lookup), {})
        for level in paths[id(lookup)]:
            node = node.setdefault(level, {})
    return list(trees.values()), tuple(others)


def _cache_on(row, level: _Level, records: list, base: list | None) -> None:
    """Give `row` its related records as Django's prefetch does: `row.name.all()` answers
    from them without a query, and any further filter builds on the relation's queryset
    (the Prefetch's, when it has one); or, with `to_attr`, the list in that attribute."""
    if level.to_attr:
        setattr(row, level.to_attr, records)
        return
    if not hasattr(row, "_prefetched_objects_cache"):
        row._prefetched_objects_cache = {}
    row._prefetched_objects_cache[level.cache_name] = GivenRecords(records, row, level, base)


class GivenRecords(QuerySet):
    """The related records given to one instance, where Django's prefetch leaves a
    queryset of the relation holding them: iterated, counted, indexed, tested from them.

    Django builds that queryset (the instance's related manager, a filter on its key) for
    every instance, a millisecond for a page of fifty cards that only iterate it. Here it is
    built when something builds on the records (filter(), order_by(), first() of an
    unordered relation, update()…, whatever reads `query`), which then behave as on
    Django's. Copied or pickled, they are Django's queryset holding the records."""

    def __init__(self, records: list, row, level: _Level, base: list | None):
        # QuerySet.__init__'s attributes, but its empty query, which `query` replaces.
        self.model = level.related_model
        self._db, self._hints = None, {}
        self._result_cache, self._prefetch_done = records, True
        self._sticky_filter = self._for_write = self._defer_next_filter = False
        self._prefetch_related_lookups, self._known_related_objects = (), {}
        self._iterable_class, self._fields, self._deferred_filter = ModelIterable, None, None
        self._given, self._relation = (row, level, base), None

    def relation(self) -> QuerySet:
        """The relation's queryset, as Django's prefetch builds it for the instance."""
        if self._relation is None:
            row, level, base = self._given
            manager = getattr(row, level.name)
            # The manager's queryset before the prefetched cache (this) answers for it.
            source = base[0].all() if base else super(type(manager), manager).get_queryset()
            self._relation = manager._apply_rel_filters(source)
        return self._relation

    @property
    def query(self):
        return self.relation().query

    def _clone(self) -> QuerySet:
        return self.relation()._clone()

    def _holding(self) -> QuerySet:
        queryset = self.relation()._chain()
        queryset._result_cache, queryset._prefetch_done = self._result_cache, True
        return queryset

    def __deepcopy__(self, memo):
        return copy.deepcopy(self._holding(), memo)

    def __reduce_ex__(self, protocol):
        return (_itself, (self._holding(),))


def _itself(value):
    # What GivenRecords are unpickled as: the queryset they were pickled as.
    return value


class _Level:
    """One relation prefetched: its kept statement (the instances' keys bound) and how its
    records are given to the instances."""

    def __init__(self, model: type, name: str, base: tuple, to_attr: str | None):
        self.model, self.name, self.base, self.to_attr = model, name, base, to_attr
        # Records by key: one plan serves every list (generic_plan, core.prepared).
        self.statement = Statement(self._build, bound=("ids",), generic_plan=True)

    @classmethod
    def of(cls, model: type, name: str, base: tuple = (), to_attr: str | None = None):
        """The kept prefetch of `model`'s relation `name` (from `base`, a KeptPrefetch's
        build and arguments, when given), or None when it cannot be kept: its records would
        prefetch something of their own, or the queryset is sliced."""
        if base and base[0](*base[1]).query.is_sliced:
            return None
        level = cls(model, name, base, to_attr)
        if level._build(ids=[STAND_IN_KEYS[0]])._prefetch_related_lookups:
            return None
        return level

    def _base(self) -> list[QuerySet] | None:
        # The queryset the relation's records come from, as Django's prefetch takes it.
        return [self.base[0](*self.base[1])] if self.base else None

    def _build(self, *, ids: list[int]) -> QuerySet:
        raise NotImplementedError

    def keys(self, rows: list) -> list[int]:
        """The keys `rows`' related records are read by: theirs, each once."""
        return list(dict.fromkeys(row.pk for row in rows))

    def give(self, rows: list, records: list) -> None:
        raise NotImplementedError


class ManyToManyPrefetch(_Level):
    """`prefetch_related(name)` of a many-to-many relation, its query kept compiled: the
    query Django's prefetch builds for the instances (their keys bound), and the related
    records given to each instance as Django does (`instance.name.all()` without a query)."""

    def __init__(self, model: type, name: str, base: tuple, to_attr: str | None):
        super().__init__(model, name, base, to_attr)
        # What Django's prefetch reads the rows with: the key of a related row's instance,
        # an instance's key, and the name of the cache (the same for every instance).
        queryset, self.related_key, self.instance_key, _single, self.cache_name, _d = (
            self._querysets([model(pk=STAND_IN_KEYS[0])])
        )
        self.related_model = queryset.model

    def _querysets(self, instances: list) -> tuple:
        manager = getattr(instances[0], self.name)
        return manager.get_prefetch_querysets(instances, self._base())

    def _build(self, *, ids: list[int]) -> QuerySet:
        return self._querysets([self.model(pk=pk) for pk in ids])[0]

    def give(self, rows: list, records: list) -> None:
        """Give each of `rows` its related records among `records`, as prefetch_related()
        does."""
        related: dict = {}
        for record in records:
            related.setdefault(self.related_key(record), []).append(record)
        base = None if self.to_attr else self._base()
        for row in rows:
            _cache_on(row, self, related.get(self.instance_key(row), []), base)


class ReverseForeignKeyPrefetch(_Level):
    """`prefetch_related(name)` of a reverse foreign key (a collectivité's `key_figures`),
    its query kept compiled: the related model's default queryset filtered on the foreign
    key, as Django's prefetch builds it, each record pointing back to its instance."""

    def __init__(self, model: type, name: str, base: tuple, to_attr: str | None):
        super().__init__(model, name, base, to_attr)
        self.field = getattr(model, name).field
        self.related_model = self.field.model
        self.cache_name = self.field.remote_field.cache_name

    @classmethod
    def of(cls, model: type, name: str, base: tuple = (), to_attr: str | None = None):
        """As _Level.of(), and None when the key points elsewhere than the primary key or
        is composite."""
        field = getattr(model, name).field
        if len(field.foreign_related_fields) != 1 or not field.target_field.primary_key:
            return None
        return super().of(model, name, base, to_attr)

    def _build(self, *, ids: list[int]) -> QuerySet:
        # The queryset of Django's reverse many-to-one prefetch (the related manager's
        # default queryset, or the Prefetch's, filtered on `<key>__in`), keys for instances:
        # the same SQL.
        base = self._base()
        queryset = base[0] if base else self.related_model._default_manager.get_queryset()
        return queryset.filter(**{f"{self.field.name}__in": ids})

    def give(self, rows: list, records: list) -> None:
        """Give each of `rows` its related records among `records`, each pointing back to
        its row, as prefetch_related() does."""
        by_key = {row.pk: row for row in rows}
        related: dict = {}
        for record in records:
            key = getattr(record, self.field.attname)
            related.setdefault(key, []).append(record)
            self.field.set_cached_value(record, by_key[key])
        base = None if self.to_attr else self._base()
        for row in rows:
            _cache_on(row, self, related.get(row.pk, []), base)
