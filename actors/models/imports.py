"""The runs of the SIRENE import and of the refresh of derived data (`ImportRun`), recorded
as they go so that a run killed half-way is known, and finished, by the next one."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """One run of `import_sirene` or `refresh_panoramas`, written step by step.

    Each step is recorded once committed (in its own statement, outside the step's
    transactions), so that the row tells, after a crash or a kill, how far the run went.
    A run without `completed_at` that no live process holds is unfinished: the next run
    finishes its work (the derived data at least) and points back to it (`repaired_by`).
    On databases without advisory locks, `lock` is the lock itself (one row at a time holds
    the unique value), with the holder's `host` and `pid` to tell a dead holder.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", "import SIRENE"
        REFRESH = "refresh", "recalcul des données dérivées"

    kind = models.CharField("nature", max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField("commencé le", default=timezone.now)
    completed_at = models.DateTimeField("terminé le", null=True, blank=True)
    steps = models.JSONField("étapes terminées", default=list, blank=True)
    batches = models.PositiveIntegerField("lots d'établissements écrits", default=0)
    files = models.JSONField(
        "fichiers", default=list, blank=True, help_text="Nom, taille et somme de contrôle."
    )
    area = models.JSONField("zone", default=dict, blank=True)
    summary = models.TextField("compte rendu", blank=True)
    error = models.TextField("arrêté par", blank=True)
    repaired_by = models.ForeignKey(
        "self",
        verbose_name="terminé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repaired",
    )
    host = models.CharField("machine", max_length=255, blank=True)
    pid = models.PositiveIntegerField("processus", null=True, blank=True)
    lock = models.CharField("verrou", max_length=20, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "exécution de l'import SIRENE"
        verbose_name_plural = "exécutions de l'import SIRENE"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        state = "terminé" if self.completed_at else "inachevé"
        return f"{self.get_kind_display()} du {self.started_at:%Y-%m-%d %H:%M} ({state})"
