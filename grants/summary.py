"""What the pages tell of grants: a collectivité's by year, ESS family and theme, and the
collectivités of one type side by side — by name, never ranked by amount.

Amounts are what each beneficiary receives (`Grant.received`: montant ×
pourcentageSubvention), so that a grant shared by several beneficiaries counts once.
"ESS structures" are the beneficiaries linked to a structure the public sees; the others
(not in the directory, or not matched by their identifiers) are counted apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from actors.models import Family
from core.publication import PublicationStatus
from core.statements import Statement
from core.together import Composed
from grants.models import Grant
from territories.models import Collectivite, CollectiviteKind

ZERO = Decimal("0.00")
PUBLIC_STRUCTURE = Q(beneficiary__status=PublicationStatus.PUBLISHED, beneficiary__hidden=False)


def cents(value) -> Decimal:
    """A sum of amounts, to the cent (SQLite sums decimals as floats)."""
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def per_inhabitant(total: Decimal | None, population: int | None) -> Decimal | None:
    """Euros per inhabitant, to the cent; None without an amount or a population."""
    if total is None or not population:
        return None
    return (Decimal(total) / population).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Share:
    """Grants of one ESS family or one theme, in one year."""

    label: str
    count: int
    total: Decimal
    per_inhabitant: Decimal | None = None


@dataclass
class YearGrants:
    """A collectivité's public grants of one year."""

    year: int
    count: int = 0  # every public grant
    total: Decimal = ZERO
    ess_count: int = 0  # those to ESS structures of the directory
    ess_total: Decimal = ZERO
    ess_per_inhabitant: Decimal | None = None
    families: list[Share] = field(default_factory=list)
    themes: list[Share] = field(default_factory=list)

    @property
    def other_count(self) -> int:
        return self.count - self.ess_count

    @property
    def other_total(self) -> Decimal:
        return self.total - self.ess_total


@dataclass
class CollectiviteGrants:
    collectivite: Collectivite
    population: int | None
    years: list[YearGrants]  # the latest first

    def __bool__(self) -> bool:
        return bool(self.years)


def _public_of(collectivite_id: int):
    return Grant.objects.public().filter(collectivite=collectivite_id).order_by()


def _by_family(*, collectivite_id: int):
    family = models.Case(
        models.When(PUBLIC_STRUCTURE, then=models.F("beneficiary__family")),
        default=models.Value(""),
        output_field=models.CharField(),
    )
    return (
        _public_of(collectivite_id)
        .annotate(ess_family=family)
        .values("year", "ess_family")
        .annotate(count=Count("pk"), total=Sum("received"))
    )


def _by_theme(*, collectivite_id: int):
    return (
        _public_of(collectivite_id)
        .filter(PUBLIC_STRUCTURE)
        .values("year", "beneficiary__themes__name")
        .annotate(count=Count("pk"), total=Sum("received"))
    )


# Kept compiled (core.statements): every collectivité page reads them. By the collectivité's
# key: one plan serves every collectivité (generic_plan, core.prepared).
_by_family_statement = Statement(_by_family, bound=("collectivite_id",), generic_plan=True)
_by_theme_statement = Statement(_by_theme, bound=("collectivite_id",), generic_plan=True)


def grants_read(collectivite: Collectivite) -> Composed:
    """The public grants of `collectivite` by year, ESS family and theme
    (CollectiviteGrants): a read its page sends with its others (read_together())."""
    arguments = {"collectivite_id": collectivite.pk}
    return Composed(
        calls=((_by_family_statement, arguments), (_by_theme_statement, arguments)),
        build=lambda by_family, by_theme: _summed(collectivite, by_family, by_theme),
    )


