"""What the SIRENE readers give: the units and establishments they keep (`Unit`,
`Establishment`), what they saw (`ReadReport`, per file `FileReport`, malformed rows as
`RowError`), and the area filter (`Area`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Unit:
    """An ESS legal unit (unité légale) of the SIRENE register."""

    siren: str
    name: str
    acronym: str
    legal_category: str
    ess_family: str
    naf_code: str
    rna: str
    created_on: date | None
    employees_band: str
    head_office_nic: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Establishment:
    """An establishment of an ESS unit; `name` is its sign or usual name, or "".

    Open, unless the reader was asked for the closed ones too: then `is_active` is False
    and `closed_on` is the start of its closed period in SIRENE (`dateDebut`). `line` is
    where the row ends in its file, to name it when the database refuses it.
    """

    siret: str
    siren: str
    nic: str
    name: str
    address: str
    address_complement: str
    postal_code: str
    commune_code: str
    commune_label: str
    naf_code: str
    employees_band: str
    is_head_office: bool
    created_on: date | None
    latitude: float | None
    longitude: float | None
    updated_at: str
    is_active: bool = True
    closed_on: date | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RowError:
    """A malformed row: file name, line number (the header is line 1) and message."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, ligne {self.line} : {self.message}"


@dataclass
class FileReport:
    """Counts for one file: rows scanned, rows kept, rows skipped by reason."""

    scanned: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class ReadReport:
    """What the readers saw, per file name, and the first `max_errors` malformed rows."""

    max_errors: int = 50
    files: dict[str, FileReport] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Rows refused as invalid although their identifier is sound: what the directory holds
    # for them is left as it was (neither updated, nor closed, nor archived).
    refused_sirens: set[str] = field(default_factory=set)
    refused_sirets: set[str] = field(default_factory=set)

    def file(self, name: str) -> FileReport:
        """The counts of the file `name`, created on first use."""
        return self.files.setdefault(name, FileReport())

    def add_error(self, file: str, line: int, message: str) -> None:
        """Record a malformed row; only the first `max_errors` messages are kept."""
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(RowError(file, line, message))

    @property
    def scanned(self) -> int:
        return sum(report.scanned for report in self.files.values())

    @property
    def kept(self) -> int:
        return sum(report.kept for report in self.files.values())

    @property
    def skipped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for report in self.files.values():
            total.update(report.skipped)
        return total

    def summary(self) -> str:
        """A French, human-readable account of the reading, one line per file and error."""
        lines = []
        for name, report in self.files.items():
            reasons = ", ".join(f"{reason} : {count}" for reason, count in report.skipped.items())
            lines.append(
                f"{name} : {report.scanned} lignes lues, {report.kept} retenues"
                + (f", écartées ({reasons})" if reasons else "")
            )
        lines.extend(str(error) for error in self.errors)
        if self.error_count > len(self.errors):
            lines.append(f"… et {self.error_count - len(self.errors)} autres lignes invalides")
        return "\n".join(lines)


class Area:
    """An area filter: communes of some départements and/or régions (union of both).

    `communes` maps an INSEE commune code to its (département, région) codes; communes it
    does not know (municipal arrondissements such as 75111, recent mergers) fall back on
    the département read from the code, and on that département's région.
    """

    __slots__ = ("_communes", "_departement_regions", "departements", "regions")

    def __init__(
        self,
        *,
        departements: Collection[str] = (),
        regions: Collection[str] = (),
        communes: Mapping[str, tuple[str, str]] | None = None,
    ):
        self.departements = frozenset(departements)
        self.regions = frozenset(regions)
        if not (self.departements or self.regions):
            raise ValueError("An area needs at least one département or région code.")
        if self.regions and not communes:
            raise ValueError("A région filter needs the commune → (département, région) map.")
        self._communes = communes or {}
        self._departement_regions = dict(self._communes.values())

    def contains(self, commune_code: str) -> bool:
        """Whether the commune `commune_code` lies in the area ("" never does)."""
        if not commune_code:
            return False
        known = self._communes.get(commune_code)
        departement = known[0] if known else departement_of_commune(commune_code)
        if departement in self.departements:
            return True
        if self.regions:
            region = known[1] if known else self._departement_regions.get(departement)
            return region in self.regions
        return False


def departement_of_commune(commune_code: str) -> str:
    """The département code of an INSEE commune code: 2A004 → 2A, 97411 → 974, 75111 → 75."""
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]
