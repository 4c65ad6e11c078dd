"""ESS structures (associations, cooperatives, mutuals, foundations, ESUS companies…)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors import sirene
from actors.panorama import NAF_SECTIONS, SIZE_GROUPS, UNKNOWN, Bar, Chart, per_thousand
from actors.validators import validate_siren, validate_siret
from core.choices import ChoiceLabelsMixin
from core.pagination import bounded_count, bounded_label
from core.publication import PublicationStatus
from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from territories.models import (
    OwnedQuerySet,
    SourcedRecord,
    TerritorialQuerySet,
    Territory,
    TerritoryInclusion,
    around_condition,
)

if TYPE_CHECKING:
    from actors.map import BBox


class Family(models.TextChoices):
    """The families of the 2014 ESS law."""

    ASSOCIATION = "association", _("Association")
    COOPERATIVE = "cooperative", _("Coopérative")
    MUTUELLE = "mutuelle", _("Mutuelle")
    FONDATION = "fondation", _("Fondation ou fonds de dotation")
    ENTREPRISE_ESS = "entreprise_ess", _("Société commerciale de l'ESS (ESUS)")
    UNKNOWN = "unknown", _("Non précisée")


class Subtype(models.TextChoices):
    SIAE = "siae", _("Structure d'insertion par l'activité économique (SIAE)")
    ENTREPRISE_ADAPTEE = "entreprise_adaptee", _("Entreprise adaptée")
    ESAT = "esat", _("Établissement et service d'aide par le travail (ESAT)")


class SireneState(models.TextChoices):
    ACTIVE = "active", _("Active")
    CEASED = "ceased", _("Cessée")


# INSEE's employee bands (trancheEffectifsUniteLegale / trancheEffectifsEtablissement), from
# the documentation of the SIRENE stock files.
EMPLOYEES_BANDS = {
    "NN": "Aucun salarié (unité non employeuse)",
    "00": "0 salarié au 31 décembre (a employé dans l'année)",
    "01": "1 ou 2 salariés",
    "02": "3 à 5 salariés",
    "03": "6 à 9 salariés",
    "11": "10 à 19 salariés",
    "12": "20 à 49 salariés",
    "21": "50 à 99 salariés",
    "22": "100 à 199 salariés",
    "31": "200 à 249 salariés",
    "32": "250 à 499 salariés",
    "41": "500 à 999 salariés",
    "42": "1 000 à 1 999 salariés",
    "51": "2 000 à 4 999 salariés",
    "52": "5 000 à 9 999 salariés",
    "53": "10 000 salariés et plus",
}

ANNUAIRE_ENTREPRISES_URL = "https://annuaire-entreprises.data.gouv.fr/entreprise/{siren}"

# The counts the home page and the territory pages show stop at this bound ("plus de …").
COUNT_BOUND = 10_000


def employees_band_label(code: str) -> str:
    """The label of an INSEE employee band ("11" → "10 à 19 salariés"), "" if unknown."""
    return EMPLOYEES_BANDS.get(code, "")


def communes_inside(territory: Territory):
    """The ids of the territories inside `territory`, itself included (a subquery)."""
    return TerritoryInclusion.objects.filter(container=territory).values("member_id")


class ActorQuerySet(TerritorialQuerySet, OwnedQuerySet):
    def published(self):
        """Published actors, except those staff hid from the directory."""
        return super().published().filter(hidden=False)

    def in_territory(self, territory: Territory):
        """Actors acting inside `territory`: their territory of action lies inside it, or one
        of their active establishments does (read from ActorPlace, kept by the services)."""
        return self.filter(pk__in=ActorPlace.objects.filter(territory=territory).values("actor_id"))

    def around(self, territory: Territory):
        """Actors whose territory contains `territory` or lies inside it (what acts there), or
        with an active establishment inside it."""
        by_establishment = Establishment.objects.active().in_territory(territory)
        return self.filter(
            around_condition("territory", territory)
            | Q(pk__in=by_establishment.order_by().values("actor_id"))
        )

    def with_establishment_in(self, bbox: BBox):
        """Actors with an active establishment inside `bbox` (a zone of the map)."""
        return self.filter(pk__in=Establishment.objects.in_bbox(bbox).order_by().values("actor_id"))

    def from_sirene(self):
        """Actors holding official facts from the SIRENE register (an import matched them)."""
        return self.filter(sirene_imported_at__isnull=False)

    def owned_by(self, collectivites):
        """Actors acting inside the territory of one of `collectivites`, or their partners."""
        return self.filter(
            Q(territory__in=Territory.objects.inside_any_of(collectivites).values("pk"))
            | Q(pk__in=self.partners_of(collectivites).values("pk"))
        )

    def partners_of(self, collectivites):
        """Actors in partnership with one of `collectivites` (ids, instances or a queryset)."""
        return self.filter(
            pk__in=ActorPartnership.objects.filter(collectivite__in=collectivites).values(
                "actor_id"
            )
        )

    def search(self, query: str):
        """Actors matching `query`, best first (see core.search)."""
        return text_search(
            self,
            query,
            [
                ("name", "A"),
                ("short_description", "B"),
                ("legal_form", "B"),
                ("search_context", "B"),
                ("description", "C"),
            ],
        )

    def for_list(self):
        return self.select_related("territory").prefetch_related("themes")

    def for_export(self):
        """What the open-data row needs: themes, networks, and the open establishments,
        head office first (`export_establishments`)."""
        return self.select_related("territory").prefetch_related(
            "themes",
            "member_of",
            models.Prefetch(
                "establishments",
                queryset=Establishment.objects.active().order_by("-is_head_office", "siret"),
                to_attr="export_establishments",
            ),
        )

    def for_search(self):
        """What a search result shows: territory and partner collectivités."""
        return self.select_related("territory").prefetch_related("partner_of")

    def refresh_search_context(self) -> int:
        """Keep what actors are found by: their themes, territory and partner collectivités,
        and their official name when staff display another one."""
        return refresh_search_context(
            self.select_related("territory").prefetch_related("themes", "partner_of"),
            lambda actor: [
                *(theme.name for theme in actor.themes.all()),
                actor.territory.name if actor.territory else "",
                *(collectivite.name for collectivite in actor.partner_of.all()),
                actor.official_name if actor.official_name != actor.name else "",
            ],
        )

    def for_detail(self):
        """Everything an actor page shows, relations limited to published records.

        Establishments are fetched by `Actor.public_establishments`, only for actors
        holding a SIREN: the page of a structure without one makes no query for them.
        """
        published = Actor.objects.published().order_by("name")
        return self.select_related("territory").prefetch_related(
            "themes",
            "sources",
            models.Prefetch("member_of", queryset=published),
            models.Prefetch("members", queryset=published),
            models.Prefetch(
                "partnerships",
                queryset=ActorPartnership.objects.filter(
                    collectivite__status=PublicationStatus.PUBLISHED
                )
                .select_related("collectivite")
                .order_by("collectivite__name"),
            ),
            models.Prefetch(
                "scheme_roles",
                queryset=SchemeRole.objects.filter(
                    scheme__status=PublicationStatus.PUBLISHED,
                    scheme__collectivite__status=PublicationStatus.PUBLISHED,
                )
                .select_related("scheme")
                .order_by("role", "scheme__name"),
            ),
        )


class Actor(SourcedRecord):
    name = models.CharField("nom", max_length=300)
    slug = models.SlugField("identifiant", max_length=120, unique=True)
    short_description = models.CharField("présentation courte", max_length=300, blank=True)
    description = models.TextField("description", blank=True)
    family = models.CharField(
        "famille de l'ESS", max_length=20, choices=Family.choices, default=Family.UNKNOWN
    )
    subtype = models.CharField(
        "type particulier", max_length=20, choices=Subtype.choices, blank=True
    )
    legal_form = models.CharField("forme juridique", max_length=120, blank=True)
    is_network = models.BooleanField("réseau ou structure d'accompagnement", default=False)
    siren = models.CharField(
        "SIREN",
        max_length=9,
        blank=True,
        validators=[validate_siren],
        help_text="L'import du répertoire SIRENE complète la fiche des faits officiels.",
    )
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    themes = models.ManyToManyField(
        "territories.Theme", verbose_name="thèmes", blank=True, related_name="actors"
    )
    hidden = models.BooleanField(
        "masquée de l'annuaire",
        default=False,
        help_text="Une structure masquée n'apparaît nulle part sur le site public, "
        "et le reste après chaque import du répertoire SIRENE.",
    )

    # Official facts, written only by the SIRENE import (actors/services.py).
    official_name = models.CharField("dénomination officielle", max_length=300, blank=True)
    legal_category = models.CharField("catégorie juridique (code INSEE)", max_length=4, blank=True)
    naf_code = models.CharField("activité principale (code NAF)", max_length=6, blank=True)
    rna = models.CharField("numéro RNA", max_length=10, blank=True)
    employees_band = models.CharField("tranche d'effectif (code INSEE)", max_length=2, blank=True)
    sirene_created_on = models.DateField("date de création (SIRENE)", null=True, blank=True)
    sirene_state = models.CharField(
        "état au répertoire SIRENE", max_length=6, choices=SireneState.choices, blank=True
    )
    sirene_processed_on = models.DateField(
        "dernière mise à jour par l'INSEE", null=True, blank=True
    )
    sirene_imported_at = models.DateTimeField(
        "importée ou mise à jour depuis SIRENE le", null=True, blank=True
    )
    website = models.URLField("site web", blank=True)
    phone = models.CharField("téléphone", max_length=40, blank=True)
    email = models.EmailField("courriel", blank=True)
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire d'action",
        on_delete=models.PROTECT,
        related_name="actors",
        null=True,
        blank=True,
        help_text="Vide pour une structure d'envergure nationale ou si la source ne le dit pas.",
    )
    member_of = models.ManyToManyField(
        "self",
        verbose_name="membre des réseaux",
        symmetrical=False,
        blank=True,
        related_name="members",
    )
    partner_of = models.ManyToManyField(
        "territories.Collectivite",
        verbose_name="partenaire des collectivités",
        through="ActorPartnership",
        blank=True,
        related_name="partners",
    )
    schemes = models.ManyToManyField(
        "territories.Scheme",
        verbose_name="dispositifs",
        through="SchemeRole",
        blank=True,
        related_name="actors",
    )

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = ActorQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "acteur"
        verbose_name_plural = "acteurs"
        ordering = ["name"]
        indexes = [
            # The list's orderings (by name, by recency), walked in index order.
            models.Index(fields=["name", "id"], name="actor_name_id"),
            # The public list by name holds every column it filters on: deep pages walk it
            # without reading the table (see BoundedPaginator.page).
            models.Index(
                fields=["name", "id"],
                condition=models.Q(status="published", hidden=False),
                name="actor_public_name_id",
            ),
            models.Index(fields=["-created_at", "-id"], name="actor_recent"),
            # The SIRENE import looks actors up by SIREN, a few thousand at a time.
            models.Index(fields=["siren"], name="actor_siren"),
            # The few actors the public does not see, which the map's unfiltered views
            # exclude (EstablishmentQuerySet.of_public_actors).
            models.Index(
                fields=["id"],
                condition=~Q(status=PublicationStatus.PUBLISHED, hidden=False),
                name="actor_not_public",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret="") | Q(siren="") | Q(siret__startswith=models.F("siren")),
                name="actor_siret_matches_siren",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("site:actor", slug=self.slug)

    def clean(self) -> None:
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            raise ValidationError({"siret": "Le SIRET doit commencer par le SIREN."})

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return territory_is_owned(self.territory_id, collectivite_ids)

    # --- Official facts (SIRENE) for the public page ------------------------------------

    @property
    def has_sirene_facts(self) -> bool:
        return self.sirene_imported_at is not None

    @property
    def legal_category_label(self) -> str:
        return sirene.legal_category_label(self.legal_category) if self.legal_category else ""

    @property
    def naf_label(self) -> str:
        return sirene.naf_label(self.naf_code) if self.naf_code else ""

    @property
    def employees_band_label(self) -> str:
        return employees_band_label(self.employees_band)

    @property
    def annuaire_entreprises_url(self) -> str:
        return ANNUAIRE_ENTREPRISES_URL.format(siren=self.siren) if self.siren else ""

    @cached_property
    def public_establishments(self) -> EstablishmentList:
        """The active establishments the page lists (at most PAGE_SIZE), head office first;
        no query for a structure without SIREN (the import only attaches establishments
        to structures holding one)."""
        if not self.siren:
            return EstablishmentList([], 0)
        active = self.establishments.active().select_related("commune")
        shown = list(
            active.order_by("-is_head_office", "postal_code", "siret")[:ESTABLISHMENTS_SHOWN]
        )
        total = len(shown)
        if total == ESTABLISHMENTS_SHOWN:
            total = active.count()
        return EstablishmentList(shown, total)


ESTABLISHMENTS_SHOWN = 50


@dataclass(frozen=True)
class EstablishmentList:
    """The establishments an actor page lists, and how many there are in all."""

    shown: list
    total: int

    @property
    def others(self) -> int:
        return self.total - len(self.shown)

    def __bool__(self) -> bool:
        return bool(self.shown)

    def __iter__(self):
        return iter(self.shown)


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


def territory_is_owned(territory_id: int | None, collectivite_ids: set[int]) -> bool:
    """Whether the territory `territory_id` lies inside one of the collectivités' territories."""
    return (
        territory_id is not None
        and Territory.objects.inside_any_of(collectivite_ids).filter(pk=territory_id).exists()
    )


