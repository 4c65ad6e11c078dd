"""ESS structures (associations, cooperatives, mutuals, foundations, ESUS companies…)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from actors.validators import validate_siren, validate_siret
from essdir.core.publication import PublicationStatus
from essdir.core.search import refresh_search_context, text_search
from territories.models import OwnedQuerySet, SourcedRecord, TerritorialQuerySet, Territory


class Family(models.TextChoices):
    """The families of the 2014 ESS law."""

    ASSOCIATION = "association", "Association"
    COOPERATIVE = "cooperative", "Coopérative"
    MUTUELLE = "mutuelle", "Mutuelle"
    FONDATION = "fondation", "Fondation ou fonds de dotation"
    ENTREPRISE_ESS = "entreprise_ess", "Société commerciale de l'ESS (ESUS)"
    UNKNOWN = "unknown", "Non précisée"


class Subtype(models.TextChoices):
    SIAE = "siae", "Structure d'insertion par l'activité économique (SIAE)"
    ENTREPRISE_ADAPTEE = "entreprise_adaptee", "Entreprise adaptée"
    ESAT = "esat", "Établissement et service d'aide par le travail (ESAT)"


class ActorQuerySet(TerritorialQuerySet, OwnedQuerySet):
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
        """Actors matching `query`, best first (see essdir.core.search)."""
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

    def for_search(self):
        """What a search result shows: territory and partner collectivités."""
        return self.select_related("territory").prefetch_related("partner_of")

    def refresh_search_context(self) -> int:
        """Keep what actors are found by: their themes, territory and partner collectivités."""
        return refresh_search_context(
            self.select_related("territory").prefetch_related("themes", "partner_of"),
            lambda actor: [
                *(theme.name for theme in actor.themes.all()),
                actor.territory.name if actor.territory else "",
                *(collectivite.name for collectivite in actor.partner_of.all()),
            ],
        )

    def for_detail(self):
        """Everything an actor page shows, relations limited to published records."""
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
    siren = models.CharField("SIREN", max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    themes = models.ManyToManyField(
        "territories.Theme", verbose_name="thèmes", blank=True, related_name="actors"
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
            models.Index(fields=["-created_at", "-id"], name="actor_recent"),
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
        return reverse("site:actor", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            raise ValidationError({"siret": "Le SIRET doit commencer par le SIREN."})

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return territory_is_owned(self.territory_id, collectivite_ids)


def territory_is_owned(territory_id: int | None, collectivite_ids: set[int]) -> bool:
    """Whether the territory `territory_id` lies inside one of the collectivités' territories."""
    return (
        territory_id is not None
        and Territory.objects.inside_any_of(collectivite_ids).filter(pk=territory_id).exists()
    )


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
    OPERATOR = "operator", "Opérateur"
    BENEFICIARY = "beneficiary", "Bénéficiaire"


class SchemeRoleQuerySet(models.QuerySet):
    def published(self):
        """Roles of published actors in published schemes, operators first."""
        return (
            self.filter(
                actor__status=PublicationStatus.PUBLISHED,
                scheme__status=PublicationStatus.PUBLISHED,
                scheme__collectivite__status=PublicationStatus.PUBLISHED,
            )
            .select_related("actor", "scheme")
            .order_by("role", "actor__name", "scheme__name")
        )


class SchemeRole(models.Model):
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
    PENDING = "pending", "En attente de modération"
    APPROVED = "approved", "Acceptée"
    REJECTED = "rejected", "Refusée"


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


class ActorProposal(models.Model):
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
