"""Synthetic SIRENE stock files in INSEE's exact layout, for tests and benchmarks.

The headers below are the full official ones (StockUniteLegale and StockEtablissement as
published on data.gouv.fr since the 2025 NAF columns were added, and the
"Géolocalisation des établissements du répertoire Sirene pour les études statistiques"
file), columns we never read included, so that the reader is exercised on files that look
real. Every identifier is fictitious but passes the Luhn check, and rows are streamed:
millions of rows can be written without holding them in memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

UNITE_LEGALE_COLUMNS: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

ETABLISSEMENT_COLUMNS: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
)

# The geolocation file is the only one of the three that INSEE separates with ";".
GEOLOCALISATION_COLUMNS: tuple[str, ...] = (
    "siret",
    "x",
    "y",
    "qualite_xy",
    "epsg",
    "plg_qp",
    "plg_iris",
    "plg_zus",
    "plg_qva",
    "plg_code_commune",
    "distance_precision",
    "qualite_qp",
    "qualite_iris",
    "qualite_zus",
    "qualite_qva",
    "y_latitude",
    "x_longitude",
)

# Real communes (code, postal code, label, x, y of the town centre), so that
# generated establishments spread over several départements, Corsica and overseas included.
COMMUNES: tuple[tuple[str, str, str, str, str], ...] = (
    ("54395", "54000", "NANCY", "934244.7", "6848450.4"),
    ("57463", "57000", "METZ", "931775.6", "6895716.2"),
    ("67482", "67000", "STRASBOURG", "1050362.7", "6840899.6"),
    ("51454", "51100", "REIMS", "775113.8", "6907006.5"),
    ("92050", "92000", "NANTERRE", "641848.2", "6866113.2"),
    ("75111", "75011", "PARIS 11", "654510.8", "6862274.6"),
    ("69381", "69001", "LYON 1ER ARRONDISSEMENT", "842556.4", "6520321.7"),
    ("2A004", "20000", "AJACCIO", "1176667.6", "6108273.3"),
    ("33063", "33000", "BORDEAUX", "417241.5", "6421813.3"),
    # Overseas, INSEE gives the coordinates in the local UTM projection (here EPSG:2975).
    ("97411", "97400", "SAINT-DENIS", "338568.3", "7690475.4"),
)

_ESS_CATEGORIES = ("9220", "9220", "9220", "9220", "5458", "8210", "9300", "5710", "6317")
_OTHER_CATEGORIES = ("5710", "5499", "5710", "1000", "5720", "6540", "9220")
_NAF_CODES = ("88.99B", "94.99Z", "85.59A", "56.10A", "47.11F", "62.01Z", "90.01Z")
_STREETS = (
    ("RUE", "DE LA PAIX"),
    ("AV", "DU GENERAL DE GAULLE"),
    ("BD", "JEAN JAURES"),
    ("PL", "DE L'EGLISE"),
    ("CHE", "DES VIGNES"),
    ("RTE", "DE PARIS"),
)

# Knuth's multiplicative hash spreads consecutive indexes evenly over [0, 2**32).
_HASH_FACTOR = 2654435761


def luhn_check_digit(prefix: str) -> str:
    """Return the digit that makes `prefix + digit` pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(prefix)):
        value = int(char)
        # Once the check digit is appended, these positions are the doubled ones.
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def synthetic_siren(index: int) -> str:
    """A Luhn-valid fictitious SIREN, distinct for each index below 90 million."""
    prefix = f"{10_000_000 + index:08d}"
    return prefix + luhn_check_digit(prefix)


def synthetic_siret(siren: str, rank: int) -> str:
    """A Luhn-valid SIRET for the establishment number `rank` (0-based) of `siren`."""
    prefix = f"{siren}{rank + 1:04d}"
    return prefix + luhn_check_digit(prefix)


def synthetic_is_ess(index: int, ess_share: float) -> bool:
    """Whether the unit number `index` is flagged ESS; deterministic, about `ess_share`."""
    return ((index * _HASH_FACTOR) & 0xFFFFFFFF) < ess_share * 0x1_0000_0000


