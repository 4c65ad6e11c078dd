"""One row of a SCDL file checked against the schema, and the first pass over a file.

A row is checked column by column (grants.schema: types, required, patterns, enums,
lengths, bounds), then against the schema's custom checks (SIRET checksum, one of
idBeneficiaire / rnaBeneficiaire) and the directory's own rules: a grant's amount is not
negative, its payment dates are real dates in order, a file is one attribuant's (one SIREN)
and holds each grant once — (attribuant, referenceDecision, beneficiary, dateConvention),
what an import is idempotent on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from grants import schema
from grants.importer.reader import SourceFile
from grants.importer.report import ImportReport

CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.000001")
# The largest amount stored (17 digits, 2 decimals): more is a typing error.
MAX_AMOUNT = Decimal("1e15")
# Longest written number kept as written (the export gives it back).
MAX_NUMBER_TEXT = 40

# Schema column → Grant field, for the columns stored as the file wrote them.
TEXT_FIELDS = {
    "nomAttribuant": "attributor_name",
    "idAttribuant": "attributor_siret",
    "referenceDecision": "decision_reference",
    "nomBeneficiaire": "beneficiary_name",
    "idBeneficiaire": "beneficiary_siret",
    "rnaBeneficiaire": "beneficiary_rna",
    "objet": "purpose",
    "nature": "nature",
    "conditionsVersement": "payment_terms",
    "datesPeriodeVersement": "payment_dates",
    "idRAE": "rae_id",
    "dispositifAide": "scheme_reference",
}


@dataclass
class CheckedRow:
    """A valid row: the Grant's field values, and its key within the file."""

    line: int
    values: dict

    @property
    def key(self) -> tuple:
        v = self.values
        return (
            v["attributor_siret"],
            v["decision_reference"],
            v["beneficiary_key"],
            v["convention_date"],
        )


def _payment_dates_problem(text: str) -> str:
    try:
        days = [datetime.date.fromisoformat(part) for part in text.split("/")]
    except ValueError:
        return f"« {text} » : une des dates n'existe pas au calendrier"
    if len(days) == 2 and days[1] < days[0]:
        return f"« {text} » : la période finit avant de commencer"
    return ""


def check_row(line: int, cells: list[str], header, report: ImportReport) -> CheckedRow | None:
    """The row's values, or None after adding its errors to `report`."""
    if len(cells) != header.width:
        report.add_error(
            line, "", f"{len(cells)} cellule(s) au lieu de {header.width} (une par colonne)"
        )
        return None
    errors = 0

    def error(column: str, message: str) -> None:
        nonlocal errors
        errors += 1
        report.add_error(line, column, message)

    text = {
        name: (cells[header.positions[name]] if name in header.positions else "")
        for name in schema.field_names()
    }
    parsed = {}
    for spec in schema.fields():
        value = text[spec.name]
        if "\x00" in value:
            error(spec.name, "caractère NUL (fichier abîmé)")
            continue
        try:
            parsed[spec.name] = spec.parse(value)
        except schema.CellError as problem:
            error(spec.name, str(problem))
    for column in schema.siret_columns():
        if column in parsed:
            try:
                schema.check_siret(text[column])
            except schema.CellError as problem:
                error(column, str(problem))
    for first, second in schema.one_of_required():
        if not text[first] and not text[second]:
            error(f"{first} / {second}", f"l'un des deux est obligatoire ({first} ou {second})")
    amount = parsed.get("montant")
    if amount is not None:
        if amount < 0:
            error("montant", f"montant négatif ({text['montant']})")
        elif amount >= MAX_AMOUNT:
            error("montant", f"montant invraisemblable ({schema.shorten(text['montant'])})")
    for column in ("montant", "pourcentageSubvention"):
        if len(text[column]) > MAX_NUMBER_TEXT:
            error(column, f"nombre écrit en plus de {MAX_NUMBER_TEXT} caractères")
    if "datesPeriodeVersement" in parsed and (
        problem := _payment_dates_problem(text["datesPeriodeVersement"])
    ):
        error("datesPeriodeVersement", problem)
    if errors:
        return None
    values = {field: text[column] for column, field in TEXT_FIELDS.items()}
    share = parsed["pourcentageSubvention"]
    amount = amount.quantize(CENT, ROUND_HALF_UP)
    values.update(
        line=line,
        convention_date=parsed["dateConvention"],
        year=parsed["dateConvention"].year,
        amount_written=text["montant"],
        amount=amount,
        share_written=text["pourcentageSubvention"],
        share=share.quantize(SHARE_STEP, ROUND_HALF_UP),
        received=(amount * share).quantize(CENT, ROUND_HALF_UP),
        eu_notification=parsed["notificationUE"],
        beneficiary_key=text["idBeneficiaire"] or text["rnaBeneficiaire"],
    )
    return CheckedRow(line, values)


class FileChecker:
    """The checks across the rows of one file: one attribuant (SIREN), each grant once."""

    def __init__(self, report: ImportReport):
        self.report = report
        # hash(key) → first line: one integer pair per row, whatever the cells hold.
        self.seen: dict[int, int] = {}

    def accept(self, row: CheckedRow) -> bool:
        report = self.report
        siren = row.values["attributor_siret"][:9]
        if not report.siren:
            report.siren = siren
        elif siren != report.siren:
            report.add_error(
                row.line,
                "idAttribuant",
                f"SIREN {siren} d'un autre attribuant que celui des lignes précédentes "
                f"({report.siren}) : un fichier est celui d'un seul attribuant",
            )
            return False
        digest = hash(row.key)
        if (first := self.seen.get(digest)) is not None:
            report.add_error(
                row.line,
                "",
                f"même subvention que la ligne {first} (même attribuant, referenceDecision, "
                "bénéficiaire et dateConvention) : chaque subvention une seule fois ; deux "
                "subventions distinctes ont des références de décision distinctes",
            )
            return False
        self.seen[digest] = row.line
        return True


def validate(stream, report: ImportReport) -> None:
    """The first pass: every row checked, nothing kept but the file-wide facts (count,
    years, SIREN, total, hash) and the errors, in `report`."""
    source = SourceFile(stream)
    checker = FileChecker(report)
    if source.header.missing_optional:
        report.warnings.append(
            "Colonnes facultatives absentes, lues comme vides : "
            + ", ".join(source.header.missing_optional)
            + "."
        )
    for line, cells in source.rows():
        report.row_count += 1
        row = check_row(line, cells, source.header, report)
        if row is None or not checker.accept(row):
            continue
        report.years.add(row.values["year"])
        report.total += row.values["received"]
    source.finish()
    report.sha256 = source.sha256
    if not report.row_count:
        report.problem = "le fichier ne contient aucune subvention (la ligne des colonnes seule)."
