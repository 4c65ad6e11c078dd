"""Reading data·inclusion's structures and services files, as published on data.gouv.fr
(JSON arrays, or CSV with lists written as JSON arrays or comma-separated), validating each
row against the national schema 1.0.8 (fixtures/schemas/data-inclusion-1.0.8/), keeping the
services that help create or develop an activity and those of ESS structures, and writing
them in one transaction, upserted on (source, id). Streamed (support/reading.py) in two
passes, so that memory holds the rows' keys, not the rows; a full file of a source
removes that source's services it no longer names.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
from django.conf import settings
from django.db import connection, transaction

from actors.models import Actor
from core.caching import bump_content_version
from support.models import NATIONAL_RANK, SupportService, SupportStructure, SupportZone
from support.reading import ImportError_, iter_rows
from territories.models import Territory, TerritoryKind

SCHEMA_DIR = Path(settings.BASE_DIR) / "fixtures" / "schemas" / "data-inclusion-1.0.8"

# The thematiques of a service that helps create or develop an activity.
SUPPORT_THEMATIQUES = frozenset(
    {
        "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
        "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
        "creer-une-entreprise--developper-son-entreprise",
    }
)
# `zone_eligibilite`: "france" or the country code 99100 mean the whole country; other
# 99xxx codes are foreign countries (no territory of the directory).
NATIONAL_CODES = {"france", "99100"}


@dataclass
class Report:
    file_date: datetime.date
    structures: int = 0
    services: int = 0
    linked: int = 0
    zones: int = 0
    unknown_zone_codes: Counter = field(default_factory=Counter)
    skipped_structures: int = 0
    skipped_services: int = 0
    removed_structures: int = 0
    removed_services: int = 0
    bad: list[tuple[str, int, str]] = field(default_factory=list)  # (file, row, reason)

    def lines(self) -> list[str]:
        lines = [
            f"Date des fichiers : {self.file_date.isoformat()}",
            f"Structures importées : {self.structures} (dont {self.linked} reliées à une "
            f"structure de l'ESS) ; ignorées : {self.skipped_structures}",
            f"Services importés : {self.services} ({self.zones} codes de zone) ; "
            f"ignorés (hors thématiques de création et hors structures de l'ESS) : "
            f"{self.skipped_services}",
            f"Retirés (absents du fichier de leur source) : {self.removed_services} services, "
            f"{self.removed_structures} structures",
            f"Lignes invalides : {len(self.bad)}",
        ]
        lines += [f"  {name}, ligne {row} : {reason}" for name, row, reason in self.bad]
        if self.unknown_zone_codes:
            codes = ", ".join(sorted(self.unknown_zone_codes))
            lines.append(f"Codes de zone inconnus de l'annuaire (ignorés) : {codes}")
        return lines


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def reason(error: jsonschema.ValidationError) -> str:
    """One validation error, in words a data producer reads: the field, then the message."""
    where = ".".join(str(part) for part in error.absolute_path) or "ligne"
    return f"{where} : {error.message}"


@cache
def _nullable(kind: str) -> frozenset[str]:
    """The optional properties the schema allows to be null."""
    schema = validator(kind).schema
    required = set(schema.get("required", []))
    return frozenset(
        name
        for name, spec in schema["properties"].items()
        if name not in required
        and any(option.get("type") == "null" for option in spec.get("anyOf", [spec]))
    )


def _row_errors(kind: str, row: dict) -> str | None:
    # The nulls of optional fields are valid: left out of the check, which they would
    # otherwise take a third of (a branch of anyOf each).
    nullable = _nullable(kind)
    checked = {key: value for key, value in row.items() if value is not None or key not in nullable}
    errors = sorted(validator(kind).iter_errors(checked), key=lambda e: list(e.absolute_path))
    return "; ".join(reason(error) for error in errors[:3]) if errors else None


def _chunks(values: set[str], size: int = 500) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def _actors_by_siret(sirets: set[str]) -> dict[str, int]:
    """The ESS structure of each SIRET: the one with that SIRET, else with its SIREN (the
    oldest, when several share it)."""
    by_siret: dict[str, int] = {}
    for chunk in _chunks(sirets):
        for siret, pk in (
            Actor.objects.filter(siret__in=chunk).order_by("-pk").values_list("siret", "pk")
        ):
            by_siret[siret] = pk
    by_siren: dict[str, int] = {}
    for chunk in _chunks({siret[:9] for siret in sirets if siret not in by_siret}):
        for siren, pk in (
            Actor.objects.filter(siren__in=chunk).order_by("-pk").values_list("siren", "pk")
        ):
            by_siren[siren] = pk
    found = {siret: by_siret.get(siret) or by_siren.get(siret[:9]) for siret in sirets}
    return {siret: pk for siret, pk in found.items() if pk}


Zones = dict[str, tuple[int | None, int]]


def _load_zones(all_codes: set[str], report: Report) -> Zones:
    """(territory id, rank) of every zone code of the files the directory knows, in one
    query; None for the whole country."""
    lengths = {5: {TerritoryKind.COMMUNE}, 9: {TerritoryKind.EPCI, TerritoryKind.EPT}}
    wanted = {code.upper() for code in all_codes if code not in NATIONAL_CODES}
    found: dict[str, tuple[int, int]] = {}
    kinds = [
        TerritoryKind.COMMUNE,
        TerritoryKind.EPCI,
        TerritoryKind.EPT,
        TerritoryKind.DEPARTEMENT,
    ]
    for chunk in _chunks(wanted):
        for territory_id, kind, code, rank in Territory.objects.filter(
            code__in=chunk, kind__in=kinds
        ).values_list("pk", "kind", "code", "rank"):
            if kind in lengths.get(len(code), {TerritoryKind.DEPARTEMENT}):
                found[code.upper()] = (territory_id, rank)
    zones: Zones = {}
    for code in all_codes:
        if code in NATIONAL_CODES:
            zones[code] = (None, NATIONAL_RANK)
        elif code.upper() in found:
            zones[code] = found[code.upper()]
        else:
            report.unknown_zone_codes[code] += 1
    return zones


Key = tuple[str, str]  # (source, id)
BATCH = 2000
# The advisory lock of the import's transaction on PostgreSQL ("dinc" in ASCII).
LOCK_KEY = 0x64696E63


def _rows(path: Path, kind: str) -> Iterator[tuple[int, object]]:
    return iter_rows(path, validator(kind).schema["properties"])


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def import_files(
    structures_path: Path, services_path: Path, *, file_date: datetime.date | None = None
) -> Report:
    """Import the two files; returns the report. Nothing is written when a file cannot be
    read (ImportError_); bad rows are left out and reported.

    Two streamed passes, so that memory does not grow with the rows (only their keys): the
    first validates every row and decides what is kept, the second, in one transaction,
    writes the kept rows by batches of BATCH, then removes what the files no longer name.
    """
    if file_date is None:
        file_date = datetime.date.fromtimestamp(services_path.stat().st_mtime)
    report = Report(file_date=file_date)
    stamps = (_stamp(structures_path), _stamp(services_path))

    # Pass 1. The valid structures: key → (its last row's number, SIRET).
    structures: dict[Key, tuple[int, str]] = {}
    # The sources the files speak for, and the services whose row is bad this time: left
    # as they were, not removed.
    sources: set[str] = set()
    bad_keys: set[Key] = set()
    for number, row in _rows(structures_path, "structure"):
        if not isinstance(row, dict):
            report.bad.append((structures_path.name, number, "ligne : un objet est attendu"))
            continue
        _note_source(row, sources, None)
        if problem := _row_errors("structure", row):
            report.bad.append((structures_path.name, number, problem))
            continue
        structures[(row["source"], row["id"])] = (number, row.get("siret") or "")
    actor_of = _actors_by_siret({siret for _number, siret in structures.values() if siret})

    # The kept services: key → (its row's number, its structure's key). A row repeated in
    # a file: the last one wins (an upsert may touch a row only once).
    kept: dict[Key, tuple[int, Key]] = {}
    zone_codes: set[str] = set()
    for number, row in _rows(services_path, "service"):
        if not isinstance(row, dict):
            report.bad.append((services_path.name, number, "ligne : un objet est attendu"))
            continue
        key = _note_source(row, sources, bad_keys)
        if problem := _row_errors("service", row):
            report.bad.append((services_path.name, number, problem))
            continue
        structure_key = (row["source"], row["structure_id"])
        structure = structures.get(structure_key)
        if structure is None:
            report.bad.append(
                (
                    services_path.name,
                    number,
                    f"structure_id : structure {row['structure_id']} absente ou invalide",
                )
            )
            continue
        bad_keys.discard(key)
        helps = bool(SUPPORT_THEMATIQUES & set(row.get("thematiques") or []))
        if not helps and not actor_of.get(structure[1]):
            report.skipped_services += 1
            kept.pop(key, None)
            continue
        kept[key] = (number, structure_key)
        zone_codes.update(row.get("zone_eligibilite") or [])

    kept_structures = {structure_key for _number, structure_key in kept.values()}
    report.skipped_structures = len(structures) - len(kept_structures)
    zones = _load_zones(zone_codes, report)
    structure_numbers = {structures[key][0]: key for key in kept_structures}
    service_numbers = {number: key for key, (number, _structure) in kept.items()}
    del structures

    # Pass 2, in one transaction, one import at a time (PostgreSQL: a lock held until the
    # transaction ends; SQLite writes one transaction at a time anyway).
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        structure_pks: dict[Key, int] = {}
        for batch in _batches(_again(structures_path, "structure", structure_numbers)):
            structure_pks.update(_write_structures(batch, actor_of, file_date, report))
        for batch in _batches(_again(services_path, "service", service_numbers)):
            _write_services(batch, structure_pks, zones, file_date, report)
        if (_stamp(structures_path), _stamp(services_path)) != stamps:
            raise ImportError_("Un fichier a changé pendant l'import : rien n'est importé.")
        _remove_absent(sources, bad_keys | set(kept), report)
        bump_content_version()
    return report


def _again(path: Path, kind: str, numbers: dict[int, Key]) -> Iterator[dict]:
    """The rows numbered `numbers` of the file, read again: the same as in the first pass
    (else the file changed meanwhile, and the import stops: rolled back)."""
    for number, row in _rows(path, kind):
        key = numbers.get(number)
        if key is None:
            continue
        if not isinstance(row, dict) or (row.get("source"), row.get("id")) != key:
            raise ImportError_(f"{path.name} a changé pendant l'import : rien n'est importé.")
        yield row


def _batches(rows: Iterator[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _note_source(row: dict, sources: set[str], bad_keys: set | None) -> tuple | None:
    """Note the row's source; a service's key goes into `bad_keys` until it proves valid."""
    source, di_id = row.get("source"), row.get("id")
    if not (isinstance(source, str) and source):
        return None
    sources.add(source)
    if bad_keys is None or not isinstance(di_id, str):
        return None
    bad_keys.add((source, di_id))
    return (source, di_id)


def _remove_absent(sources: set[str], left: set[tuple[str, str]], report: Report) -> None:
    """The files are full files of their sources: a service of one of those sources that
    is neither written now nor named by a bad row (`left`, kept as it was) is removed — gone
    from the file, or no longer kept (its thematiques changed, its structure left the ESS)
    —, then the structures of those sources left without a service. The sources the files
    do not name are left alone."""
    gone = [
        pk
        for pk, source, di_id in SupportService.objects.filter(source__in=sources).values_list(
            "pk", "source", "di_id"
        )
        if (source, di_id) not in left
    ]
    for start in range(0, len(gone), 500):
        SupportService.objects.filter(pk__in=gone[start : start + 500]).delete()
    report.removed_services = len(gone)
    report.removed_structures, _ = (
        SupportStructure.objects.filter(source__in=sources, services__isnull=True)
        .order_by()
        .delete()
    )


def _schema_fields(kind: str, row: dict) -> dict:
    """The row's fields the schema names, in its order (absent ones as null)."""
    return {name: row.get(name) for name in validator(kind).schema["properties"]}


