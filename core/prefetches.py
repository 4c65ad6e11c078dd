"""Prefetches kept compiled: `prefetch_related()` of plain relations run as kept statements
(core.statements) rather than built again by Django on every request.

Django builds each prefetch's queryset (a filter on the instances' keys, its joins) and
compiles it for every list it fills. On a collectivité's page (its key figures, strategic
axes, actions and their themes, sources) that was a quarter of the time its record took.
The relations kept are the plain ones, whose query is the related model's default queryset
filtered on the instances' keys:

- a many-to-many relation, either way (`themes`, `sources`, a theme's `schemes`);
- a reverse foreign key to the instances' primary key (a collectivité's `key_figures`);
- and a path of them (`actions__themes`): each level filled on the records of the one above.

Any other lookup (a `Prefetch` with its own queryset, a forward foreign key, a path through
one), and every lookup sharing its first relation with it, is left to Django.
"""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)

from core.statements import STAND_IN_KEYS, Statement


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


_LEVELS: dict[tuple[type, str], ManyToManyPrefetch | ReverseForeignKeyPrefetch | None] = {}


def _level(model: type, name: str):
    key = (model, name)
    if key not in _LEVELS:
        descriptor = getattr(model, name, None)
        # A many-to-many descriptor is a reverse many-to-one one too: tested first.
        if isinstance(descriptor, ManyToManyDescriptor):
            _LEVELS[key] = ManyToManyPrefetch.of(model, name)
        elif isinstance(descriptor, ReverseManyToOneDescriptor):
            _LEVELS[key] = ReverseForeignKeyPrefetch.of(model, name)
        else:
            _LEVELS[key] = None
    return _LEVELS[key]


def _path(model: type, lookup) -> list | None:
    """The levels of a lookup ("actions__themes"), or None when one is not kept."""
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
        return getattr(lookup, "prefetch_through", lookup).split(LOOKUP_SEP)[0]

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


def _cache_on(row, name: str, cache_name: str, records: list) -> None:
    """Give `row` its related records as Django's prefetch does: `row.name.all()` answers
    from them without a query, and any further filter builds on the relation's queryset."""
    if not hasattr(row, "_prefetched_objects_cache"):
        row._prefetched_objects_cache = {}
    queryset = getattr(row, name).get_queryset()
    queryset._result_cache = records
    queryset._prefetch_done = True
    row._prefetched_objects_cache[cache_name] = queryset


class ManyToManyPrefetch:
    """`prefetch_related(name)` of a many-to-many relation, its query kept compiled: the
    query Django's prefetch builds for the instances (their keys bound), and the related
    records given to each instance as Django does (`instance.name.all()` without a query)."""

    def __init__(self, model: type, name: str):
        self.model, self.name = model, name
        self.statement = Statement(self._build, bound=("ids",))
        # What Django's prefetch reads the rows with: the key of a related row's instance,
        # an instance's key, and the name of the cache (the same for every instance).
        queryset, self.related_key, self.instance_key, _single, self.cache_name, _d = (
            self._querysets([model(pk=STAND_IN_KEYS[0])])
        )
        self.related_model = queryset.model

    @classmethod
    def of(cls, model: type, name: str) -> ManyToManyPrefetch | None:
        """The kept prefetch of `model`'s many-to-many relation `name`, or None when its
        related records prefetch something of their own."""
        prefetch = cls(model, name)
        if prefetch._build(ids=[STAND_IN_KEYS[0]])._prefetch_related_lookups:
            return None
        return prefetch

    def _querysets(self, instances: list) -> tuple:
        return getattr(instances[0], self.name).get_prefetch_querysets(instances, None)

    def _build(self, *, ids: list[int]):
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
        for row in rows:
            _cache_on(row, self.name, self.cache_name, related.get(self.instance_key(row), []))
        return records


class ReverseForeignKeyPrefetch:
    """`prefetch_related(name)` of a reverse foreign key (a collectivité's `key_figures`),
    its query kept compiled: the related model's default queryset filtered on the foreign
    key, as Django's prefetch builds it, each record pointing back to its instance."""

    def __init__(self, model: type, name: str):
        self.model, self.name = model, name
        self.field = getattr(model, name).field
        self.related_model = self.field.model
        self.cache_name = self.field.remote_field.cache_name
        self.statement = Statement(self._build, bound=("ids",))

    @classmethod
    def of(cls, model: type, name: str) -> ReverseForeignKeyPrefetch | None:
        """The kept prefetch of `model`'s reverse foreign key `name`, or None when the key
        points elsewhere than the primary key, is composite, or the related records
        prefetch something of their own."""
        field = getattr(model, name).field
        target = field.target_field if len(field.foreign_related_fields) == 1 else None
        if target is None or not target.primary_key:
            return None
        prefetch = cls(model, name)
        if prefetch._build(ids=[STAND_IN_KEYS[0]])._prefetch_related_lookups:
            return None
        return prefetch

    def _build(self, *, ids: list[int]):
        # The queryset of Django's reverse many-to-one prefetch (the related manager's
        # default queryset, filtered on `<key>__in`), keys for instances: the same SQL.
        return self.related_model._default_manager.get_queryset().filter(
            **{f"{self.field.name}__in": ids}
        )

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
        for row in rows:
            _cache_on(row, self.name, self.cache_name, related.get(row.pk, []))
        return records
