"""The ESS panorama of a territory: what the directory counts there, by family, activity and
size, computed for every territory by `actors.derived.refresh_panoramas()`, and how its
pages show it (labels, the comparison table's rows, bar charts).

The figures live in the model (actors.models.TerritoryPanorama); this module holds the
classifications they are counted by and their presentation.

The activity sections are those of INSEE's French classification of activities, NAF rév. 2
(https://www.insee.fr/fr/information/2120875): a NAF code's first two digits (its
division) give its section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from actors.coverage import SireneCoverage, coverage_read, sirene_coverage
from actors.models import Family, PanoramaComparison, TerritoryPanorama, comparison
from core.statements import Statement
from core.together import Composed
from territories.models import Territory

# NAF rév. 2: the divisions (first two digits) each section spans, and its label.
NAF_SECTIONS = {
    "A": ((1, 3), _("Agriculture, sylviculture et pêche")),
    "B": ((5, 9), _("Industries extractives")),
    "C": ((10, 33), _("Industrie manufacturière")),
    "D": ((35, 35), _("Production et distribution d'électricité, de gaz, de vapeur et d'air")),
    "E": ((36, 39), _("Eau, assainissement, gestion des déchets et dépollution")),
    "F": ((41, 43), _("Construction")),
    "G": ((45, 47), _("Commerce ; réparation d'automobiles et de motocycles")),
    "H": ((49, 53), _("Transports et entreposage")),
    "I": ((55, 56), _("Hébergement et restauration")),
    "J": ((58, 63), _("Information et communication")),
    "K": ((64, 66), _("Activités financières et d'assurance")),
    "L": ((68, 68), _("Activités immobilières")),
    "M": ((69, 75), _("Activités spécialisées, scientifiques et techniques")),
    "N": ((77, 82), _("Activités de services administratifs et de soutien")),
    "O": ((84, 84), _("Administration publique")),
    "P": ((85, 85), _("Enseignement")),
    "Q": ((86, 88), _("Santé humaine et action sociale")),
    "R": ((90, 93), _("Arts, spectacles et activités récréatives")),
    "S": ((94, 96), _("Autres activités de services")),
    "T": ((97, 98), _("Activités des ménages en tant qu'employeurs")),
    "U": ((99, 99), _("Activités extra-territoriales")),
}
UNKNOWN = "?"

# INSEE's bands grouped for reading: an establishment is an employer when its band is known
# and is not "NN" (no employee); "00" had employees during the year, as INSEE's "caractère
# employeur" counts it.
SIZE_GROUPS = {
    "0": (("00",), _("Aucun salarié au 31 décembre")),
    "1-9": (("01", "02", "03"), _("1 à 9 salariés")),
    "10-49": (("11", "12"), _("10 à 49 salariés")),
    "50-249": (("21", "22", "31"), _("50 à 249 salariés")),
    "250+": (("32", "41", "42", "51", "52", "53"), _("250 salariés et plus")),
}
NON_EMPLOYER_BANDS = ("", "NN")

_SECTION_OF_DIVISION = {
    division: section
    for section, ((first, last), _label) in NAF_SECTIONS.items()
    for division in range(first, last + 1)
}
_GROUP_OF_BAND = {band: group for group, (bands, _label) in SIZE_GROUPS.items() for band in bands}


def naf_section(naf_code: str) -> str:
    """The NAF section of a code ("88.99B" → "Q"), UNKNOWN when it is not a NAF code."""
    digits = (naf_code or "")[:2]
    if not digits.isdigit():
        return UNKNOWN
    return _SECTION_OF_DIVISION.get(int(digits), UNKNOWN)


def size_group(band: str) -> str | None:
    """The size group of an employer's INSEE band, None for a non-employer or unknown band."""
    return _GROUP_OF_BAND.get(band or "")


ROW_HEIGHT = 28


@dataclass
class Bar:
    """One bar of a chart: a label, its figure and its share of the largest bar (0–100)."""

    key: str
    label: str
    value: int
    share: float = 0.0
    # Where the SVG draws the row's label and bar (pixels from the top).
    label_y: int = 0
    bar_y: int = 0


