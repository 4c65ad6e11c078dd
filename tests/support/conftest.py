"""Support services made directly, for the tests of `serving()` and of the pages (the
import has its own tests). Names are fictitious."""

from __future__ import annotations

import datetime

import pytest

from support.models import NATIONAL_RANK, SupportService, SupportStructure, SupportZone
from territories.models import Territory
from tests.factories import ActorFactory

DAY = datetime.date(2026, 11, 5)


def make_service(name: str, *codes: str, structure: SupportStructure | None = None, **fields):
    """A service whose zone is `codes` ("54528", "200070563", "54", "france")."""
    if structure is None:
        structure = SupportStructure.objects.create(
            source="fictif",
            di_id=f"fictif--{name}",
            name=f"Structure fictive {name}",
            updated_on=DAY,
            file_date=DAY,
        )
    service = SupportService.objects.create(
        source="fictif",
        di_id=f"fictif--{name}--service",
        structure=structure,
        name=name,
        zone_codes=list(codes),
        updated_on=DAY,
        file_date=DAY,
        **fields,
    )
    for code in codes:
        if code == "france":
            SupportZone.objects.create(service=service, code=code, rank=NATIONAL_RANK)
            continue
        kind = {5: "commune", 9: "epci"}.get(len(code), "departement")
        place = Territory.objects.get(kind=kind, code=code)
        SupportZone.objects.create(service=service, code=code, territory=place, rank=place.rank)
    return service


@pytest.fixture
def service_maker(db):
    return make_service


@pytest.fixture
def four_zones(db):
    """Four services covering Toul: by the commune, its EPCI, its département, France."""
    return [
        make_service(
            "Couveuse fictive",
            "54528",
            modes_accueil=["en-presentiel"],
            modes_mobilisation=["telephoner"],
            phone="03 00 00 00 01",
        ),
        make_service(
            "Accompagnement intercommunal fictif",
            "200070563",
            mobilisation_url="https://exemple.invalid/rdv",
            modes_mobilisation=["utiliser-lien-mobilisation"],
        ),
        make_service("Appui départemental fictif", "54", email="appui@exemple.invalid"),
        make_service("Plateforme nationale fictive", "france"),
    ]


@pytest.fixture
def ess_actors(db):
    """An ESS structure with the SIRET of one data·inclusion structure, another with only
    the SIREN of another's SIRET."""
    return {
        "siret": ActorFactory(name="Structure ESS fictive A", siret="98765432100015"),
        "siren": ActorFactory(name="Structure ESS fictive B", siren="123456789"),
    }
