"""The structures' open data: data·inclusion `structure` v1, then the ESS columns."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from actors.validators import validate_siren, validate_siret
from tests.factories import ActorFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(settings.BASE_DIR) / "fixtures/schemas/data-inclusion-1.0.8/structure.json").read_text(
        encoding="utf-8"
    )
)


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def schema_errors(rows: list[dict]) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{row['id']}: {error.message}" for row in rows for error in validator.iter_errors(row)]


def test_every_seed_structure_is_a_valid_data_inclusion_structure(client, seed):
    rows = json.loads(body(client.get("/acteurs/export.json")))

    assert len(rows) == 54
    assert schema_errors(rows) == []
    assert {row["source"] for row in rows} == {"essdir"}
    assert len({row["id"] for row in rows}) == 54
    for row in rows:
        # What jsonschema does not check: the numbers' checksums.
        if row["siren"]:
            validate_siren(row["siren"])
        if row["siret"]:
            validate_siret(row["siret"])


def test_structure_row_carries_the_ess_columns_after_the_schemas(client, seed):
    rows = {row["id"]: row for row in json.loads(body(client.get("/acteurs/export.json")))}

    envie = rows["envie"]
    assert envie["lien_source"] == "https://testserver/acteurs/envie/"
    assert envie["famille_ess"] == "unknown"  # the sources do not say; never guessed
    assert "Économie circulaire et réemploi" in envie["thematiques_ess"]
    assert list(envie)[:4] == ["source", "id", "nom", "date_maj"]


def test_csv_has_the_same_columns_and_keeps_the_filters(client, seed):
    text = body(client.get("/acteurs/export.csv", {"territoire": "departement-54"}))

    rows = list(csv.DictReader(io.StringIO(text)))
    listed = client.get("/acteurs/", {"territoire": "departement-54"}).context["paginator"].count
    assert len(rows) == listed
    assert "Envie" in [row["nom"] for row in rows]


def test_a_short_or_dotted_name_still_meets_the_schema(client):
    ActorFactory(name="AB.", slug="ab")

    (row,) = json.loads(body(client.get("/acteurs/export.json")))

    assert row["nom"] == "AB (structure)"
    assert schema_errors([row]) == []


def test_csv_neutralises_text_formulas_and_keeps_negative_numbers(client):
    establishment = EstablishmentFactory(
        actor__name="+cmd|' /C calc'!A0",
        actor__slug="attaque",
        actor__phone="+33 2 62 00 00 00",
        latitude=-21.1151,
        longitude=55.5364,
    )

    (row,) = csv.DictReader(io.StringIO(body(client.get("/acteurs/export.csv"))))
    (json_row,) = json.loads(body(client.get("/acteurs/export.json")))

    assert row["nom"] == "'+cmd|' /C calc'!A0"
    assert row["telephone"] == "'+33 2 62 00 00 00"
    # Numbers (typed number in the schema) are no text: written as numbers, sign included.
    assert (row["latitude"], row["longitude"]) == ("-21.1151", "55.5364")
    assert (json_row["nom"], json_row["telephone"]) == (
        establishment.actor.name,
        "+33 2 62 00 00 00",
    )
    assert json_row["latitude"] == -21.1151
    assert schema_errors([json_row]) == []