class EstablishmentQuerySet(models.QuerySet):
    def active(self):
        """Establishments open according to the last SIRENE import."""
        return self.filter(is_active=True)

    def public(self):
        """Active establishments of the actors the public sees."""
        return self.active().filter(actor__status=PublicationStatus.PUBLISHED, actor__hidden=False)

    def in_territory(self, territory: Territory):
        """Establishments whose commune lies inside `territory`."""
        return self.filter(commune__in=communes_inside(territory))

    def in_bbox(self, bbox: BBox):
        """Active establishments whose coordinates lie inside `bbox` (edges included).

        Served by the partial (latitude, longitude, actor) index of the active ones.
        """
        return self.active().filter(
            latitude__gte=bbox.south,
            latitude__lte=bbox.north,
            longitude__gte=bbox.west,
            longitude__lte=bbox.east,
        )

    def of_public_actors(self):
        """Establishments of the actors the public sees, by excluding the few others (drafts,
        archived, hidden): over a whole country, cheaper than joining the published ones."""
        hidden = Actor.objects.exclude(status=PublicationStatus.PUBLISHED, hidden=False)
        return self.exclude(actor__in=hidden.order_by().values("pk"))

    def grid_clusters(self, cell_lon: float, cell_lat: float):
        """The establishments grouped by cells of a grid of `cell_lon` × `cell_lat` degrees, in
        SQL: per cell, `count`, the mean position (`lon`, `lat`) and the bounding box of its
        members (`west`, `south`, `east`, `north`), unordered: sorting would keep PostgreSQL
        from grouping in a hash table (it cannot tell how few cells there are)."""
        return (
            self.order_by()
            .values(
                gx=Floor(models.F("longitude") / models.Value(cell_lon)),
                gy=Floor(models.F("latitude") / models.Value(cell_lat)),
            )
            .annotate(
                count=models.Count("actor_id"),
                lon=models.Avg("longitude"),
                lat=models.Avg("latitude"),
                west=models.Min("longitude"),
                south=models.Min("latitude"),
                east=models.Max("longitude"),
                north=models.Max("latitude"),
            )
        )


