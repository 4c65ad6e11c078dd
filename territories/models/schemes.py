"""Schemes (dispositifs): what a collectivité offers project holders, the territory they
cover, when they are open, and who funds them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.prefetches import KeptPrefetch
from core.publication import PublicationStatus
from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from territories.models.collectivites import Collectivite
from territories.models.geography import Territory, TerritoryInclusion, TerritoryKind
from territories.models.records import (
    CollectiviteRecord,
    CollectiviteRecordQuerySet,
    TerritorialQuerySet,
)
from territories.models.reference import Theme


class SchemeKind(models.TextChoices):
    APPEL_A_PROJETS = "appel_a_projets", _("Appel à projets")
    AIDE_DIRECTE = "aide_directe", _("Aide directe")
    CONVENTION = "convention_partenariat", _("Convention de partenariat")
    LABEL = "label", _("Label")
    FONDS = "fonds", _("Fonds")
    ACCOMPAGNEMENT = "accompagnement", _("Accompagnement")
    PROGRAMME = "programme", _("Programme ou projet")
    RESEAU = "reseau", _("Réseau ou démarche collective")


def _area_in(territories) -> Q:
    """The scheme's area (its covered territory, else its carrier's) is one of
    `territories` (a subquery of territory ids)."""
    # The carriers by key (a hundred collectivités), not through a join: on a région's
    # 5 000 places, testing each scheme's carrier's territory against them took half the
    # query (11 of 23 ms).
    carriers = Collectivite.objects.filter(territory__in=territories).values("pk")
    return Q(territory__in=territories) | Q(territory__isnull=True, collectivite__in=carriers)


def _common(links, column: str, territories: list[Territory]):
    """The `column` ids (container_id or member_id) that `links` (inclusions filtered on
    the other side, by `territories`) relate to every one of `territories`."""
    other = "member_id" if column == "container_id" else "container_id"
    if len(territories) == 1:
        return links.values(column)
    return (
        links.values(column)
        .annotate(reached=models.Count(other, distinct=True))
        .filter(reached=len(territories))
        .values(column)
    )


def over_condition(day: datetime.date) -> Q:
    """A scheme's period is over on `day`: its last year (`end_year`, given or determined
    by its source) is past, or its application window closed."""
    return Q(end_year__lt=day.year) | Q(closes_on__lt=day)


# The columns of a scheme's card (SchemeQuerySet.for_list), its key and slug included.
CARD_FIELDS = (
    "id",
    "slug",
    "status",
    "name",
    "kind",
    "summary",
    "period_label",
    "start_year",
    "end_year",
    "end_year_inferred",
    "opens_on",
    "closes_on",
    "collectivite",
    "territory",
)


class SchemeQuerySet(TerritorialQuerySet, CollectiviteRecordQuerySet):
    def accessible_in(self, *territories: Territory):
        """What "the schemes of this territory" means everywhere (the list's `territoire`,
        its exports, the API, the alerts, the territory page, the contact finder, the
        widget, the search): the schemes a project holder of each of `territories` may
        turn to. Their area — the territory they cover, else their carrier's — either
        covers it (the schemes of its région, its département, its intercommunality…) or
        lies inside it (the schemes carried there). For several territories (the communes
        of a postal code), those accessible in every one of them.
        """
        if not territories:
            return self.none()
        if len(territories) == 1:
            # From the schemes' stored places (SchemePlace): two ranges of one index,
            # whatever the territory's size, where Grand Est's list tested each of the
            # 5 000 schemes against its 5 284 places (4.6 -> 2.1 ms with its count, planning
            # included) and Metz's reached them four ways by key (3.9 -> 1.5 ms).
            return self.filter(pk__in=SchemePlace.objects.reaching(territories[0]))
        ids = [territory.pk for territory in territories]
        links = TerritoryInclusion.objects
        covering = _common(links.filter(member__in=ids), "container_id", territories)
        inside = _common(links.filter(container__in=ids), "member_id", territories)
        if any(territory.kind != TerritoryKind.COMMUNE for territory in territories):
            # Several larger territories (never asked by the site's pages): one pass over
            # the schemes, testing each against their common places.
            return self.filter(_area_in(covering) | _area_in(inside))
        schemes = self.model._default_manager.order_by()  # SQLite: no ORDER BY in a UNION
        # The communes of a postal code: by key, each way a scheme's area may be reached
        # from its own index (its territory, else its carrier's), rather than one condition
        # of four alternatives tested on every scheme.
        reached = [
            schemes.filter(territory__in=covering).values("pk"),
            schemes.filter(territory__in=inside).values("pk"),
            schemes.filter(
                territory__isnull=True,
                collectivite__in=Collectivite.objects.filter(territory__in=covering).values("pk"),
            ).values("pk"),
            schemes.filter(
                territory__isnull=True,
                collectivite__in=Collectivite.objects.filter(territory__in=inside).values("pk"),
            ).values("pk"),
        ]
        return self.filter(pk__in=reached[0].union(*reached[1:]))

    def around(self, territory: Territory):
        """Schemes found by territory in the site search: those accessible there."""
        return self.accessible_in(territory)

    def funded_by(self, collectivite: Collectivite):
        """Schemes `collectivite` carries or co-funds."""
        co_funded = SchemeFunder.objects.filter(collectivite=collectivite).values("scheme_id")
        return self.filter(Q(collectivite=collectivite) | Q(pk__in=co_funded))

    def co_funded_by(self, collectivite: Collectivite):
        """Schemes of other collectivités that `collectivite` co-funds."""
        co_funded = SchemeFunder.objects.filter(collectivite=collectivite).values("scheme_id")
        return self.filter(pk__in=co_funded).exclude(collectivite=collectivite)

    def nearest_first(self):
        """The current schemes first (see current_first()), the most local first (a
        commune's, then its EPCI's… then the région's)."""
        return (
            self.select_related("collectivite", "territory")
            .current_first()
            .order_by("period_over", "territory__rank", "name", "pk")
        )

    def open_on(self, day: datetime.date):
        """Schemes whose application window, as their source dates it, includes `day`
        ("Candidatures ouvertes aujourd'hui"): a scheme whose source gives no dates of
        application is never counted open, whatever its period."""
        return self.filter(
            Q(opens_on__lte=day) | Q(opens_on__isnull=True, closes_on__isnull=False),
            Q(closes_on__gte=day) | Q(closes_on__isnull=True, opens_on__isnull=False),
        ).exclude(over_condition(day))

    def over_on(self, day: datetime.date):
        """Schemes whose period, as their source gives it (or as it determines it), is over
        on `day`: their last year is past, or their applications closed."""
        return self.filter(over_condition(day))

    def current_first(self, day: datetime.date | None = None):
        """Annotated with `period_over` (see over_on()), to list the current schemes first."""
        day = day or timezone.localdate()
        return self.annotate(
            period_over=models.Case(
                models.When(over_condition(day), then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def search(self, query: str):
        """Schemes matching `query`, best first (see core.search)."""
        return text_search(
            self,
            query,
            [
                ("name", "A"),
                ("summary", "B"),
                ("search_context", "B"),
                ("eligibility", "C"),
                ("description", "C"),
            ],
        )

    def for_list(self):
        """By name, the current schemes first (see current_first()), with what a card of
        the lists shows (templates/includes/_scheme.html) and only that: not their long
        texts (description, eligibility), nor their themes, which no card shows."""
        return self.cards().current_first().order_by("period_over", "name", "pk")

    def cards(self):
        """With what a card shows (templates/includes/_scheme.html) and only that: not
        their long texts (description, eligibility), which no card shows, read, sent and
        loaded for nothing, nor their themes."""
        return self.select_related("collectivite", "territory").only(
            *CARD_FIELDS, "collectivite__name", "collectivite__slug", "territory__name"
        )

    def for_search(self):
        return self.select_related("collectivite", "territory")

    def for_export(self):
        """With what the dispositif-aide columns need: funders and grouping EPCI."""
        return self.select_related("collectivite__territory", "territory").prefetch_related(
            "funders__collectivite",
            "territory__grouping_epcis",
            "collectivite__territory__grouping_epcis",
        )

    def refresh_search_context(self) -> int:
        """Keep what schemes are found by: themes, territory, carrier and funders."""
        return refresh_search_context(
            self.select_related("collectivite", "territory").prefetch_related(
                "themes", "funders__collectivite"
            ),
            lambda scheme: [
                *(theme.name for theme in scheme.themes.all()),
                scheme.territory.name if scheme.territory else "",
                scheme.collectivite.name,
                scheme.collectivite.short_name,
                *(str(funder) for funder in scheme.funders.all()),
            ],
        )

    def for_detail(self):
        """A scheme with its themes, sources, funders and published budget lines."""
        return self.select_related("collectivite", "territory").prefetch_related(
            "themes",
            "sources",
            "funders__collectivite",
            KeptPrefetch("budget_lines", _published_budget_lines),
        )


def _published_budget_lines():
    # A budget line names the scheme it funds (budgets depend on schemes): reached through
    # the relation rather than imported, so that the dependency runs one way.
    return Scheme._meta.get_field("budget_lines").related_model.objects.published()


class Scheme(CollectiviteRecord):
    name = models.CharField("nom", max_length=300)
    slug = models.SlugField("identifiant", max_length=120, unique=True)
    kind = models.CharField("nature", max_length=30, choices=SchemeKind.choices)
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité porteuse",
        on_delete=models.PROTECT,
        related_name="schemes",
    )
    summary = models.CharField("résumé", max_length=500, blank=True)
    description = models.TextField("description", blank=True)
    eligibility = models.TextField("qui peut candidater", blank=True)
    themes = models.ManyToManyField(
        Theme, verbose_name="thèmes", blank=True, related_name="schemes"
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire couvert",
        on_delete=models.PROTECT,
        related_name="schemes",
        null=True,
        blank=True,
    )
    period_label = models.CharField("période (libellé de la source)", max_length=200, blank=True)
    start_year = models.PositiveSmallIntegerField("année de début", null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(
        "année de fin",
        null=True,
        blank=True,
        help_text="Dernière année de la période, telle que la source la donne ou la détermine : "
        "passée, le dispositif est présenté comme terminé.",
    )
    end_year_inferred = models.BooleanField(
        "année de fin déduite",
        default=False,
        help_text="Cochée quand la source n'écrit pas l'année de fin mais la détermine "
        "(« 2019 » et « sur 3 ans » : 2021) ; le site le dit.",
    )
    end_year_note = models.CharField(
        "d'où vient l'année de fin",
        max_length=300,
        blank=True,
        help_text="Les mots de la source, et le raisonnement quand l'année est déduite.",
    )
    opens_on = models.DateField("candidatures à partir du", null=True, blank=True)
    closes_on = models.DateField("candidatures jusqu'au", null=True, blank=True)
    amount = models.PositiveBigIntegerField("montant (€)", null=True, blank=True)
    amount_note = models.CharField("précision sur le montant", max_length=300, blank=True)
    results = models.TextField("résultats", blank=True)

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = SchemeQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "dispositif"
        verbose_name_plural = "dispositifs"
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name", "id"], name="scheme_name_id"),
            # What the lists of published schemes filter (who carries them, where) and sort
            # on (current first, by name), so that a list's keys are read from the index
            # alone: a scheme's row is wide (descriptions, eligibility), and a territory's
            # list otherwise read every row of the table.
            models.Index(
                fields=["collectivite", "territory"],
                include=["end_year", "closes_on", "name", "id"],
                condition=Q(status=PublicationStatus.PUBLISHED),
                name="scheme_public_listing",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True)
                | Q(closes_on__isnull=True)
                | Q(closes_on__gte=models.F("opens_on")),
                name="scheme_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(end_year__isnull=True)
                | Q(end_year__gte=models.F("start_year")),
                name="scheme_years_ordered",
            ),
            models.CheckConstraint(
                condition=Q(end_year_inferred=False) | Q(end_year__isnull=False),
                name="scheme_inferred_end_year_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("site:scheme", slug=self.slug)

    def clean(self) -> None:
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": "La clôture précède l'ouverture."})
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": "L'année de fin précède l'année de début."})
        if self.end_year_inferred and not (self.end_year and self.end_year_note):
            raise ValidationError(
                {"end_year_note": "Une année de fin déduite dit de quoi elle est déduite."}
            )

    @property
    def is_open_today(self) -> bool:
        return self.is_open_on(timezone.localdate())

    def is_open_on(self, day: datetime.date) -> bool:
        if (self.opens_on is None and self.closes_on is None) or self.is_over_on(day):
            return False
        return (self.opens_on is None or self.opens_on <= day) and (
            self.closes_on is None or day <= self.closes_on
        )

    @property
    def is_over(self) -> bool:
        """Whether the scheme's period is over today (see SchemeQuerySet.over_on())."""
        return self.is_over_on(timezone.localdate())

    def is_over_on(self, day: datetime.date) -> bool:
        return bool(
            (self.end_year is not None and self.end_year < day.year)
            or (self.closes_on is not None and self.closes_on < day)
        )

    @property
    def period_display(self) -> str:
        if self.period_label:
            return self.period_label
        if self.start_year and self.end_year and self.start_year != self.end_year:
            return f"{self.start_year}–{self.end_year}"
        return str(self.start_year or self.end_year or "")


class SchemeFunder(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="funders")
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funded_schemes",
    )
    name = models.CharField(
        "autre financeur", max_length=200, blank=True, help_text="Si ce n'est pas une collectivité."
    )
    share = models.DecimalField(
        "part relative",
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Ex. 1 pour le Département et 1,5 pour la Région.",
    )
    share_label = models.CharField("part (libellé de la source)", max_length=200, blank=True)
    amount = models.PositiveBigIntegerField("montant (€)", null=True, blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "financeur"
        verbose_name_plural = "financeurs"
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collectivite__isnull=False) | ~Q(name=""),
                name="scheme_funder_named",
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=Decimal(0)),
                name="scheme_funder_share_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.collectivite)

    def clean(self) -> None:
        if self.collectivite_id is None and not self.name:
            raise ValidationError("Choisissez une collectivité ou nommez le financeur.")


class SchemePlaceQuerySet(models.QuerySet):
    def reaching(self, territory: Territory):
        """The ids of the schemes accessible in `territory` (see
        SchemeQuerySet.accessible_in()): those whose area lies inside it (its own rows),
        and those whose area is one of the territories containing it (their areas' rows),
        each from one index range, whatever the territory's size."""
        covering = TerritoryInclusion.objects.filter(member=territory).values("container_id")
        inside = self.filter(territory=territory).values("scheme_id")
        around = self.filter(is_area=True, territory__in=covering).values("scheme_id")
        # SQLite: no ORDER BY in a UNION.
        return inside.order_by().union(around.order_by())


class SchemePlace(models.Model):
    """`scheme`'s area — the territory it covers, else its carrier's — lies inside
    `territory` (TerritoryInclusion, each territory containing itself); `is_area` on the
    area's own row.

    Derived data, kept by territories.derived.refresh_scheme_places() whenever a scheme's
    territory or carrier, a carrier's territory or the geography's inclusions change: the
    schemes accessible in a région are then one range of an index, where each of the
    5 000 schemes was tested against the région's 5 284 members and the carriers there.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="places")
    # Found by territory through the unique constraint's index, which starts with it.
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    is_area = models.BooleanField("territoire du dispositif", default=False)

    objects = SchemePlaceQuerySet.as_manager()

    class Meta:
        verbose_name = "lieu d'un dispositif"
        verbose_name_plural = "lieux des dispositifs"
        constraints = [
            models.UniqueConstraint(fields=["territory", "scheme"], name="scheme_place_unique"),
        ]
        indexes = [
            models.Index(
                fields=["territory", "scheme"],
                condition=Q(is_area=True),
                name="scheme_place_area",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} ⊂ {self.territory_id}"
