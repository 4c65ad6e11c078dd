"""The establishments (SIRET) of the ESS structures, as the SIRENE register describes them:
the `Establishment` model and its queryset (by territory, by zone of the map, in grid cells).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Floor
from django.utils import timezone

from actors.models.structures import Actor, employees_band_label
from core.geo import BBox
from core.publication import PublicationStatus
from territories.models import Territory, TerritoryInclusion


def communes_inside(territory: Territory):
    """The ids of the territories inside `territory`, itself included (a subquery)."""
    return TerritoryInclusion.objects.filter(container=territory).values("member_id")


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