def unit_row(siren: str, **fields: str) -> dict[str, str]:
    """A StockUniteLegale row for an active, diffusible ESS association, with overrides."""
    row = {
        "siren": siren,
        "statutDiffusionUniteLegale": "O",
        "unitePurgeeUniteLegale": "",
        "dateCreationUniteLegale": "2001-09-15",
        "sigleUniteLegale": "",
        "identifiantAssociationUniteLegale": "W543001234",
        "trancheEffectifsUniteLegale": "11",
        "anneeEffectifsUniteLegale": "2023",
        "dateDernierTraitementUniteLegale": "2024-03-22T14:22:10.000",
        "nombrePeriodesUniteLegale": "2",
        "categorieEntreprise": "PME",
        "anneeCategorieEntreprise": "2022",
        "dateDebut": "2008-01-01",
        "etatAdministratifUniteLegale": "A",
        "denominationUniteLegale": f"ASSOCIATION FICTIVE {siren}",
        "categorieJuridiqueUniteLegale": "9220",
        "activitePrincipaleUniteLegale": "88.99B",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "nicSiegeUniteLegale": "00013",
        "economieSocialeSolidaireUniteLegale": "O",
        "societeMissionUniteLegale": "N",
        "caractereEmployeurUniteLegale": "O",
        "activitePrincipaleNAF25UniteLegale": "88.99Y",
    }
    row.update(fields)
    return row


def establishment_row(siret: str, **fields: str) -> dict[str, str]:
    """A StockEtablissement row for an active head office in Nancy, with overrides."""
    row = {
        "siren": siret[:9],
        "nic": siret[9:],
        "siret": siret,
        "statutDiffusionEtablissement": "O",
        "dateCreationEtablissement": "2001-09-15",
        "trancheEffectifsEtablissement": "11",
        "anneeEffectifsEtablissement": "2023",
        "dateDernierTraitementEtablissement": "2024-03-22T14:22:10.000",
        "etablissementSiege": "true",
        "nombrePeriodesEtablissement": "1",
        "numeroVoieEtablissement": "12",
        "indiceRepetitionEtablissement": "B",
        "typeVoieEtablissement": "RUE",
        "libelleVoieEtablissement": "DE LA PAIX",
        "codePostalEtablissement": "54000",
        "libelleCommuneEtablissement": "NANCY",
        "codeCommuneEtablissement": "54395",
        "identifiantAdresseEtablissement": "54395_1234_00012",
        "coordonneeLambertAbscisseEtablissement": "934244.7",
        "coordonneeLambertOrdonneeEtablissement": "6848450.4",
        "dateDebut": "2001-09-15",
        "etatAdministratifEtablissement": "A",
        "activitePrincipaleEtablissement": "88.99B",
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "caractereEmployeurEtablissement": "O",
        "activitePrincipaleNAF25Etablissement": "88.99Y",
    }
    row.update(fields)
    return row


def geolocation_row(siret: str, longitude: str, latitude: str, **fields: str) -> dict[str, str]:
    """A geolocation row (WGS 84 `x_longitude` / `y_latitude`), with overrides."""
    row = {
        "siret": siret,
        "qualite_xy": "11",
        "epsg": "2154",
        "x_longitude": longitude,
        "y_latitude": latitude,
    }
    row.update(fields)
    return row


def generate_units(count: int, *, ess_share: float = 0.02, start: int = 0) -> Iterator[dict]:
    """Stream `count` fictitious StockUniteLegale rows; about `ess_share` are flagged ESS.

    Unit `index` has SIREN `synthetic_siren(index)`; one unit in ten has ceased.
    """
    for index in range(start, start + count):
        siren = synthetic_siren(index)
        ess = synthetic_is_ess(index, ess_share)
        categories = _ESS_CATEGORIES if ess else _OTHER_CATEGORIES
        category = categories[index % len(categories)]
        natural_person = category == "1000"
        yield {
            "siren": siren,
            "statutDiffusionUniteLegale": "P" if index % 50 == 7 else "O",
            "dateCreationUniteLegale": f"{1950 + index % 70}-0{1 + index % 9}-1{index % 10}",
            "identifiantAssociationUniteLegale": f"W{index % 1_000_000_000:09d}"
            if category.startswith("92")
            else "",
            "trancheEffectifsUniteLegale": ("NN", "01", "11", "21")[index % 4],
            "dateDernierTraitementUniteLegale": "2024-03-22T14:22:10.000",
            "nombrePeriodesUniteLegale": "1",
            "dateDebut": "2008-01-01",
            "etatAdministratifUniteLegale": "C" if index % 10 == 9 else "A",
            "nomUniteLegale": "DURAND" if natural_person else "",
            "prenom1UniteLegale": "CLAIRE" if natural_person else "",
            "denominationUniteLegale": "" if natural_person else f"STRUCTURE FICTIVE {index}",
            "categorieJuridiqueUniteLegale": category,
            "activitePrincipaleUniteLegale": _NAF_CODES[index % len(_NAF_CODES)],
            "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
            "nicSiegeUniteLegale": synthetic_siret(siren, 0)[9:],
            "economieSocialeSolidaireUniteLegale": "O" if ess else "N",
            "caractereEmployeurUniteLegale": "N",
        }


