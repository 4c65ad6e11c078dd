"""Fixtures of the grants' tests: a fictitious attribuant, the structures its files fund,
and the files of tests/grants/data/ (fictitious, see its README)."""

import io
from pathlib import Path

import pytest

from actors.models import Family
from grants.services import import_grants
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EstablishmentFactory,
    ThemeFactory,
    territory,
)

DATA = Path(__file__).parent / "data"
ATTRIBUTOR_SIRET = "99905401800018"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def run_import(content: bytes, collectivite=None, name="subventions.csv", **kwargs):
    """Import `content` as the back-office and the command do; the report."""
    return import_grants(io.BytesIO(content), name=name, collectivite=collectivite, **kwargs)


@pytest.fixture
def attribuant(db):
    return CollectiviteFactory(
        name="Département Fictif", slug="departement-fictif", kind="departement"
    )


@pytest.fixture
def structures(db):
    """The structures of the valid file: by an establishment's SIRET, by SIREN, by RNA."""
    gardens = ActorFactory(
        name="Les Jardins Imaginaires",
        siren="999100019",
        family=Family.ASSOCIATION,
        territory=territory("commune-54528"),
    )
    gardens.themes.add(ThemeFactory(name="Alimentation durable", slug="alimentation-durable"))
    EstablishmentFactory(actor=gardens, siret="99910001900010")
    coop = ActorFactory(
        name="Coopérative Fictive du Réemploi", siren="999100027", family=Family.COOPERATIVE
    )
    coop.themes.add(ThemeFactory(name="Économie circulaire", slug="economie-circulaire"))
    workshops = ActorFactory(
        name="Ateliers Imaginaires", rna="W999000001", family=Family.ASSOCIATION
    )
    return {"gardens": gardens, "coop": coop, "workshops": workshops}