def _text(row: dict, key: str) -> str:
    return (row.get(key) or "").strip() if isinstance(row.get(key), str) else ""


def _write_structures(rows, actor_of, file_date, report) -> dict[tuple[str, str], int]:
    objects = [
        SupportStructure(
            source=row["source"],
            di_id=row["id"],
            name=row["nom"],
            siret=row.get("siret") or "",
            actor_id=actor_of.get(row.get("siret") or ""),
            phone=_text(row, "telephone"),
            email=_text(row, "courriel"),
            website=_text(row, "site_web"),
            source_url=_text(row, "lien_source"),
            commune_label=_text(row, "commune"),
            updated_on=datetime.date.fromisoformat(row["date_maj"]),
            file_date=file_date,
            data=_schema_fields("structure", row),
        )
        for row in rows
    ]
    SupportStructure.objects.bulk_create(
        objects,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["source", "di_id"],
        update_fields=[
            "name",
            "siret",
            "actor",
            "phone",
            "email",
            "website",
            "source_url",
            "commune_label",
            "updated_on",
            "file_date",
            "imported_at",
            "data",
        ],
    )
    report.structures += len(objects)
    report.linked += sum(1 for item in objects if item.actor_id)
    return _pks(SupportStructure, objects)


def _pks(model, objects) -> dict[Key, int]:
    """The ids of the batch's rows just written, by (source, id)."""
    keys = {(item.source, item.di_id) for item in objects}
    return {
        (source, di_id): pk
        for pk, source, di_id in model.objects.filter(
            source__in={key[0] for key in keys}, di_id__in={key[1] for key in keys}
        ).values_list("pk", "source", "di_id")
        if (source, di_id) in keys
    }


