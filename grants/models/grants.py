"""Grants: one line of a SCDL « Subventions » file, linked to the structure it funds.

Every column of the schema is kept as the file wrote it, so that the export gives back what
was imported (numbers too: `amount_written`, `share_written`); `amount`, `share` and
`received` are the same numbers for computing. A grant is linked to a structure of the
directory (`beneficiary`) by its identifiers only — an establishment's SIRET, the SIREN of
that SIRET, or the RNA number — never by its name (grants.importer.matching).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from actors.models import Actor
from core.publication import PublicationStatus
from grants.models.files import GrantFile
from territories.models import Collectivite, Territory


class MatchKind(models.TextChoices):
    """How a grant's beneficiary was found among the structures of the directory."""

    SIRET = "siret", "par SIRET (établissement)"
    SIREN = "siren", "par SIREN (unité légale)"
    RNA = "rna", "par numéro RNA"


class GrantQuerySet(models.QuerySet):
    def public(self):
        """Grants the public may see: of published files of published collectivités, and only
        to a beneficiary identified by a SIRET or an RNA number — never to a natural person
        (the SCDL has no such flag: a person has neither; the import requires one of them,
        this states the rule where the pages read)."""
        return self.filter(
            file__status=PublicationStatus.PUBLISHED,
            collectivite__status=PublicationStatus.PUBLISHED,
        ).exclude(beneficiary_siret="", beneficiary_rna="")

    def to_public_structures(self):
        """Grants linked to a structure the public sees (published, not hidden)."""
        return self.filter(
            beneficiary__status=PublicationStatus.PUBLISHED, beneficiary__hidden=False
        )

    def unmatched(self):
        """Grants whose beneficiary matches no structure of the directory."""
        return self.filter(beneficiary__isnull=True)

    def owned_by(self, collectivites):
        """Grants awarded by one of `collectivites` (their files are theirs)."""
        return self.filter(collectivite__in=collectivites)

    def in_territory(self, territory: Territory):
        """Grants of the collectivités whose territory lies inside `territory`."""
        return self.filter(collectivite__territory__container_links__container=territory)

    def for_export(self):
        """In the files' own order: a file exported gives back its lines as imported."""
        return self.order_by("collectivite__name", "collectivite_id", "file_id", "line")


class Grant(models.Model):
    file = models.ForeignKey(
        GrantFile, verbose_name="fichier", on_delete=models.CASCADE, related_name="grants"
    )
    line = models.PositiveIntegerField("ligne du fichier")
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité attribuante",
        on_delete=models.CASCADE,
        related_name="grants",
    )
    year = models.PositiveSmallIntegerField("année de la convention")
    beneficiary = models.ForeignKey(
        Actor,
        verbose_name="structure bénéficiaire",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grants_received",
    )
    match_kind = models.CharField(
        "rapprochement", max_length=5, choices=MatchKind.choices, blank=True
    )
    # The key an import is idempotent on, with the collectivité, the attribuant's SIRET, the
    # decision and the date: idBeneficiaire, or rnaBeneficiaire when there is no SIRET.
    beneficiary_key = models.CharField("identifiant du bénéficiaire", max_length=14)

    # The columns of the SCDL « Subventions » 2.1.1, as the file wrote them.
    attributor_name = models.TextField("nomAttribuant")
    attributor_siret = models.CharField("idAttribuant", max_length=14)
    convention_date = models.DateField("dateConvention")
    decision_reference = models.TextField("referenceDecision", blank=True)
    beneficiary_name = models.TextField("nomBeneficiaire")
    beneficiary_siret = models.CharField("idBeneficiaire", max_length=14, blank=True)
    beneficiary_rna = models.CharField("rnaBeneficiaire", max_length=10, blank=True)
    purpose = models.CharField("objet", max_length=256)
    amount_written = models.CharField("montant (tel qu'écrit)", max_length=40)
    nature = models.CharField("nature", max_length=40)
    payment_terms = models.CharField("conditionsVersement", max_length=256)
    payment_dates = models.CharField("datesPeriodeVersement", max_length=21)
    rae_id = models.CharField("idRAE", max_length=5, blank=True)
    eu_notification = models.BooleanField("notificationUE")
    share_written = models.CharField("pourcentageSubvention (tel qu'écrit)", max_length=40)
    scheme_reference = models.TextField("dispositifAide", blank=True)

    # The same numbers, to compute with.
    amount = models.DecimalField("montant total (€)", max_digits=17, decimal_places=2)
    share = models.DecimalField("part du bénéficiaire", max_digits=9, decimal_places=6)
    received = models.DecimalField(
        "montant pour ce bénéficiaire (€)",
        max_digits=17,
        decimal_places=2,
        help_text="montant × pourcentageSubvention : la part de ce bénéficiaire.",
    )

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = "subvention"
        verbose_name_plural = "subventions"
        ordering = ["-convention_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "collectivite",
                    "attributor_siret",
                    "decision_reference",
                    "beneficiary_key",
                    "convention_date",
                ],
                name="grant_unique_per_attributor_decision_beneficiary_date",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="grant_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(share__gte=0.01, share__lte=1), name="grant_share_between_1pc_and_1"
            ),
        ]
        indexes = [
            models.Index(fields=["collectivite", "year"], name="grant_collectivite_year"),
            models.Index(fields=["file", "line"], name="grant_file_line"),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_name} — {self.convention_date:%Y-%m-%d}"

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.collectivite_id in collectivite_ids
