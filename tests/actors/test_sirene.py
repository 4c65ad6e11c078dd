"""The SIRENE stock reader, on files written in INSEE's layout by actors.sirene.synthetic."""

import struct
import zipfile
from collections import Counter
from datetime import date

import pytest
from pyproj import Transformer

from actors.sirene import (
    Area,
    Coordinates,
    Establishment,
    ReadReport,
    RowError,
    SireneFormatError,
    Unit,
    ess_family,
    legal_category_label,
    naf_label,
    read_establishments,
    read_geolocation,
    read_units,
    synthetic,
)
from actors.sirene.reader import departement_of_commune
from actors.sirene.synthetic import (
    establishment_row,
    geolocation_row,
    synthetic_siren,
    synthetic_siret,
    unit_row,
    write_etablissements,
    write_geolocalisation,
    write_unites_legales,
)
from actors.sirene.values import format_street_address, is_valid_siren, is_valid_siret, to_wgs84

UNITS_CSV = "StockUniteLegale_utf8.csv"
UNITS_ZIP = "StockUniteLegale_utf8.zip"
ESTABLISHMENTS_CSV = "StockEtablissement_utf8.csv"
ESTABLISHMENTS_ZIP = "StockEtablissement_utf8.zip"
GEOLOCATION_ZIP = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip"

SIREN_A = synthetic_siren(1)
SIREN_B = synthetic_siren(2)
SIREN_C = synthetic_siren(3)


