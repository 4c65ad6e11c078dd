"""Budgets: what a collectivité devotes to the ESS, line by line, and how budgets are
compared side by side.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.choices import ChoiceLabelsMixin
from core.prefetches import KeptPrefetch
from core.publication import PublicationStatus
from territories.models.collectivites import Collectivite, kind_order
from territories.models.records import CollectiviteRecord, CollectiviteRecordQuerySet

if TYPE_CHECKING:
    # Schemes build on budgets (a scheme's page lists the lines that fund it), so a budget
    # line names its scheme by string and only the type checker imports the class.
    from territories.models.schemes import Scheme


class BudgetSection(models.TextChoices):
    INVESTISSEMENT = "investissement", _("Investissement")
    FONCTIONNEMENT = "fonctionnement", _("Fonctionnement")


def _lines_with_schemes():
    return BudgetLine.objects.select_related("scheme__collectivite")


class BudgetQuerySet(CollectiviteRecordQuerySet):
    def for_detail(self):
        """Budgets with their lines and the schemes they fund, the latest year first."""
        # Kept compiled, the lines are read with a page's other prefetches of their level.
        lines = KeptPrefetch("lines", _lines_with_schemes)
        return self.prefetch_related(lines).order_by(
            models.F("year").desc(nulls_last=True), "label", "pk"
        )

    def for_comparison(self, first: Collectivite | None = None):
        """Budgets side by side: with the census population of their collectivité's territory
        and their lines, by collectivité type, then name, then year (oldest first, undated
        last) so that a collectivité's years follow each other. Never ordered by amount.
        The budgets of `first`, when given, come before all others."""
        ordering = [
            kind_order("collectivite__kind"),
            "collectivite__name",
            "collectivite_id",
            models.F("year").asc(nulls_last=True),
            "label",
            "pk",
        ]
        if first is not None:
            ordering.insert(0, models.Case(models.When(collectivite=first, then=0), default=1))
        return (
            self.select_related("collectivite__territory")
            .prefetch_related("lines")
            .order_by(*ordering)
        )

    def comparison_facts(self):
        """(collectivité type, year, label, has a note, sections with an amount, approximate)
        of each budget, what a comparison's notes depend on, in one aggregate query."""
        with_amount = Q(lines__amount__isnull=False)

        def lines(condition: Q) -> models.Count:
            return models.Count("lines", filter=with_amount & condition)

        return self.annotate(
            operating_lines=lines(Q(lines__section=BudgetSection.FONCTIONNEMENT)),
            investment_lines=lines(Q(lines__section=BudgetSection.INVESTISSEMENT)),
            unspecified_lines=lines(Q(lines__section="")),
            approximate_lines=lines(Q(lines__approximate=True)),
            has_note=models.ExpressionWrapper(~Q(note=""), output_field=models.BooleanField()),
        ).values_list(
            "collectivite__kind",
            "year",
            "label",
            "has_note",
            "operating_lines",
            "investment_lines",
            "unspecified_lines",
            "approximate_lines",
        )


