"""A fictitious SIRENE sample, for a demonstration of the panorama and the map on a
directory that has not imported the register (`manage.py load_sirene_sample`).

Stock files in INSEE's layout are written by actors.sirene.synthetic and read by the normal
import, so the sample goes through the same code as the real register. Every structure it
creates is named "[Exemple fictif] …" (its official name, which only the import writes,
keeps the mark), and the run that loaded it reads files named "exemple-fictif-…": the pages
say the sample is there (actors.coverage). It is loaded only into a directory without real
SIRENE data (an import closes the establishments and archives the structures its files do
not hold), and removed whole by `--remove`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from actors.coverage import SAMPLE_FILE_PREFIX, SAMPLE_MARK, is_sample_run, sample_actors
from actors.derived import refresh_derived_data
from actors.models import Actor, Establishment, ImportRun
from actors.sirene import synthetic
from actors.sirene.importer import import_sirene
from core.caching import bump_content_version

# Sample SIRENs: synthetic_siren(SIREN_OFFSET + n), away from the benchmark's.
SIREN_OFFSET = 70_000_000
# (activity, NAF code, INSEE legal category): associations, cooperatives, mutuals,
# foundations, as the register's ESS units are.
ACTIVITIES = (
    ("Association d'aide à domicile", "88.10A", "9220"),
    ("Ressourcerie", "38.32Z", "9220"),
    ("Épicerie solidaire", "47.11F", "9220"),
    ("Crèche associative", "88.91A", "9220"),
    ("Chantier d'insertion", "81.30Z", "9220"),
    ("Restaurant d'insertion", "56.10A", "9220"),
    ("Scop de services", "78.30Z", "5458"),
    ("Coopérative d'énergie citoyenne", "35.11Z", "5560"),
    ("Mutuelle de santé", "65.12Z", "8210"),
    ("Fondation pour l'action sociale", "88.99B", "9300"),
)
# INSEE's employee bands, from none to 50–99.
BANDS = ("NN", "00", "01", "02", "03", "11", "12", "21")
# The metropolitan communes of actors.sirene.synthetic (real town centres, Lambert-93), and
# how the sample's names call them.
COMMUNES = tuple(c for c in synthetic.COMMUNES if not c[0].startswith("97"))
TOWNS = {
    "54395": "Nancy",
    "57463": "Metz",
    "67482": "Strasbourg",
    "51454": "Reims",
    "92050": "Nanterre",
    "75111": "Paris",
    "69381": "Lyon",
    "2A004": "Ajaccio",
    "33063": "Bordeaux",
}
STRUCTURES = 120


class RealDataPresent(Exception):
    """The directory holds real SIRENE data: the sample is not loaded."""


@dataclass
class SampleReport:
    structures: int
    establishments: int
    summary: str


def of(town: str) -> str:
    """ "de Nancy", "d'Ajaccio"."""
    return f"d'{town}" if town[0] in "AEIOUY" else f"de {town}"


def _rows(count: int):
    """The units and establishments of `count` fictitious structures: a head office in one
    of COMMUNES, a branch for one in three (and a second for one in nine), a few hundred
    metres apart."""
    units, establishments = [], []
    for n in range(count):
        activity, naf, category = ACTIVITIES[n % len(ACTIVITIES)]
        code, postal_code, label, x, y = COMMUNES[(n * 7) % len(COMMUNES)]
        siren = synthetic.synthetic_siren(SIREN_OFFSET + n)
        town = TOWNS.get(code, label.title())
        units.append(
            synthetic.unit_row(
                siren,
                denominationUniteLegale=f"{SAMPLE_MARK} {activity} {of(town)} n° {n + 1}",
                categorieJuridiqueUniteLegale=category,
                activitePrincipaleUniteLegale=naf,
                identifiantAssociationUniteLegale="",
                trancheEffectifsUniteLegale=BANDS[n % len(BANDS)],
                nicSiegeUniteLegale=synthetic.synthetic_siret(siren, 0)[9:],
            )
        )
        for rank in range(1 + (n % 3 == 0) + (n % 9 == 0)):
            where = COMMUNES[(n * 7 + rank * 3) % len(COMMUNES)] if rank else None
            code_r, postal_r, label_r, x_r, y_r = where or (code, postal_code, label, x, y)
            # A few hundred metres around the town centre, never twice the same spot.
            dx, dy = (n * 97 + rank * 31) % 1500 - 750, (n * 61 + rank * 43) % 1500 - 750
            establishments.append(
                synthetic.establishment_row(
                    synthetic.synthetic_siret(siren, rank),
                    etablissementSiege="true" if rank == 0 else "false",
                    codeCommuneEtablissement=code_r,
                    codePostalEtablissement=postal_r,
                    libelleCommuneEtablissement=label_r,
                    trancheEffectifsEtablissement=BANDS[(n + rank) % len(BANDS)],
                    activitePrincipaleEtablissement=naf,
                    numeroVoieEtablissement=str(1 + (n + rank) % 120),
                    identifiantAdresseEtablissement="",
                    coordonneeLambertAbscisseEtablissement=f"{float(x_r) + dx:.1f}",
                    coordonneeLambertOrdonneeEtablissement=f"{float(y_r) + dy:.1f}",
                )
            )
    return units, establishments


def real_data_present() -> bool:
    """Whether the directory holds data of the real register: structures an import
    matched, or establishments, that are not the sample's."""
    real_actors = Actor.objects.from_sirene().exclude(pk__in=sample_actors().values("pk"))
    real_establishments = Establishment.objects.exclude(actor__in=sample_actors().values("pk"))
    return real_actors.exists() or real_establishments.exists()


def load_sample(count: int = STRUCTURES) -> SampleReport:
    """Write the sample's stock files and import them (the normal import, which rebuilds
    the derived data). Raises RealDataPresent on a directory holding real SIRENE data."""
    if real_data_present():
        raise RealDataPresent
    units, establishments = _rows(count)
    with tempfile.TemporaryDirectory(prefix="essdir-sample-") as directory:
        units_path = Path(directory) / f"{SAMPLE_FILE_PREFIX}StockUniteLegale_utf8.zip"
        establishments_path = Path(directory) / f"{SAMPLE_FILE_PREFIX}StockEtablissement_utf8.zip"
        synthetic.write_unites_legales(units_path, units)
        synthetic.write_etablissements(establishments_path, establishments)
        report = import_sirene(units=units_path, establishments=establishments_path)
    bump_content_version()
    return SampleReport(
        structures=sample_actors().count(),
        establishments=Establishment.objects.filter(actor__in=sample_actors()).count(),
        summary=report.summary(),
    )


@transaction.atomic
def remove_sample() -> int:
    """Delete the sample's structures (their establishments and places go with them) and
    the record of the runs that loaded it, then rebuild the derived data; returns how many
    structures were deleted."""
    count = 0
    for actor in sample_actors().order_by("pk"):
        actor.delete()
        count += 1
    runs = [
        pk
        for pk, files in ImportRun.objects.filter(kind=ImportRun.Kind.IMPORT).values_list(
            "pk", "files"
        )
        if is_sample_run(files or [])
    ]
    ImportRun.objects.filter(repaired_by__in=runs).update(repaired_by=None)
    ImportRun.objects.filter(pk__in=runs).delete()
    refresh_derived_data()
    bump_content_version()
    return count
