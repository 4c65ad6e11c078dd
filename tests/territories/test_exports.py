"""Exports of schemes and collectivités, validated against the national schemas."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from frictionless import Resource, Schema, validate

from tests.factories import CollectiviteFactory, SchemeFactory, SchemeFunderFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(settings.BASE_DIR) / "fixtures" / "schemas"


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def valid_against(schema_folder: str, text: str) -> list[str]:
    descriptor = json.loads((SCHEMAS / schema_folder / "schema.json").read_text(encoding="utf-8"))
    schema = Schema.from_descriptor(descriptor)
    report = validate(Resource(text.encode("utf-8"), format="csv", schema=schema))
    return [error.message for task in report.tasks for error in task.errors]


def test_scheme_export_csv_follows_dispositif_aide(client, seed):
    response = client.get("/dispositifs/export.csv")

    text = body(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="essdir-dispositifs-')
    assert response["X-Licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert valid_against("dispositif-aide-0.2.0", text) == []
    agiren = next(r for r in rows if r["titre"] == "AGIRen54")
    assert agiren["eligibilite_geographique"] == "DEP-54"
    assert agiren["url_source"] == "https://testserver/dispositifs/agiren54/"
    assert (
        "nom: 'Région Grand Est'" in agiren["porteurs"] or "nom: 'Département" in agiren["porteurs"]
    )


def test_scheme_export_keeps_the_lists_filters(client, seed):
    everything = list(csv.DictReader(io.StringIO(body(client.get("/dispositifs/export.csv")))))
    moselle = list(
        csv.DictReader(
            io.StringIO(body(client.get("/dispositifs/export.csv", {"territoire": "Moselle"})))
        )
    )

    listed = client.get("/dispositifs/", {"territoire": "Moselle"}).context["paginator"].count
    assert 0 < len(moselle) < len(everything)
    assert len(moselle) == listed


def test_scheme_ids_are_stable_uuids(client):
    scheme = SchemeFactory(name="Fonds d'amorçage")
    SchemeFunderFactory(scheme=scheme)

    first = json.loads(body(client.get("/dispositifs/export.json")))
    second = json.loads(body(client.get("/dispositifs/export.json")))

    assert [row["id"] for row in first] == [row["id"] for row in second]
    assert len(first[0]["id"]) == 36


def test_scheme_without_eligibility_says_so_in_words(client):
    SchemeFactory(name="Sans critères", eligibility="")

    (row,) = json.loads(body(client.get("/dispositifs/export.json")))

    assert row["eligibilite"] == "Conditions d'éligibilité non précisées par la source."


def test_collectivite_export_follows_the_collectivites_schema(client, seed):
    text = body(client.get("/collectivites/export.csv"))

    rows = {row["nom"]: row for row in csv.DictReader(io.StringIO(text))}
    assert valid_against("collectivites-0.1.0", text) == []
    assert rows["Département de Meurthe-et-Moselle"]["type"] == "Département"
    assert json.loads(rows["Département de Meurthe-et-Moselle"]["codeDepartements"]) == ["54"]
    assert json.loads(rows["Région Grand Est"]["codeRegions"]) == ["44"]


def test_collectivite_export_json_is_a_list_of_objects(client):
    CollectiviteFactory(name="Département test")

    (row,) = json.loads(body(client.get("/collectivites/export.json")))

    assert (row["nom"], row["type"], row["codeDepartements"]) == (
        "Département test",
        "Département",
        ["54"],
    )


@pytest.mark.parametrize(
    "params", [{"territoire": "atlantide"}, {"kind": "planete"}, {"q": "x" * 300}]
)
def test_export_with_bad_filters_answers_400(client, params):
    response = client.get("/collectivites/export.csv", params)

    assert response.status_code == 400
    assert response.content.decode().startswith("Paramètres invalides : ")


@pytest.mark.parametrize("count", [1, 3])
def test_export_streams_in_constant_queries(client, django_assert_num_queries, count):
    for n in range(count):
        SchemeFunderFactory(scheme=SchemeFactory(name=f"Dispositif {n}"))

    # The bounded count (core.export_views.bounded_count), then the rows and their relations.
    with django_assert_num_queries(6):
        rows = json.loads(body(client.get("/dispositifs/export.json")))

    assert [row["titre"] for row in rows] == [f"Dispositif {n}" for n in range(count)]


def test_csv_neutralises_formulas_and_still_follows_the_table_schemas(client):
    # Texts starting a formula, at the schema's bounds: the quote the CSV adds fits.
    scheme = SchemeFactory(
        name='=HYPERLINK("https://exemple.invalid")',
        summary="-" + "x" * 300,
        description="@" + "y" * 6000,
    )
    SchemeFunderFactory(scheme=scheme, collectivite=None, name="+cmd|' /C calc'!A0")
    CollectiviteFactory(name="+cmd|' /C calc'!A0")

    schemes = body(client.get("/dispositifs/export.csv"))
    collectivites = body(client.get("/collectivites/export.csv"))
    (scheme_row,) = csv.DictReader(io.StringIO(schemes))
    (json_row,) = json.loads(body(client.get("/dispositifs/export.json")))

    assert valid_against("dispositif-aide-0.2.0", schemes) == []
    assert valid_against("collectivites-0.1.0", collectivites) == []
    assert scheme_row["titre"] == '\'=HYPERLINK("https://exemple.invalid")'
    assert (len(scheme_row["promesse"]), len(scheme_row["description"])) == (180, 5000)
    assert scheme_row["promesse"].startswith("'-x")
    assert scheme_row["description"].startswith("'@y") and scheme_row["description"].endswith(" …")
    assert "nom: '+cmd|\\' /C calc\\'!A0'" in scheme_row["porteurs"]
    # JSON keeps the values (one character shorter than the bound, for the CSV's quote).
    assert json_row["titre"] == scheme.name
    assert json_row["promesse"] == "-" + "x" * 178
    assert "+cmd" in collectivites and "'+cmd" in collectivites
