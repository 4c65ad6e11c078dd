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
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)

from core.statements import STAND_IN_KEYS, Statement


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
    """A QuerySet whose prefetches of plain relations run kept compiled (see the module's
    docstring); Django runs the others."""

    def _prefetch_related_objects(self):
        kept, others = _split_prefetches(self)
        if others:
            prefetch_related_objects(self._result_cache, *others)
        for path in kept:
            _fill_path(self._result_cache, path)
        self._prefetch_done = True


def _fill_path(rows: list, path: dict) -> None:
    # path: {level: {deeper level: {…}}}, each level filled on the records of the one above.
    for level, deeper in path.items():
        records = level.fill(rows)
        if deeper and records:
            _fill_path(records, deeper)


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


def _split_prefetches(queryset: QuerySet) -> tuple[list[dict], tuple]:
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
    manager = getattr(row, level.name)
    queryset = manager._apply_rel_filters(base[0]) if base else manager.get_queryset()
    queryset._result_cache = records
    queryset._prefetch_done = True
    row._prefetched_objects_cache[level.cache_name] = queryset


class _Level:
    """One relation prefetched: its kept statement (the instances' keys bound) and how its
    records are given to the instances."""

    def __init__(self, model: type, name: str, base: tuple, to_attr: str | None):
        self.model, self.name, self.base, self.to_attr = model, name, base, to_attr
        self.statement = Statement(self._build, bound=("ids",))

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

    def fill(self, rows: list) -> list:
        """Give each of `rows` its related records, as prefetch_related() does; returns
        them all."""
        ids = list(dict.fromkeys(row.pk for row in rows))
        if not ids:
            return []
        records = self.statement.rows(ids=ids)
        related: dict = {}
        for record in records:
            related.setdefault(self.related_key(record), []).append(record)
        base = None if self.to_attr else self._base()
        for row in rows:
            _cache_on(row, self, related.get(self.instance_key(row), []), base)
        return records


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

    def fill(self, rows: list) -> list:
        """Give each of `rows` its related records, each pointing back to its row, as
        prefetch_related() does; returns them all."""
        by_key = {row.pk: row for row in rows}
        if not by_key:
            return []
        records = self.statement.rows(ids=list(by_key))
        related: dict = {}
        for record in records:
            key = getattr(record, self.field.attname)
            related.setdefault(key, []).append(record)
            self.field.set_cached_value(record, by_key[key])
        base = None if self.to_attr else self._base()
        for row in rows:
            _cache_on(row, self, related.get(row.pk, []), base)
        return records
