"""Derived data, precomputed from the structures and their establishments so that pages read
a row instead of counting: where each actor acts (`ActorPlace`), the public structures of
each theme by name (`ActorThemeListing`), the ESS panorama of every
territory (`TerritoryPanorama`, compared side by side by `PanoramaComparison`), the counts
the pages show (`directory_counts`), and the map's cells (`MapCell`).

Figures only: the panorama's labels and charts are presentation, in actors.panorama.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.db.models import Q
from django.db.models.functions import Floor

from actors.models.establishments import Establishment
from actors.models.structures import Actor
from core.geo import BBox
from core.pagination import bounded_count, bounded_label
from territories.models import Territory, TerritoryInclusion, Theme


class ListingQuerySet(models.QuerySet):
    def public_keys(
        self,
        *,
        family: str = "",
        subtype: str = "",
        legal_form: str = "",
        descending: bool = False,
        **where,
    ):
        """The ids of the public structures of the rows narrowed by `where` (and of
        `family`, of `subtype`, of `legal_form` whatever its case, when given), in a list's
        order (by name, then id; `descending`: Z → A): one range of the listing's index,
        whose rows carry the family, subtype and legal form, for the list's count and its
        pages (core.pagination.BoundedPaginator's `keys`)."""
        order = ["-name", "-actor_id"] if descending else ["name", "actor_id"]
        narrowed = {"family": family, "subtype": subtype, "legal_form__iexact": legal_form}
        where.update({name: value for name, value in narrowed.items() if value})
        return self.filter(public=True, **where).order_by(*order).values_list("actor_id", flat=True)


class PublicListing(models.Model):
    """What the public list of structures filters and sorts on, copied from the structure
    (by the refreshes of actors.derived, and by actors.services.follow_publicity when staff
    save one): a list, its count and its deep pages are then one range of an index
    (…, name, actor) where public, whatever their size, never a join with the 1 million
    actors; the index carries the family and the subtype (INCLUDE, on PostgreSQL), so that
    a list of a family or a subtype there is the same range, filtered without reading a
    row (a département's associations: 9 918 structures were read one by one to count
    4 949, 25 ms; Île-de-France's SIAE 130 ms)."""

    public = models.BooleanField("visible du public", default=False)
    name = models.CharField("nom", max_length=300, default="")
    # A default in the database too: the refreshes' INSERT … SELECT name every column, a
    # statement written before these (migration 0015's) does not.
    family = models.CharField(
        "famille de l'ESS", max_length=20, default="", db_default="", blank=True
    )
    subtype = models.CharField(
        "type particulier", max_length=20, default="", db_default="", blank=True
    )
    legal_form = models.CharField(
        "forme juridique", max_length=120, default="", db_default="", blank=True
    )

    objects = ListingQuerySet.as_manager()

    class Meta:
        abstract = True


class ActorPlaceQuerySet(ListingQuerySet):
    def listing_keys(self, territory: Territory, **narrowed):
        """The ids of the public structures acting inside `territory` (of a family, a
        subtype, a legal form, when given), in the list's order (see public_keys())."""
        return self.public_keys(territory=territory, **narrowed)


class ActorPlace(PublicListing):
    """`actor` acts inside `territory`: its territory of action, or one of its active
    establishments' communes, lies inside it (TerritoryInclusion).

    Derived data, rebuilt by `actors.derived.refresh_actor_places()` whenever an actor's
    territory or establishments change: listing the actors of a région then reads one index
    instead of joining the containment table with every actor and establishment.
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="places")

    objects = ActorPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = "lieu d'action"
        verbose_name_plural = "lieux d'action"
        constraints = [
            models.UniqueConstraint(fields=["territory", "actor"], name="actor_place_unique"),
        ]
        indexes = [
            models.Index(fields=["actor"], name="actor_place_actor"),
            models.Index(
                fields=["territory", "name", "actor"],
                include=["family", "subtype", "legal_form"],
                condition=Q(public=True),
                name="actor_place_public_listing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} ⊂ {self.territory_id}"


class ActorThemeListingQuerySet(ListingQuerySet):
    def listing_keys(self, theme: Theme, **narrowed):
        """The ids of the public structures holding `theme` (of a family, a subtype, a legal
        form, when given), in the list's order (see public_keys())."""
        return self.public_keys(theme=theme, **narrowed)


class ActorThemeListing(PublicListing):
    """`actor` holds `theme`, with what the public list of a theme filters and sorts on.

    Derived data, as ActorPlace is for territories: the themes' own table holds only the
    pairs, so a list of the structures of a theme by name walked the names of every
    structure until twenty held it (5 000 rows for a theme held by 7 % of them). Kept by
    `actors.derived.refresh_theme_listings()` whenever an actor's themes change (the
    signal of the themes' table) and by actors.services.follow_publicity when staff save
    one; rebuilt with the other derived data after an import.
    """

    # Found by theme through the unique constraint's index, which starts with it.
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+", db_index=False)
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="theme_listings")

    objects = ActorThemeListingQuerySet.as_manager()

    class Meta:
        verbose_name = "structure d'un thème"
        verbose_name_plural = "structures d'un thème"
        constraints = [
            models.UniqueConstraint(fields=["theme", "actor"], name="actor_theme_listing_unique"),
        ]
        indexes = [
            models.Index(
                fields=["theme", "name", "actor"],
                include=["family", "subtype", "legal_form"],
                condition=Q(public=True),
                name="actor_theme_public_listing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} ∈ {self.theme_id}"


class PanoramaQuerySet(models.QuerySet):
    def national(self):
        """The panorama of the whole directory (France)."""
        return self.filter(national=True)

    def around(self, territory_id: int):
        """The panoramas of a territory and of the département and the région containing
        it (compared_with() puts them in order, with France's)."""
        # One semi-join on the containment, the territory itself included: an OR of it
        # and the territory, or of France's row, read every panorama (Nord: 24 ms).
        compared = Q(container=territory_id) | Q(container__kind__in=COMPARED_KINDS)
        containing = TerritoryInclusion.objects.filter(compared, member=territory_id)
        return self.filter(territory__in=containing.values("container")).select_related("territory")

    def compared_with(self, territory: Territory | None) -> PanoramaComparison:
        """The panorama of `territory`, then those of its département, its région and
        France (of France alone for None): the columns of the panorama table, none until
        the panoramas were computed (two queries; see comparison())."""
        rows = [] if territory is None else list(self.around(territory.pk))
        return comparison(territory, [*rows, *self.national().order_by("pk")[:1]])


# The containers whose panorama a territory's is compared with, in the table's order.
COMPARED_KINDS = ("departement", "region")


def comparison(territory: Territory | None, rows: list[TerritoryPanorama]) -> PanoramaComparison:
    """The panoramas `rows` (PanoramaQuerySet.around() and national()) side by side: the
    territory's, its département's and région's, France's.

    A territory where the directory counts nothing has no row of its own: it gets a zero
    panorama, dated as the national one.
    """
    national = next((row for row in rows if row.national), None)
    if national is None:
        return PanoramaComparison([])
    if territory is None:
        return PanoramaComparison([national])
    own = {row.territory_id: row for row in rows if not row.national}
    here = own.get(territory.pk) or TerritoryPanorama.empty(territory, national.computed_at)
    above = {row.territory.kind: row for key, row in own.items() if key != territory.pk}
    return PanoramaComparison(
        [here, *(above[kind] for kind in COMPARED_KINDS if kind in above), national]
    )


@dataclass
class PanoramaComparison:
    """Panoramas side by side, the territory's own first (see compared_with()); shown by
    actors.panorama.PanoramaPresenter."""

    columns: list[TerritoryPanorama]

    @property
    def here(self) -> TerritoryPanorama | None:
        return self.columns[0] if self.columns else None


class TerritoryPanorama(models.Model):
    """The ESS figures of one territory (of France when `territory` is empty), computed
    from the directory's published structures and active establishments by
    `actors.derived.refresh_panoramas()`.

    `by_family` maps a family to {"structures": n, "establishments": n}; `by_section` a NAF
    section (actors.panorama.NAF_SECTIONS) to establishments; `by_size` a size group
    (actors.panorama.SIZE_GROUPS) to employer establishments.
    """

    territory = models.OneToOneField(
        Territory, on_delete=models.CASCADE, null=True, blank=True, related_name="panorama"
    )
    national = models.BooleanField("France entière", default=False)
    population = models.PositiveIntegerField("population", null=True, blank=True)
    structures = models.PositiveIntegerField("structures")
    establishments = models.PositiveIntegerField("établissements ouverts")
    employer_establishments = models.PositiveIntegerField("établissements employeurs")
    by_family = models.JSONField("par famille", default=dict)
    by_section = models.JSONField("par section d'activité", default=dict)
    by_size = models.JSONField("par taille", default=dict)
    computed_at = models.DateTimeField("calculé le")

    objects = PanoramaQuerySet.as_manager()

    class Meta:
        verbose_name = "panorama de l'ESS"
        verbose_name_plural = "panoramas de l'ESS"
        constraints = [
            models.UniqueConstraint(
                fields=["national"],
                condition=Q(national=True),
                name="panorama_one_national",
                violation_error_message="Il ne peut y avoir qu'un panorama national.",
            ),
            models.CheckConstraint(
                condition=Q(national=True, territory__isnull=True)
                | Q(national=False, territory__isnull=False),
                name="panorama_national_or_territory",
                violation_error_message="Un panorama est national ou celui d'un territoire.",
            ),
            models.CheckConstraint(
                condition=Q(employer_establishments__lte=models.F("establishments")),
                name="panorama_employers_within_establishments",
                violation_error_message="Plus d'établissements employeurs que d'établissements.",
            ),
        ]

    def __str__(self) -> str:
        return f"Panorama {self.name}"

    @classmethod
    def empty(cls, territory: Territory, computed_at) -> TerritoryPanorama:
        """The panorama of a territory where the directory counts nothing."""
        return cls(
            territory=territory,
            population=territory.population,
            structures=0,
            establishments=0,
            employer_establishments=0,
            computed_at=computed_at,
        )

    @property
    def name(self) -> str:
        return self.territory.name if self.territory else "France"

    def per_thousand(self, count: int | None) -> float | None:
        """`count` per 1 000 inhabitants, None when the population is unknown."""
        if count is None or not self.population:
            return None
        return round(1000 * count / self.population, 2)

    @property
    def structures_per_thousand(self) -> float | None:
        return self.per_thousand(self.structures)

    @property
    def establishments_per_thousand(self) -> float | None:
        return self.per_thousand(self.establishments)

    @property
    def employer_share(self) -> float | None:
        """The share of employers among the establishments, in percent."""
        if not self.establishments:
            return None
        return round(100 * self.employer_establishments / self.establishments, 1)

    def family_structures(self, family: str) -> int:
        return self.by_family.get(family, {}).get("structures", 0)

    def family_establishments(self, family: str) -> int:
        return self.by_family.get(family, {}).get("establishments", 0)


# The counts the home page and the territory pages show stop at this bound ("plus de …").
COUNT_BOUND = 10_000


@dataclass(frozen=True)
class BoundedTally:
    """A count, made by `bounded_count()` up to `bound` ("plus de 10 000" beyond), or
    exact when `bound` is None."""

    value: int
    bound: int | None = COUNT_BOUND

    def __str__(self) -> str:
        if self.bound is None:
            return intcomma(self.value)
        return bounded_label(self.value, self.bound)

    @property
    def plural(self) -> bool:
        return self.value > 1


def directory_counts(
    territory: Territory | None = None, panorama: TerritoryPanorama | None = None
) -> dict[str, BoundedTally]:
    """How many ESS structures and active establishments the directory shows, in all or
    inside `territory`: {"structures": …, "establishments": …}.

    Exact from the territory's `panorama` when given (one row read, whatever the size of
    the territory); counted up to COUNT_BOUND otherwise (before panoramas are computed).
    """
    if panorama is not None:
        return {
            "structures": BoundedTally(panorama.structures, None),
            "establishments": BoundedTally(panorama.establishments, None),
        }
    actors = Actor.objects.published()
    establishments = Establishment.objects.public()
    if territory is not None:
        actors = actors.in_territory(territory)
        establishments = establishments.in_territory(territory)
    return {
        "structures": BoundedTally(bounded_count(actors, COUNT_BOUND)),
        "establishments": BoundedTally(bounded_count(establishments, COUNT_BOUND)),
    }


class MapCellQuerySet(models.QuerySet):
    def in_bbox(self, bbox: BBox):
        """Cells whose members' mean position lies inside `bbox` (edges included)."""
        return self.filter(
            lat__gte=bbox.south, lat__lte=bbox.north, lon__gte=bbox.west, lon__lte=bbox.east
        )

    def grid_clusters(self, cell_lon: float, cell_lat: float):
        """The cells regrouped by a coarser grid of `cell_lon` × `cell_lat` degrees (`cx`,
        `cy`): `total` establishments, the sums of their positions (`lon_sum`, `lat_sum`) and
        the bounding box of the members; unordered."""
        return (
            self.order_by()
            .values(
                cx=Floor(models.F("lon") / models.Value(cell_lon)),
                cy=Floor(models.F("lat") / models.Value(cell_lat)),
            )
            .annotate(
                total=models.Sum("count"),
                lon_sum=models.Sum(models.F("lon") * models.F("count")),
                lat_sum=models.Sum(models.F("lat") * models.F("count")),
                west=models.Min("west"),
                south=models.Min("south"),
                east=models.Max("east"),
                north=models.Max("north"),
            )
        )


class MapCell(models.Model):
    """The located, active establishments of the structures the public sees, counted by
    cells of MAP_CELL_DEGREES, for the map's wide views (a country, a région): regrouping
    a few thousand cells instead of scanning 200 000 establishments per request.

    Derived data, rebuilt by `actors.derived.refresh_map_cells()` with the panoramas.
    """

    gx = models.IntegerField("colonne")
    gy = models.IntegerField("ligne")
    count = models.PositiveIntegerField("établissements")
    lon = models.FloatField("longitude moyenne")
    lat = models.FloatField("latitude moyenne")
    west = models.FloatField("ouest")
    south = models.FloatField("sud")
    east = models.FloatField("est")
    north = models.FloatField("nord")

    objects = MapCellQuerySet.as_manager()

    class Meta:
        verbose_name = "cellule de la carte"
        verbose_name_plural = "cellules de la carte"
        constraints = [
            models.UniqueConstraint(fields=["gx", "gy"], name="map_cell_unique"),
            models.CheckConstraint(
                condition=Q(count__gt=0),
                name="map_cell_not_empty",
                violation_error_message="Une cellule de la carte compte au moins un établissement.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gx}, {self.gy}: {self.count}"


# The side of the map's precomputed cells, in degrees (about 5 km by 4 in France).
MAP_CELL_DEGREES = 0.05
