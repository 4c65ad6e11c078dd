"""INSEE's reference tables the directory reads (fixtures/sirene/): NAF rév. 2 labels,
legal categories (catégories juridiques) and the ESS family each one gives."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sirene"

ESS_FAMILIES = ("association", "cooperative", "mutuelle", "fondation", "entreprise_ess")
DEFAULT_ESS_FAMILY = "entreprise_ess"


def naf_label(code: str) -> str:
    """The NAF rév. 2 label of a code at any level ("88.99B", "8899B", "88.9", "88"), or ""."""
    return _naf_labels().get(_naf_key(code), "")


def ess_family(legal_category: str) -> str:
    """The ESS family of an ESS-flagged unit from its legal category (default entreprise_ess)."""
    return ess_families().get(legal_category) or DEFAULT_ESS_FAMILY


def legal_category_label(legal_category: str) -> str:
    """INSEE's label of a legal category (niveau III), or ""."""
    return _legal_categories().get(legal_category, ("", ""))[0]


@cache
def ess_families() -> dict[str, str]:
    """The ESS family of every legal category that gives one, by category code."""
    return {code: family for code, (_, family) in _legal_categories().items() if family}


@cache
def _naf_labels() -> dict[str, str]:
    with (FIXTURES_DIR / "naf.csv").open(encoding="utf-8", newline="") as file:
        return {_naf_key(row["code"]): row["label"] for row in csv.DictReader(file)}


def _naf_key(code: str) -> str:
    return code.strip().upper().replace(".", "")


@cache
def _legal_categories() -> dict[str, tuple[str, str]]:
    path = FIXTURES_DIR / "categories-juridiques.csv"
    with path.open(encoding="utf-8", newline="") as file:
        return {row["code"]: (row["libelle"], row["famille_ess"]) for row in csv.DictReader(file)}
