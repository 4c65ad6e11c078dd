"""Load the seed data of fixtures/seed/ (transcribed from the source documents).

Records are matched on natural keys and written only when a value differs, so a second run
changes nothing; records staff added in the admin are never deleted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from territories.models import (
    Action,
    Budget,
    BudgetLine,
    Collectivite,
    Contact,
    KeyFigure,
    PublicationStatus,
    Scheme,
    SchemeFunder,
    Source,
    StrategicAxis,
    Territory,
    Theme,
)

DEFAULT_SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"


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


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise SeedError(f"Fichier introuvable : {path}") from error
    except yaml.YAMLError as error:
        raise SeedError(f"YAML invalide dans {path} : {error}") from error


def _url(value: str | None) -> str:
    # Sources often write "www.example.org"; the link needs a scheme.
    value = (value or "").strip()
    if value and "://" not in value:
        value = f"https://{value}"
    return value


def _date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as error:
        raise SeedError(f"{where} : date invalide {value!r}") from error


def _time(value: Any, where: str) -> datetime.time | None:
    if value in (None, ""):
        return None
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError as error:
        raise SeedError(f"{where} : heure invalide {value!r}") from error


class Loader:
    def __init__(self, directory: Path, status: str) -> None:
        self.directory = directory
        self.status = status
        self.report = SeedReport()
        self._territories: dict[str, Territory] = {}
        self._sources: dict[str, Source] = {}
        self._themes: dict[str, Theme] = {}
        self._collectivites: dict[str, Collectivite] = {}
        self._schemes: dict[str, Scheme] = {}
        # Scheme → actor references, resolved once actors exist.
        self.pending_scheme_roles: list[tuple[Scheme, str, str]] = []

    # --- generic helpers ----------------------------------------------------------------------

    def upsert(self, model, lookup: dict, values: dict, *, validate: bool = True):
        """Create or update one record, writing only when a value differs."""
        instance = model.objects.filter(**lookup).first()
        created = instance is None
        if created:
            instance = model(**lookup)
        changed = False
        for name, value in values.items():
            field = model._meta.get_field(name)
            if field.many_to_one:
                current, wanted = getattr(instance, field.attname), value.pk if value else None
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
        manager = getattr(instance, name)
        wanted = {obj.pk for obj in objects}
        current = set(manager.values_list("pk", flat=True))
        if current != wanted:
            manager.set(objects)
            # Filling the relations of a record just created is part of its creation.
            self.report.count(type(instance), created=False, changed=bool(current))

    def territory(self, slug: str | None, where: str) -> Territory | None:
        if not slug:
            return None
        if slug not in self._territories:
            found = Territory.objects.by_slug(slug).first()
            if found is None:
                raise SeedError(f"{where} : territoire inconnu {slug!r}")
            self._territories[slug] = found
        return self._territories[slug]

    def territories(self, slugs: list[str] | None, where: str) -> list[Territory]:
        return [self.territory(slug, where) for slug in slugs or []]

    def sources(self, codes: list | None, where: str) -> list[Source]:
        try:
            return [self._sources[str(code)] for code in codes or []]
        except KeyError as error:
            raise SeedError(f"{where} : source inconnue {error}") from error

    def themes(self, slugs: list[str] | None, where: str) -> list[Theme]:
        try:
            return [self._themes[slug] for slug in slugs or []]
        except KeyError as error:
            raise SeedError(f"{where} : thème inconnu {error}") from error

    def collectivite(self, slug: str, where: str) -> Collectivite:
        try:
            return self._collectivites[slug]
        except KeyError as error:
            raise SeedError(f"{where} : collectivité inconnue {slug!r}") from error

    # --- sections -------------------------------------------------------------------------------

    def load_reference(self) -> None:
        for row in _read_yaml(self.directory / "sources.yaml"):
            code = str(row["code"])
            self._sources[code] = self.upsert(
                Source,
                {"code": code},
                {
                    "title": row["title"],
                    "publisher": row.get("publisher", ""),
                    "file": row.get("file", ""),
                    "url": _url(row.get("url")),
                    "as_of": str(row.get("as_of") or ""),
                    "as_of_note": row.get("as_of_note", ""),
                },
            )
        for row in _read_yaml(self.directory / "themes.yaml"):
            self._themes[row["slug"]] = self.upsert(
                Theme, {"slug": row["slug"]}, {"name": row["name"]}
            )

    def load_collectivites(self) -> None:
        files = sorted((self.directory / "collectivites").glob("*.yaml"))
        documents = [(path, _read_yaml(path)) for path in files]
        # Every collectivité first: schemes reference other collectivités as funders.
        for path, doc in documents:
            self._collectivites[doc["slug"]] = self._collectivite(path, doc)
        for path, doc in documents:
            self._collectivite_children(path.name, self._collectivites[doc["slug"]], doc)

    def _collectivite(self, path: Path, doc: dict) -> Collectivite:
        where = path.name
        collectivite = self.upsert(
            Collectivite,
            {"slug": doc["slug"]},
            {
                "name": doc["name"],
                "short_name": doc.get("short_name", ""),
                "kind": doc["kind"],
                "type_label": doc.get("type_label", ""),
                "territory": self.territory(doc["territory"], where),
                "population": doc.get("population"),
                "population_label": str(doc.get("population_label") or ""),
                "address": (doc.get("address") or "").strip(),
                "rtes_membership_year": doc.get("rtes_membership_year"),
                "rtes_role": doc.get("rtes_role", ""),
                "website": _url(doc.get("website")),
                "panorama": (doc.get("panorama") or "").strip(),
                "programme": (doc.get("programme") or "").strip(),
                "status": self.status,
            },
        )
        self.set_m2m(collectivite, "sources", self.sources(doc.get("sources"), where))
        return collectivite

    def _collectivite_children(self, where: str, collectivite: Collectivite, doc: dict) -> None:
        default_sources = doc.get("sources")
        for order, row in enumerate(doc.get("key_figures") or []):
            self.upsert(
                KeyFigure,
                {"collectivite": collectivite, "label": row["label"]},
                {
                    "value": str(row["value"]),
                    "year": row.get("year"),
                    "source_note": row.get("source_note", ""),
                    "order": order,
                },
            )
        for order, row in enumerate(doc.get("axes") or []):
            self.upsert(
                StrategicAxis,
                {"collectivite": collectivite, "title": row["title"]},
                {"description": (row.get("description") or "").strip(), "order": order},
            )
        for order, row in enumerate(doc.get("actions") or []):
            action = self.upsert(
                Action,
                {"collectivite": collectivite, "title": row["title"]},
                {
                    "period": str(row.get("period") or ""),
                    "description": (row.get("description") or "").strip(),
                    "order": order,
                },
            )
            self.set_m2m(action, "themes", self.themes(row.get("themes"), where))
        for row in doc.get("schemes") or []:
            self._scheme(where, collectivite, row, default_sources)
        for order, row in enumerate(doc.get("contacts") or []):
            contact = self.upsert(
                Contact,
                {
                    "collectivite": collectivite,
                    "name": row.get("name") or "",
                    "title": row.get("title") or "",
                },
                {
                    "role": {"elected": "elu", "officer": "agent"}[row["role"]],
                    "service": row.get("service", ""),
                    "phone": str(row.get("phone") or ""),
                    "email": row.get("email", ""),
                    "is_central": bool(row.get("is_central")),
                    "is_ctes": bool(row.get("is_ctes")),
                    "order": order,
                    "status": self.status,
                },
            )
            served = self.territories(row.get("territories"), where) or [collectivite.territory]
            self.set_m2m(contact, "territories", served)
            self.set_m2m(
                contact, "sources", self.sources(row.get("sources") or default_sources, where)
            )
        for row in doc.get("budgets") or []:
            budget = self.upsert(
                Budget,
                {
                    "collectivite": collectivite,
                    "year": row.get("year"),
                    "label": row.get("label", ""),
                },
                {
                    "staff_fte": Decimal(str(row["staff_fte"]))
                    if row.get("staff_fte") is not None
                    else None,
                    "staff_note": (row.get("staff_note") or "").strip(),
                    "note": (row.get("note") or "").strip(),
                    "status": self.status,
                },
            )
            self.set_m2m(
                budget, "sources", self.sources(row.get("sources") or default_sources, where)
            )
            for order, line in enumerate(row.get("lines") or []):
                scheme_slug = line.get("scheme")
                if scheme_slug and scheme_slug not in self._schemes:
                    raise SeedError(f"{where} : dispositif inconnu {scheme_slug!r}")
                self.upsert(
                    BudgetLine,
                    {"budget": budget, "label": line["label"], "section": line.get("section", "")},
                    {
                        "amount": line.get("amount"),
                        "approximate": bool(line.get("approximate")),
                        "scheme": self._schemes.get(scheme_slug) if scheme_slug else None,
                        "order": order,
                    },
                )

    def _scheme(self, where: str, collectivite: Collectivite, row: dict, default_sources) -> None:
        slug = row.get("slug") or slugify(row["name"])
        scheme = self.upsert(
            Scheme,
            {"slug": slug},
            {
                "name": row["name"],
                "kind": row["kind"],
                "collectivite": collectivite,
                "summary": (row.get("summary") or "").strip(),
                "description": (row.get("description") or "").strip(),
                "eligibility": (row.get("eligibility") or "").strip(),
                "territory": self.territory(row.get("territory"), where),
                "period_label": str(row.get("period_label") or ""),
                "start_year": row.get("start_year"),
                "end_year": row.get("end_year"),
                "opens_on": _date(row.get("opens_on"), where),
                "closes_on": _date(row.get("closes_on"), where),
                "amount": row.get("amount"),
                "amount_note": str(row.get("amount_note") or ""),
                "results": (row.get("results") or "").strip(),
                "status": self.status,
            },
        )
        self._schemes[slug] = scheme
        self.set_m2m(scheme, "themes", self.themes(row.get("themes"), where))
        self.set_m2m(scheme, "sources", self.sources(row.get("sources") or default_sources, where))
        for order, funder in enumerate(row.get("funders") or []):
            funder_collectivite = (
                self.collectivite(funder["collectivite"], where)
                if funder.get("collectivite")
                else None
            )
            self.upsert(
                SchemeFunder,
                {
                    "scheme": scheme,
                    "collectivite": funder_collectivite,
                    "name": funder.get("name", ""),
                },
                {
                    "share": Decimal(str(funder["share"]))
                    if funder.get("share") is not None
                    else None,
                    "share_label": funder.get("share_label", ""),
                    "amount": funder.get("amount"),
                    "order": order,
                },
            )
        for role, key in (("operator", "operators"), ("beneficiary", "beneficiaries")):
            for actor_slug in row.get(key) or []:
                self.pending_scheme_roles.append((scheme, actor_slug, role))


@transaction.atomic
def load_seed(
    *, directory: Path = DEFAULT_SEED_DIR, status: str = PublicationStatus.PUBLISHED
) -> SeedReport:
    """Load every seed file of `directory`; idempotent. Raises SeedError on bad data."""
    # Imported here: the actors and events apps depend on territories, not the reverse.
    from actors.seed import load_actors
    from events.seed import load_events

    loader = Loader(directory, status)
    loader.load_reference()
    loader.load_collectivites()
    load_actors(loader)
    load_events(loader)
    return loader.report
