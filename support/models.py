"""Who can help a project holder, here: support services published by data·inclusion.

data·inclusion publishes structures and their services in the national schema (1.0.8,
fixtures/schemas/data-inclusion-1.0.8/). `import_data_inclusion` keeps the services that
help create or develop an activity, and every service of a structure that is an ESS
structure of the directory (same SIRET, or the SIREN of that SIRET). Each service's zone
(`zone_eligibilite`: codes of communes, EPCI, départements, or `france`) is stored as one
row per code, pointing at the territory it names, so that "the services whose zone covers
commune Y" is one indexed join on the containment closure (TerritoryInclusion).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from territories.models import Territory, TerritoryInclusion

# The zone of a service covering the whole country ranks after every territory.
NATIONAL_RANK = 100

# data·inclusion's labels (extra/modes-mobilisation.json, extra/modes-accueil.json).
MOBILISATION_LABELS = {
    "envoyer-un-courriel": _("Envoyer un courriel"),
    "se-presenter": _("Se présenter"),
    "telephoner": _("Téléphoner"),
    "utiliser-lien-mobilisation": _("Utiliser le lien de mobilisation"),
}
ACCUEIL_LABELS = {"a-distance": _("À distance"), "en-presentiel": _("En présentiel")}


def _covering_zones(territory: Territory):
    """The zones that cover `territory`: one of the territories containing it (itself
    included), or the whole country."""
    covering = TerritoryInclusion.objects.filter(member=territory).values("container_id")
    return SupportZone.objects.filter(Q(territory__in=covering) | Q(territory__isnull=True))


class SupportStructureQuerySet(models.QuerySet):
    def covering(self, territory: Territory):
        """The structures with a service whose zone covers `territory` (the API's and the
        exports' `territoire`)."""
        services = SupportService.objects.filter(
            pk__in=_covering_zones(territory).values("service_id")
        )
        return self.filter(pk__in=services.values("structure_id"))


class SupportStructure(models.Model):
    """A data·inclusion structure that carries at least one service kept."""

    source = models.CharField("source", max_length=100)
    di_id = models.CharField("identifiant data·inclusion", max_length=300)
    name = models.CharField("nom", max_length=300)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    actor = models.ForeignKey(
        "actors.Actor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_structures",
        verbose_name="structure de l'ESS",
    )
    phone = models.CharField("téléphone", max_length=100, blank=True)
    email = models.CharField("courriel", max_length=300, blank=True)
    website = models.URLField("site web", max_length=2083, blank=True)
    source_url = models.URLField("lien source", max_length=2083, blank=True)
    commune_label = models.CharField("commune", max_length=200, blank=True)
    updated_on = models.DateField("mise à jour chez le producteur")
    file_date = models.DateField("date du fichier importé")
    imported_at = models.DateTimeField("importée le", auto_now=True)
    # The row as the file gave it (the schema's fields): what the exports give back.
    data = models.JSONField("ligne data·inclusion", default=dict, blank=True)

    objects = SupportStructureQuerySet.as_manager()

    class Meta:
        verbose_name = "structure d'accompagnement"
        verbose_name_plural = "structures d'accompagnement"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "di_id"], name="support_structure_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SupportServiceQuerySet(models.QuerySet):
    def covering(self, territory: Territory):
        """The services whose zone covers `territory`, unordered and unannotated (the
        API's and the exports' `territoire`; `serving()` for the pages)."""
        return self.filter(pk__in=_covering_zones(territory).values("service_id"))

    def serving(self, commune: Territory | Iterable[Territory]):
        """The services whose zone covers `commune` (any territory, in fact): the commune
        itself, its EPCI, its département, its région or the whole country; the nearest
        zone first (`zone_rank`, `zone_name` annotated: the nearest zone covering it).

        Given several communes (those of a postal code), the services covering any of them.
        """
        if isinstance(commune, Territory):
            links = TerritoryInclusion.objects.filter(member=commune)
        else:
            links = TerritoryInclusion.objects.filter(member__in=[place.pk for place in commune])
        covering = links.values("container_id")
        zones = SupportZone.objects.filter(Q(territory__in=covering) | Q(territory__isnull=True))
        nearest = zones.filter(service=OuterRef("pk")).order_by("rank", "pk")
        return (
            # The services with a zone there first (the zones' index), then only those
            # ranked: never the nearest zone of every service of France computed per page.
            self.filter(pk__in=zones.values("service_id"))
            .annotate(
                zone_rank=Subquery(nearest.values("rank")[:1]),
                zone_name=Subquery(nearest.values("territory__name")[:1]),
            )
            .filter(zone_rank__isnull=False)
            .select_related("structure")
            .order_by("zone_rank", "name", "pk")
        )


class SupportService(models.Model):
    """A data·inclusion service kept by the import, with its zone (`zones`)."""

    source = models.CharField("source", max_length=100)
    di_id = models.CharField("identifiant data·inclusion", max_length=300)
    structure = models.ForeignKey(
        SupportStructure,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name="structure",
    )
    name = models.CharField("nom", max_length=300)
    description = models.TextField("description", blank=True)
    thematiques = models.JSONField("thématiques", default=list, blank=True)
    modes_accueil = models.JSONField("modes d'accueil", default=list, blank=True)
    modes_mobilisation = models.JSONField("modes de mobilisation", default=list, blank=True)
    mobilisation_details = models.TextField("précisions sur la mobilisation", blank=True)
    mobilisation_url = models.URLField("lien de mobilisation", max_length=2083, blank=True)
    contact_name = models.CharField("contact", max_length=300, blank=True)
    phone = models.CharField("téléphone", max_length=100, blank=True)
    email = models.CharField("courriel", max_length=300, blank=True)
    source_url = models.URLField("lien source", max_length=2083, blank=True)
    zone_codes = models.JSONField("zone d'éligibilité (codes)", default=list, blank=True)
    updated_on = models.DateField("mise à jour chez le producteur")
    file_date = models.DateField("date du fichier importé")
    imported_at = models.DateTimeField("importé le", auto_now=True)
    # The row as the file gave it (the schema's fields): what the exports give back.
    data = models.JSONField("ligne data·inclusion", default=dict, blank=True)

    objects = SupportServiceQuerySet.as_manager()

    class Meta:
        verbose_name = "service d'accompagnement"
        verbose_name_plural = "services d'accompagnement"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "di_id"], name="support_service_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def mobilisation_labels(self) -> list[str]:
        return [str(MOBILISATION_LABELS.get(mode, mode)) for mode in self.modes_mobilisation or []]

    @property
    def accueil_labels(self) -> list[str]:
        return [str(ACCUEIL_LABELS.get(mode, mode)) for mode in self.modes_accueil or []]

    @property
    def contact_phone(self) -> str:
        """The service's phone, else its structure's (as data·inclusion says to read it)."""
        return self.phone or self.structure.phone

    @property
    def contact_email(self) -> str:
        return self.email or self.structure.email


class SupportZone(models.Model):
    """One code of a service's `zone_eligibilite`: a territory, or the whole country
    (`territory` empty). `rank` is the territory's (commune 10 … région 50), or
    NATIONAL_RANK."""

    service = models.ForeignKey(SupportService, on_delete=models.CASCADE, related_name="zones")
    code = models.CharField("code", max_length=20)
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rank = models.PositiveSmallIntegerField("échelon")

    class Meta:
        verbose_name = "zone d'un service"
        verbose_name_plural = "zones des services"
        indexes = [
            models.Index(fields=["territory", "service"], name="support_zone_territory"),
        ]

    def __str__(self) -> str:
        return self.code
