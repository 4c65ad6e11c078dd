"""The values of a SIRENE row, one at a time: masked values blanked, dates parsed,
identifiers checked (Luhn), street addresses written out, coordinates projected to WGS 84."""

from __future__ import annotations

import math
import re
from datetime import date
from functools import cache
from typing import NamedTuple

from pyproj import Transformer

# What INSEE writes in place of a value under partial diffusion.
MASKED = "[ND]"

# INSEE: La Poste's SIRETs do not follow the Luhn rule but have a digit sum multiple of 5.
LA_POSTE_SIREN = "356000000"

# INSEE's street types (typeVoieEtablissement). QUA is « quartier », QUAI is « quai ».
STREET_TYPES = {
    "ALL": "allée",
    "AV": "avenue",
    "BD": "boulevard",
    "CAR": "carrefour",
    "CHE": "chemin",
    "CHS": "chaussée",
    "CITE": "cité",
    "COR": "corniche",
    "CRS": "cours",
    "DOM": "domaine",
    "DSC": "descente",
    "ECA": "écart",
    "ESP": "esplanade",
    "FG": "faubourg",
    "GR": "grande rue",
    "HAM": "hameau",
    "HLE": "halle",
    "IMP": "impasse",
    "LD": "lieu-dit",
    "LOT": "lotissement",
    "MAR": "marché",
    "MTE": "montée",
    "PAS": "passage",
    "PL": "place",
    "PLN": "plaine",
    "PLT": "plateau",
    "PRO": "promenade",
    "PRV": "parvis",
    "QUA": "quartier",
    "QUAI": "quai",
    "RES": "résidence",
    "RLE": "ruelle",
    "ROC": "rocade",
    "RPT": "rond-point",
    "RTE": "route",
    "RUE": "rue",
    "SEN": "sente",
    "SQ": "square",
    "TPL": "terre-plein",
    "TRA": "traverse",
    "VLA": "villa",
    "VLGE": "village",
}
REPETITION_INDEXES = {"B": "bis", "T": "ter", "Q": "quater", "C": "quinquies"}

# Overseas, INSEE's "Lambert" columns hold coordinates in the local UTM projection.
OVERSEAS_EPSG = {
    "971": 5490,  # Guadeloupe: RGAF09 / UTM 20N
    "972": 5490,  # Martinique
    "977": 5490,  # Saint-Barthélemy
    "978": 5490,  # Saint-Martin
    "973": 2972,  # Guyane: RGFG95 / UTM 22N
    "974": 2975,  # La Réunion: RGR92 / UTM 40S
    "975": 4467,  # Saint-Pierre-et-Miquelon: RGSPM06 / UTM 21N
    "976": 4471,  # Mayotte: RGM04 / UTM 38S
}
LAMBERT_93 = 2154
WGS_84 = 4326


class Coordinates(NamedTuple):
    """A WGS 84 point, in degrees rounded to 6 decimals (about 10 cm)."""

    latitude: float
    longitude: float


def unmask(value: str) -> str:
    return "" if value == MASKED else value


def row_problem(row: list[str], codes: tuple[tuple[str, int, int], ...]) -> str:
    """Why a row about to be kept cannot be stored, in French, or "" when it can.

    A NUL character anywhere (PostgreSQL refuses it in any text column: the row is damaged),
    or one of the `codes` — (label, column index, width) — longer than INSEE's fixed width
    (legal category 4, NAF code 6, employees band 2, RNA 10, commune code 5), which its
    column in the directory has too: masked values (`[ND]`) are blanked first.
    """
    for value in row:
        if "\x00" in value:
            return "caractère NUL"
    for label, index, width in codes:
        value = row[index]
        if len(value) > width and value != MASKED:
            return f"{label} invalide : « {value} »"
    return ""


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def to_wgs84(x: str, y: str, *, commune_code: str = "") -> Coordinates | None:
    """Convert INSEE's projected coordinates to WGS 84, or None when absent or masked.

    Metropolitan coordinates are Lambert-93 (EPSG:2154); overseas communes (97x) use
    their local UTM projection, chosen from `commune_code`.
    """
    try:
        easting = float(x)
        northing = float(y)
    except ValueError:
        return None
    if not (math.isfinite(easting) and math.isfinite(northing)):
        return None
    epsg = OVERSEAS_EPSG.get(commune_code[:3], LAMBERT_93)
    longitude, latitude = _transformer(epsg).transform(easting, northing)
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        return None
    return Coordinates(round(latitude, 6), round(longitude, 6))


def wgs84_point(longitude: str, latitude: str) -> Coordinates | None:
    try:
        lon = float(longitude)
        lat = float(latitude)
    except ValueError:
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return Coordinates(round(lat, 6), round(lon, 6))


@cache
def _transformer(epsg: int) -> Transformer:
    # Building a transformer costs milliseconds: once per projection for the process.
    return Transformer.from_crs(epsg, WGS_84, always_xy=True)


def format_street_address(number: str, repetition: str, street_type: str, street: str) -> str:
    """Build "12 bis rue de la Paix" from INSEE's number, index, type code and label."""
    head = number
    if number and repetition:
        word = REPETITION_INDEXES.get(repetition.upper())
        head = f"{number} {word}" if word else f"{number}{repetition.upper()}"
    kind = STREET_TYPES.get(street_type.upper(), street_type) if street_type else ""
    label = title_case_street(street) if street else ""
    address = " ".join(part for part in (head, kind, label) if part)
    # Without a number the line starts with a word: "Rue de la Paix", "Le Bourg".
    return address[:1].upper() + address[1:]


_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "et", "en", "au", "aux", "sur"})
_ROMAN_NUMERAL = re.compile(r"(?=[IVX])X{0,3}(IX|IV|V?I{0,3})")


def title_case_street(label: str) -> str:
    """INSEE's upper-case street label in French title case: "DE L'EGLISE" → "de l'Eglise"."""
    return " ".join(
        "-".join(_title_word(part) for part in word.split("-")) for word in label.split()
    )


def _title_word(word: str) -> str:
    upper = word.upper()
    if _ROMAN_NUMERAL.fullmatch(upper):
        return upper
    lower = word.lower()
    if lower in _PARTICLES:
        return lower
    # Elided articles stay lower case: d'Alsace, l'Eglise.
    if len(lower) > 2 and lower[1] in "'’" and lower[0] in "dl":
        return lower[:2] + lower[2:].capitalize()
    return lower.capitalize()


def is_valid_siren(value: str) -> bool:
    """Whether `value` is 9 digits passing the Luhn check."""
    return len(value) == 9 and value.isascii() and value.isdigit() and _luhn_valid(value)


def is_valid_siret(value: str) -> bool:
    """Whether `value` is 14 digits passing the Luhn check (or La Poste's rule)."""
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if _luhn_valid(value):
        return True
    return value.startswith(LA_POSTE_SIREN) and sum(map(int, value)) % 5 == 0


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    total = sum(map(int, digits[-1::-2])) + sum(_DOUBLED[int(c)] for c in digits[-2::-2])
    return total % 10 == 0
