"""Files refused whole, with every bad row listed (line and reason), nothing written."""

import csv
import io

import pytest

from grants.models import Grant, GrantFile
from tests.grants.conftest import data, run_import

pytestmark = pytest.mark.django_db

HEADER = data("subventions-valide.csv").split(b"\r\n", 1)[0]


def refused(report) -> list[str]:
    assert not report.ok
    assert not Grant.objects.exists() and not GrantFile.objects.exists()
    return [str(error) for error in report.errors]


def test_every_bad_row_is_listed_with_its_line_and_reason(attribuant):
    report = run_import(data("subventions-erreurs.csv"), attribuant)

    errors = refused(report)
    assert errors == [
        "ligne 2, colonne idBeneficiaire : « 99910001900011 » n'est pas un SIRET valide "
        "(14 chiffres, clé de Luhn)",
        "ligne 3, colonne montant : montant négatif (-12000)",
        "ligne 4, colonne montant : « 1 200,50 » n'est pas un nombre (chiffres, point "
        "décimal, sans espace)",
        "ligne 5, colonne dateConvention : « 02/09/2024 » n'est pas une date AAAA-MM-JJ",
        "ligne 5, colonne nature : « aide » n'est pas une valeur permise (« aide en "
        "numéraire », « aide en nature », « aide en numéraire;aide en nature », « aide en "
        "nature;aide en numéraire »)",
        "ligne 6, colonne pourcentageSubvention : 1.5 est supérieur au maximum 1",
        "ligne 7, colonne idBeneficiaire / rnaBeneficiaire : l'un des deux est obligatoire "
        "(idBeneficiaire ou rnaBeneficiaire)",
    ]
    assert report.summary().startswith("Fichier refusé : 7 ligne(s) invalide(s) sur 6.")


def test_wrong_columns_refuse_the_file(attribuant):
    report = run_import(data("subventions-colonnes.csv"), attribuant)

    refused(report)
    assert "colonnes obligatoires absentes : montant" in report.problem
    assert "colonnes inconnues du schéma : « montantTotal »" in report.problem


def test_missing_optional_columns_are_read_as_empty(attribuant):
    # A file of the schema's 2.0 version: no rnaBeneficiaire nor dispositifAide.
    rows = list(csv.reader(io.StringIO(data("subventions-valide.csv").decode())))
    dropped = {rows[0].index("rnaBeneficiaire"), rows[0].index("dispositifAide")}
    kept = [
        [cell for index, cell in enumerate(row) if index not in dropped]
        for row in rows
        if "W999000001" not in row  # the grant known by its RNA number only
    ]
    out = io.StringIO()
    csv.writer(out).writerows(kept)

    report = run_import(out.getvalue().encode(), attribuant)

    assert report.ok and report.row_count == 4
    assert report.warnings == [
        "Colonnes facultatives absentes, lues comme vides : rnaBeneficiaire, dispositifAide."
    ]
    assert set(Grant.objects.values_list("beneficiary_rna", "scheme_reference")) == {("", "")}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "le fichier est vide."),
        (b"\r\n\r\n", "le fichier est vide (pas même la ligne des noms de colonnes)."),
        (HEADER + b"\r\n", "le fichier ne contient aucune subvention (la ligne des colonnes"),
        ("é".encode("utf-16"), "le fichier est encodé en UTF-16."),
        (b"PK\x03\x04rest-of-a-zip", "c'est un classeur (Excel, LibreOffice)"),
    ],
    ids=["empty", "blank-lines", "header-only", "utf-16", "spreadsheet"],
)
def test_files_without_rows_or_in_another_format_are_refused(attribuant, content, reason):
    report = run_import(content, attribuant)

    refused(report)
    assert report.problem.startswith(reason)


def test_a_latin1_file_is_refused_with_a_clear_message(attribuant):
    latin1 = data("subventions-valide.csv").decode("utf-8").encode("latin-1")

    report = run_import(latin1, attribuant)

    refused(report)
    assert report.problem.startswith("le fichier n'est pas encodé en UTF-8 (octet 0xe9")
    assert "Latin-1 / Windows-1252" in report.problem
    assert "ligne 2" in report.problem  # "Département" on the first row


def test_a_grant_twice_in_a_file_is_refused(attribuant):
    content = data("subventions-valide.csv")
    row = content.split(b"\r\n")[1]

    report = run_import(content + row + b"\r\n", attribuant)

    errors = refused(report)
    assert errors == [
        "ligne 7 : même subvention que la ligne 2 (même attribuant, referenceDecision, "
        "bénéficiaire et dateConvention) : chaque subvention une seule fois ; deux "
        "subventions distinctes ont des références de décision distinctes"
    ]


def test_a_file_is_one_attributors(attribuant):
    content = data("subventions-valide.csv")
    other = content.split(b"\r\n")[1].replace(b"99905401800018", b"99910005000015")
    other = other.replace(b"CP-2024-03-101", b"CP-AUTRE")

    report = run_import(content + other + b"\r\n", attribuant)

    errors = refused(report)
    assert errors[0].startswith("ligne 7, colonne idAttribuant : SIREN 999100050 d'un autre")


def test_a_row_with_a_wrong_number_of_cells_is_listed(attribuant):
    content = data("subventions-valide.csv") + b"Departement Fictif,99905401800018\r\n"

    errors = refused(run_import(content, attribuant))

    assert errors == ["ligne 7 : 2 cellule(s) au lieu de 16 (une par colonne)"]


def test_a_damaged_cell_and_impossible_dates_are_listed(attribuant):
    lines = data("subventions-valide.csv").split(b"\r\n")
    lines[1] = lines[1].replace(b"2024-03-14", b"2024-02-30")
    lines[2] = lines[2].replace(b"2024-04-01/2024-12-31", b"2024-12-31/2024-04-01")
    lines[4] = lines[4].replace(b"Aide", b"Ai\x00de")

    errors = refused(run_import(b"\r\n".join(lines), attribuant))

    assert errors == [
        "ligne 2, colonne dateConvention : « 2024-02-30 » n'est pas une date du calendrier",
        "ligne 3, colonne datesPeriodeVersement : « 2024-12-31/2024-04-01 » : la période "
        "finit avant de commencer",
        "ligne 5, colonne objet : caractère NUL (fichier abîmé)",
    ]


def test_a_refused_file_leaves_the_grants_in_force_untouched(attribuant):
    first = run_import(data("subventions-valide.csv"), attribuant)

    report = run_import(data("subventions-erreurs.csv"), attribuant)

    assert not report.ok
    assert list(GrantFile.objects.all()) == [first.grant_file]
    assert Grant.objects.count() == 5
