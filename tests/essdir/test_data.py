"""The reusers' page and its DCAT catalogue."""

import html

import pytest

from tests.factories import SchemeFactory

pytestmark = pytest.mark.django_db


def test_data_page_lists_every_dataset_with_schema_licence_size_and_downloads(client):
    SchemeFactory.create_batch(2)

    response = client.get("/donnees/")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "dispositif-aide 0.2.0" in text
    assert "collectivites 0.1.0" in text
    assert "Licence Ouverte 2.0 (Etalab)" in text
    assert 'href="/dispositifs/export.csv"' in text
    schemes = next(f for f in response.context["datasets"] if f["dataset"].slug == "dispositifs")
    assert schemes["count"] == 2


def test_catalogue_is_dcat_json_ld(client):
    SchemeFactory()

    response = client.get("/donnees/catalogue.jsonld")

    catalogue = response.json()
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    assert catalogue["@type"] == "dcat:Catalog"
    identifiers = [d["dct:identifier"] for d in catalogue["dcat:dataset"]]
    assert identifiers == [
        "essdir-acteurs",
        "essdir-dispositifs",
        "essdir-collectivites",
        "essdir-evenements",
    ]
    distribution = catalogue["dcat:dataset"][1]["dcat:distribution"][0]
    assert distribution["dcat:downloadURL"]["@id"] == "https://testserver/dispositifs/export.csv"
    assert distribution["dct:license"]["@id"] == (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
