"""What every app's seed loader shares: reading the files, writing only what differs.

Records are matched on natural keys and written only when a value differs, so a second run
changes nothing; records staff added in the admin are never deleted. Each app's `seed.py`
has a `load(loader)` function; `essdir.seed.load_seed` runs them in dependency order.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models


class SeedError(Exception):
    """The seed data is malformed or references something unknown."""


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, model: type[models.Model], created: bool, changed: bool) -> None:
        name = model._meta.verbose_name_plural
        if created:
            self.created[name] = self.created.get(name, 0) + 1
        elif changed:
            self.updated[name] = self.updated.get(name, 0) + 1

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


# libyaml's parser where PyYAML has it (its wheels do): the same documents, the seed's
# files read about ten times faster (0.6 s of a seed load in pure Python).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, *, missing_ok: bool = False) -> Any:
    """The YAML document at `path` (an empty list if `missing_ok` and there is none)."""
    if missing_ok and not path.exists():
        return []
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SAFE_LOADER)
    except FileNotFoundError as error:
        raise SeedError(f"Fichier introuvable : {path}") from error
    except yaml.YAMLError as error:
        raise SeedError(f"YAML invalide dans {path} : {error}") from error


def url(value: str | None) -> str:
    """A web address as sources write it ("www.example.org"), with the scheme a link needs."""
    value = (value or "").strip()
    if value and "://" not in value:
        value = f"https://{value}"
    return value


def text(value: Any) -> str:
    """A free text of the source, stripped ("" when the source is silent)."""
    return str(value if value is not None else "").strip()


def parse_date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as error:
        raise SeedError(f"{where} : date invalide {value!r}") from error


def parse_time(value: Any, where: str) -> datetime.time | None:
    if value in (None, ""):
        return None
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError as error:
        raise SeedError(f"{where} : heure invalide {value!r}") from error


@dataclass
class Loader:
    """One seed run: where the files are, the status given to records, what changed."""

    directory: Path
    status: str
    report: SeedReport = field(default_factory=SeedReport)
    # Records loaded so far, by kind ("collectivité", "acteur"…) then natural key, for the
    # files loaded later that refer to them.
    known: dict[str, dict[str, models.Model]] = field(default_factory=lambda: defaultdict(dict))
    # References that only a later app can resolve: the scheme roles of actors.
    scheme_roles: list[tuple[models.Model, str, str]] = field(default_factory=list)

    def remember(self, kind: str, key: str, record: models.Model) -> models.Model:
        self.known[kind][str(key)] = record
        return record

    def recall(self, kind: str, key: Any, where: str) -> models.Model:
        """A record loaded earlier; SeedError naming the file when there is none."""
        try:
            return self.known[kind][str(key)]
        except KeyError as error:
            raise SeedError(f"{where} : {kind} inconnu·e {key!r}") from error

    def recall_all(self, kind: str, keys: list | None, where: str) -> list[models.Model]:
        return [self.recall(kind, key, where) for key in keys or []]

    def upsert(self, model, lookup: dict, values: dict, *, validate: bool = True):
        """Create or update one record, writing only when a value differs."""
        instance = model.objects.filter(**lookup).first()
        created = instance is None
        if created:
            instance = model(**lookup)
        changed = False
        for name, value in values.items():
            model_field = model._meta.get_field(name)
            if model_field.many_to_one:
                current, wanted = (
                    getattr(instance, model_field.attname),
                    value.pk if value else None,
                )
            else:
                current, wanted = getattr(instance, name), value
            if current != wanted:
                setattr(instance, name, value)
                changed = True
        if created or changed:
            if validate:
                try:
                    instance.full_clean(validate_unique=False, validate_constraints=False)
                except ValidationError as error:
                    raise SeedError(f"{model.__name__} {lookup} : {error.message_dict}") from error
            instance.save()
        self.report.count(model, created, changed)
        return instance

    def set_m2m(self, instance, name: str, objects: list) -> None:
        """Make `instance.name` hold exactly `objects`, writing only when it differs."""
        manager = getattr(instance, name)
        wanted = {obj.pk for obj in objects}
        current = set(manager.values_list("pk", flat=True))
        if current != wanted:
            manager.set(objects)
            # Filling the relations of a record just created is part of its creation.
            self.report.count(type(instance), created=False, changed=bool(current))
