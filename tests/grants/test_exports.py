"""Grants leave the site in the SCDL « Subventions » schema they came in: the round trip
gives back the file's cells, the CSV validates against schema.json, the API serves them."""

import csv
import io
import json

import pytest
from frictionless import Resource, Schema, validate

from grants import schema
from grants.models import Grant
from tests.factories import CollectiviteFactory
from tests.grants.conftest import data, run_import

pytestmark = pytest.mark.django_db

EXPORT = "/collectivites/subventions/export"


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", ["subventions-valide.csv", "subventions-bom-point-virgule.csv"])
def test_an_imported_file_exported_gives_back_its_cells(client, attribuant, name):
    imported = data(name)
    run_import(imported, attribuant)

    response = client.get(f"{EXPORT}.csv")

    assert response.status_code == 200
    exported = rows_of(b"".join(response.streaming_content))
    delimiter = ";" if b";" in imported.split(b"\n", 1)[0] else ","
    original = list(csv.reader(io.StringIO(imported.decode("utf-8-sig")), delimiter=delimiter))
    assert exported[0] == original[0] == schema.field_names()
    # Cell by cell, for every column of the schema.
    assert exported == original


def test_the_csv_export_is_valid_for_the_schema(client, attribuant):
    run_import(data("subventions-valide.csv"), attribuant)
    content = b"".join(client.get(f"{EXPORT}.csv").streaming_content)
    descriptor = Schema.from_descriptor(schema.descriptor())

    report = validate(Resource(content, format="csv", schema=descriptor))

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_json_export_holds_typed_values(client, attribuant):
    run_import(data("subventions-valide.csv"), attribuant)

    response = client.get(f"{EXPORT}.json")

    rows = json.loads(b"".join(response.streaming_content))
    assert response["X-Schema"] == "SCDL Subventions 2.1.1"
    assert len(rows) == 5 and list(rows[0]) == schema.field_names()
    assert (rows[0]["montant"], rows[0]["pourcentageSubvention"]) == (47800.2, 1.0)
    assert rows[3]["notificationUE"] == "oui" and rows[0]["notificationUE"] == "non"


def test_only_public_grants_leave_the_site_and_filters_apply(client, attribuant):
    run_import(data("subventions-valide.csv"), attribuant)
    draft = CollectiviteFactory(name="Brouillon", status="draft")
    Grant.objects.filter(year=2023).update(collectivite=draft)

    everything = rows_of(b"".join(client.get(f"{EXPORT}.csv").streaming_content))
    year = rows_of(b"".join(client.get(f"{EXPORT}.csv", {"annee": "2024"}).streaming_content))
    bad = client.get(f"{EXPORT}.csv", {"annee": "deux-mille"})

    assert len(everything) == 1 + 4  # the grant of a draft collectivité stays inside
    assert len(year) == 1 + 4
    assert bad.status_code == 400


def test_the_api_lists_grants_in_the_export_format(client, attribuant):
    run_import(data("subventions-valide.csv"), attribuant)

    response = client.get("/api/subventions/", {"attribuant": "departement-fictif"})
    filtered = client.get("/api/subventions/", {"type": "region"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["nomBeneficiaire"] for row in results][:2] == [
        "Association Les Jardins Imaginaires",
        "Coopérative Fictive du Réemploi",
    ]
    assert results[1]["montant"] == 12000 and results[1]["pourcentageSubvention"] == 0.45
    assert filtered.json()["results"] == []