class Budget(CollectiviteRecord):
    """What a collectivité devotes to the ESS, for a year when the source gives one."""

    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.CASCADE, related_name="budgets"
    )
    year = models.PositiveSmallIntegerField("année", null=True, blank=True)
    label = models.CharField("intitulé", max_length=200, blank=True)
    staff_fte = models.DecimalField(
        "effectif (ETP)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    staff_note = models.TextField("moyens humains", blank=True)
    note = models.TextField("précisions", blank=True)

    objects = BudgetQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "budget"
        verbose_name_plural = "budgets"
        ordering = ["collectivite", "-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff_fte__isnull=True) | Q(staff_fte__gte=0),
                name="budget_staff_fte_positive",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1990, year__lte=2100),
                name="budget_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.label or (f"Budget {self.year}" if self.year else "Budget (année non précisée)")

    def _lines(self):
        return list(self.lines.all())

    def amounts_by_section(self) -> dict[str, tuple[int, bool]]:
        """{section ("" when the source gives none): (total, approximate)} of the amounts."""
        totals: dict[str, tuple[int, bool]] = {}
        for line in self._lines():
            if line.amount is None:
                continue
            amount, approximate = totals.get(line.section, (0, False))
            totals[line.section] = (amount + line.amount, approximate or line.approximate)
        return totals

    def section_totals(self) -> list[tuple[str, int, bool]]:
        """(section label, total, approximate) for each section present, in a stable order."""
        totals = self.amounts_by_section()
        order = [BudgetSection.INVESTISSEMENT, BudgetSection.FONCTIONNEMENT, ""]
        labels = dict(BudgetSection.choices) | {"": "Section non précisée"}
        return [(labels[s], totals[s][0], totals[s][1]) for s in order if s in totals]

    def section_columns(self) -> list[tuple[int, bool] | None]:
        """(total, approximate) of fonctionnement, investissement and of the amounts without
        a section, in that order; None for what the source does not give."""
        totals = self.amounts_by_section()
        order = [BudgetSection.FONCTIONNEMENT, BudgetSection.INVESTISSEMENT, ""]
        return [totals.get(section) for section in order]

    @property
    def population(self) -> int | None:
        """The census population of the collectivité's territory (INSEE, population
        municipale summed over its communes), the one budgets are compared on."""
        return self.collectivite.territory.population

    @property
    def per_inhabitant(self) -> Decimal | None:
        """The total in euros per inhabitant, to the cent; None without total or population."""
        total, population = self.total, self.population
        if total is None or not population:
            return None
        return (Decimal(total) / population).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def _share(self, section: str) -> Decimal | None:
        totals = self.amounts_by_section()
        # A split is only told when the source gives both sections: "100 % fonctionnement"
        # would say the collectivité invests nothing, when the source is merely silent.
        if not (BudgetSection.FONCTIONNEMENT in totals and BudgetSection.INVESTISSEMENT in totals):
            return None
        amount = totals.get(section, (0, False))[0]
        total = sum(amount for amount, _approximate in totals.values())
        if not total:
            return None
        return (Decimal(100 * amount) / total).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def operating_share(self) -> Decimal | None:
        """Fonctionnement's share of the total, in % (one decimal), when both sections are given."""
        return self._share(BudgetSection.FONCTIONNEMENT)

    @property
    def investment_share(self) -> Decimal | None:
        """Investissement's share of the total, in % (one decimal), when both sections are given."""
        return self._share(BudgetSection.INVESTISSEMENT)

    @property
    def unspecified_share(self) -> Decimal | None:
        """The share of amounts the source gives no section for, in %, as for the others."""
        share = self._share("")
        return share or None

    @property
    def total(self) -> int | None:
        amounts = [line.amount for line in self._lines() if line.amount is not None]
        return sum(amounts) if amounts else None

    @property
    def total_is_approximate(self) -> bool:
        return any(line.approximate for line in self._lines() if line.amount is not None)


class BudgetLineQuerySet(models.QuerySet):
    def published(self):
        """Lines of published budgets of published collectivités, the latest year first."""
        return (
            self.filter(
                budget__status=PublicationStatus.PUBLISHED,
                budget__collectivite__status=PublicationStatus.PUBLISHED,
            )
            .select_related("budget__collectivite")
            .order_by(models.F("budget__year").desc(nulls_last=True), "order", "pk")
        )


class BudgetLine(ChoiceLabelsMixin, models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    section = models.CharField("section", max_length=20, choices=BudgetSection.choices, blank=True)
    label = models.CharField("libellé", max_length=400)
    amount = models.PositiveBigIntegerField("montant (€)", null=True, blank=True)
    approximate = models.BooleanField("montant approximatif", default=False)
    scheme = models.ForeignKey(
        "territories.Scheme",
        verbose_name="dispositif financé",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_lines",
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)

    objects = BudgetLineQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ligne budgétaire"
        verbose_name_plural = "lignes budgétaires"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def public_scheme(self) -> Scheme | None:
        """The scheme the line funds, when the public may see it (never a draft's name)."""
        scheme = self.scheme
        if scheme is not None and scheme.is_published and scheme.collectivite.is_published:
            return scheme
        return None
