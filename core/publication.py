"""Publication of the directory's records: status, freshness, and the writes that move them.

Every record the public pages show is a draft, published or archived; staff record when
they last checked it ("À jour au …"), and a record nobody checked for a year is stale.
"""

from __future__ import annotations

import datetime

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabelsMixin
from core.prefetches import KeptPrefetchQuerySet

STALE_AFTER = datetime.timedelta(days=365)


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    ARCHIVED = "archived", _("Archivé")


class PublishableQuerySet(KeptPrefetchQuerySet):
    def published(self):
        """Records the public may see."""
        return self.filter(status=PublicationStatus.PUBLISHED)

    def stale(self, today: datetime.date):
        """Records never checked, or not for more than a year."""
        return self.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=today - STALE_AFTER))


class Publishable(ChoiceLabelsMixin, models.Model):
    """Fields shared by every record the public pages show."""

    status = models.CharField(
        "statut de publication",
        max_length=12,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        db_index=True,
    )
    checked_at = models.DateField(
        "vérifié le",
        null=True,
        blank=True,
        help_text="Date à laquelle l'équipe a vérifié que la fiche est à jour.",
    )
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED


@transaction.atomic
def mark_checked(*, records, day: datetime.date) -> int:
    """Record that staff checked `records` on `day`, without editing them otherwise."""
    count = 0
    for record in records:
        record.checked_at = day
        # save() rather than update(): the history keeps who checked and when.
        record.save(update_fields=["checked_at", "updated_at"])
        count += 1
    return count


@transaction.atomic
def set_status(*, records, status: str) -> int:
    """Publish, archive or unpublish `records` (each change kept in their history)."""
    count = 0
    for record in records:
        if record.status != status:
            record.status = status
            record.save(update_fields=["status", "updated_at"])
            count += 1
    return count
