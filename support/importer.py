"""Reading data·inclusion's structures and services files, as published on data.gouv.fr
(JSON arrays, or CSV with lists written as JSON arrays or comma-separated), validating each
row against the national schema 1.0.8 (fixtures/schemas/data-inclusion-1.0.8/), keeping the
services that help create or develop an activity and those of ESS structures, and writing
them in one transaction, upserted on (source, id).
"""

from __future__ import annotations

import csv
import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
from django.conf import settings
from django.db import transaction

from actors.models import Actor
from core.caching import bump_content_version
from support.models import NATIONAL_RANK, SupportService, SupportStructure, SupportZone
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


class ImportError_(Exception):
    """The files cannot be read at all (in French)."""


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


def _row_errors(kind: str, row: dict) -> str | None:
    errors = sorted(validator(kind).iter_errors(row), key=lambda e: list(e.absolute_path))
    return "; ".join(reason(error) for error in errors[:3]) if errors else None


def _csv_value(value: str, spec: dict):
    """A CSV cell typed as the schema's property says (empty is null)."""
    if value == "":
        return None
    types = {option.get("type") for option in spec.get("anyOf", [spec])}
    if "array" in types:
        if value.startswith("["):
            return json.loads(value)
        return [item.strip() for item in value.split(",") if item.strip()]
    try:
        if "integer" in types:
            return int(value)
        if "number" in types:
            return float(value)
    except ValueError:
        return value  # left to the schema to reject
    return value


def read_rows(path: Path, kind: str) -> list[dict]:
    """The rows of a data·inclusion file: a JSON array, or a CSV with a header."""
    try:
        if path.suffix.lower() == ".csv":
            properties = validator(kind).schema["properties"]
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [
                    {
                        key: _csv_value(value or "", properties.get(key, {}))
                        for key, value in row.items()
                    }
                    for row in csv.DictReader(handle)
                ]
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImportError_(f"{path} : fichier illisible ({error}).") from error
    if not isinstance(data, list):
        raise ImportError_(f"{path} : un tableau JSON de lignes est attendu.")
    return data


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


def import_files(
    structures_path: Path, services_path: Path, *, file_date: datetime.date | None = None
) -> Report:
    """Import the two files; returns the report. Nothing is written when a file cannot be
    read (ImportError_); bad rows are left out and reported."""
    if file_date is None:
        file_date = datetime.date.fromtimestamp(services_path.stat().st_mtime)
    report = Report(file_date=file_date)
    structure_rows = read_rows(structures_path, "structure")
    service_rows = read_rows(services_path, "service")

    structures: dict[tuple[str, str], dict] = {}
    # The sources the files speak for, and the services whose row is bad this time: left
    # as they were, not removed.
    sources: set[str] = set()
    bad_keys: set[tuple[str, str]] = set()
    for number, row in enumerate(structure_rows, start=1):
        if not isinstance(row, dict):
            report.bad.append((structures_path.name, number, "ligne : un objet est attendu"))
            continue
        _note_source(row, sources, None)
        if problem := _row_errors("structure", row):
            report.bad.append((structures_path.name, number, problem))
            continue
        structures[(row["source"], row["id"])] = row
    actor_of = _actors_by_siret({row["siret"] for row in structures.values() if row.get("siret")})

    # A row repeated in a file: the last one wins (an upsert may touch a row only once).
    kept: dict[tuple[str, str], dict] = {}
    for number, row in enumerate(service_rows, start=1):
        if not isinstance(row, dict):
            report.bad.append((services_path.name, number, "ligne : un objet est attendu"))
            continue
        key = _note_source(row, sources, bad_keys)
        if problem := _row_errors("service", row):
            report.bad.append((services_path.name, number, problem))
            continue
        structure = structures.get((row["source"], row["structure_id"]))
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
        if not helps and not actor_of.get(structure.get("siret") or ""):
            report.skipped_services += 1
            continue
        kept[(row["source"], row["id"])] = row
    services = list(kept.values())

    kept_structures = {(row["source"], row["structure_id"]) for row in services}
    report.skipped_structures = len(structures) - len(kept_structures)
    zones = _load_zones(
        {code for row in services for code in row.get("zone_eligibilite") or []}, report
    )

    with transaction.atomic():
        structure_pks = _write_structures(
            [structures[key] for key in sorted(kept_structures)], actor_of, file_date, report
        )
        _write_services(services, structure_pks, zones, file_date, report)
        _remove_absent(sources, bad_keys | set(kept), report)
        bump_content_version()
    return report


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
        ],
    )
    report.structures = len(objects)
    report.linked = sum(1 for item in objects if item.actor_id)
    keys = {(item.source, item.di_id) for item in objects}
    return {
        (source, di_id): pk
        for pk, source, di_id in SupportStructure.objects.filter(
            source__in={key[0] for key in keys}
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
        ],
    )
    report.services = len(objects)
    keys = {(item.source, item.di_id): item for item in objects}
    pks = {
        (source, di_id): pk
        for pk, source, di_id in SupportService.objects.filter(
            source__in={key[0] for key in keys}
        ).values_list("pk", "source", "di_id")
        if (source, di_id) in keys
    }
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
    report.zones = len(zone_rows)