def generate_establishments(
    count: int, *, ess_share: float = 0.02, per_unit: int = 2, start: int = 0
) -> Iterator[dict]:
    """Stream `count` fictitious StockEtablissement rows, `per_unit` per unit.

    Establishment `number` belongs to unit `number // per_unit` of `generate_units`, so
    about `ess_share` of the rows belong to ESS units; one in eight is closed.
    """
    for number in range(start, start + count):
        index, rank = divmod(number, per_unit)
        siren = synthetic_siren(index)
        siret = synthetic_siret(siren, rank)
        commune, postal_code, label, x, y = COMMUNES[number % len(COMMUNES)]
        street_type, street = _STREETS[number % len(_STREETS)]
        masked = number % 50 == 7
        yield {
            "siren": siren,
            "nic": siret[9:],
            "siret": siret,
            "statutDiffusionEtablissement": "P" if masked else "O",
            "dateCreationEtablissement": "2001-09-15",
            "trancheEffectifsEtablissement": ("NN", "01", "11", "21")[number % 4],
            "dateDernierTraitementEtablissement": "2024-03-22T14:22:10.000",
            "etablissementSiege": "true" if rank == 0 else "false",
            "nombrePeriodesEtablissement": "1",
            "numeroVoieEtablissement": "[ND]" if masked else str(1 + number % 120),
            "typeVoieEtablissement": "[ND]" if masked else street_type,
            "libelleVoieEtablissement": "[ND]" if masked else street,
            "codePostalEtablissement": postal_code,
            "libelleCommuneEtablissement": label,
            "codeCommuneEtablissement": commune,
            "coordonneeLambertAbscisseEtablissement": "[ND]" if masked else x,
            "coordonneeLambertOrdonneeEtablissement": "[ND]" if masked else y,
            "dateDebut": "2001-09-15",
            "etatAdministratifEtablissement": "F" if number % 8 == 5 else "A",
            "enseigne1Etablissement": f"ENSEIGNE {number}" if number % 3 == 0 else "",
            "activitePrincipaleEtablissement": _NAF_CODES[number % len(_NAF_CODES)],
            "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
            "caractereEmployeurEtablissement": "N",
        }


def write_unites_legales(
    path: str | Path,
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Sequence[str] = UNITE_LEGALE_COLUMNS,
    zipped: bool | None = None,
) -> int:
    """Write a StockUniteLegale file (zipped when the name ends in .zip); return the row count."""
    return write_stock(path, rows, columns=columns, official=UNITE_LEGALE_COLUMNS, zipped=zipped)


def write_etablissements(
    path: str | Path,
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Sequence[str] = ETABLISSEMENT_COLUMNS,
    zipped: bool | None = None,
) -> int:
    """Write a StockEtablissement file (zipped when the name ends in .zip); return the row count."""
    return write_stock(path, rows, columns=columns, official=ETABLISSEMENT_COLUMNS, zipped=zipped)


def write_geolocalisation(
    path: str | Path,
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Sequence[str] = GEOLOCALISATION_COLUMNS,
    zipped: bool | None = None,
) -> int:
    """Write a ";"-separated geolocation file like INSEE's; return the row count."""
    return write_stock(
        path,
        rows,
        columns=columns,
        official=GEOLOCALISATION_COLUMNS,
        zipped=zipped,
        delimiter=";",
    )


def write_stock(
    path: str | Path,
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Sequence[str],
    official: Sequence[str] = (),
    zipped: bool | None = None,
    delimiter: str = ",",
) -> int:
    """Stream `rows` to a CSV with the header `columns`, inside a zip when asked.

    Missing keys are written empty. Keys of the `official` header that `columns` leaves
    out are dropped, which lets a test write a file lacking a column; any other unknown
    key raises ValueError, to catch typos in test data.
    """
    path = Path(path)
    if zipped is None:
        zipped = path.suffix.lower() == ".zip"
    known = frozenset(columns) | frozenset(official)
    if zipped:
        # INSEE's archives hold a single CSV named like the archive.
        with (
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            archive.open(path.stem + ".csv", "w", force_zip64=True) as member,
            io.TextIOWrapper(member, encoding="utf-8", newline="") as text,
        ):
            return _write_rows(text, rows, columns, known, delimiter)
    with path.open("w", encoding="utf-8", newline="") as text:
        return _write_rows(text, rows, columns, known, delimiter)


def _write_rows(text, rows, columns, known, delimiter) -> int:
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        unknown = row.keys() - known
        if unknown:
            raise ValueError(f"Unknown SIRENE columns: {', '.join(sorted(unknown))}")
        writer.writerow([row.get(column, "") for column in columns])
        count += 1
    return count
