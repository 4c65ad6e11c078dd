"""Open data of grants, in the SCDL « Subventions » 2.1.1 schema they were imported in.

Every column of the schema, in its order, as the file wrote it: a file imported then
exported gives back its cells (tests/grants/test_round_trip.py) — except a text cell
starting a spreadsheet formula, which every CSV export writes after a quote
(core.exports.neutralised). Numbers are JSON numbers, written in CSV as the file wrote
them ("47800.20" stays so); `notificationUE` is the schema's "oui" / "non" in both.
"""

from __future__ import annotations

from typing import Literal

from core.exports import Export, columns
from grants import schema
from grants.models import Grant


class WrittenNumber(float):
    """A number that the CSV writes as its file wrote it (the csv module writes a float's
    repr) and JSON as a number."""

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def grant_row(grant: Grant, base_url: str) -> dict:
    return {
        "nomAttribuant": grant.attributor_name,
        "idAttribuant": grant.attributor_siret,
        "dateConvention": grant.convention_date.isoformat(),
        "referenceDecision": grant.decision_reference,
        "nomBeneficiaire": grant.beneficiary_name,
        "idBeneficiaire": grant.beneficiary_siret,
        "rnaBeneficiaire": grant.beneficiary_rna,
        "objet": grant.purpose,
        "montant": WrittenNumber(grant.amount_written),
        "nature": grant.nature,
        "conditionsVersement": grant.payment_terms,
        "datesPeriodeVersement": grant.payment_dates,
        "idRAE": grant.rae_id,
        "notificationUE": "oui" if grant.eu_notification else "non",
        "pourcentageSubvention": WrittenNumber(grant.share_written),
        "dispositifAide": grant.scheme_reference,
    }


GRANTS = Export(
    name="subventions",
    columns=columns(
        nomAttribuant=str,
        idAttribuant=str,
        dateConvention=str,
        referenceDecision=str,
        nomBeneficiaire=str,
        idBeneficiaire=str,
        rnaBeneficiaire=str,
        objet=str,
        montant=float,
        nature=str,
        conditionsVersement=str,
        datesPeriodeVersement=str,
        idRAE=str,
        notificationUE=Literal["oui", "non"],
        pourcentageSubvention=float,
        dispositifAide=str,
    ),
    row=grant_row,
    schema=schema.NAME,
)

# The export's columns are the schema's, in its order (checked at import time).
assert GRANTS.column_names == schema.field_names(), "the SCDL export drifted from schema.json"
