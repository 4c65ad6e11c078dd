"""Open data of the support services, in data·inclusion's schema 1.0.8 they were imported
in: the services (`service`) and their structures (`structure`), every field of the schema
in its order, as the file gave it — a row imported then exported comes back with the same
values (tests/support/test_exports.py), except a text cell starting a spreadsheet formula,
which every CSV export writes after a quote (core.exports.neutralised).

Attribution (Licence Ouverte 2.0): data·inclusion, and the producer each row names in
`source`, at the date of `date_maj`; said in every response (X-Attribution) and on
/donnees/.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings

from core.exports import Column, Export
from support.models import SupportService, SupportStructure

SCHEMA_DIR = Path(settings.BASE_DIR) / "fixtures" / "schemas" / "data-inclusion-1.0.8"
SCHEMA_URL = "https://www.data.inclusion.gouv.fr/"
LICENCE = "Licence Ouverte 2.0 (Etalab), donnees data-inclusion"
ATTRIBUTION = (
    "data-inclusion (https://www.data.inclusion.gouv.fr/) et le producteur que nomme la "
    "colonne source de chaque ligne, a la date de sa colonne date_maj"
)


@cache
def _schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))


_TYPES = {"string": str, "number": float, "integer": int, "array": list[str]}


def schema_columns(kind: str) -> tuple[Column, ...]:
    """The schema's properties, in its order, typed as the schema says (a value given by
    reference, an enumeration, is text; null allowed unless the field is required)."""
    schema = _schema(kind)
    required = set(schema.get("required", []))
    found = []
    for name, spec in schema["properties"].items():
        options = [option.get("type") for option in spec.get("anyOf", [spec])]
        value_type = next((_TYPES[t] for t in options if t in _TYPES), str)
        found.append(Column(name, value_type if name in required else value_type | None))
    return tuple(found)


def _fallback_structure(structure: SupportStructure) -> dict:
    """What an older import, which did not keep the row, knows of it."""
    return {
        "source": structure.source,
        "id": structure.di_id,
        "nom": structure.name,
        "siret": structure.siret or None,
        "telephone": structure.phone or None,
        "courriel": structure.email or None,
        "site_web": structure.website or None,
        "lien_source": structure.source_url or None,
        "commune": structure.commune_label or None,
        "date_maj": structure.updated_on.isoformat(),
    }


def _fallback_service(service: SupportService) -> dict:
    return {
        "source": service.source,
        "id": service.di_id,
        "structure_id": service.structure.di_id,
        "nom": service.name,
        "description": service.description,
        "thematiques": service.thematiques or None,
        "modes_accueil": service.modes_accueil or None,
        "modes_mobilisation": service.modes_mobilisation or None,
        "mobilisation_precisions": service.mobilisation_details or None,
        "lien_mobilisation": service.mobilisation_url or None,
        "contact_nom_prenom": service.contact_name or None,
        "telephone": service.phone or None,
        "courriel": service.email or None,
        "lien_source": service.source_url or None,
        "zone_eligibilite": service.zone_codes or None,
        "date_maj": service.updated_on.isoformat(),
    }


def _row(kind: str, data: dict) -> dict:
    return {column.name: data.get(column.name) for column in COLUMNS[kind]}


def structure_row(structure: SupportStructure, base_url: str) -> dict:
    return _row("structure", structure.data or _fallback_structure(structure))


def service_row(service: SupportService, base_url: str) -> dict:
    return _row("service", service.data or _fallback_service(service))


COLUMNS = {kind: schema_columns(kind) for kind in ("structure", "service")}

SERVICES = Export(
    name="accompagnement",
    columns=COLUMNS["service"],
    row=service_row,
    schema="data·inclusion service (1.0.8)",
    licence=LICENCE,
    attribution=ATTRIBUTION,
)
STRUCTURES = Export(
    name="accompagnement-structures",
    columns=COLUMNS["structure"],
    row=structure_row,
    schema="data·inclusion structure (1.0.8)",
    licence=LICENCE,
    attribution=ATTRIBUTION,
)