def lambert93(x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) rounded to 6 decimals, computed here without the reader."""
    longitude, latitude = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(
        x, y
    )
    return round(latitude, 6), round(longitude, 6)


def read_all_units(path) -> tuple[list[Unit], ReadReport]:
    report = ReadReport()
    return list(read_units(path, report=report)), report


def read_all_establishments(path, units, **options) -> tuple[list[Establishment], ReadReport]:
    report = ReadReport()
    return list(read_establishments(path, units=units, report=report, **options)), report


# Units


def test_read_units_keeps_only_active_ess_legal_persons(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(synthetic_siren(1)),
            unit_row(synthetic_siren(2), economieSocialeSolidaireUniteLegale="N"),
            unit_row(synthetic_siren(3), etatAdministratifUniteLegale="C"),
            unit_row(
                synthetic_siren(4),
                categorieJuridiqueUniteLegale="1000",
                denominationUniteLegale="",
                nomUniteLegale="DURAND",
                prenom1UniteLegale="CLAIRE",
            ),
            unit_row(synthetic_siren(5), categorieJuridiqueUniteLegale="5458"),
            unit_row(synthetic_siren(6), economieSocialeSolidaireUniteLegale=""),
        ],
    )

    units, report = read_all_units(path)

    assert [unit.siren for unit in units] == [synthetic_siren(1), synthetic_siren(5)]
    assert report.files[UNITS_CSV].scanned == 6
    assert report.files[UNITS_CSV].kept == 2
    assert report.files[UNITS_CSV].skipped == Counter(
        {"non ESS": 2, "cessée": 1, "personne physique": 1}
    )
    assert report.errors == []


def test_read_units_builds_every_field(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(
                SIREN_A,
                denominationUniteLegale="LES JARDINS DE COCAGNE",
                sigleUniteLegale="JDC",
                identifiantAssociationUniteLegale="W543001234",
                categorieJuridiqueUniteLegale="9220",
                activitePrincipaleUniteLegale="88.99B",
                dateCreationUniteLegale="1998-04-01",
                trancheEffectifsUniteLegale="12",
                nicSiegeUniteLegale="00021",
                dateDernierTraitementUniteLegale="2024-05-02T09:10:11.000",
            )
        ],
    )

    units, _ = read_all_units(path)

    assert units == [
        Unit(
            siren=SIREN_A,
            name="LES JARDINS DE COCAGNE",
            acronym="JDC",
            legal_category="9220",
            ess_family="association",
            naf_code="88.99B",
            rna="W543001234",
            created_on=date(1998, 4, 1),
            employees_band="12",
            head_office_nic="00021",
            updated_at="2024-05-02T09:10:11.000",
        )
    ]


def test_read_units_family_from_legal_category(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(SIREN_A, categorieJuridiqueUniteLegale="9220"),
            unit_row(SIREN_B, categorieJuridiqueUniteLegale="5458"),
            unit_row(SIREN_C, categorieJuridiqueUniteLegale="5710"),
        ],
    )

    units, _ = read_all_units(path)

    assert [unit.ess_family for unit in units] == ["association", "cooperative", "entreprise_ess"]


def test_ess_family_known_and_unknown_categories():
    assert ess_family("9220") == "association"
    assert ess_family("5458") == "cooperative"
    assert ess_family("8210") == "mutuelle"
    assert ess_family("9300") == "fondation"
    assert ess_family("5710") == "entreprise_ess"
    assert ess_family("0000") == "entreprise_ess"


def test_legal_category_label_known_code():
    assert legal_category_label("9220") == "Association déclarée"
    assert legal_category_label("0000") == ""


def test_read_units_partial_diffusion_masks_become_empty(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(
                SIREN_A,
                statutDiffusionUniteLegale="P",
                sigleUniteLegale="[ND]",
                identifiantAssociationUniteLegale="[ND]",
                dateCreationUniteLegale="[ND]",
                trancheEffectifsUniteLegale="[ND]",
            )
        ],
    )

    units, _ = read_all_units(path)

    assert [(u.name, u.acronym, u.rna, u.created_on, u.employees_band) for u in units] == [
        (f"ASSOCIATION FICTIVE {SIREN_A}", "", "", None, "")
    ]


def test_read_units_partial_diffusion_without_name_is_not_disclosed(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(
                SIREN_A,
                statutDiffusionUniteLegale="P",
                denominationUniteLegale="[ND]",
                sigleUniteLegale="[ND]",
            ),
            unit_row(
                SIREN_B,
                statutDiffusionUniteLegale="P",
                denominationUniteLegale="[ND]",
                denominationUsuelle1UniteLegale="LA RESSOURCERIE",
            ),
        ],
    )

    units, report = read_all_units(path)

    assert [(unit.siren, unit.name) for unit in units] == [(SIREN_B, "LA RESSOURCERIE")]
    assert report.files[UNITS_CSV].skipped == Counter({"non diffusible": 1})


def test_read_units_malformed_siren_is_reported_and_reading_goes_on(tmp_path):
    path = tmp_path / UNITS_CSV
    bad_checksum = SIREN_B[:8] + str((int(SIREN_B[8]) + 1) % 10)
    write_unites_legales(
        path,
        [
            unit_row(SIREN_A),
            unit_row(bad_checksum),
            unit_row("12345678"),
            unit_row(SIREN_C),
        ],
    )

    units, report = read_all_units(path)

    assert [unit.siren for unit in units] == [SIREN_A, SIREN_C]
    assert report.files[UNITS_CSV].skipped == Counter({"ligne invalide": 2})
    assert report.errors == [
        RowError(UNITS_CSV, 3, f"SIREN invalide : « {bad_checksum} »"),
        RowError(UNITS_CSV, 4, "SIREN invalide : « 12345678 »"),
    ]
    assert str(report.errors[1]) == f"{UNITS_CSV}, ligne 4 : SIREN invalide : « 12345678 »"


def test_read_units_zip_and_plain_csv_give_the_same_units(tmp_path):
    rows = list(synthetic.generate_units(300, ess_share=0.3))
    write_unites_legales(tmp_path / UNITS_CSV, rows)
    write_unites_legales(tmp_path / UNITS_ZIP, rows)

    from_csv, csv_report = read_all_units(tmp_path / UNITS_CSV)
    from_zip, zip_report = read_all_units(tmp_path / UNITS_ZIP)

    assert from_zip == from_csv
    assert zip_report.files[UNITS_ZIP] == csv_report.files[UNITS_CSV]
    assert zip_report.files[UNITS_ZIP].scanned == 300


def test_read_units_extra_unknown_columns_are_ignored(tmp_path):
    columns = list(synthetic.UNITE_LEGALE_COLUMNS)
    columns.insert(3, "nouvelleColonneInsee")
    columns.append("autreColonne")
    write_unites_legales(
        tmp_path / UNITS_CSV,
        [unit_row(SIREN_A, nouvelleColonneInsee="X,Y", autreColonne="Z")],
        columns=columns,
    )
    write_unites_legales(tmp_path / "reference.csv", [unit_row(SIREN_A)])

    units, _ = read_all_units(tmp_path / UNITS_CSV)
    reference, _ = read_all_units(tmp_path / "reference.csv")

    assert units == reference
    assert len(units) == 1


def test_read_units_missing_column_raises_naming_the_file(tmp_path):
    columns = [
        c for c in synthetic.UNITE_LEGALE_COLUMNS if c != "economieSocialeSolidaireUniteLegale"
    ]
    write_unites_legales(tmp_path / UNITS_ZIP, [unit_row(SIREN_A)], columns=columns)

    with pytest.raises(SireneFormatError) as caught:
        list(read_units(tmp_path / UNITS_ZIP, report=ReadReport()))

    assert str(caught.value) == (
        "Le fichier StockUniteLegale_utf8.zip n'est pas un stock SIRENE des unités légales : "
        "colonnes manquantes : economieSocialeSolidaireUniteLegale."
    )
    assert caught.value.file_name == UNITS_ZIP


def test_read_units_empty_file_raises(tmp_path):
    (tmp_path / UNITS_CSV).write_bytes(b"")

    with pytest.raises(SireneFormatError) as caught:
        list(read_units(tmp_path / UNITS_CSV, report=ReadReport()))

    assert str(caught.value) == "Le fichier StockUniteLegale_utf8.csv est vide."


def test_read_units_truncated_zip_raises_with_line(tmp_path):
    path = tmp_path / UNITS_ZIP
    write_unites_legales(path, synthetic.generate_units(500, ess_share=0.5))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(SireneFormatError) as caught:
        list(read_units(path, report=ReadReport()))

    assert str(caught.value) == (
        "Le fichier StockUniteLegale_utf8.zip est une archive zip tronquée ou corrompue "
        "(lecture interrompue à la ligne 1)."
    )
    assert caught.value.line == 1


def test_read_establishments_corrupt_zip_raises_with_line(tmp_path):
    path = tmp_path / ESTABLISHMENTS_ZIP
    write_etablissements(path, [establishment_row(synthetic_siret(SIREN_A, 0))])
    # Spoil the CRC-32 recorded in the central directory: the data no longer matches it.
    data = bytearray(path.read_bytes())
    entry = data.rindex(b"PK\x01\x02")
    (crc,) = struct.unpack_from("<I", data, entry + 16)
    struct.pack_into("<I", data, entry + 16, crc ^ 0xFFFFFFFF)
    path.write_bytes(bytes(data))

    with pytest.raises(SireneFormatError) as caught:
        list(read_establishments(path, units={SIREN_A}, report=ReadReport()))

    assert str(caught.value) == (
        "Le fichier StockEtablissement_utf8.zip est une archive zip tronquée ou corrompue "
        "(lecture interrompue à la ligne 1)."
    )


def test_read_units_zip_with_two_csv_raises(tmp_path):
    path = tmp_path / UNITS_ZIP
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "siren\n")
        archive.writestr("b.csv", "siren\n")

    with pytest.raises(SireneFormatError) as caught:
        list(read_units(path, report=ReadReport()))

    assert str(caught.value) == (
        "L'archive StockUniteLegale_utf8.zip doit contenir un seul fichier CSV ; "
        "elle en contient 2."
    )


def test_read_units_non_utf8_raises_with_line(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(
        path,
        [
            unit_row(SIREN_A),
            unit_row(SIREN_B),
            unit_row(SIREN_C, denominationUniteLegale="ÉCOLE DES PARENTS"),
        ],
    )
    path.write_bytes(path.read_bytes().replace("É".encode(), "É".encode("latin-1")))

    with pytest.raises(SireneFormatError) as caught:
        list(read_units(path, report=ReadReport()))

    assert str(caught.value) == (
        "Le fichier StockUniteLegale_utf8.csv n'est pas encodé en UTF-8 "
        "(octet invalide à la ligne 4)."
    )
    assert caught.value.line == 4


def test_read_establishments_non_utf8_far_in_a_zip_raises_with_line(tmp_path):
    # Far enough for the bad byte to sit in a later chunk than the first rows read.
    rows = [establishment_row(synthetic_siret(SIREN_A, rank)) for rank in range(800)]
    rows[700] = establishment_row(
        synthetic_siret(SIREN_A, 700), libelleVoieEtablissement="DE L'ÉGLISE"
    )
    plain = tmp_path / ESTABLISHMENTS_CSV
    write_etablissements(plain, rows)
    latin = plain.read_bytes().replace("É".encode(), "É".encode("latin-1"))
    path = tmp_path / ESTABLISHMENTS_ZIP
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ESTABLISHMENTS_CSV, latin)

    report = ReadReport()
    read = []
    with pytest.raises(SireneFormatError) as caught:
        for establishment in read_establishments(path, units={SIREN_A}, report=report):
            read.append(establishment)

    assert str(caught.value) == (
        "Le fichier StockEtablissement_utf8.zip n'est pas encodé en UTF-8 "
        "(octet invalide à la ligne 702)."
    )
    assert caught.value.line == 702
    assert read[0].siret == synthetic_siret(SIREN_A, 0)


# Establishments


def test_read_establishments_builds_every_field(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    siret = synthetic_siret(SIREN_A, 0)
    write_etablissements(
        path,
        [
            establishment_row(
                siret,
                enseigne1Etablissement="JARDIN DU CŒUR",
                denominationUsuelleEtablissement="JARDINS",
                numeroVoieEtablissement="12",
                indiceRepetitionEtablissement="B",
                typeVoieEtablissement="RUE",
                libelleVoieEtablissement="DE LA PAIX",
                complementAdresseEtablissement="BATIMENT A",
                codePostalEtablissement="54000",
                libelleCommuneEtablissement="NANCY",
                codeCommuneEtablissement="54395",
                activitePrincipaleEtablissement="81.30Z",
                trancheEffectifsEtablissement="03",
                etablissementSiege="true",
                dateCreationEtablissement="2010-06-30",
                coordonneeLambertAbscisseEtablissement="934244.7",
                coordonneeLambertOrdonneeEtablissement="6848450.4",
                dateDernierTraitementEtablissement="2024-01-05T10:00:00.000",
            )
        ],
    )

    establishments, report = read_all_establishments(path, {SIREN_A})

    latitude, longitude = lambert93(934244.7, 6848450.4)
    assert establishments == [
        Establishment(
            siret=siret,
            siren=SIREN_A,
            nic=siret[9:],
            name="JARDIN DU CŒUR",
            address="12 bis rue de la Paix",
            address_complement="BATIMENT A",
            postal_code="54000",
            commune_code="54395",
            commune_label="NANCY",
            naf_code="81.30Z",
            employees_band="03",
            is_head_office=True,
            created_on=date(2010, 6, 30),
            latitude=latitude,
            longitude=longitude,
            updated_at="2024-01-05T10:00:00.000",
        )
    ]
    assert report.files[ESTABLISHMENTS_CSV].kept == 1


def test_read_establishments_keeps_active_ones_of_kept_units(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    write_etablissements(
        path,
        [
            establishment_row(synthetic_siret(SIREN_A, 0)),
            establishment_row(
                synthetic_siret(SIREN_A, 1),
                etatAdministratifEtablissement="F",
                etablissementSiege="false",
            ),
            establishment_row(synthetic_siret(SIREN_B, 0)),
            establishment_row(
                synthetic_siret(SIREN_A, 2),
                etablissementSiege="false",
                enseigne1Etablissement="",
                denominationUsuelleEtablissement="ANTENNE SUD",
            ),
        ],
    )
    units, _ = read_all_units(_units_file(tmp_path, [unit_row(SIREN_A)]))

    establishments, report = read_all_establishments(path, {unit.siren: unit for unit in units})

    assert [(e.siret, e.is_head_office, e.name) for e in establishments] == [
        (synthetic_siret(SIREN_A, 0), True, ""),
        (synthetic_siret(SIREN_A, 2), False, "ANTENNE SUD"),
    ]
    assert report.files[ESTABLISHMENTS_CSV].scanned == 4
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"fermé": 1, "non ESS": 1})


def test_read_establishments_partial_diffusion_masks_become_empty(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    masked = dict.fromkeys(
        (
            "enseigne1Etablissement",
            "denominationUsuelleEtablissement",
            "numeroVoieEtablissement",
            "indiceRepetitionEtablissement",
            "typeVoieEtablissement",
            "libelleVoieEtablissement",
            "complementAdresseEtablissement",
            "coordonneeLambertAbscisseEtablissement",
            "coordonneeLambertOrdonneeEtablissement",
        ),
        "[ND]",
    )
    write_etablissements(
        path,
        [
            establishment_row(
                synthetic_siret(SIREN_A, 0), statutDiffusionEtablissement="P", **masked
            ),
            establishment_row(
                synthetic_siret(SIREN_A, 1),
                statutDiffusionEtablissement="P",
                codeCommuneEtablissement="[ND]",
                codePostalEtablissement="[ND]",
                **masked,
            ),
        ],
    )

    establishments, report = read_all_establishments(path, {SIREN_A})

    assert [
        (e.name, e.address, e.address_complement, e.commune_code, e.latitude, e.longitude)
        for e in establishments
    ] == [("", "", "", "54395", None, None)]
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"non diffusible": 1})


def test_read_establishments_malformed_siret_is_reported_and_reading_goes_on(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    good = synthetic_siret(SIREN_A, 0)
    bad_checksum = good[:13] + str((int(good[13]) + 1) % 10)
    other_nic = synthetic_siret(SIREN_A, 1)
    write_etablissements(
        path,
        [
            establishment_row(good),
            establishment_row(bad_checksum),
            establishment_row(other_nic, nic="00099"),
            establishment_row(synthetic_siret(SIREN_A, 2)),
        ],
    )
    with path.open("a", encoding="utf-8", newline="") as file:
        file.write(f"{SIREN_A},00049,{SIREN_A}00049\n")
        file.write(establishment_csv_line(synthetic_siret(SIREN_A, 3)))

    establishments, report = read_all_establishments(path, {SIREN_A})

    assert [e.siret for e in establishments] == [
        good,
        synthetic_siret(SIREN_A, 2),
        synthetic_siret(SIREN_A, 3),
    ]
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"ligne invalide": 3})
    assert report.errors == [
        RowError(ESTABLISHMENTS_CSV, 3, f"SIRET invalide : « {bad_checksum} »"),
        RowError(ESTABLISHMENTS_CSV, 4, f"SIRET invalide : « {other_nic} »"),
        RowError(ESTABLISHMENTS_CSV, 6, "3 champs au lieu de 54"),
    ]


def test_read_establishments_multiline_fields_keep_line_numbers(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    kept = synthetic_siret(SIREN_A, 0)
    valid = synthetic_siret(SIREN_A, 1)
    bad = valid[:13] + str((int(valid[13]) + 1) % 10)
    write_etablissements(
        path,
        [
            establishment_row(
                synthetic_siret(SIREN_B, 0), complementAdresseEtablissement='A\n"B"\nC'
            ),
            establishment_row(kept, complementAdresseEtablissement="BAT 2\nESCALIER 3"),
            establishment_row(bad),
        ],
    )

    establishments, report = read_all_establishments(path, {SIREN_A})

    assert [(e.siret, e.address_complement) for e in establishments] == [
        (kept, "BAT 2\nESCALIER 3")
    ]
    assert [error.line for error in report.errors] == [7]
    assert report.files[ESTABLISHMENTS_CSV].scanned == 3
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"non ESS": 1, "ligne invalide": 1})


def test_read_establishments_zip_and_plain_csv_give_the_same_establishments(tmp_path):
    rows = list(synthetic.generate_establishments(400, ess_share=0.3))
    write_etablissements(tmp_path / ESTABLISHMENTS_CSV, rows)
    write_etablissements(tmp_path / ESTABLISHMENTS_ZIP, rows)
    units = {synthetic_siren(i) for i in range(200) if synthetic.synthetic_is_ess(i, 0.3)}

    from_csv, csv_report = read_all_establishments(tmp_path / ESTABLISHMENTS_CSV, units)
    from_zip, zip_report = read_all_establishments(tmp_path / ESTABLISHMENTS_ZIP, units)

    assert from_zip == from_csv
    assert zip_report.files[ESTABLISHMENTS_ZIP] == csv_report.files[ESTABLISHMENTS_CSV]
    assert zip_report.files[ESTABLISHMENTS_ZIP].scanned == 400


def test_read_establishments_extra_columns_and_other_order(tmp_path):
    columns = list(reversed(synthetic.ETABLISSEMENT_COLUMNS))
    columns.insert(10, "colonneAjoutee")
    siret = synthetic_siret(SIREN_A, 0)
    write_etablissements(
        tmp_path / ESTABLISHMENTS_CSV,
        [
            establishment_row(siret, colonneAjoutee="1"),
            establishment_row(synthetic_siret(SIREN_B, 0)),
        ],
        columns=columns,
    )
    write_etablissements(tmp_path / "reference.csv", [establishment_row(siret)])

    establishments, report = read_all_establishments(tmp_path / ESTABLISHMENTS_CSV, {SIREN_A})
    reference, _ = read_all_establishments(tmp_path / "reference.csv", {SIREN_A})

    assert establishments == reference
    assert len(establishments) == 1
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"non ESS": 1})


def test_read_establishments_missing_columns_raise_naming_the_file(tmp_path):
    columns = [
        c for c in synthetic.ETABLISSEMENT_COLUMNS if c not in ("siret", "etablissementSiege")
    ]
    write_etablissements(tmp_path / ESTABLISHMENTS_CSV, [], columns=columns)

    with pytest.raises(SireneFormatError) as caught:
        list(read_establishments(tmp_path / ESTABLISHMENTS_CSV, units={}, report=ReadReport()))

    assert str(caught.value) == (
        "Le fichier StockEtablissement_utf8.csv n'est pas un stock SIRENE des établissements : "
        "colonnes manquantes : siret, etablissementSiege."
    )


def test_read_establishments_departement_filter(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    communes = ["54395", "57463", "2A004", "97411", "75111", ""]
    write_etablissements(
        path,
        [
            establishment_row(synthetic_siret(SIREN_A, rank), codeCommuneEtablissement=commune)
            for rank, commune in enumerate(communes)
        ],
    )
    area = Area(departements={"54", "2A", "974", "75"})

    establishments, report = read_all_establishments(path, {SIREN_A}, area=area)

    assert [e.commune_code for e in establishments] == ["54395", "2A004", "97411", "75111"]
    assert report.files[ESTABLISHMENTS_CSV].skipped == Counter({"hors zone": 2})


def test_read_establishments_region_filter_with_commune_map(tmp_path):
    path = tmp_path / ESTABLISHMENTS_CSV
    communes = ["54395", "57463", "57999", "92050", "75111"]
    write_etablissements(
        path,
        [
            establishment_row(synthetic_siret(SIREN_A, rank), codeCommuneEtablissement=commune)
            for rank, commune in enumerate(communes)
        ],
    )
    commune_map = {
        "54395": ("54", "44"),
        "57463": ("57", "44"),
        "92050": ("92", "11"),
        "75056": ("75", "11"),
    }

    grand_est, _ = read_all_establishments(
        path, {SIREN_A}, area=Area(regions={"44"}, communes=commune_map)
    )
    grand_est_and_92, _ = read_all_establishments(
        path,
        {SIREN_A},
        area=Area(departements={"92"}, regions={"44"}, communes=commune_map),
    )

    # 57999 is unknown to the map: its département 57 lies in région 44.
    assert [e.commune_code for e in grand_est] == ["54395", "57463", "57999"]
    assert [e.commune_code for e in grand_est_and_92] == ["54395", "57463", "57999", "92050"]


def test_departement_of_commune_overseas_corsica_and_arrondissements():
    assert departement_of_commune("54395") == "54"
    assert departement_of_commune("2A004") == "2A"
    assert departement_of_commune("2B033") == "2B"
    assert departement_of_commune("97411") == "974"
    assert departement_of_commune("98735") == "987"
    assert departement_of_commune("75111") == "75"


def test_area_without_codes_is_refused():
    with pytest.raises(ValueError):
        Area()


# Coordinates


def test_to_wgs84_lambert93_known_point():
    expected = lambert93(700000, 6600000)

    assert expected == (46.5, 3.0)
    assert to_wgs84("700000", "6600000") == Coordinates(latitude=46.5, longitude=3.0)
    assert to_wgs84("934244.7", "6848450.4") == Coordinates(*lambert93(934244.7, 6848450.4))


def test_to_wgs84_overseas_uses_the_local_projection():
    longitude, latitude = Transformer.from_crs("EPSG:2975", "EPSG:4326", always_xy=True).transform(
        338568.3, 7690475.4
    )

    assert to_wgs84("338568.3", "7690475.4", commune_code="97411") == Coordinates(
        round(latitude, 6), round(longitude, 6)
    )


def test_to_wgs84_missing_or_masked_values_give_none():
    assert to_wgs84("", "") is None
    assert to_wgs84("[ND]", "[ND]") is None
    assert to_wgs84("934244.7", "") is None
    assert to_wgs84("nan", "6848450.4") is None


def test_read_geolocation_keeps_only_wanted_sirets(tmp_path):
    wanted = synthetic_siret(SIREN_A, 0)
    masked = synthetic_siret(SIREN_A, 1)
    other = synthetic_siret(SIREN_B, 0)
    path = tmp_path / GEOLOCATION_ZIP
    write_geolocalisation(
        path,
        [
            geolocation_row(wanted, "6.1812341", "48.6923456"),
            geolocation_row(masked, "[ND]", "[ND]"),
            geolocation_row(other, "2.2069", "48.8924"),
        ],
    )

    assert read_geolocation(path, sirets={wanted, masked}) == {
        wanted: Coordinates(48.692346, 6.181234)
    }
    assert read_geolocation(path, sirens={SIREN_B}) == {other: Coordinates(48.8924, 2.2069)}
    assert read_geolocation(path, sirets={wanted}, sirens={SIREN_B}) == {
        wanted: Coordinates(48.692346, 6.181234),
        other: Coordinates(48.8924, 2.2069),
    }


def test_read_geolocation_missing_column_raises(tmp_path):
    path = tmp_path / "geo.csv"
    columns = [c for c in synthetic.GEOLOCALISATION_COLUMNS if c != "y_latitude"]
    write_geolocalisation(path, [], columns=columns)

    with pytest.raises(SireneFormatError) as caught:
        read_geolocation(path, sirets={"1"})

    assert str(caught.value) == (
        "Le fichier geo.csv n'est pas un fichier de géolocalisation SIRENE : "
        "colonnes manquantes : y_latitude."
    )


def test_read_establishments_geolocation_file_wins_over_lambert(tmp_path):
    located = synthetic_siret(SIREN_A, 0)
    masked = synthetic_siret(SIREN_A, 1)
    write_etablissements(
        tmp_path / ESTABLISHMENTS_ZIP,
        [establishment_row(located), establishment_row(masked, etablissementSiege="false")],
    )
    write_geolocalisation(
        tmp_path / GEOLOCATION_ZIP,
        [
            geolocation_row(located, "6.1812341", "48.6923456"),
            geolocation_row(masked, "[ND]", "[ND]"),
        ],
    )
    geolocation = read_geolocation(tmp_path / GEOLOCATION_ZIP, sirens={SIREN_A})

    establishments, _ = read_all_establishments(
        tmp_path / ESTABLISHMENTS_ZIP, {SIREN_A}, geolocation=geolocation
    )

    assert [(e.siret, e.latitude, e.longitude) for e in establishments] == [
        (located, 48.692346, 6.181234),
        (masked, *lambert93(934244.7, 6848450.4)),
    ]


# Labels, addresses, identifiers, report


def test_naf_label_with_and_without_dot():
    assert naf_label("88.99B") == "Action sociale sans hébergement n.c.a."
    assert naf_label("8899B") == "Action sociale sans hébergement n.c.a."
    assert naf_label("88.99b") == "Action sociale sans hébergement n.c.a."
    assert naf_label("88.9") == "Autre action sociale sans hébergement"
    assert naf_label("88") == "Action sociale sans hébergement"
    assert naf_label("99.99Z") == ""
    assert naf_label("") == ""


def test_format_street_address_expands_insee_abbreviations():
    assert format_street_address("12", "B", "RUE", "DE LA PAIX") == "12 bis rue de la Paix"
    assert format_street_address("3", "", "AV", "DU GENERAL DE GAULLE") == (
        "3 avenue du General de Gaulle"
    )
    assert format_street_address("7", "T", "QUAI", "D'ALSACE") == "7 ter quai d'Alsace"
    assert format_street_address("2", "", "QUA", "DES ARTS") == "2 quartier des Arts"
    assert format_street_address("1", "", "BD", "LOUIS XIV") == "1 boulevard Louis XIV"
    assert format_street_address("5", "A", "IMP", "SAINT-JEAN-DE-LUZ") == (
        "5A impasse Saint-Jean-de-Luz"
    )
    assert format_street_address("", "", "CHE", "DES VIGNES") == "Chemin des Vignes"
    assert format_street_address("", "", "", "LE BOURG") == "Le Bourg"
    assert format_street_address("9", "", "ZA", "DES TILLEULS") == "9 ZA des Tilleuls"
    assert format_street_address("", "", "", "") == ""


def test_identifiers_luhn_and_la_poste_exception():
    assert is_valid_siren(SIREN_A)
    assert not is_valid_siren(SIREN_A[:8] + str((int(SIREN_A[8]) + 1) % 10))
    assert not is_valid_siren("12345678A")
    assert is_valid_siret(synthetic_siret(SIREN_A, 0))
    # La Poste: the digit sum is a multiple of 5 though the Luhn check fails.
    assert is_valid_siret("35600000000010")
    assert not is_valid_siret("35600000000019")
    assert not is_valid_siret("3560000000001")


def test_read_report_keeps_only_the_first_errors(tmp_path):
    path = tmp_path / UNITS_CSV
    write_unites_legales(path, [unit_row(f"1234567{n}") for n in range(4)])

    report = ReadReport(max_errors=2)
    list(read_units(path, report=report))

    assert [error.line for error in report.errors] == [2, 3]
    assert report.error_count == 4
    assert report.summary() == (
        "StockUniteLegale_utf8.csv : 4 lignes lues, 0 retenues, écartées (ligne invalide : 4)\n"
        "StockUniteLegale_utf8.csv, ligne 2 : SIREN invalide : « 12345670 »\n"
        "StockUniteLegale_utf8.csv, ligne 3 : SIREN invalide : « 12345671 »\n"
        "… et 2 autres lignes invalides"
    )


# Synthetic files


def test_synthetic_files_have_the_official_header_and_valid_identifiers(tmp_path):
    units_path = tmp_path / UNITS_ZIP
    establishments_path = tmp_path / ESTABLISHMENTS_CSV

    written = write_unites_legales(units_path, synthetic.generate_units(100))
    write_etablissements(establishments_path, synthetic.generate_establishments(200))

    with zipfile.ZipFile(units_path) as archive:
        assert archive.namelist() == [UNITS_CSV]
        header = archive.read(UNITS_CSV).decode().split("\n", 1)[0]
    assert written == 100
    assert header.split(",") == list(synthetic.UNITE_LEGALE_COLUMNS)
    assert establishments_path.read_text().split("\n", 1)[0].split(",") == list(
        synthetic.ETABLISSEMENT_COLUMNS
    )
    rows = list(synthetic.generate_establishments(200))
    assert all(is_valid_siret(row["siret"]) for row in rows)
    assert all(is_valid_siren(row["siren"]) for row in synthetic.generate_units(100))


def test_synthetic_writer_refuses_unknown_columns(tmp_path):
    with pytest.raises(ValueError):
        write_unites_legales(tmp_path / UNITS_CSV, [{"siren": SIREN_A, "sirn": "x"}])


def _units_file(tmp_path, rows):
    path = tmp_path / UNITS_CSV
    write_unites_legales(path, rows)
    return path


def establishment_csv_line(siret: str) -> str:
    row = establishment_row(siret)
    return ",".join(row.get(column, "") for column in synthetic.ETABLISSEMENT_COLUMNS) + "\n"
