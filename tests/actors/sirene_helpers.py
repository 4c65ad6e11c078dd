"""Helpers of the SIRENE import tests: files in INSEE's layout (actors.sirene.synthetic), two
monthly stocks of one small register, and a snapshot of what an import leaves behind."""

from __future__ import annotations

import json
from pathlib import Path

from actors.models import Actor, ActorPlace, Establishment, MapCell, TerritoryPanorama
from actors.sirene.synthetic import (
    establishment_row,
    synthetic_siren,
    synthetic_siret,
    unit_row,
    write_etablissements,
    write_unites_legales,
)

UNITS_ZIP = "StockUniteLegale_utf8.zip"
ESTABLISHMENTS_ZIP = "StockEtablissement_utf8.zip"

METZ = {
    "codeCommuneEtablissement": "57463",
    "codePostalEtablissement": "57000",
    "libelleCommuneEtablissement": "METZ",
    "coordonneeLambertAbscisseEtablissement": "931775.6",
    "coordonneeLambertOrdonneeEtablissement": "6895716.2",
}
STRASBOURG = {
    "codeCommuneEtablissement": "67482",
    "codePostalEtablissement": "67000",
    "libelleCommuneEtablissement": "STRASBOURG",
    "coordonneeLambertAbscisseEtablissement": "1050362.7",
    "coordonneeLambertOrdonneeEtablissement": "6840899.6",
}
REIMS = {
    "codeCommuneEtablissement": "51454",
    "codePostalEtablissement": "51100",
    "libelleCommuneEtablissement": "REIMS",
    "coordonneeLambertAbscisseEtablissement": "775113.8",
    "coordonneeLambertOrdonneeEtablissement": "6907006.5",
}
NANTERRE = {
    "codeCommuneEtablissement": "92050",
    "codePostalEtablissement": "92000",
    "libelleCommuneEtablissement": "NANTERRE",
}
TOWNS = (METZ, STRASBOURG, REIMS, NANTERRE)


def siret(siren: str, rank: int = 0) -> str:
    return synthetic_siret(siren, rank)


def branch(siren: str, rank: int, **fields) -> dict:
    """A secondary establishment (not the head office), in Nancy unless told."""
    return establishment_row(siret(siren, rank), etablissementSiege="false", **fields)


def write_files(directory: Path, units, establishments) -> dict[str, Path]:
    """Write a StockUniteLegale and a StockEtablissement zip; the import's keyword arguments."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"units": directory / UNITS_ZIP, "establishments": directory / ESTABLISHMENTS_ZIP}
    write_unites_legales(paths["units"], units)
    write_etablissements(paths["establishments"], establishments)
    return paths


def month_one() -> tuple[list[dict], list[dict]]:
    """Twelve associations: a head office each (Nancy, Metz, Strasbourg, Reims, Nanterre in
    turn) and a branch for every other one."""
    units, rows = [], []
    for n in range(1, 13):
        siren = synthetic_siren(n)
        units.append(unit_row(siren))
        town = {} if n % 5 == 0 else TOWNS[n % 4]
        rows.append(establishment_row(siret(siren), **town))
        if n % 2 == 0:
            rows.append(branch(siren, 1, **TOWNS[(n + 1) % 4]))
    return units, rows


def month_two() -> tuple[list[dict], list[dict]]:
    """A month later: unit 3 has ceased, unit 4's branch closed on 2026-03-12, unit 6 was
    renamed, unit 7 moved its head office from Nanterre to a new one in Metz (the old
    one closed on 2026-03-20), unit 8's branch vanished from the file, and eight new units
    (13 to 20) came with their head offices."""
    units, rows = month_one()
    units[2] = unit_row(synthetic_siren(3), etatAdministratifUniteLegale="C")
    units[5] = unit_row(synthetic_siren(6), denominationUniteLegale="NOUVEAU NOM SIX")
    seven = synthetic_siren(7)
    units[6] = unit_row(seven, nicSiegeUniteLegale=siret(seven, 2)[9:])
    changed = []
    for row in rows:
        if row["siren"] == synthetic_siren(3):
            row = {**row, "etatAdministratifEtablissement": "F", "dateDebut": "2026-03-01"}
        elif row["siret"] == siret(synthetic_siren(4), 1):
            row = {**row, "etatAdministratifEtablissement": "F", "dateDebut": "2026-03-12"}
        elif row["siret"] == siret(seven):
            row = {
                **row,
                "etablissementSiege": "false",
                "etatAdministratifEtablissement": "F",
                "dateDebut": "2026-03-20",
            }
        elif row["siret"] == siret(synthetic_siren(8), 1):
            continue
        changed.append(row)
    changed.append(
        establishment_row(siret(seven, 2), dateCreationEtablissement="2026-03-20", **METZ)
    )
    for n in range(13, 21):
        siren = synthetic_siren(n)
        units.append(unit_row(siren))
        changed.append(establishment_row(siret(siren), **TOWNS[n % 4]))
    return units, changed


def _json(value) -> str:
    return json.dumps(value, sort_keys=True)


def snapshot() -> dict[str, list]:
    """What an import leaves that the public sees or reads, by natural keys (no ids, no
    timestamps): structures, establishments, places, panoramas and map cells."""
    actors = sorted(
        Actor.objects.values_list(
            "siren",
            "name",
            "slug",
            "status",
            "territory_id",
            "official_name",
            "legal_category",
            "legal_form",
            "family",
            "naf_code",
            "rna",
            "employees_band",
            "sirene_created_on",
            "sirene_processed_on",
            "sirene_state",
            "search_context",
        )
    )
    establishments = sorted(
        Establishment.objects.values_list(
            "siret",
            "actor__siren",
            "name",
            "address",
            "postal_code",
            "commune_id",
            "commune_code",
            "naf_code",
            "employees_band",
            "is_head_office",
            "created_on",
            "latitude",
            "longitude",
            "is_active",
            "closed_on",
        )
    )
    places = sorted(ActorPlace.objects.values_list("actor__siren", "territory_id"))
    panoramas = sorted(
        (
            row[0] or 0,
            *row[1:4],
            _json(row[4]),
            _json(row[5]),
            _json(row[6]),
        )
        for row in TerritoryPanorama.objects.values_list(
            "territory_id",
            "structures",
            "establishments",
            "employer_establishments",
            "by_family",
            "by_section",
            "by_size",
        )
    )
    cells = sorted(MapCell.objects.values_list("gx", "gy", "count", "lon", "lat"))
    return {
        "actors": actors,
        "establishments": establishments,
        "places": places,
        "panoramas": panoramas,
        "cells": cells,
    }


def wipe() -> None:
    """Empty what the imports wrote, to run another scenario in the same test."""
    from actors.models import ImportRun

    for model in (ImportRun, MapCell, TerritoryPanorama, ActorPlace, Establishment):
        model.objects.all().delete()
    Actor.objects.all().delete()
