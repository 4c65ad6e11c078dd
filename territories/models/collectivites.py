"""Collectivités: the local authorities that act on a territory, and what their page tells
of their ESS policy (key figures, strategic axes, example actions).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from territories.models.geography import Territory, TerritoryInclusion, TerritoryKind
from territories.models.records import OwnedQuerySet, SourcedRecord, TerritorialQuerySet
from territories.models.reference import Theme

# Paths under /collectivites/ that are pages of their own, never a collectivité's slug.
RESERVED_COLLECTIVITE_SLUGS = ["budgets", "subventions"]


class CollectiviteKind(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    METROPOLE = "metropole", _("Métropole")
    COMMUNAUTE_URBAINE = "communaute_urbaine", _("Communauté urbaine")
    COMMUNAUTE_AGGLOMERATION = "communaute_agglomeration", _("Communauté d'agglomération")
    COMMUNAUTE_COMMUNES = "communaute_communes", _("Communauté de communes")
    COMMUNE = "commune", _("Commune")
    PETR = "petr", _("PETR")
    PAYS = "pays", _("Pays")


def kind_order(field: str = "kind") -> models.Case:
    """An ordering on a collectivité type `field`, from the région down (CollectiviteKind)."""
    return models.Case(
        *(models.When(**{field: kind}, then=rank) for rank, kind in enumerate(CollectiviteKind)),
        default=len(CollectiviteKind),
        output_field=models.PositiveSmallIntegerField(),
    )


class CollectiviteQuerySet(TerritorialQuerySet, OwnedQuerySet):
    def owned_by(self, collectivites):
        """A collectivité owns its own record."""
        return self.filter(pk__in=collectivites)

    def acting_links(self, commune_ids: list[int]):
        """(commune id, collectivité id) for each collectivité whose territory contains one
        of `commune_ids` (see acting_by_commune())."""
        return self.filter(territory__member_links__member__in=commune_ids).values_list(
            "territory__member_links__member", "pk"
        )

    def search(self, query: str):
        """Collectivités matching `query`, best first (see core.search)."""
        return text_search(
            self,
            query,
            [
                ("name", "A"),
                ("short_name", "A"),
                ("type_label", "B"),
                ("search_context", "B"),
                ("panorama", "C"),
                ("programme", "C"),
            ],
        )

    def for_list(self):
        return self.select_related("territory").order_by("territory__rank", "name")

    def for_search(self):
        return self.select_related("territory")

    def for_export(self):
        """With the départements and régions of each territory (`territory.area_links`)."""
        areas = TerritoryInclusion.objects.filter(
            container__kind__in=[TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
        ).select_related("container")
        return self.select_related("territory").prefetch_related(
            models.Prefetch("territory__container_links", queryset=areas, to_attr="area_links")
        )

    def refresh_search_context(self) -> int:
        """Keep what collectivités are found by: the name of their territory."""
        return refresh_search_context(
            self.select_related("territory"), lambda c: [c.territory.name, c.get_kind_display()]
        )

    def for_detail(self):
        return self.select_related("territory").prefetch_related(
            "sources", "key_figures", "axes", "actions__themes"
        )

    def for_budget_comparison(self):
        """Collectivités with a published budget, by type then name, each with its published
        budgets in `compared_budgets` (Budget.objects.for_comparison(): oldest year first)."""
        # Budget is reached through the reverse relation: the budgets module imports this
        # one, not the other way round.
        budget_model = self.model._meta.get_field("budgets").related_model
        budgets = budget_model.objects.published()
        return (
            self.filter(models.Exists(budgets.filter(collectivite=models.OuterRef("pk"))))
            .select_related("territory")
            .prefetch_related(
                models.Prefetch(
                    "budgets", queryset=budgets.for_comparison(), to_attr="compared_budgets"
                )
            )
            .order_by(kind_order(), "name", "pk")
        )


class Collectivite(SourcedRecord):
    name = models.CharField("nom", max_length=200)
    short_name = models.CharField("nom court", max_length=60, blank=True)
    slug = models.SlugField("identifiant", max_length=120, unique=True)
    kind = models.CharField("type", max_length=30, choices=CollectiviteKind.choices)
    type_label = models.CharField(
        "type selon la source", max_length=120, blank=True, help_text="Libellé exact de la source."
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="collectivites",
    )
    population = models.PositiveIntegerField("population selon la source", null=True, blank=True)
    population_label = models.CharField(
        "population (libellé de la source)", max_length=120, blank=True
    )
    address = models.TextField("adresse", blank=True)
    rtes_membership_year = models.PositiveSmallIntegerField(
        "année d'adhésion au RTES", null=True, blank=True
    )
    rtes_role = models.CharField("rôle au RTES", max_length=200, blank=True)
    website = models.URLField("site web", blank=True)
    panorama = models.TextField("panorama de l'ESS", blank=True)
    programme = models.TextField("programme d'intervention", blank=True)

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = CollectiviteQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rtes_membership_year__isnull=True)
                | Q(rtes_membership_year__gte=1990, rtes_membership_year__lte=2100),
                name="collectivite_rtes_year_plausible",
            ),
            # /collectivites/budgets/ is the budgets' comparison, not a collectivité.
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_COLLECTIVITE_SLUGS),
                name="collectivite_slug_not_reserved",
                violation_error_message="Cet identifiant est réservé à une page de l'annuaire.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("site:collectivite", slug=self.slug)

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.pk in collectivite_ids


class KeyFigure(models.Model):
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="key_figures"
    )
    value = models.CharField("valeur", max_length=60)
    label = models.CharField("libellé", max_length=400)
    year = models.PositiveSmallIntegerField("année", null=True, blank=True)
    source_note = models.CharField("origine du chiffre", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "chiffre clé"
        verbose_name_plural = "chiffres clés"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.value} {self.label}"


class StrategicAxis(models.Model):
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="axes")
    title = models.CharField("titre", max_length=300)
    description = models.TextField("description", blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "axe stratégique"
        verbose_name_plural = "axes stratégiques"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


class Action(models.Model):
    """An example of what the collectivité does, as its source describes it."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField("titre", max_length=300)
    period = models.CharField("période", max_length=120, blank=True)
    description = models.TextField("description", blank=True)
    themes = models.ManyToManyField(Theme, verbose_name="thèmes", blank=True, related_name="+")
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "action"
        verbose_name_plural = "actions"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


def acting_by_commune(links) -> dict[int, set[int]]:
    """{commune id: ids of the collectivités acting there} of CollectiviteQuerySet's
    `acting_links()` rows."""
    acting: dict[int, set[int]] = {}
    for commune_id, collectivite_id in links:
        acting.setdefault(commune_id, set()).add(collectivite_id)
    return acting
