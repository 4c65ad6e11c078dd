"""The SCDL « Subventions » 2.1.1 schema, read from the project's copy of its schema.json
(fixtures/schemas/scdl-subventions-2.1.1/), and the checks of one cell it implies.

The importer validates with this module rather than with `frictionless` at run time: the
checks are driven by schema.json itself (types, `required`, `pattern`, `enum`, `maxLength`,
`minimum`, `maximum`, the boolean's `trueValues`/`falseValues`) plus its `custom_checks`,
which frictionless ignores (SIRET checksum, one of idBeneficiaire / rnaBeneficiaire); they
run line by line on a stream (bounded memory) and say what is wrong in French, on the line.
The tests hold both to the same verdicts (tests/grants/test_schema.py), and frictionless
stays a development dependency.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from actors.sirene.values import is_valid_siret

VERSION = "2.1.1"
NAME = f"SCDL Subventions {VERSION}"
SCHEMA_URL = "https://schema.data.gouv.fr/scdl/subventions/2.1.1/"
SCHEMA_PATH = Path(settings.BASE_DIR) / "fixtures" / "schemas" / "scdl-subventions-2.1.1"

# Table Schema's number: optional sign, digits with an optional decimal point (the schema's
# decimalChar, "."), optional exponent. Its "NaN", "INF" and "-INF" are numbers for Table
# Schema but no amount: refused here.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Table Schema's default date format, %Y-%m-%d exactly (Python's fromisoformat takes more).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CellError(ValueError):
    """Why one cell is invalid, in French (the message shown with its line and column)."""


@dataclass(frozen=True)
class FieldSpec:
    """One column of the schema and the constraints its cells are checked against."""

    name: str
    title: str
    type: str
    required: bool = False
    pattern: re.Pattern | None = None
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)

    def parse(self, text: str) -> Any:
        """The cell's value (str, date, Decimal, bool; None when empty and allowed), or
        CellError saying why the cell breaks the schema."""
        if text == "":
            if self.required:
                raise CellError("valeur obligatoire manquante")
            return None
        if self.type == "string":
            return self._string(text)
        if self.type == "date":
            return self._date(text)
        if self.type == "number":
            return self._number(text)
        if self.type == "boolean":
            return self._boolean(text)
        raise CellError(f"type « {self.type} » inconnu du schéma")  # pragma: no cover

    def _string(self, text: str) -> str:
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(f"{len(text)} caractères, {self.max_length} au plus")
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise CellError(f"« {shorten(text)} » ne suit pas le format attendu")
        if self.enum and text not in self.enum:
            allowed = ", ".join(f"« {value} »" for value in self.enum)
            raise CellError(f"« {shorten(text)} » n'est pas une valeur permise ({allowed})")
        return text

    def _date(self, text: str) -> datetime.date:
        if not ISO_DATE.fullmatch(text):
            raise CellError(f"« {shorten(text)} » n'est pas une date AAAA-MM-JJ")
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise CellError(f"« {text} » n'est pas une date du calendrier") from None

    def _number(self, text: str) -> Decimal:
        if not NUMBER.fullmatch(text):
            raise CellError(
                f"« {shorten(text)} » n'est pas un nombre (chiffres, point décimal, sans espace)"
            )
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover (the pattern guards)
            raise CellError(f"« {shorten(text)} » n'est pas un nombre") from None
        if self.minimum is not None and value < self.minimum:
            raise CellError(f"{text} est inférieur au minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise CellError(f"{text} est supérieur au maximum {self.maximum}")
        return value

    def _boolean(self, text: str) -> bool:
        if text in self.true_values:
            return True
        if text in self.false_values:
            return False
        allowed = ", ".join(f"« {v} »" for v in (*self.true_values, *self.false_values))
        raise CellError(f"« {shorten(text)} » : valeurs permises {allowed}")


def shorten(text: str, length: int = 40) -> str:
    """A cell quoted in a message, cut when long."""
    return text if len(text) <= length else text[: length - 1] + "…"


@cache
def descriptor() -> dict:
    """schema.json as published."""
    return json.loads((SCHEMA_PATH / "schema.json").read_text(encoding="utf-8"))


def _spec(field: dict) -> FieldSpec:
    constraints = field.get("constraints", {})
    pattern = constraints.get("pattern")
    return FieldSpec(
        name=field["name"],
        title=field.get("title", field["name"]),
        type=field.get("type", "string"),
        required=bool(constraints.get("required", False)),
        pattern=re.compile(pattern) if pattern else None,
        enum=tuple(constraints.get("enum", ())),
        max_length=constraints.get("maxLength"),
        minimum=Decimal(str(constraints["minimum"])) if "minimum" in constraints else None,
        maximum=Decimal(str(constraints["maximum"])) if "maximum" in constraints else None,
        true_values=tuple(field.get("trueValues", ("true",))),
        false_values=tuple(field.get("falseValues", ("false",))),
    )


@cache
def fields() -> tuple[FieldSpec, ...]:
    """The schema's columns, in its order."""
    return tuple(_spec(field) for field in descriptor()["fields"])


def field_names() -> list[str]:
    return [spec.name for spec in fields()]


@cache
def siret_columns() -> tuple[str, ...]:
    """The columns of the schema's `french-siret-value` checks."""
    return tuple(
        check["params"]["column"]
        for check in descriptor().get("custom_checks", [])
        if check["name"] == "french-siret-value"
    )


@cache
def one_of_required() -> tuple[tuple[str, str], ...]:
    """The pairs of the schema's `one-of-required` checks: one of the two must be given."""
    return tuple(
        (check["params"]["column1"], check["params"]["column2"])
        for check in descriptor().get("custom_checks", [])
        if check["name"] == "one-of-required"
    )


def check_siret(text: str) -> None:
    """The schema's `french-siret-value`: 14 digits passing the Luhn check (La Poste's
    establishments: the INSEE rule of a digit sum multiple of 5)."""
    if text and not is_valid_siret(text):
        raise CellError(f"« {shorten(text)} » n'est pas un SIRET valide (14 chiffres, clé de Luhn)")