class Establishment(models.Model):
    """An establishment (SIRET) of an ESS structure, as the SIRENE register describes it.

    Written by the SIRENE import only (staff do not edit them). An establishment the import
    no longer sees open is kept, marked closed (`is_active`, `closed_on`), and leaves the
    public lists.
    """

    actor = models.ForeignKey(
        Actor,
        verbose_name="structure",
        on_delete=models.CASCADE,
        related_name="establishments",
        db_index=False,  # the (actor, is_active) index serves it
    )
    siret = models.CharField("SIRET", max_length=14, unique=True)
    nic = models.CharField("NIC", max_length=5)
    name = models.CharField("enseigne", max_length=300, blank=True)
    address = models.CharField("adresse", max_length=300, blank=True)
    address_complement = models.CharField("complément d'adresse", max_length=300, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    commune = models.ForeignKey(
        Territory,
        verbose_name="commune",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="establishments",
        db_index=False,  # the (commune, is_active, actor) index serves it
        help_text="Vide quand le code commune de SIRENE est inconnu de l'annuaire.",
    )
    commune_code = models.CharField("code commune (INSEE)", max_length=5, blank=True)
    commune_label = models.CharField("commune (libellé SIRENE)", max_length=100, blank=True)
    naf_code = models.CharField("activité principale (code NAF)", max_length=6, blank=True)
    employees_band = models.CharField("tranche d'effectif (code INSEE)", max_length=2, blank=True)
    is_head_office = models.BooleanField("siège", default=False)
    created_on = models.DateField("date de création", null=True, blank=True)
    latitude = models.FloatField("latitude (WGS 84)", null=True, blank=True)
    longitude = models.FloatField("longitude (WGS 84)", null=True, blank=True)
    is_active = models.BooleanField("ouvert", default=True)
    closed_on = models.DateField(
        "vu fermé le", null=True, blank=True, help_text="Date de l'import qui l'a vu fermé."
    )
    updated_at = models.DateTimeField("importé ou mis à jour le", default=timezone.now)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        verbose_name = "établissement"
        verbose_name_plural = "établissements"
        ordering = ["-is_head_office", "postal_code", "siret"]
        indexes = [
            # "Which actors have an active establishment inside X": an index-only scan.
            models.Index(fields=["commune", "is_active", "actor"], name="establishment_commune"),
            models.Index(fields=["actor", "is_active"], name="establishment_actor"),
            # The map (actors/map.py): the active establishments inside a box, by latitude
            # band, with what the clustering reads (an index-only scan on PostgreSQL).
            models.Index(
                fields=["latitude", "longitude", "actor"],
                condition=Q(is_active=True),
                name="establishment_located",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.siret} {self.name or self.commune_label}".strip()

    @property
    def employees_band_label(self) -> str:
        return employees_band_label(self.employees_band)

    @property
    def place(self) -> str:
        """Postal code and commune: "54000 Nancy"."""
        commune = self.commune.name if self.commune else self.commune_label
        return " ".join(part for part in (self.postal_code, commune) if part)


class ActorPartnership(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="partnerships")
    collectivite = models.ForeignKey(
        "territories.Collectivite", on_delete=models.CASCADE, related_name="partnerships"
    )
    note = models.CharField("nature du partenariat", max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "partenariat"
        verbose_name_plural = "partenariats"
        constraints = [
            models.UniqueConstraint(fields=["actor", "collectivite"], name="partnership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} – {self.collectivite}"


class SchemeRoleKind(models.TextChoices):
    OPERATOR = "operator", _("Opérateur")
    BENEFICIARY = "beneficiary", _("Bénéficiaire")


class SchemeRoleQuerySet(models.QuerySet):
    def published(self):
        """Roles of published actors in published schemes, operators first."""
        return (
            self.filter(
                actor__status=PublicationStatus.PUBLISHED,
                actor__hidden=False,
                scheme__status=PublicationStatus.PUBLISHED,
                scheme__collectivite__status=PublicationStatus.PUBLISHED,
            )
            .select_related("actor", "scheme")
            .order_by("role", "actor__name", "scheme__name")
        )


class SchemeRole(ChoiceLabelsMixin, models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="scheme_roles")
    scheme = models.ForeignKey(
        "territories.Scheme", on_delete=models.CASCADE, related_name="actor_roles"
    )
    role = models.CharField("rôle", max_length=12, choices=SchemeRoleKind.choices)

    objects = SchemeRoleQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "rôle dans un dispositif"
        verbose_name_plural = "rôles dans les dispositifs"
        constraints = [
            models.UniqueConstraint(fields=["actor", "scheme", "role"], name="scheme_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} – {self.get_role_display()} – {self.scheme}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("En attente de modération")
    APPROVED = "approved", _("Acceptée")
    REJECTED = "rejected", _("Refusée")


class ActorProposalQuerySet(models.QuerySet):
    def pending(self):
        """Proposals waiting for a moderator."""
        return self.filter(status=ProposalStatus.PENDING)

    def from_address_since(self, address_hash: str, since):
        """Proposals sent from one (hashed) network address since `since`."""
        return self.filter(address_hash=address_hash, created_at__gte=since)

    def owned_by(self, collectivites):
        """Proposals of structures located inside the territory of one of `collectivites`."""
        return self.filter(
            territory__in=Territory.objects.inside_any_of(collectivites).values("pk")
        )


class ActorProposal(ChoiceLabelsMixin, models.Model):
    """A structure proposed by the public; never shown before staff approve it."""

    name = models.CharField("nom de la structure", max_length=300)
    short_description = models.CharField("présentation courte", max_length=300)
    description = models.TextField("description", blank=True)
    family = models.CharField(
        "famille de l'ESS", max_length=20, choices=Family.choices, default=Family.UNKNOWN
    )
    legal_form = models.CharField("forme juridique", max_length=120, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True, validators=[validate_siren])
    website = models.URLField("site web", blank=True)
    email = models.EmailField("courriel public", blank=True)
    phone = models.CharField("téléphone public", max_length=40, blank=True)
    territory = models.ForeignKey(
        Territory, verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    themes = models.ManyToManyField("territories.Theme", verbose_name="thèmes", blank=True)
    submitter_name = models.CharField("votre nom", max_length=200)
    submitter_email = models.EmailField("votre courriel")
    status = models.CharField(
        "statut", max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    rejection_reason = models.TextField("motif du refus", blank=True)
    actor = models.ForeignKey(
        Actor,
        verbose_name="fiche créée",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    address_hash = models.CharField(max_length=64, editable=False, db_index=True)
    created_at = models.DateTimeField("reçue le", auto_now_add=True, db_index=True)
    moderated_at = models.DateTimeField("modérée le", null=True, blank=True)
    moderated_by = models.ForeignKey(
        "auth.User",
        verbose_name="modérée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ActorProposalQuerySet.as_manager()

    class Meta:
        verbose_name = "proposition de structure"
        verbose_name_plural = "propositions de structures"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="proposal_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return territory_is_owned(self.territory_id, collectivite_ids)


class ActorPlace(models.Model):
    """`actor` acts inside `territory`: its territory of action, or one of its active
    establishments' communes, lies inside it (TerritoryInclusion).

    Derived data, rebuilt by `actors.services.refresh_actor_places()` whenever an actor's
    territory or establishments change: listing the actors of a région then reads one index
    instead of joining the containment table with every actor and establishment.
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="places")

    class Meta:
        verbose_name = "lieu d'action"
        verbose_name_plural = "lieux d'action"
        constraints = [
            models.UniqueConstraint(fields=["territory", "actor"], name="actor_place_unique"),
        ]
        indexes = [models.Index(fields=["actor"], name="actor_place_actor")]

    def __str__(self) -> str:
        return f"{self.actor_id} ⊂ {self.territory_id}"


class PanoramaQuerySet(models.QuerySet):
    def national(self):
        """The panorama of the whole directory (France)."""
        return self.filter(national=True)

    def compared_with(
        self, territory: Territory | None, containers: list[Territory] | None = None
    ) -> PanoramaComparison:
        """The panorama of `territory`, then those of its département, its région and
        France (of France alone for None): the columns of the panorama table, none until
        the panoramas were computed. `containers`: the territory's, when already read.

        A territory where the directory counts nothing has no row of its own: it gets a
        zero panorama, dated as the national one.
        """
        wanted = []
        if territory is not None:
            if containers is None:
                containers = Territory.objects.containers_of(territory).only("kind")
            containers = {container.kind: container.pk for container in containers}
            wanted = [territory.pk]
            wanted += [containers[kind] for kind in ("departement", "region") if kind in containers]
        rows = {
            row.territory_id: row
            for row in self.filter(Q(territory__in=wanted) | Q(national=True)).select_related(
                "territory"
            )
        }
        if None not in rows:
            return PanoramaComparison([])
        if territory is not None and territory.pk not in rows:
            rows[territory.pk] = TerritoryPanorama.empty(territory, rows[None].computed_at)
        return PanoramaComparison([rows[key] for key in [*wanted, None] if key in rows])


@dataclass
class PanoramaComparison:
    """Panoramas side by side, the territory's own first (see compared_with())."""

    columns: list[TerritoryPanorama]

    @property
    def here(self) -> TerritoryPanorama | None:
        return self.columns[0] if self.columns else None

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


class TerritoryPanorama(models.Model):
    """The ESS figures of one territory (of France when `territory` is empty), computed
    from the directory's published structures and active establishments by
    `actors.services.refresh_panoramas()`.

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
        return per_thousand(count, self.population)

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

    def charts(self) -> list[Chart]:
        """The panorama's three bar charts: structures by family, establishments by NAF
        section and employer establishments by size; empty categories left out."""
        families = [
            Bar(family, label, self.family_structures(family))
            for family, label in Family.choices
            if self.family_structures(family)
        ]
        sections = [
            Bar(section, f"{section} – {label}", self.by_section.get(section, 0))
            for section, (_span, label) in NAF_SECTIONS.items()
            if self.by_section.get(section)
        ]
        if self.by_section.get(UNKNOWN):
            sections.append(Bar(UNKNOWN, _("Activité non précisée"), self.by_section[UNKNOWN]))
        sizes = [
            Bar(group, label, self.by_size.get(group, 0))
            for group, (_bands, label) in SIZE_GROUPS.items()
            if self.by_size.get(group)
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

    Derived data, rebuilt by `actors.services.refresh_map_cells()` with the panoramas.
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
