"""The support services' open data, in data·inclusion's schema: the exports and the API
give back what was imported (round trip), every row valid against the schema, filtered by
`territoire` (the services whose zone covers it), with the licence and the attribution."""

from __future__ import annotations

import csv
import io
import json

import pytest

from support.importer import validator
from support.reading import csv_value
from tests.support.test_import import KEPT, SERVICES, STRUCTURES, run

pytestmark = pytest.mark.django_db

EXPORT = "/accompagnement/export"
STRUCTURES_EXPORT = "/accompagnement/structures/export"


@pytest.fixture
def imported(ess_actors):
    run("--date", "2026-11-05")
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    structures = json.loads(STRUCTURES.read_text(encoding="utf-8"))
    return (
        {row["id"]: row for row in rows if row["id"] in KEPT},
        {row["id"]: row for row in structures},
    )


def test_the_json_export_gives_back_the_imported_rows(client, imported):
    services, structures = imported
    response = client.get(f"{EXPORT}.json")

    assert response.status_code == 200
    rows = json.loads(b"".join(response.streaming_content))
    assert {row["id"]: row for row in rows} == services
    for row in rows:
        assert list(row) == list(validator("service").schema["properties"])
        assert not list(validator("service").iter_errors(row))

    exported = json.loads(b"".join(client.get(f"{STRUCTURES_EXPORT}.json").streaming_content))
    assert exported == [structures[row["id"]] for row in exported]
    assert {row["id"] for row in exported} == {row["structure_id"] for row in rows}


def test_the_csv_export_reads_back_as_the_imported_rows(client, imported):
    services, _structures = imported
    response = client.get(f"{EXPORT}.csv")

    text = b"".join(response.streaming_content).decode("utf-8")
    properties = validator("service").schema["properties"]
    rows = [
        {key: csv_value(value, properties[key]) for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]
    assert {row["id"]: row for row in rows} == services


def test_the_exports_name_the_licence_and_the_attribution(client, imported):
    response = client.get(f"{EXPORT}.csv")

    assert response["X-Licence"].startswith("Licence Ouverte 2.0")
    assert "data-inclusion" in response["X-Attribution"]
    assert "source" in response["X-Attribution"]
    assert response["X-Schema"] == "data·inclusion service (1.0.8)"


def test_the_export_filtered_by_territory_keeps_the_services_covering_it(client, imported):
    response = client.get(f"{EXPORT}.json", {"territoire": "commune-54528"})
    ids = {row["id"] for row in json.loads(b"".join(response.streaming_content))}

    # Toul: its commune's, its EPCI's, its département's services and the national one.
    assert "fictif--couveuse-toulois--test-activite" in ids
    assert "fictif--plateforme--definir" in ids
    nancy = client.get(f"{EXPORT}.json", {"territoire": "commune-54395"})
    assert "fictif--couveuse-toulois--test-activite" not in {
        row["id"] for row in json.loads(b"".join(nancy.streaming_content))
    }


def test_a_bad_territory_answers_400(client, imported):
    assert client.get(f"{EXPORT}.csv", {"territoire": "nulle-part-xyz"}).status_code == 400
    assert client.get("/api/accompagnement/", {"territoire": "nulle-part-xyz"}).status_code == 400


def test_the_api_pages_the_services_in_the_schema_filtered_by_territory(client, imported):
    services, _structures = imported
    response = client.get("/api/accompagnement/", {"page_size": 2})

    assert response.status_code == 200
    page = response.json()
    assert len(page["results"]) == 2 and page["next"]
    everything = []
    url = "/api/accompagnement/"
    while url:
        body = client.get(url).json()
        everything += body["results"]
        url = body["next"]
    assert {row["id"]: row for row in everything} == services

    toul = client.get("/api/accompagnement/", {"territoire": "commune-54528"}).json()
    assert "fictif--couveuse-toulois--test-activite" in {row["id"] for row in toul["results"]}
    structures = client.get("/api/accompagnement-structures/", {"territoire": "54528"}).json()
    assert "fictif--couveuse-toulois" in {row["id"] for row in structures["results"]}


def test_the_open_data_page_lists_the_support_and_grants_datasets(client, imported):
    page = client.get("/donnees/").text

    assert 'id="accompagnement"' in page
    assert 'id="accompagnement-structures"' in page
    assert 'id="subventions"' in page
    assert "data·inclusion" in page
    catalogue = client.get("/donnees/catalogue.jsonld").json()
    assert "essdir-accompagnement" in {d["dct:identifier"] for d in catalogue["dcat:dataset"]}


def test_the_national_files_name_the_licence_and_the_attribution(
    client, imported, settings, tmp_path
):
    from essdir.downloads import build_downloads

    settings.DOWNLOADS_ROOT = tmp_path / "downloads"
    build_downloads(datasets=["accompagnement"])
    response = client.get("/donnees/telechargements/accompagnement.json.gz")
    response.close()

    assert response.status_code == 200
    assert response["X-Rows"] == str(len(KEPT))
    assert "data-inclusion" in response["X-Attribution"]
    assert response["X-Licence"].startswith("Licence Ouverte 2.0")


def test_a_row_imported_before_the_rows_were_kept_is_exported_from_its_fields(client, four_zones):
    rows = json.loads(b"".join(client.get(f"{EXPORT}.json").streaming_content))
    row = next(row for row in rows if row["nom"] == "Couveuse fictive")

    assert row["zone_eligibilite"] == ["54528"]
    assert row["telephone"] == "03 00 00 00 01"
    assert row["structure_id"] == "fictif--Couveuse fictive"
