"""Territories of France, the collectivités that act on them and their ESS policies.

A territory is any area a visitor may live in or a collectivité may govern: régions,
départements, EPCI, EPT, communes and groupings of EPCI (pays, PETR, the CD54 territories
of action). Containment is stored once, as a closure table (`TerritoryInclusion`), so that
"everything inside X" and "every territory that covers commune Y" are single indexed joins.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.choices import ChoiceLabelsMixin
from core.publication import PublicationStatus, Publishable, PublishableQuerySet
from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from core.text import normalize
from territories import access
from territories.access import StaffRole

# --- Reference data -------------------------------------------------------------------------


class Source(models.Model):
    """A document the directory's facts come from, and how current it is."""

    code = models.CharField("code", max_length=20, unique=True)
    title = models.CharField("titre", max_length=300)
    publisher = models.CharField("éditeur", max_length=200, blank=True)
    file = models.CharField("fichier", max_length=200, blank=True)
    url = models.URLField("adresse", blank=True)
    as_of = models.CharField(
        "état au", max_length=40, blank=True, help_text="Date ou année dont datent les faits."
    )
    as_of_note = models.TextField("précision sur la date", blank=True)

    class Meta:
        verbose_name = "source"
        verbose_name_plural = "sources"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class Theme(models.Model):
    """A theme of the shared taxonomy (schemes, actors, events)."""

    slug = models.SlugField("identifiant", max_length=60, unique=True)
    name = models.CharField("nom", max_length=120, unique=True)

    class Meta:
        verbose_name = "thème"
        verbose_name_plural = "thèmes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Territories ----------------------------------------------------------------------------


