"""The geography: territories of France and how they contain each other.

A territory is any area a visitor may live in or a collectivité may govern: régions,
départements, EPCI, EPT, communes and groupings of EPCI (pays, PETR, the CD54 territories
of action). Containment is stored once, as a closure table (`TerritoryInclusion`), so that
"everything inside X" and "every territory that covers commune Y" are single indexed joins.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabelsMixin
from core.lookups import prefix_pattern
from core.routing import cached_reverse
from core.statements import Statement
from core.text import normalize


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
# The order of the communes a query names (matching_place()), by name then code: the
# site search, which reads them by key, puts them back in it.
PLACE_ORDER = ("search_name", "code")
SIREN_RE = re.compile(r"^\d{9}$")

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


# The territories /territoires/ lists (the communes are found by its field).
BROWSED_KINDS = [
    TerritoryKind.REGION,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.GROUPEMENT,
    TerritoryKind.EPT,
    TerritoryKind.EPCI,
]

# The territories listed "below" a territory on its page: the next level down.
CHILD_KINDS = {
    TerritoryKind.REGION: [TerritoryKind.DEPARTEMENT],
    TerritoryKind.DEPARTEMENT: [TerritoryKind.EPCI, TerritoryKind.EPT, TerritoryKind.GROUPEMENT],
    TerritoryKind.EPCI: [TerritoryKind.COMMUNE],
    TerritoryKind.EPT: [TerritoryKind.COMMUNE],
    TerritoryKind.GROUPEMENT: [TerritoryKind.EPCI, TerritoryKind.COMMUNE],
}


def place_terms(query: str) -> tuple[list[str], str]:
    """The codes (postal or INSEE, upper-cased: "2a004" is "2A004") and the other words,
    folded (core.text.normalize), of a visitor's place query: what matching_place() looks
    for."""
    words = query.split()
    codes = [word.upper() for word in words if CODE_RE.match(word)]
    return codes, normalize(" ".join(word for word in words if not CODE_RE.match(word)))


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
        """Where to start browsing, the largest first: the régions, the départements, then
        the groupings, the EPT and the intercommunalities, each by name. Never the 36 000
        communes: the search field finds them."""
        return self.filter(kind__in=BROWSED_KINDS).order_by("-rank", "search_name", "code")

    def insee_alternative(self, *, code: str):
        """The commune whose INSEE code is `code` (upper-cased), a postal code that is not
        its own ("54200" is Toul's postal code and Flirey's INSEE code); empty when the code
        is no postal code, or its commune's own."""
        postal = PostalCode.objects.filter(code=code)
        return (
            self.communes()
            .filter(Exists(postal), code=code)
            .exclude(Exists(postal.filter(commune=OuterRef("pk"))))
            .order_by("pk")
        )

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
        if SLUG_RE.match(lowered):
            # Every list filtered on a territory names it so: the kept statement, which
            # reads every territory, unless this queryset is narrower.
            found = (
                self.by_slug(lowered).first() if self.query.where else territory_by_slug(lowered)
            )
            if found:
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
        """The territory a code names ("54" a département, a SIREN an intercommunality),
        else the communes `query` names (see `matching_place`), else territories named so."""
        value = query.strip().upper()
        if DEPARTEMENT_RE.match(value):
            return self.filter(kind=TerritoryKind.DEPARTEMENT, code=value)
        if SIREN_RE.match(value):
            return self.filter(kind__in=[TerritoryKind.EPCI, TerritoryKind.EPT], code=value)
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
        codes, folded = place_terms(query)
        return self.communes_named(codes=codes, folded=folded)

    def communes_named(self, *, codes: list[str], folded: str, pattern: str | None = None):
        """The communes of each of `codes` (upper-cased postal or INSEE codes) and named
        `folded` (normalize()d words), as matching_place() reads a query; none without
        either. `pattern`: prefix_pattern(folded), given by a kept statement, which binds it
        (territories.statements, for the contact finder and the site's search)."""
        communes = self.communes()
        for code in codes:
            # A postal code first; an INSEE code only when no postal code is written so. In
            # the one statement (no query beforehand to tell which the code is).
            postal = PostalCode.objects.filter(code=code)
            by_insee_code = self.model.objects.filter(code=code).exclude(Exists(postal))
            # A union of two index lookups (an OR of both conditions scanned every commune).
            communes = communes.filter(
                pk__in=postal.order_by()
                .values("commune_id")
                .union(by_insee_code.order_by().values("pk"), all=True)
            )
        if folded:
            # Those named exactly so, else those whose name starts so: one statement, the
            # absence of an exact name an uncorrelated subquery (evaluated once).
            exact = communes.filter(search_name=folded)
            communes = communes.filter(
                Q(search_name=folded)
                | (
                    Q(search_name__prefix_pattern=pattern or prefix_pattern(folded))
                    & ~Exists(exact)
                ),
                # Implied by both (a name starting with the words sorts after them): where
                # the walk of the names' index, in the order shown, begins.
                search_name__gte=folded,
            )
        elif not codes:
            return self.none()
        # No join above (the codes are subqueries): each commune comes once, without a
        # DISTINCT, which sorted every column of the 3 900 communes starting with "saint".
        return communes.order_by(*PLACE_ORDER)


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

    # Indexed by the unique constraint (container first) and by `territory_inclusion_member`
    # (member first, container along): a lookup from communes (the contact finder's, for a
    # postal code of 42 communes) reads both columns from one index, where PostgreSQL would
    # otherwise walk a région's thousands of members one by one (3.2 -> 0.4 ms).
    container = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="member_links", db_index=False
    )
    member = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="container_links", db_index=False
    )
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
        indexes = [
            models.Index(fields=["member", "container"], name="territory_inclusion_member"),
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


def _by_slug(*, slug: str):
    # As QuerySet.first() reads it: in the model's order (rank, name).
    return Territory.objects.by_slug(slug)[:1]


# A unique key: one plan serves every slug (generic_plan, core.prepared).
_by_slug_statement = Statement(_by_slug, bound=("slug",), generic_plan=True)


def territory_by_slug(slug: str) -> Territory | None:
    """The territory a canonical slug or a short form (`departement-54`) names
    (TerritoryQuerySet.by_slug), read by a statement kept compiled (core.statements): every
    territory page and every list filtered on a territory starts with it."""
    rows = _by_slug_statement.rows(slug=slug)
    return rows[0] if rows else None
