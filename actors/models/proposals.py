"""Structures proposed by the public (`ActorProposal`), waiting for staff to moderate them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actors.models.structures import Actor, Family, territory_is_owned
from actors.validators import validate_siren
from core.choices import ChoiceLabelsMixin
from territories.models import Territory


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
