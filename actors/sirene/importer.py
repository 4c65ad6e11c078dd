"""The SIRENE import: the writer that turns INSEE's stock files into actors and
establishments (`import_sirene`, run by `manage.py import_sirene`).

Units are read into memory first (only the ESS units, packed: a few hundred bytes each),
then establishments are streamed in batches, each written in its own transaction: the
actors and establishments of a batch are looked up with one query each, and only what
differs is written. After the stream, establishments no longer seen open are marked closed
and actors whose unit left the kept units are archived; neither is ever deleted.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actors import sirene
from actors.derived import refresh_derived_data
from actors.models import Actor, Establishment, Family, SireneState
from actors.sirene.bulk import batches, chunks, insert_rows
from actors.sirene.report import CREATED, UNCHANGED, UPDATED, ImportReport
from actors.sirene.values import parse_date
from core.caching import bump_content_version
from territories.models import PublicationStatus, Territory, TerritoryKind

BATCH_SIZE = 5000
_FIELD_SEPARATOR = "\x1f"

# What an import writes on an actor: the official facts, and the fields derived from them.
ACTOR_FACTS = (
    "official_name",
    "legal_category",
    "naf_code",
    "rna",
    "employees_band",
    "sirene_created_on",
    "sirene_processed_on",
    "sirene_state",
    "legal_form",
    "family",
)
# Written only under conditions (see _actor_changes); never any other staff field.
ACTOR_CONDITIONAL = ("name", "territory_id", "status")
_ACTOR_COLUMNS = ("pk", "siren", "sirene_imported_at", *ACTOR_FACTS, *ACTOR_CONDITIONAL)

ESTABLISHMENT_FIELDS = (
    "actor_id",
    "nic",
    "name",
    "address",
    "address_complement",
    "postal_code",
    "commune_id",
    "commune_code",
    "commune_label",
    "naf_code",
    "employees_band",
    "is_head_office",
    "created_on",
    "latitude",
    "longitude",
    "is_active",
    "closed_on",
)


class SireneImportError(Exception):
    """The import cannot run: unreadable input or unknown area; the message is in French."""


class UnitFacts(NamedTuple):
    """What the import keeps of an ESS unit while establishments stream."""

    name: str
    legal_category: str
    naf_code: str
    rna: str
    created_on: datetime.date | None
    employees_band: str
    processed_on: datetime.date | None


def pack_unit(unit: sirene.Unit) -> bytes:
    """A unit as one compact value (a national import holds about a million of them)."""
    return _FIELD_SEPARATOR.join(
        (
            unit.name,
            unit.legal_category,
            unit.naf_code,
            unit.rna,
            unit.created_on.isoformat() if unit.created_on else "",
            unit.employees_band,
            unit.updated_at[:10],
        )
    ).encode()


def unpack_unit(packed: bytes) -> UnitFacts:
    name, category, naf, rna, created, employees, processed = packed.decode().split(
        _FIELD_SEPARATOR
    )
    return UnitFacts(
        name, category, naf, rna, parse_date(created), employees, parse_date(processed)
    )


def commune_code_of(code: str) -> str:
    """The commune of a SIRENE commune code: municipal arrondissements of Paris, Lyon and
    Marseille (75111, 69381, 13201…) belong to their commune (75056, 69123, 13055)."""
    if "75101" <= code <= "75120":
        return "75056"
    if "69381" <= code <= "69389":
        return "69123"
    if "13201" <= code <= "13216":
        return "13055"
    return code


class _Communes:
    """The communes of the directory by INSEE code: id, name, département and région."""

    def __init__(self):
        self.by_code: dict[str, tuple[int, str, str, str]] = {
            code: (pk, name, departement, region)
            for code, pk, name, departement, region in Territory.objects.communes().values_list(
                "code", "pk", "name", "departement_code", "region_code"
            )
        }

    def get(self, code: str) -> tuple[int, str] | None:
        """(id, name) of the commune a SIRENE code names, or None when unknown."""
        found = self.by_code.get(commune_code_of(code))
        return (found[0], found[1]) if found else None

    def area(self, departements: Iterable[str], regions: Iterable[str]) -> sirene.Area | None:
        departements = sorted({code.strip().upper() for code in departements})
        regions = sorted({code.strip() for code in regions})
        if not (departements or regions):
            return None
        known = Territory.objects.filter(
            kind__in=[TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
        ).values_list("kind", "code")
        known_departements = {code for kind, code in known if kind == TerritoryKind.DEPARTEMENT}
        known_regions = {code for kind, code in known if kind == TerritoryKind.REGION}
        unknown = [f"département {c}" for c in departements if c not in known_departements]
        unknown += [f"région {c}" for c in regions if c not in known_regions]
        if unknown:
            raise SireneImportError(
                f"Territoire inconnu de l'annuaire : {', '.join(unknown)} "
                "(importez d'abord la géographie)."
            )
        return sirene.Area(
            departements=departements,
            regions=regions,
            communes={code: (dep, reg) for code, (_pk, _n, dep, reg) in self.by_code.items()},
        )


def _mark(outcomes: bytearray, pk: int, outcome: int) -> int:
    """Record `outcome` for row `pk` (the strongest one wins); return the previous one."""
    if pk >= len(outcomes):
        outcomes.extend(bytes(max(pk + 1 - len(outcomes), len(outcomes) // 2, 1024)))
    previous = outcomes[pk]
    outcomes[pk] = max(previous, outcome)
    return previous


def legal_form_of(category: str, current: str) -> str:
    """The legal form shown for an INSEE legal category (the current one if unknown)."""
    return (sirene.legal_category_label(category) or current)[:120]


def _actor_changes(
    current: dict, unit: UnitFacts, *, head_office: int | None, may_fill_territory: bool
) -> dict:
    """The fields of an existing actor that the unit's facts change.

    The displayed name follows a renamed official name only while it still is the previous
    official name (staff who chose another keep theirs); the territory is filled from the
    head office only when empty, on the import that first gives the actor its official
    facts; an actor archived because its unit had left comes back when the unit does.
    """
    wanted = {
        "official_name": unit.name[:300],
        "legal_category": unit.legal_category,
        "naf_code": unit.naf_code,
        "rna": unit.rna,
        "employees_band": unit.employees_band,
        "sirene_created_on": unit.created_on,
        "sirene_processed_on": unit.processed_on,
        "sirene_state": SireneState.ACTIVE,
        "legal_form": legal_form_of(unit.legal_category, current["legal_form"]),
        "family": sirene.ess_family(unit.legal_category),
    }
    if current["official_name"] and current["name"] == current["official_name"]:
        wanted["name"] = wanted["official_name"]
    if may_fill_territory and current["territory_id"] is None and head_office is not None:
        wanted["territory_id"] = head_office
    if (
        current["sirene_state"] == SireneState.CEASED
        and current["status"] == PublicationStatus.ARCHIVED
    ):
        wanted["status"] = PublicationStatus.PUBLISHED
    return {name: value for name, value in wanted.items() if current[name] != value}


def _preferred_by_siren(rows: Iterable[dict]) -> dict[str, dict]:
    """One actor per SIREN: the one holding official facts, else the oldest."""
    chosen: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["sirene_imported_at"] is None, r["pk"])):
        chosen.setdefault(row["siren"], row)
    return chosen


class _SireneImport:
    """One run of the import (see import_sirene)."""

    def __init__(self, *, report, units, communes, dry_run, now):
        self.report = report
        self.units: dict[str, bytes] = units
        self.communes: _Communes = communes
        self.dry_run = dry_run
        self.now = now
        self.today = timezone.localdate(now)
        self.actor_outcomes = bytearray()
        self.establishment_outcomes = bytearray()
        # SIRENs whose actor got its official facts for the first time in this run: the
        # import may fill their territory from the head office.
        self.first_facts: set[str] = set()
        # A dry run writes nothing: what it would create, to count it once.
        self.would_create_actors: set[str] = set()
        self.would_create_establishments: set[str] = set()
        # Existing actors whose territory or names changed: what they are found by follows.
        self.refresh: set[int] = set()
        # Every column of a new actor, as the model's defaults give it.
        blank = Actor()
        self.actor_defaults = {
            f.attname: getattr(blank, f.attname)
            for f in Actor._meta.concrete_fields
            if not f.primary_key
        }

    # -- actors ------------------------------------------------------------------------

    def actors_by_siren(self, sirens: Iterable[str]) -> dict[str, dict]:
        rows = Actor.objects.filter(siren__in=list(sirens)).order_by().values(*_ACTOR_COLUMNS)
        return _preferred_by_siren(rows)

    def new_actor(self, siren: str, unit: UnitFacts, head_office) -> dict:
        """The row of a new actor (every column but the key)."""
        territory_id, commune_name = head_office if head_office else (None, "")
        name = unit.name[:300]
        return self.actor_defaults | {
            "name": name,
            "slug": f"{slugify(name)[:100].strip('-') or 'structure'}-{siren}",
            "siren": siren,
            "status": PublicationStatus.PUBLISHED.value,
            "family": sirene.ess_family(unit.legal_category) or Family.UNKNOWN.value,
            "legal_form": legal_form_of(unit.legal_category, ""),
            "territory_id": territory_id,
            # What refresh_search_context() gives an actor without themes nor partners.
            "search_context": commune_name,
            "official_name": name,
            "legal_category": unit.legal_category,
            "naf_code": unit.naf_code,
            "rna": unit.rna,
            "employees_band": unit.employees_band,
            "sirene_created_on": unit.created_on,
            "sirene_processed_on": unit.processed_on,
            "sirene_state": SireneState.ACTIVE.value,
            "sirene_imported_at": self.now,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def unique_slugs(self, actors: list[dict]) -> None:
        taken = set(
            Actor.objects.filter(slug__in=[a["slug"] for a in actors]).values_list(
                "slug", flat=True
            )
        )
        for actor in actors:
            base, counter = actor["slug"], 2
            while actor["slug"] in taken:
                actor["slug"] = f"{base}-{counter}"
                counter += 1
            taken.add(actor["slug"])

    def update_actors(self, rows: dict[str, dict], head_offices: dict) -> dict[str, int]:
        """Write the changed facts of existing actors; return their ids by SIREN."""
        changed: list[tuple[dict, dict]] = []
        for siren, current in rows.items():
            if current["sirene_imported_at"] is None:
                self.first_facts.add(siren)
            head_office = head_offices.get(siren)
            changes = _actor_changes(
                current,
                unpack_unit(self.units[siren]),
                head_office=head_office[0] if head_office else None,
                may_fill_territory=siren in self.first_facts,
            )
            _mark(self.actor_outcomes, current["pk"], UPDATED if changes else UNCHANGED)
            if changes:
                changed.append((current, changes))
                if current["sirene_state"] == SireneState.CEASED:
                    self.report.reappeared += 1
                if {"territory_id", "official_name", "name"} & changes.keys():
                    # What it is found by: its territory, an official name staff renamed.
                    self.refresh.add(current["pk"])
        if changed and not self.dry_run:
            fields = sorted({name for _current, changes in changed for name in changes})
            objects = []
            for current, changes in changed:
                values = {name: current[name] for name in fields} | changes
                objects.append(
                    Actor(
                        pk=current["pk"],
                        **values,
                        sirene_imported_at=self.now,
                        updated_at=self.now,
                    )
                )
            Actor.objects.bulk_update(
                objects, [*fields, "sirene_imported_at", "updated_at"], batch_size=1000
            )
        return {siren: row["pk"] for siren, row in rows.items()}

    # -- a batch of establishments --------------------------------------------------------

    def write_batch(self, batch: list[sirene.Establishment]) -> None:
        head_offices = {}
        for establishment in batch:
            if establishment.is_head_office:
                head_offices[establishment.siren] = self.communes.get(establishment.commune_code)
        sirens = sorted({establishment.siren for establishment in batch})
        existing = self.actors_by_siren(sirens)
        actor_ids = self.update_actors(existing, head_offices)

        new = [
            siren
            for siren in sirens
            if siren not in existing and siren not in self.would_create_actors
        ]
        created = [
            self.new_actor(siren, unpack_unit(self.units[siren]), head_offices.get(siren))
            for siren in new
        ]
        self.first_facts.update(new)
        if self.dry_run:
            self.would_create_actors.update(new)
            self.report.actors.created += len(new)
        elif created:
            self.unique_slugs(created)
            for actor, pk in zip(created, insert_rows(Actor, created), strict=True):
                actor_ids[actor["siren"]] = pk
                _mark(self.actor_outcomes, pk, CREATED)

        self.write_establishments(batch, actor_ids)

    def write_establishments(self, batch, actor_ids: dict[str, int]) -> None:
        existing = {
            row["siret"]: row
            for row in Establishment.objects.filter(siret__in=[e.siret for e in batch])
            .order_by()
            .values("pk", "siret", *ESTABLISHMENT_FIELDS)
        }
        creates: list[dict] = []
        changed: list[tuple[dict, dict]] = []
        for establishment in batch:
            commune = self.communes.get(establishment.commune_code)
            if commune is None:
                self.report.unknown_communes[establishment.commune_code] += 1
            actor_id = actor_ids.get(establishment.siren)
            wanted = {
                "actor_id": actor_id,
                "nic": establishment.nic,
                "name": establishment.name[:300],
                "address": establishment.address[:300],
                "address_complement": establishment.address_complement[:300],
                "postal_code": establishment.postal_code[:10],
                "commune_id": commune[0] if commune else None,
                "commune_code": establishment.commune_code[:5],
                "commune_label": establishment.commune_label[:100],
                "naf_code": establishment.naf_code[:6],
                "employees_band": establishment.employees_band[:2],
                "is_head_office": establishment.is_head_office,
                "created_on": establishment.created_on,
                "latitude": establishment.latitude,
                "longitude": establishment.longitude,
                "is_active": True,
                "closed_on": None,
            }
            current = existing.get(establishment.siret)
            if current is None:
                # Created once, even when the file lists it twice.
                existing[establishment.siret] = {"pk": None}
                if self.dry_run:
                    if establishment.siret not in self.would_create_establishments:
                        self.would_create_establishments.add(establishment.siret)
                        self.report.establishments.created += 1
                    continue
                creates.append({"siret": establishment.siret, "updated_at": self.now, **wanted})
                continue
            if current["pk"] is None:
                continue
            changes = {name: value for name, value in wanted.items() if current[name] != value}
            _mark(self.establishment_outcomes, current["pk"], UPDATED if changes else UNCHANGED)
            if changes:
                changed.append((current, changes))
                if not current["is_active"]:
                    self.report.reopened += 1
        if self.dry_run:
            return
        for pk in insert_rows(Establishment, creates):
            _mark(self.establishment_outcomes, pk, CREATED)
        if changed:
            fields = sorted({name for _current, changes in changed for name in changes})
            Establishment.objects.bulk_update(
                [
                    Establishment(
                        pk=current["pk"],
                        **({name: current[name] for name in fields} | changes),
                        updated_at=self.now,
                    )
                    for current, changes in changed
                ],
                [*fields, "updated_at"],
                batch_size=1000,
            )

    # -- after the stream -------------------------------------------------------------------

    def close_unseen(self, area: sirene.Area | None) -> None:
        """Establishments open in the imported area that the import did not see: closed."""
        unseen = [
            pk
            for pk, code in Establishment.objects.active()
            .order_by()
            .values_list("pk", "commune_code")
            .iterator(chunk_size=10_000)
            if not (pk < len(self.establishment_outcomes) and self.establishment_outcomes[pk])
            and (area is None or area.contains(code))
        ]
        self.report.closed = len(unseen)
        if self.dry_run:
            return
        for chunk in chunks(unseen, BATCH_SIZE):
            with transaction.atomic():
                Establishment.objects.filter(pk__in=chunk).update(
                    is_active=False, closed_on=self.today, updated_at=self.now
                )

    def finish_actors(self, *, whole_country: bool) -> None:
        """Actors the stream did not reach: their unit's facts when it is kept (a SIREN
        staff attached, a structure without open establishment), archived when their unit
        has left the kept units (the units file is always national).

        An import limited to an area refreshes the facts of the other actors only when
        they have none yet or had been archived: the others' establishments were not read.
        """
        refresh, archive = [], []
        for pk, siren, state, imported_at in (
            Actor.objects.exclude(siren="")
            .order_by()
            .values_list("pk", "siren", "sirene_state", "sirene_imported_at")
            .iterator(chunk_size=10_000)
        ):
            if pk < len(self.actor_outcomes) and self.actor_outcomes[pk]:
                continue
            if siren in self.units:
                if whole_country or imported_at is None or state == SireneState.CEASED:
                    refresh.append(siren)
            elif imported_at is not None and state != SireneState.CEASED:
                archive.append(pk)
        for chunk in chunks(sorted(set(refresh)), BATCH_SIZE):
            with transaction.atomic():
                rows = Actor.objects.filter(siren__in=chunk).order_by().values(*_ACTOR_COLUMNS)
                # A SIREN whose preferred actor the stream reached is done.
                by_siren = _preferred_by_siren(rows)
                pending = {
                    siren: row
                    for siren, row in by_siren.items()
                    if not (row["pk"] < len(self.actor_outcomes) and self.actor_outcomes[row["pk"]])
                }
                self.update_actors(pending, {})
        self.report.archived = len(archive)
        if self.dry_run:
            return
        for chunk in chunks(archive, BATCH_SIZE):
            with transaction.atomic():
                Actor.objects.filter(pk__in=chunk).update(
                    status=PublicationStatus.ARCHIVED,
                    sirene_state=SireneState.CEASED,
                    sirene_imported_at=self.now,
                    updated_at=self.now,
                )

    def tally(self) -> None:
        self.report.actors.add(self.actor_outcomes)
        self.report.establishments.add(self.establishment_outcomes)


def read_kept_units(path: str | Path, report: sirene.ReadReport) -> dict[str, bytes]:
    """The ESS units of a StockUniteLegale file, packed, by SIREN."""
    return {unit.siren: pack_unit(unit) for unit in sirene.read_units(path, report=report)}


def import_sirene(
    *,
    units: str | Path,
    establishments: str | Path,
    geolocation: str | Path | None = None,
    departements: Iterable[str] = (),
    regions: Iterable[str] = (),
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the ESS structures of INSEE's SIRENE stock files, and their establishments.

    Idempotent and incremental: rows are matched by SIREN and SIRET and written only when
    a fact differs (a second run writes nothing). Staff fields are never written; see
    `_actor_changes` for the name, territory and status. With `departements` / `regions`,
    only establishments located there are read, and only those are closed when absent.
    Bad input raises SireneImportError naming the file and line; batches already written
    stay (a new run completes the job), the batch in progress rolls back, and nothing is
    closed or archived.
    """
    report = ImportReport(read=sirene.ReadReport(), dry_run=dry_run)
    clock = timezone.now
    started = clock()
    communes = _Communes()
    area = communes.area(departements, regions)
    try:
        kept = read_kept_units(units, report.read)
        report.seconds["unités"] = (clock() - started).total_seconds()
        points = (
            sirene.read_geolocation(geolocation, sirens=kept) if geolocation is not None else None
        )
        run = _SireneImport(
            report=report, units=kept, communes=communes, dry_run=dry_run, now=started
        )
        stream_started = clock()
        rows = sirene.read_establishments(
            establishments, units=kept, report=report.read, area=area, geolocation=points
        )
        for batch in batches(rows, batch_size):
            with transaction.atomic():
                run.write_batch(batch)
    except sirene.SireneFormatError as error:
        raise SireneImportError(str(error)) from error
    except FileNotFoundError as error:
        raise SireneImportError(f"Fichier introuvable : {error.filename}") from error
    report.seconds["établissements"] = (clock() - stream_started).total_seconds()
    finish_started = clock()
    run.close_unseen(area)
    run.finish_actors(whole_country=area is None)
    run.tally()
    if not dry_run:
        if run.refresh:
            for chunk in chunks(sorted(run.refresh), BATCH_SIZE):
                Actor.objects.filter(pk__in=chunk).refresh_search_context()
        if report.changes:
            # Where actors act and the panoramas follow the new establishments; bulk
            # writes send no signals: cached pages follow here.
            refresh_derived_data()
            bump_content_version()
    report.seconds["fin"] = (clock() - finish_started).total_seconds()
    report.seconds["total"] = (clock() - started).total_seconds()
    return report
