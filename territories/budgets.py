"""ESS budgets side by side: what makes them hard to compare, and how each one changed.

Sources give their budgets for different years and perimeters, some amounts roughly, some
without their section: a comparison states all of this next to the figures rather than
rank collectivités by amount (see the notes of `group_notes()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.statements import Statement
from core.together import Composed
from territories.models import Budget, BudgetSection, Collectivite, CollectiviteKind

# Rows of the comparison on a collectivité's page (the comparison page has them all).
PEERS_SHOWN = 10


@dataclass(frozen=True)
class BudgetFacts:
    """What the notes of a comparison read of one budget."""

    year: int | None
    label: str = ""
    has_note: bool = False
    sections: frozenset[str] = frozenset()  # the sections with an amount ("" for none given)
    approximate: bool = False

    @classmethod
    def from_row(cls, row: Sequence) -> BudgetFacts:
        """From a row of `Budget.objects.comparison_facts()` (after its type)."""
        year, label, has_note, operating, investment, unspecified, approximate = row
        counts = {
            BudgetSection.FONCTIONNEMENT: operating,
            BudgetSection.INVESTISSEMENT: investment,
            "": unspecified,
        }
        return cls(
            year=year,
            label=label,
            has_note=bool(has_note),
            sections=frozenset(section for section, count in counts.items() if count),
            approximate=bool(approximate),
        )

    @classmethod
    def of(cls, budget: Budget) -> BudgetFacts:
        """From a budget whose lines are loaded."""
        totals = budget.amounts_by_section()
        return cls(
            year=budget.year,
            label=budget.label,
            has_note=bool(budget.note),
            sections=frozenset(totals),
            approximate=any(approximate for _amount, approximate in totals.values()),
        )


def group_notes(facts: Iterable[BudgetFacts]) -> list[str]:
    """Why the budgets of one group are to be compared with care, computed from their facts:
    years that differ or are not given, perimeters that differ or are not given, approximate
    amounts, sections missing. [] when nothing calls for care."""
    facts = list(facts)
    notes = []
    years = sorted({f.year for f in facts if f.year is not None})
    if len(years) > 1:
        notes.append(_("Les années diffèrent : %(years)s.") % {"years": ", ".join(map(str, years))})
    if undated := sum(f.year is None for f in facts):
        notes.append(
            ngettext(
                "%(count)s budget sans année précisée par la source.",
                "%(count)s budgets sans année précisée par la source.",
                undated,
            )
            % {"count": undated}
        )
    labels = {f.label.strip().casefold() for f in facts if f.label.strip()}
    if len(labels) > 1:
        notes.append(
            _(
                "Les périmètres diffèrent : chaque source donne le sien (voir les intitulés), "
                "les montants ne couvrent pas les mêmes dépenses."
            )
        )
    if unspecified := sum(not f.label.strip() and not f.has_note for f in facts):
        notes.append(
            ngettext(
                "%(count)s budget dont la source ne précise pas le périmètre.",
                "%(count)s budgets dont la source ne précise pas le périmètre.",
                unspecified,
            )
            % {"count": unspecified}
        )
    if approximate := sum(f.approximate for f in facts):
        notes.append(
            ngettext(
                "%(count)s budget aux montants approximatifs (« environ »).",
                "%(count)s budgets aux montants approximatifs (« environ »).",
                approximate,
            )
            % {"count": approximate}
        )
    both = {BudgetSection.FONCTIONNEMENT, BudgetSection.INVESTISSEMENT}
    if partial := sum(bool(f.sections) and not both <= f.sections for f in facts):
        notes.append(
            ngettext(
                "%(count)s budget sans le fonctionnement ou sans l'investissement : "
                "sa répartition n'est pas connue.",
                "%(count)s budgets sans le fonctionnement ou sans l'investissement : "
                "leur répartition n'est pas connue.",
                partial,
            )
            % {"count": partial}
        )
    if empty := sum(not f.sections for f in facts):
        notes.append(
            ngettext(
                "%(count)s budget sans montant donné par la source.",
                "%(count)s budgets sans montant donné par la source.",
                empty,
            )
            % {"count": empty}
        )
    return notes


@dataclass
class YearPoint:
    """One dated budget of a collectivité over the years, with its change since the last."""

    budget: Budget
    # Change since the previous dated budget, in % (one decimal); None for the first.
    change: Decimal | None = None
    previous_year: int | None = None
    same_perimeter: bool = True
    # Where the SVG draws the row's label and bar (pixels from the top) and the bar's width.
    share: float = 0.0
    label_y: int = 0
    bar_y: int = 0


ROW_HEIGHT = 28


@dataclass
class Evolution:
    """The dated budgets of one collectivité with a total, oldest first (two or more)."""

    collectivite: Collectivite
    points: list[YearPoint] = field(default_factory=list)

    @property
    def height(self) -> int:
        """The SVG's height: one row per year."""
        return ROW_HEIGHT * len(self.points)


