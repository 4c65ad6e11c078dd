"""What ties an ESS structure to the collectivités: its partnerships with them
(`ActorPartnership`) and its roles in their schemes (`SchemeRole`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models.structures import Actor
from core.choices import ChoiceLabelsMixin
from core.publication import PublicationStatus


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


def published_scheme_roles():
    """The published roles (SchemeRoleQuerySet.published()): what a scheme's page prefetches
    as its actors' roles, kept compiled (core.prefetches.KeptPrefetch)."""
    return SchemeRole.objects.published()


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
