"""Reading and writing the project's compact extract of the official geography.

The extract (fixtures/geography/*.csv) is derived from Etalab's "découpage administratif"
and from the groupings file; `build_geography_extract` rebuilds it, `import_geography` loads it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

DEFAULT_EXTRACT_DIR = Path(settings.BASE_DIR) / "fixtures" / "geography"

FILES = {
    "regions": ["code", "name"],
    "departements": ["code", "name", "region"],
    "epci": ["code", "name", "type", "members"],
    "ept": ["code", "name", "members"],
    "communes": ["code", "name", "departement", "region", "population", "postal_codes"],
    "groupements": [
        "code",
        "name",
        "type",
        "epci",
        "departement_only",
        "confidence",
        "note",
    ],
}


class GeographyError(Exception):
    """The source or the extract is missing or malformed."""


@dataclass
class Geography:
    regions: list[dict] = field(default_factory=list)
    departements: list[dict] = field(default_factory=list)
    epci: list[dict] = field(default_factory=list)
    ept: list[dict] = field(default_factory=list)
    communes: list[dict] = field(default_factory=list)
    groupements: list[dict] = field(default_factory=list)


def _load_json(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as error:
        raise GeographyError(f"Fichier introuvable : {path}") from error
    except json.JSONDecodeError as error:
        raise GeographyError(f"JSON invalide dans {path} : {error}") from error
    if not isinstance(data, list):
        raise GeographyError(f"{path} devrait contenir une liste.")
    return data


def read_official(source_dir: Path) -> Geography:
    """Read Etalab's JSON files and groupements.csv from `source_dir` (../shared/data)."""
    admin = source_dir / "decoupage-administratif"
    communes = [
        c for c in _load_json(admin / "communes.json") if c.get("type") == "commune-actuelle"
    ]
    current = {c["code"] for c in communes}
    geo = Geography()
    geo.regions = [
        {"code": r["code"], "name": r["nom"]} for r in _load_json(admin / "regions.json")
    ]
    geo.departements = [
        {"code": d["code"], "name": d["nom"], "region": d["region"]}
        for d in _load_json(admin / "departements.json")
    ]
    geo.epci = [
        {
            "code": e["code"],
            "name": e["nom"],
            "type": e.get("type", ""),
            "members": " ".join(m["code"] for m in e["membres"] if m["code"] in current),
        }
        for e in _load_json(admin / "epci.json")
    ]
    geo.ept = [
        {
            "code": e["code"],
            "name": e["nom"],
            "members": " ".join(m["code"] for m in e["membres"] if m["code"] in current),
        }
        for e in _load_json(admin / "ept.json")
    ]
    geo.communes = [
        {
            "code": c["code"],
            "name": c["nom"],
            "departement": c.get("departement", ""),
            "region": c.get("region", ""),
            "population": c.get("population", ""),
            "postal_codes": " ".join(c.get("codesPostaux", [])),
        }
        for c in communes
    ]
    groupements_path = source_dir / "groupements.csv"
    try:
        with groupements_path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError as error:
        raise GeographyError(f"Fichier introuvable : {groupements_path}") from error
    geo.groupements = [
        {
            "code": row["code"],
            "name": row["nom"],
            "type": row["type"],
            "epci": " ".join(code for code in row["epci_membres"].split(";") if code),
            "departement_only": row.get("departement_seul", ""),
            "confidence": row.get("confidence", ""),
            "note": row.get("note", ""),
        }
        for row in rows
    ]
    return geo


def write_extract(geo: Geography, target_dir: Path) -> dict[str, int]:
    """Write the compact CSV extract; returns the number of rows per file."""
    target_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, columns in FILES.items():
        rows = sorted(getattr(geo, name), key=lambda row: row["code"])
        with (target_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        counts[name] = len(rows)
    return counts


def read_extract(extract_dir: Path) -> Geography:
    """Read the CSV extract back, checking that each file has the expected columns."""
    geo = Geography()
    for name, columns in FILES.items():
        path = extract_dir / f"{name}.csv"
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                if reader.fieldnames != columns:
                    raise GeographyError(
                        f"{path} : colonnes attendues {columns}, trouvées {reader.fieldnames}"
                    )
                setattr(geo, name, list(reader))
        except FileNotFoundError as error:
            raise GeographyError(f"Fichier introuvable : {path}") from error
    return geo