def evolution(collectivite: Collectivite, budgets: Iterable[Budget]) -> Evolution | None:
    """How the budgets of `collectivite` changed over the years, None with fewer than two
    dated budgets with a total. `budgets` are in year order (for_comparison())."""
    dated = [b for b in budgets if b.year is not None and b.total is not None]
    if len(dated) < 2:
        return None
    largest = max(b.total for b in dated)
    points = []
    for row, budget in enumerate(dated):
        point = YearPoint(
            budget=budget,
            share=round(100 * budget.total / largest, 1) if largest else 0.0,
            label_y=ROW_HEIGHT * row + 12,
            bar_y=ROW_HEIGHT * row + 16,
        )
        if row:
            previous = dated[row - 1]
            point.previous_year = previous.year
            point.same_perimeter = (
                previous.label.strip().casefold() == budget.label.strip().casefold()
            )
            if previous.total:
                change = Decimal(100 * (budget.total - previous.total)) / previous.total
                point.change = change.quantize(Decimal("0.1"), ROUND_HALF_UP)
        points.append(point)
    return Evolution(collectivite=collectivite, points=points)


@dataclass
class ComparedCollectivite:
    """A collectivité of a group, its budgets (consecutive, by year) and their evolution."""

    collectivite: Collectivite
    budgets: list[Budget]
    evolution: Evolution | None = None


@dataclass
class ComparisonGroup:
    """The collectivités of one type side by side, with the notes about the whole group."""

    kind: str
    label: str
    members: list[ComparedCollectivite] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    budget_count: int = 0


def comparison_groups(
    collectivites: Iterable[Collectivite], facts: Iterable[Sequence]
) -> list[ComparisonGroup]:
    """The groups of a page of `Collectivite.objects.for_budget_comparison()`, in order, with
    notes computed from `facts` (rows of `Budget.objects.comparison_facts()`, the type first)
    of every budget of the group, on this page or another."""
    facts_by_kind: dict[str, list[BudgetFacts]] = {}
    for kind, *row in facts:
        facts_by_kind.setdefault(kind, []).append(BudgetFacts.from_row(row))
    labels = dict(CollectiviteKind.choices)
    groups: list[ComparisonGroup] = []
    for collectivite in collectivites:
        if not groups or groups[-1].kind != collectivite.kind:
            kind_facts = facts_by_kind.get(collectivite.kind, [])
            groups.append(
                ComparisonGroup(
                    kind=collectivite.kind,
                    label=labels.get(collectivite.kind, collectivite.kind),
                    notes=group_notes(kind_facts),
                    budget_count=len(kind_facts),
                )
            )
        budgets = collectivite.compared_budgets
        groups[-1].members.append(
            ComparedCollectivite(collectivite, budgets, evolution(collectivite, budgets))
        )
    return groups


@dataclass
class CollectiviteBudgets:
    """A collectivité's budgets beside those of the other collectivités of its type."""

    collectivite: Collectivite
    rows: list[Budget]
    notes: list[str]
    more: bool

    @property
    def own(self) -> list[Budget]:
        """The rows of the collectivité itself."""
        return [b for b in self.rows if b.collectivite_id == self.collectivite.pk]

    @property
    def has_peers(self) -> bool:
        """Whether another collectivité of the type has a published budget."""
        return self.more or len(self.own) < len(self.rows)


def _peers(*, collectivite_id: int, kind: str, size: int):
    return (
        Budget.objects.published()
        .filter(collectivite__kind=kind)
        .for_comparison(first=Collectivite(pk=collectivite_id))[:size]
    )


# Kept compiled (core.statements): every collectivité page reads it. By the collectivité's
# key: one plan serves every collectivité (generic_plan, core.prepared).
_peers_statement = Statement(_peers, bound=("collectivite_id",), generic_plan=True)


def peers_read(collectivite: Collectivite, limit: int) -> Composed:
    """The published budgets of `collectivite` first, then up to `limit` rows in all of those
    of the other collectivités of its type by name and year (never by amount), with notes
    (CollectiviteBudgets): a read its page sends with its others (read_together())."""
    return Composed(
        calls=(
            (
                _peers_statement,
                {"collectivite_id": collectivite.pk, "kind": collectivite.kind, "size": limit + 1},
            ),
        ),
        build=lambda budgets: _beside(collectivite, budgets, limit),
    )


def _beside(collectivite: Collectivite, budgets: list[Budget], limit: int) -> CollectiviteBudgets:
    rows = budgets[:limit]
    return CollectiviteBudgets(
        collectivite=collectivite,
        rows=rows,
        notes=group_notes(BudgetFacts.of(b) for b in rows),
        more=len(budgets) > limit,
    )
