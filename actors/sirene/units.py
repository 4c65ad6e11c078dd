"""What the importer holds while establishments stream: the ESS units, packed (a national
import holds about a million of them), and the communes of the directory by INSEE code."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from actors import sirene
from actors.sirene.values import parse_date
from territories.models import Territory, TerritoryKind

_FIELD_SEPARATOR = "\x1f"


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
    head_office_nic: str = ""


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
            unit.head_office_nic,
        )
    ).encode()


def unpack_unit(packed: bytes) -> UnitFacts:
    """The facts `pack_unit` packed."""
    name, category, naf, rna, created, employees, processed, head_nic = packed.decode().split(
        _FIELD_SEPARATOR
    )
    return UnitFacts(
        name,
        category,
        naf,
        rna,
        parse_date(created),
        employees,
        parse_date(processed),
        head_nic,
    )


def read_kept_units(path: str | Path, report: sirene.ReadReport) -> dict[str, bytes]:
    """The ESS units of a StockUniteLegale file, packed, by SIREN."""
    return {unit.siren: pack_unit(unit) for unit in sirene.read_units(path, report=report)}


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


def legal_form_of(category: str, current: str) -> str:
    """The legal form shown for an INSEE legal category (the current one if unknown)."""
    return (sirene.legal_category_label(category) or current)[:120]


class Communes:
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
        """The area filter of these codes (None for the whole country); unknown codes raise
        SireneImportError."""
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