def _summed(collectivite: Collectivite, by_family: list, by_theme: list) -> CollectiviteGrants:
    population = collectivite.territory.population
    years: dict[int, YearGrants] = {}
    labels = dict(Family.choices)
    order = {value: rank for rank, value in enumerate(labels)}
    for row in sorted(by_family, key=lambda r: order.get(r["ess_family"], len(order))):
        row["total"] = cents(row["total"])
        year = years.setdefault(row["year"], YearGrants(row["year"]))
        year.count += row["count"]
        year.total += row["total"]
        if row["ess_family"]:
            year.ess_count += row["count"]
            year.ess_total += row["total"]
            year.families.append(
                Share(
                    str(labels.get(row["ess_family"], row["ess_family"])),
                    row["count"],
                    row["total"],
                    per_inhabitant(row["total"], population),
                )
            )

    # By name, themes without a name (structures without theme) last.
    def theme_order(row: dict) -> tuple:
        name = row["beneficiary__themes__name"]
        return (name is None, name or "")

    for row in sorted(by_theme, key=theme_order):
        name = row["beneficiary__themes__name"] or _("Sans thème renseigné")
        row["total"] = cents(row["total"])
        years[row["year"]].themes.append(
            Share(name, row["count"], row["total"], per_inhabitant(row["total"], population))
        )
    for year in years.values():
        year.ess_per_inhabitant = per_inhabitant(year.ess_total, population)
    return CollectiviteGrants(
        collectivite, population, [years[y] for y in sorted(years, reverse=True)]
    )


def received_by(actor, limit: int) -> tuple[list[Grant], bool]:
    """The public grants `actor` received, the latest first, with their collectivité and
    file (the source): at most `limit`, and whether there are more. One query."""
    grants = list(
        Grant.objects.public()
        .filter(beneficiary=actor)
        .select_related("collectivite", "file")
        .order_by("-convention_date", "collectivite__name", "pk")[: limit + 1]
    )
    return grants[:limit], len(grants) > limit


# --- Side by side -------------------------------------------------------------------------


@dataclass
class ComparedYear:
    year: int
    count: int
    total: Decimal
    ess_count: int
    ess_total: Decimal
    population: int | None

    @property
    def ess_per_inhabitant(self) -> Decimal | None:
        return per_inhabitant(self.ess_total, self.population)


@dataclass
class ComparedCollectivite:
    collectivite: Collectivite
    years: list[ComparedYear]  # the oldest first, as the budgets


@dataclass
class ComparisonGroup:
    kind: str
    label: str
    members: list[ComparedCollectivite] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def group_notes(years: set[int]) -> list[str]:
    """What calls for care across one type's grants, besides the page's standing notes."""
    if len(years) > 1:
        listed = ", ".join(str(year) for year in sorted(years))
        return [_("Les années diffèrent : %(years)s.") % {"years": listed}]
    return []


def comparison_groups(collectivites: Iterable[Collectivite], grants) -> list[ComparisonGroup]:
    """The collectivités of a page (by type, then name) with their grants among `grants`
    (filtered, public) by year, and the notes of each type over all of `grants`; in two
    queries."""
    collectivites = list(collectivites)
    if not collectivites:
        return []
    grants = grants.order_by()
    rows = (
        grants.filter(collectivite__in=[c.pk for c in collectivites])
        .values("collectivite_id", "year")
        .annotate(
            count=Count("pk"),
            total=Sum("received"),
            ess_count=Count("pk", filter=PUBLIC_STRUCTURE),
            ess_total=Sum("received", filter=PUBLIC_STRUCTURE),
        )
    )
    by_collectivite: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_collectivite[row["collectivite_id"]].append(row)
    kinds = {c.kind for c in collectivites}
    years_by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, year in (
        grants.filter(collectivite__kind__in=kinds)
        .values_list("collectivite__kind", "year")
        .distinct()
    ):
        years_by_kind[kind].add(year)
    labels = dict(CollectiviteKind.choices)
    groups: list[ComparisonGroup] = []
    for collectivite in collectivites:
        if not groups or groups[-1].kind != collectivite.kind:
            groups.append(
                ComparisonGroup(
                    collectivite.kind,
                    str(labels.get(collectivite.kind, collectivite.kind)),
                    notes=group_notes(years_by_kind[collectivite.kind]),
                )
            )
        population = collectivite.territory.population
        years = [
            ComparedYear(
                row["year"],
                row["count"],
                cents(row["total"]),
                row["ess_count"],
                cents(row["ess_total"]),
                population,
            )
            for row in sorted(by_collectivite[collectivite.pk], key=lambda r: r["year"])
        ]
        groups[-1].members.append(ComparedCollectivite(collectivite, years))
    return groups