class TerritoryKind(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    EPCI = "epci", _("Intercommunalité (EPCI)")
    EPT = "ept", _("Établissement public territorial")
    GROUPEMENT = "groupement", _("Groupement de territoires")
    COMMUNE = "commune", _("Commune")


class GroupingType(models.TextChoices):
    PAYS = "pays", _("Pays")
    PETR = "petr", _("Pôle d'équilibre territorial et rural (PETR)")
    TERRITOIRE_DEPARTEMENTAL = "territoire_departemental", _("Territoire d'action départemental")


CODE_RE = re.compile(r"^(?:\d{5}|2[AaBb]\d{3})$")
DEPARTEMENT_RE = re.compile(r"^(?:\d{2}|2[AaBb]|97\d)$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# How local a territory is: the contact finder lists the most local contacts first.
RANKS = {
    TerritoryKind.COMMUNE: 10,
    TerritoryKind.EPCI: 20,
    TerritoryKind.EPT: 25,
    GroupingType.PAYS: 30,
    GroupingType.PETR: 30,
    GroupingType.TERRITOIRE_DEPARTEMENTAL: 35,
    TerritoryKind.DEPARTEMENT: 40,
    TerritoryKind.REGION: 50,
}


# The territories listed "below" a territory on its page: the next level down.
CHILD_KINDS = {
    TerritoryKind.REGION: [TerritoryKind.DEPARTEMENT],
    TerritoryKind.DEPARTEMENT: [TerritoryKind.EPCI, TerritoryKind.EPT, TerritoryKind.GROUPEMENT],
    TerritoryKind.EPCI: [TerritoryKind.COMMUNE],
    TerritoryKind.EPT: [TerritoryKind.COMMUNE],
    TerritoryKind.GROUPEMENT: [TerritoryKind.EPCI, TerritoryKind.COMMUNE],
}


class TerritoryQuerySet(models.QuerySet):
    def communes(self):
        """Current communes, the base unit of the geography."""
        return self.filter(kind=TerritoryKind.COMMUNE)

    def inside(self, territory: Territory):
        """Territories contained in `territory`, itself included (see TerritoryInclusion)."""
        return self.filter(container_links__container=territory)

    def inside_exactly(self, territory: Territory):
        """Territories every commune of which lies in `territory`, itself included."""
        return self.filter(container_links__container=territory, container_links__exact=True)

    def inside_any_of(self, collectivites):
        """Territories inside the territory of one of `collectivites` (ids or instances)."""
        return self.filter(container_links__container__collectivites__in=collectivites)

    def containing(self, territory: Territory):
        """Territories that contain `territory`, itself included, the most local first."""
        return self.filter(member_links__member=territory).order_by("rank", "name")

    def containers_of(self, territory: Territory):
        """Territories that contain `territory`, itself excluded, the most local first."""
        return self.containing(territory).exclude(pk=territory.pk)

    def children_of(self, territory: Territory):
        """The territories one level below `territory` (a département's EPCI and groupings…)."""
        return (
            self.inside(territory)
            .exclude(pk=territory.pk)
            .filter(kind__in=CHILD_KINDS.get(territory.kind, []))
            .order_by("rank", "search_name")
        )

    def landmarks(self):
        """Where to start browsing: the régions and the groupings."""
        return self.filter(kind__in=[TerritoryKind.REGION, TerritoryKind.GROUPEMENT])

    def insee_alternative(self, query: str) -> Territory | None:
        """The commune whose INSEE code is the postal code typed, when that postal code is
        not its own ("54200" is Toul's postal code and Flirey's INSEE code)."""
        codes = [word.upper() for word in query.split() if CODE_RE.match(word)]
        if len(codes) != 1 or not PostalCode.objects.filter(code=codes[0]).exists():
            return None
        return self.communes().filter(code=codes[0]).exclude(postal_codes__code=codes[0]).first()

    def matching_text(self, text: str, limit: int = 10) -> list[Territory]:
        """The territories a visitor means by `text`, at most `limit` + 1.

        A slug, a département number ("54", "2A", "974"), a postal code (its communes) or an
        INSEE code, or a name of any kind of territory, accents, case and hyphens folded:
        the names equal to it, else those starting so, the most populated first.
        """
        value = text.strip()
        if not value:
            return []
        lowered = value.lower()
        if SLUG_RE.match(lowered) and (found := self.by_slug(lowered).first()):
            return [found]
        if DEPARTEMENT_RE.match(value):
            departement = self.filter(kind=TerritoryKind.DEPARTEMENT, code=value.upper())
            if found := departement.first():
                return [found]
        by_size = (F("population").desc(nulls_last=True), "rank", "search_name")
        if CODE_RE.match(value):
            return list(self.matching_place(value).order_by(*by_size)[: limit + 1])
        folded = normalize(value)
        if not folded:
            return []
        exact = list(self.filter(search_name=folded).order_by(*by_size)[: limit + 1])
        if exact:
            return exact
        return list(self.filter(search_name__startswith=folded).order_by(*by_size)[: limit + 1])

    def suggestions(self, text: str, limit: int = 10):
        """Territories for a text being typed: names starting so (the most populated
        first), or, for digits, départements and communes whose codes start so."""
        value, folded = text.strip().upper(), normalize(text)
        if len(folded) < 2:
            return self.none()
        by_size = (F("population").desc(nulls_last=True), "rank", "search_name")
        if value[:2].isdigit() or value[:2] in ("2A", "2B"):
            codes = Q(kind=TerritoryKind.DEPARTEMENT, code__startswith=value) | Q(
                pk__in=PostalCode.objects.filter(code__startswith=value).values("commune_id")
            )
            return self.filter(codes).order_by("-rank", *by_size)[:limit]
        return self.filter(search_name__startswith=folded).order_by(*by_size)[:limit]

    def found_by(self, query: str):
        """The communes `query` names (see `matching_place`), else territories named so."""
        communes = self.matching_place(query)
        if communes.exists():
            return communes
        return self.matching_name(query).order_by("rank", "search_name")

    def by_slug(self, slug: str):
        """The territory a canonical slug or a short form (`<kind>-<code>`) names."""
        return self.filter(Q(slug=slug) | Q(short_slug=slug.lower()))

    def matching_name(self, query: str):
        """Territories whose name starts like `query`, accents and case folded."""
        folded = normalize(query)
        if not folded:
            return self.none()
        return self.filter(search_name__startswith=folded)

    def matching_place(self, query: str):
        """Communes a visitor means by a postal code, an INSEE code and/or a name.

        "54200" gives every commune of that postal code (a code that is no postal code is
        read as an INSEE code: "54528" is Toul); "Toul" the communes named exactly so, else
        those whose name starts so; "54200 Toul" both conditions.
        """
        codes = [word for word in query.split() if CODE_RE.match(word)]
        words = " ".join(word for word in query.split() if not CODE_RE.match(word))
        communes = self.communes()
        for code in codes:
            code = code.upper()
            # A postal code first; an INSEE code only when no postal code is written so.
            if PostalCode.objects.filter(code=code).exists():
                communes = communes.filter(postal_codes__code=code)
            else:
                communes = communes.filter(code=code)
        folded = normalize(words)
        if folded:
            exact = communes.filter(search_name=folded)
            communes = exact if exact.exists() else communes.filter(search_name__startswith=folded)
        elif not codes:
            return self.none()
        return communes.distinct().order_by("search_name", "code")


class Territory(ChoiceLabelsMixin, models.Model):
    kind = models.CharField("type", max_length=12, choices=TerritoryKind.choices)
    code = models.CharField(
        "code", max_length=30, help_text="Code INSEE, SIREN ou code du groupement."
    )
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", max_length=250, unique=True)
    short_slug = models.SlugField("identifiant court", max_length=60, unique=True)
    subtype = models.CharField(
        "sous-type",
        max_length=30,
        blank=True,
        help_text="Nature de l'EPCI (CC, CA, CU, METRO…) ou du groupement (pays, PETR…).",
    )
    rank = models.PositiveSmallIntegerField("échelon", default=0, editable=False)
    population = models.PositiveIntegerField("population", null=True, blank=True)
    commune_count = models.PositiveIntegerField("nombre de communes", default=0, editable=False)
    departement_code = models.CharField("département", max_length=3, blank=True)
    region_code = models.CharField("région", max_length=3, blank=True)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    # Groupings are defined by their EPCI; staff may correct a composition in the admin.
    grouping_epcis = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="groupings",
        verbose_name="EPCI membres",
        limit_choices_to={"kind": TerritoryKind.EPCI},
    )
    restrict_to_departement = models.CharField(
        "seulement les communes du département",
        max_length=3,
        blank=True,
        help_text="Territoire départemental : ne garder que les communes de ce département.",
    )
    composition_confidence = models.CharField(
        "fiabilité de la composition", max_length=20, blank=True
    )
    composition_note = models.TextField("note sur la composition", blank=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire"
        verbose_name_plural = "territoires"
        ordering = ["rank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="territory_unique_kind_code"),
        ]
        indexes = [
            models.Index(
                fields=["search_name"],
                name="territory_search_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["kind", "rank"], name="territory_kind_rank"),
        ]

    def __str__(self) -> str:
        if self.kind in (TerritoryKind.COMMUNE, TerritoryKind.DEPARTEMENT):
            return f"{self.name} ({self.code})"
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_derived_fields()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return cached_reverse("site:territory", slug=self.slug)

    def refresh_derived_fields(self) -> None:
        """Fill the stored columns that indexes need (also called before bulk imports)."""
        self.search_name = normalize(self.name)
        self.rank = RANKS.get(self.subtype) or RANKS.get(self.kind, 0)

    def communes_outside_main_departement(self) -> tuple[str, list[Territory]]:
        """(main département code, communes of this territory outside it), for staff.

        The main département is the one the containment rule puts the territory in
        (TerritoryInclusion); "" when no département holds most of it.
        """
        main = (
            Territory.objects.containers_of(self)
            .filter(kind=TerritoryKind.DEPARTEMENT)
            .values_list("code", flat=True)
            .first()
        ) or ""
        outside = (
            Territory.objects.communes()
            .filter(container_links__container=self)
            .exclude(departement_code=main)
            .order_by("departement_code", "search_name")
        )
        return main, list(outside)

    @property
    def kind_label(self) -> str:
        if self.kind == TerritoryKind.GROUPEMENT and self.subtype:
            return GroupingType(self.subtype).label if self.subtype in GroupingType.values else ""
        return self.get_kind_display()


class TerritoryInclusion(models.Model):
    """`container` contains `member`: the one containment rule of the directory.

    A contains B when every commune of B is a commune of A (`exact`); each territory
    contains itself. A département or a région also contains an EPCI, EPT or grouping most
    of whose population (or, lacking it, most of whose communes) lies in it (not `exact`):
    the Pays Terres de Lorraine, with one commune in the Vosges, is in Meurthe-et-Moselle
    and only there, as people mean it. A commune is always contained exactly, so that the
    contact finder, which works commune by commune, stays exact.
    """

    container = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="member_links")
    member = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="container_links")
    exact = models.BooleanField(
        "inclusion exacte", default=True, help_text="Toutes les communes du membre y sont."
    )

    class Meta:
        verbose_name = "inclusion de territoire"
        verbose_name_plural = "inclusions de territoires"
        constraints = [
            models.UniqueConstraint(
                fields=["container", "member"], name="territory_inclusion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ⊂ {self.container_id}"


class PostalCode(models.Model):
    code = models.CharField("code postal", max_length=5, db_index=True)
    commune = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="postal_codes")

    class Meta:
        verbose_name = "code postal"
        verbose_name_plural = "codes postaux"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="postal_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


def around_condition(field: str, territory: Territory) -> Q:
    """`field` (a territory) contains `territory` or lies inside it.

    Two semi-joins rather than OR-ed joins and DISTINCT: fast on a whole région.
    """
    links = TerritoryInclusion.objects
    return Q(**{f"{field}__in": links.filter(member=territory).values("container_id")}) | Q(
        **{f"{field}__in": links.filter(container=territory).values("member_id")}
    )


# --- What the directory's records share ------------------------------------------------------


class SourcedRecord(Publishable):
    """A record of the public pages that keeps the documents its facts come from."""

    sources = models.ManyToManyField(Source, verbose_name="sources", blank=True, related_name="+")

    class Meta:
        abstract = True


class TerritorialQuerySet(models.QuerySet):
    """Records attached to one territory through their `territory` foreign key."""

    def in_territory(self, territory: Territory):
        """Records whose territory is `territory` or lies inside it."""
        return self.filter(territory__container_links__container=territory)

    def around(self, territory: Territory):
        """Records whose territory contains `territory` or lies inside it (what acts there)."""
        return self.filter(around_condition("territory", territory))


class OwnedQuerySet(PublishableQuerySet):
    """Records that collectivités own: their staff manage them and preview their drafts.

    Each model states its rule in `owned_by()` (and `is_owned_by()` on the instance, for
    a deleted record restored from its history); the `essdir.E002` check makes sure of it.
    """

    def owned_by(self, collectivites):
        """Records owned by one of `collectivites` (ids, instances or a queryset)."""
        raise NotImplementedError(f"{self.model.__name__} states no ownership rule.")

    def visible_to(self, user):
        """Published records, plus those the staff member `user` may preview."""
        if access.is_network_admin(user):
            return self
        own = access.collectivite_ids(user)
        if not own:
            return self.published()
        owned = self.model._default_manager.owned_by(own).values("pk")
        return self.filter(Q(pk__in=self.published().values("pk")) | Q(pk__in=owned))


class CollectiviteRecordQuerySet(OwnedQuerySet):
    """Records of one collectivité (its contacts, budgets, schemes)."""

    def published(self):
        """Published records of published collectivités."""
        return super().published().filter(collectivite__status=PublicationStatus.PUBLISHED)

    def owned_by(self, collectivites):
        """Records of one of `collectivites`."""
        return self.filter(collectivite__in=collectivites)

    def of(self, collectivite):
        """The records of `collectivite`."""
        return self.filter(collectivite=collectivite)


class CollectiviteRecord(SourcedRecord):
    """A record that belongs to the collectivité named in its `collectivite` field."""

    class Meta:
        abstract = True

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.collectivite_id in collectivite_ids


# --- Collectivités ----------------------------------------------------------------------------


# Paths under /collectivites/ that are pages of their own, never a collectivité's slug.
RESERVED_COLLECTIVITE_SLUGS = ["budgets"]


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

    def acting_on_communes(self, commune_ids: list[int]) -> dict[int, set[int]]:
        """{commune id: ids of the collectivités whose territory contains it}."""
        acting: dict[int, set[int]] = {}
        rows = self.filter(territory__member_links__member__in=commune_ids).values_list(
            "territory__member_links__member", "pk"
        )
        for commune_id, collectivite_id in rows:
            acting.setdefault(commune_id, set()).add(collectivite_id)
        return acting

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
        budgets = Budget.objects.published()
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


# --- Contacts -----------------------------------------------------------------------------------


class ContactRole(models.TextChoices):
    # Values sort officers before elected representatives.
    OFFICER = "agent", _("Agent·e")
    ELECTED = "elu", _("Élu·e")


class ContactQuerySet(CollectiviteRecordQuerySet):
    def around(self, territory: Territory):
        """Contacts serving a territory that contains `territory` or lies inside it."""
        served = self.model.territories.through.objects.filter(
            around_condition("territory", territory)
        )
        return self.filter(pk__in=served.values("contact_id"))

    def serving_links(self, commune_ids: list[int]):
        """(contact, commune, territory, its rank, its size) for every territory through
        which one of these contacts serves one of `commune_ids`."""
        return self.filter(territories__member_links__member__in=commune_ids).values_list(
            "pk",
            "territories__member_links__member",
            "territories",
            "territories__rank",
            "territories__commune_count",
        )

    def by_importance(self):
        """The central contact first, then officers before elected representatives."""
        return self.order_by("-is_central", "role", "order", "pk")

    def search(self, query: str):
        """Contacts matching `query` (name, function, service), best first."""
        return text_search(
            self,
            query,
            [("name", "A"), ("title", "B"), ("service", "B"), ("search_context", "B")],
        )

    def for_search(self):
        return self.select_related("collectivite").prefetch_related("territories")

    def refresh_search_context(self) -> int:
        """Keep what contacts are found by: their collectivité and the territories served."""
        return refresh_search_context(
            self.select_related("collectivite").prefetch_related("territories"),
            lambda contact: [
                contact.collectivite.name,
                contact.collectivite.short_name,
                *(territory.name for territory in contact.territories.all()),
            ],
        )

    def for_list(self):
        return self.select_related("collectivite").prefetch_related("territories")


class Contact(CollectiviteRecord):
    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(
        "nom", max_length=200, blank=True, help_text="Laisser vide si la source ne le donne pas."
    )
    role = models.CharField("rôle", max_length=10, choices=ContactRole.choices)
    title = models.CharField("fonction", max_length=300, blank=True)
    service = models.CharField("service", max_length=300, blank=True)
    phone = models.CharField("téléphone", max_length=40, blank=True)
    email = models.EmailField("courriel", blank=True)
    is_central = models.BooleanField("contact ESS principal", default=False)
    is_ctes = models.BooleanField(
        "chargé·e territorial·e d'économie solidaire (CTES)", default=False
    )
    territories = models.ManyToManyField(
        Territory, verbose_name="territoires servis", related_name="contacts", blank=True
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = ContactQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[territories])

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["collectivite", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") | ~Q(title=""), name="contact_has_name_or_title"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.title

    def clean(self) -> None:
        if not self.name and not self.title:
            raise ValidationError("Indiquez au moins un nom ou une fonction.")


# --- Budgets -----------------------------------------------------------------------------------


class BudgetSection(models.TextChoices):
    INVESTISSEMENT = "investissement", _("Investissement")
    FONCTIONNEMENT = "fonctionnement", _("Fonctionnement")


class BudgetQuerySet(CollectiviteRecordQuerySet):
    def for_detail(self):
        """Budgets with their lines and the schemes they fund, the latest year first."""
        lines = BudgetLine.objects.select_related("scheme__collectivite")
        return self.prefetch_related(models.Prefetch("lines", queryset=lines)).order_by(
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


# --- Schemes (dispositifs) ------------------------------------------------------------------------


class SchemeKind(models.TextChoices):
    APPEL_A_PROJETS = "appel_a_projets", _("Appel à projets")
    AIDE_DIRECTE = "aide_directe", _("Aide directe")
    CONVENTION = "convention_partenariat", _("Convention de partenariat")
    LABEL = "label", _("Label")
    FONDS = "fonds", _("Fonds")
    ACCOMPAGNEMENT = "accompagnement", _("Accompagnement")
    PROGRAMME = "programme", _("Programme ou projet")
    RESEAU = "reseau", _("Réseau ou démarche collective")


class SchemeQuerySet(TerritorialQuerySet, CollectiviteRecordQuerySet):
    def available_in(self, territory: Territory):
        """Schemes a project holder of `territory` may apply to (their area covers it)."""
        return self.filter(territory__member_links__member=territory)

    def available_in_all(self, communes: list[Territory]):
        """Schemes every one of `communes` may apply to, the most local first."""
        covering_all = (
            TerritoryInclusion.objects.filter(member__in=communes)
            .values("container_id")
            .annotate(communes=models.Count("member_id", distinct=True))
            .filter(communes=len(communes))
            .values("container_id")
        )
        return self.filter(territory__in=covering_all).nearest_first()

    def funded_by(self, collectivite: Collectivite):
        """Schemes `collectivite` carries or co-funds."""
        co_funded = SchemeFunder.objects.filter(collectivite=collectivite).values("scheme_id")
        return self.filter(Q(collectivite=collectivite) | Q(pk__in=co_funded))

    def co_funded_by(self, collectivite: Collectivite):
        """Schemes of other collectivités that `collectivite` co-funds."""
        co_funded = SchemeFunder.objects.filter(collectivite=collectivite).values("scheme_id")
        return self.filter(pk__in=co_funded).exclude(collectivite=collectivite)

    def nearest_first(self):
        """The most local schemes first (a commune's, then its EPCI's… then the région's)."""
        return self.select_related("collectivite", "territory").order_by(
            "territory__rank", "name", "pk"
        )

    def open_on(self, day: datetime.date):
        """Schemes whose application window, when dated, includes `day`."""
        return self.filter(
            Q(opens_on__lte=day) | Q(opens_on__isnull=True, closes_on__isnull=False),
            Q(closes_on__gte=day) | Q(closes_on__isnull=True, opens_on__isnull=False),
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
        return (
            self.select_related("collectivite", "territory")
            .prefetch_related("themes")
            .order_by("name", "pk")
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
            models.Prefetch("budget_lines", queryset=BudgetLine.objects.published()),
        )


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
    end_year = models.PositiveSmallIntegerField("année de fin", null=True, blank=True)
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
        indexes = [models.Index(fields=["name", "id"], name="scheme_name_id")]
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

    @property
    def is_open_today(self) -> bool:
        return self.is_open_on(timezone.localdate())

    def is_open_on(self, day: datetime.date) -> bool:
        if self.opens_on is None and self.closes_on is None:
            return False
        return (self.opens_on is None or self.opens_on <= day) and (
            self.closes_on is None or day <= self.closes_on
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


# --- Staff ----------------------------------------------------------------------------------


class StaffMembershipQuerySet(models.QuerySet):
    def owned_by(self, collectivites):
        """The memberships of `collectivites`, which their managers manage."""
        return self.filter(collectivite__in=collectivites)


class StaffMembership(models.Model):
    """A staff account belongs to a collectivité, as editor or manager."""

    user = models.ForeignKey(
        "auth.User", verbose_name="compte", on_delete=models.CASCADE, related_name="memberships"
    )
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField("rôle", max_length=10, choices=StaffRole.choices)

    objects = StaffMembershipQuerySet.as_manager()

    history = HistoricalRecords()

    # Only a collectivité's managers manage its team (territories.access.owner_ids).
    owner_role = StaffRole.MANAGER

    class Meta:
        verbose_name = "membre de l'équipe"
        verbose_name_plural = "membres des équipes"
        ordering = ["collectivite", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "collectivite"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.collectivite} ({self.get_role_display()})"

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.collectivite_id in collectivite_ids
