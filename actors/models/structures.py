"""ESS structures (associations, cooperatives, mutuals, foundations, ESUS companies…): the
`Actor` model, its families and SIRENE states, its queryset, and what its page reads
(official facts, the establishments it lists).

Its establishments, places and relations live in the modules that import this one; the
queryset reaches their models through the actor's relations, so that imports run one way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors import sirene
from actors.validators import validate_siren, validate_siret
from core.geo import BBox
from core.prefetches import KeptPrefetch
from core.publication import PublicationStatus
from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from territories.models import (
    OwnedQuerySet,
    SourcedRecord,
    TerritorialQuerySet,
    Territory,
    TerritoryInclusion,
)


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


def employees_band_label(code: str) -> str:
    """The label of an INSEE employee band ("11" → "10 à 19 salariés"), "" if unknown."""
    return EMPLOYEES_BANDS.get(code, "")


# The columns of a structure's card (ActorQuerySet.for_list), its key and slug included.
CARD_FIELDS = (
    "id",
    "slug",
    "name",
    "family",
    "subtype",
    "is_network",
    "short_description",
    "territory",
)


class ActorQuerySet(TerritorialQuerySet, OwnedQuerySet):
    def _related(self, relation: str) -> type[models.Model]:
        """The model at the other end of the actor's `relation` ("establishments", "places",
        "partnerships", "scheme_roles"): their modules import this one, so the queryset
        reaches them through the relation rather than an import."""
        return self.model._meta.get_field(relation).related_model

    def published(self):
        """Published actors, except those staff hid from the directory."""
        return super().published().filter(hidden=False)

    def in_territory(self, territory: Territory):
        """Actors acting inside `territory`: their territory of action lies inside it, or one
        of their active establishments does (read from ActorPlace, kept by the services)."""
        places = self._related("places").objects.filter(territory=territory)
        return self.filter(pk__in=places.values("actor_id"))

    def first_listed_in(self, territory: Territory, count: int):
        """The first `count` public actors of `territory`'s list (by name): their keys from
        one range of the places' index (ActorPlace.public, ActorPlace.name), then those
        rows, whatever the territory's size: one statement, the keys a limited subquery."""
        keys = self._related("places").objects.listing_keys(territory)[:count]
        return self.filter(pk__in=keys).order_by("name", "pk")

    def around(self, territory: Territory):
        """Actors whose territory contains `territory` or lies inside it (what acts there), or
        with an active establishment inside it: those of its places (in_territory()) and
        those of the territories containing it."""
        # One list of keys, each part read from an index: an OR of three semi-joins was
        # tested on every structure a search read (around Toul, "insertion" scanned the
        # 200 000 structures twice: 200 ms).
        places = self._related("places").objects.filter(territory=territory)
        containers = TerritoryInclusion.objects.filter(member=territory).values("container_id")
        containing = self.model._base_manager.filter(territory__in=containers).order_by()
        keys = places.order_by().values("actor_id").union(containing.values("pk"))
        return self.filter(pk__in=keys)

    def with_establishment_in(self, bbox: BBox):
        """Actors with an active establishment inside `bbox` (a zone of the map)."""
        inside = self._related("establishments").objects.in_bbox(bbox)
        return self.filter(pk__in=inside.order_by().values("actor_id"))

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
        partnerships = self._related("partnerships").objects.filter(collectivite__in=collectivites)
        return self.filter(pk__in=partnerships.values("actor_id"))

    def kept_by(self, collectivites):
        """The structures the staff of `collectivites` keep up to date: their partners. The
        others of their territory, which they also own, come from SIRENE."""
        return self.partners_of(collectivites)

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
            # Every structure of France: its candidates read from the words' own place.
            large=True,
        )

    def for_list(self):
        """What a card of the lists shows (templates/actors/_actor.html): its name, family,
        type, short description, themes and territory's name. Only those columns: the
        description, the official facts and the search text are most of a row."""
        return (
            self.select_related("territory")
            .only(*CARD_FIELDS, "territory__name", "territory__slug", "territory__kind")
            .prefetch_related("themes")
        )

    def for_export(self):
        """What the open-data row needs: themes, networks, and the open establishments,
        head office first (`export_establishments`)."""
        establishments = self._related("establishments").objects
        return self.select_related("territory").prefetch_related(
            "themes",
            "member_of",
            models.Prefetch(
                "establishments",
                queryset=establishments.active().order_by("-is_head_office", "siret"),
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
        return self.select_related("territory").prefetch_related(
            "themes",
            "sources",
            KeptPrefetch("member_of", _published_actors),
            KeptPrefetch("members", _published_actors),
            KeptPrefetch("partnerships", _published_partnerships),
            KeptPrefetch("scheme_roles", _published_scheme_roles),
        )


# What an actor's page prefetches (core.prefetches.KeptPrefetch): its networks and members,
# partner collectivités and schemes, published ones only. The partnerships' and roles' models
# import this module: they are reached through the relation.
def _published_actors():
    return Actor.objects.published().order_by("name")


def _published_partnerships():
    partnerships = Actor._meta.get_field("partnerships").related_model.objects
    return (
        partnerships.filter(collectivite__status=PublicationStatus.PUBLISHED)
        .select_related("collectivite")
        .order_by("collectivite__name")
    )


def _published_scheme_roles():
    scheme_roles = Actor._meta.get_field("scheme_roles").related_model.objects
    return (
        scheme_roles.filter(
            scheme__status=PublicationStatus.PUBLISHED,
            scheme__collectivite__status=PublicationStatus.PUBLISHED,
        )
        .select_related("scheme")
        .order_by("role", "scheme__name")
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

    # Official facts, written only by the SIRENE import (actors/sirene/importer.py).
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
            # The structures of a legal form (`forme`, matched whatever its case), by name:
            # a range of this index, where every structure was read to find them (133 ms at
            # 200 000 structures, for a form that none has). Not partial: PostgreSQL gathers
            # the statistics of an expression for a whole index only, and the count of a
            # list relies on its estimate (100 000 associations, not the 1 000 it assumes).
            models.Index(Upper("legal_form"), F("name"), F("id"), name="actor_legal_form"),
            # The directory's last change (the open-data page, the catalogue): the newest
            # entry of a small index rather than a scan of every structure.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status="published", hidden=False),
                name="actor_public_updated",
            ),
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


def territory_is_owned(territory_id: int | None, collectivite_ids: set[int]) -> bool:
    """Whether the territory `territory_id` lies inside one of the collectivités' territories."""
    return (
        territory_id is not None
        and Territory.objects.inside_any_of(collectivite_ids).filter(pk=territory_id).exists()
    )
