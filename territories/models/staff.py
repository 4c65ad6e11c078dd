"""Staff: which accounts belong to which collectivité, as editor or manager."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from territories.access import StaffRole
from territories.models.collectivites import Collectivite


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
