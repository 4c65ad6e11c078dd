"""What an import found (bad rows, with line and reason) and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Bad rows kept for the report; the others are counted ("et 1 234 autres").
MAX_ERRORS = 500


@dataclass(frozen=True)
class RowError:
    """A bad row: its line in the file (1 is the header), the column, the reason."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" + (f", colonne {self.column}" if self.column else "")
        return f"{where} : {self.message}"


@dataclass
class ImportReport:
    """The outcome of one import: refused (`problem` or `errors`), unchanged, or stored."""

    name: str
    # Why the whole file is refused before its rows are read (encoding, empty, columns,
    # attribuant), in French; "" when its rows were read.
    problem: str = ""
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    row_count: int = 0
    years: set[int] = field(default_factory=set)
    siren: str = ""
    sha256: str = ""
    total: Decimal = Decimal("0.00")
    # What the import did.
    grant_file: object = None  # the GrantFile stored
    unchanged: bool = False  # the same file is already the one in force
    replaced: int = 0  # grants of the same years removed
    matched: int = 0  # grants linked to a structure of the directory

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, message))

    @property
    def ok(self) -> bool:
        return not self.problem and not self.error_count

    @property
    def more_errors(self) -> int:
        """Bad rows counted but not listed."""
        return self.error_count - len(self.errors)

    @property
    def years_label(self) -> str:
        return ", ".join(str(year) for year in sorted(self.years))

    def summary(self) -> str:
        """One sentence, in French."""
        if self.problem:
            return f"Fichier refusé : {self.problem}"
        if self.error_count:
            return (
                f"Fichier refusé : {self.error_count} ligne(s) invalide(s) sur "
                f"{self.row_count}. Rien n'a été enregistré : corrigez-les puis importez "
                "à nouveau le fichier entier."
            )
        if self.unchanged:
            return f"Ce fichier ({self.years_label}) est déjà celui en vigueur : rien n'a changé."
        replaced = f", {self.replaced} subvention(s) des mêmes années remplacée(s)"
        return (
            f"{self.row_count} subvention(s) importée(s) ({self.years_label}) dont "
            f"{self.matched} rapprochée(s) d'une structure de l'annuaire"
            + (replaced if self.replaced else "")
            + "."
        )

    def lines(self) -> list[str]:
        """The summary, the warnings, then every bad row listed."""
        lines = [self.summary(), *self.warnings, *(str(error) for error in self.errors)]
        if self.more_errors:
            lines.append(f"… et {self.more_errors} autre(s) erreur(s).")
        return lines
