"""The importer's checks are driven by schema.json and agree with frictionless, the
reference validator of Table Schema (which ignores the schema's custom checks: those are
the importer's alone)."""

import io

import pytest
from frictionless import Dialect, Resource, Schema, formats, validate

from grants import schema
from grants.exports import GRANTS
from grants.importer.report import ImportReport
from grants.importer.rows import validate as check_file
from tests.grants.conftest import data

FILES = ["subventions-valide.csv", "subventions-bom-point-virgule.csv", "subventions-erreurs.csv"]


def our_errors(content: bytes) -> set[tuple[int, str]]:
    report = ImportReport(name="")
    check_file(io.BytesIO(content), report)
    return {(error.line, error.column) for error in report.errors}


def frictionless_errors(content: bytes, name: str) -> set[tuple[int, str]]:
    delimiter = ";" if "point-virgule" in name else ","
    resource = Resource(
        content,
        format="csv",
        schema=Schema.from_descriptor(schema.descriptor()),
        dialect=Dialect(controls=[formats.CsvControl(delimiter=delimiter)]),
    )
    report = validate(resource)
    return {(row, field) for row, field in report.flatten(["rowNumber", "fieldName"])}


@pytest.mark.parametrize("name", FILES)
def test_every_error_frictionless_finds_is_one_the_importer_finds(name):
    content = data(name)

    theirs = frictionless_errors(content, name)
    ours = our_errors(content)

    assert theirs <= ours
    # What the importer adds: the schema's custom checks and the directory's own rules.
    assert sorted(ours - theirs) == (
        []
        if name != "subventions-erreurs.csv"
        else [
            (2, "idBeneficiaire"),  # french-siret-value
            (3, "montant"),  # a negative amount
            (7, "idBeneficiaire / rnaBeneficiaire"),  # one-of-required
        ]
    )


def test_the_constraints_are_read_from_schema_json():
    fields = {spec.name: spec for spec in schema.fields()}

    assert list(fields) == GRANTS.column_names and len(fields) == 16
    assert {name for name, spec in fields.items() if spec.required} == {
        "nomAttribuant",
        "idAttribuant",
        "dateConvention",
        "nomBeneficiaire",
        "objet",
        "montant",
        "nature",
        "conditionsVersement",
        "datesPeriodeVersement",
        "notificationUE",
        "pourcentageSubvention",
    }
    assert fields["rnaBeneficiaire"].pattern.pattern == r"^W\d{9}$"
    assert fields["objet"].max_length == 256 and fields["idRAE"].max_length == 5
    assert len(fields["nature"].enum) == 4
    assert (fields["notificationUE"].true_values, fields["notificationUE"].false_values) == (
        ("oui",),
        ("non",),
    )
    assert schema.siret_columns() == ("idAttribuant", "idBeneficiaire")
    assert schema.one_of_required() == (("idBeneficiaire", "rnaBeneficiaire"),)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("montant", "NaN", "« NaN » n'est pas un nombre"),
        ("montant", "1,5", "« 1,5 » n'est pas un nombre"),
        ("montant", "1e3", None),
        ("dateConvention", "20240314", "« 20240314 » n'est pas une date AAAA-MM-JJ"),
        ("idAttribuant", "9990540180001", "« 9990540180001 » ne suit pas le format attendu"),
        ("rnaBeneficiaire", "W12345678", "« W12345678 » ne suit pas le format attendu"),
        ("notificationUE", "false", "« false » : valeurs permises « oui », « non »"),
        ("pourcentageSubvention", "0", "0 est inférieur au minimum 0.01"),
        ("objet", "x" * 257, "257 caractères, 256 au plus"),
        ("nomBeneficiaire", "", "valeur obligatoire manquante"),
    ],
)
def test_one_cell_is_checked_against_its_column(name, text, message):
    spec = next(spec for spec in schema.fields() if spec.name == name)

    if message is None:
        assert spec.parse(text) == 1000
        return
    with pytest.raises(schema.CellError) as error:
        spec.parse(text)
    assert str(error.value).startswith(message)
