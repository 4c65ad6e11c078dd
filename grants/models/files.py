"""Grant files: one SCDL « Subventions » file a collectivité published and its staff imported.

The file is the unit staff act on (upload, publish, archive, delete, history); its grants
are written in bulk by the importer and never edited one by one (a correction is a new
upload of the corrected file, which replaces the grants of its years).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.publication import Publishable
from territories.models import Collectivite, CollectiviteRecordQuerySet


class GrantFileQuerySet(CollectiviteRecordQuerySet):
    """Files of one collectivité: `published()` (theirs and their collectivité's status),
    `owned_by()` (the collectivité whose grants they hold), `of()`."""

    def current(self):
        """Files still holding grants: not replaced for all of their years."""
        return self.filter(replaced_by__isnull=True)


class GrantFile(Publishable):
    """One imported SCDL file: what it held, who imported it and when, and what replaced it.

    Its status decides whether its grants are public (`Grant.objects.public()`).
    """

    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité attribuante",
        on_delete=models.CASCADE,
        related_name="grant_files",
    )
    name = models.CharField("nom du fichier", max_length=255)
    source_url = models.URLField(
        "adresse de publication",
        max_length=500,
        blank=True,
        help_text="Où la collectivité publie ce fichier (data.gouv.fr, son site) : "
        "la source que les pages citent.",
    )
    attributor_siren = models.CharField(
        "SIREN de l'attribuant",
        max_length=9,
        db_index=True,
        help_text="Les 9 premiers chiffres de idAttribuant, les mêmes sur toutes les lignes.",
    )
    years = models.CharField("années des conventions", max_length=200)
    row_count = models.PositiveIntegerField("lignes importées")
    total_amount = models.DecimalField(
        "montant total des lignes (€)", max_digits=17, decimal_places=2
    )
    sha256 = models.CharField("empreinte SHA-256", max_length=64, db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced_by = models.ForeignKey(
        "self",
        verbose_name="remplacé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced",
        help_text="Le fichier dont l'import a remplacé toutes les subventions de celui-ci.",
    )

    objects = GrantFileQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "fichier de subventions"
        verbose_name_plural = "fichiers de subventions"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.years})"

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.collectivite_id in collectivite_ids