def _write_services(rows, structure_pks, zones, file_date, report) -> None:
    objects = [
        SupportService(
            source=row["source"],
            di_id=row["id"],
            structure_id=structure_pks[(row["source"], row["structure_id"])],
            name=row["nom"],
            description=_text(row, "description"),
            thematiques=row.get("thematiques") or [],
            modes_accueil=row.get("modes_accueil") or [],
            modes_mobilisation=row.get("modes_mobilisation") or [],
            mobilisation_details=_text(row, "mobilisation_precisions"),
            mobilisation_url=_text(row, "lien_mobilisation"),
            contact_name=_text(row, "contact_nom_prenom"),
            phone=_text(row, "telephone"),
            email=_text(row, "courriel"),
            source_url=_text(row, "lien_source"),
            zone_codes=row.get("zone_eligibilite") or [],
            updated_on=datetime.date.fromisoformat(row["date_maj"]),
            file_date=file_date,
            data=_schema_fields("service", row),
        )
        for row in rows
    ]
    SupportService.objects.bulk_create(
        objects,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["source", "di_id"],
        update_fields=[
            "structure",
            "name",
            "description",
            "thematiques",
            "modes_accueil",
            "modes_mobilisation",
            "mobilisation_details",
            "mobilisation_url",
            "contact_name",
            "phone",
            "email",
            "source_url",
            "zone_codes",
            "updated_on",
            "file_date",
            "imported_at",
            "data",
        ],
    )
    report.services += len(objects)
    keys = {(item.source, item.di_id): item for item in objects}
    pks = _pks(SupportService, objects)
    # The zones are the file's: replaced whole.
    service_ids = list(pks.values())
    for start in range(0, len(service_ids), 500):
        SupportZone.objects.filter(service_id__in=service_ids[start : start + 500]).delete()
    zone_rows = [
        SupportZone(service_id=pks[key], code=code, territory_id=zone[0], rank=zone[1])
        for key, item in keys.items()
        for code in dict.fromkeys(item.zone_codes)
        if (zone := zones.get(code)) is not None
    ]
    SupportZone.objects.bulk_create(zone_rows, batch_size=1000)
    report.zones += len(zone_rows)