@dataclass
class Chart:
    """A bar chart of one dimension of the panorama, rendered as SVG and as a table."""

    slug: str
    title: str
    unit: str
    bars: list[Bar] = field(default_factory=list)

    def __post_init__(self) -> None:
        largest = max((bar.value for bar in self.bars), default=0)
        for row, bar in enumerate(self.bars):
            bar.share = round(100 * bar.value / largest, 1) if largest else 0.0
            bar.label_y, bar.bar_y = ROW_HEIGHT * row + 12, ROW_HEIGHT * row + 16

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def height(self) -> int:
        """The SVG's height: one row per bar."""
        return ROW_HEIGHT * len(self.bars)


def panorama_charts(panorama: TerritoryPanorama) -> list[Chart]:
    """The panorama's three bar charts: structures by family, establishments by NAF
    section and employer establishments by size; empty categories left out."""
    families = [
        Bar(family, label, panorama.family_structures(family))
        for family, label in Family.choices
        if panorama.family_structures(family)
    ]
    sections = [
        Bar(section, f"{section} – {label}", panorama.by_section.get(section, 0))
        for section, (_span, label) in NAF_SECTIONS.items()
        if panorama.by_section.get(section)
    ]
    if panorama.by_section.get(UNKNOWN):
        sections.append(Bar(UNKNOWN, _("Activité non précisée"), panorama.by_section[UNKNOWN]))
    sizes = [
        Bar(group, label, panorama.by_size.get(group, 0))
        for group, (_bands, label) in SIZE_GROUPS.items()
        if panorama.by_size.get(group)
    ]
    return [
        Chart("familles", _("Structures par famille de l'ESS"), _("structures"), families),
        Chart(
            "activites",
            _("Établissements par secteur d'activité (NAF)"),
            _("établissements"),
            sections,
        ),
        Chart(
            "tailles",
            _("Établissements employeurs par effectif salarié"),
            _("établissements"),
            sizes,
        ),
    ]


@dataclass
class PanoramaPresenter:
    """What `includes/_panorama.html` shows of a comparison of panoramas
    (`TerritoryPanorama.objects.compared_with()`): its columns side by side, the table's
    rows by family and the charts of the territory's own panorama.

    Without a recent import of the SIRENE register (actors.coverage), the figures count the
    structures the directory publishes, not the ESS of the territory: the territory's own
    column alone is shown, nothing per inhabitant, and the page says why."""

    comparison: PanoramaComparison
    # The coverage when the page read it with its other lists (actors.coverage.coverage_read).
    read_coverage: SireneCoverage | None = None

    @cached_property
    def coverage(self) -> SireneCoverage:
        """Whether the register was imported, and recently (one query, when shown and not
        read already)."""
        return sirene_coverage() if self.read_coverage is None else self.read_coverage

    @property
    def directory_only(self) -> bool:
        return self.coverage.directory_only

    @property
    def columns(self) -> list[TerritoryPanorama]:
        if self.comparison.columns and self.directory_only:
            return self.comparison.columns[:1]
        return self.comparison.columns

    @property
    def here(self) -> TerritoryPanorama | None:
        return self.comparison.here

    @property
    def family_rows(self) -> list[dict]:
        """One row per family present in any column: its label and structures per column."""
        return [
            {
                "label": label,
                "values": [column.family_structures(family) for column in self.columns],
            }
            for family, label in Family.choices
            if any(column.family_structures(family) for column in self.columns)
        ]

    def charts(self) -> list[Chart]:
        """The charts of the territory's own panorama (`here`), none without one."""
        return panorama_charts(self.here) if self.here is not None else []


def _around(*, territory_id: int):
    return TerritoryPanorama.objects.around(territory_id)


def _national():
    return TerritoryPanorama.objects.national().order_by("pk")[:1]


# Kept compiled (core.statements): every territory's and collectivité's page reads them,
# the home page France's (a list of one, or none). A few rows by key: one plan serves
# every territory (generic_plan, core.prepared).
_panoramas_around = Statement(_around, bound=("territory_id",), generic_plan=True)
national_panorama = Statement(_national, bound=(), generic_plan=True)


def panorama_read(territory: Territory) -> Composed:
    """The PanoramaPresenter of `territory` compared with its département, its région and
    France, the SIRENE coverage read with it: for a page that sends it with its other reads
    (core.together.read_together())."""
    coverage = coverage_read()
    calls = (
        (_panoramas_around, {"territory_id": territory.pk}),
        (national_panorama, {}),
        *coverage.calls,
    )

    def build(rows: list, national: list, runs: list) -> PanoramaPresenter:
        compared = comparison(territory, [*rows, *national])
        return PanoramaPresenter(compared, read_coverage=coverage.build(runs))

    return Composed(calls, build)
