"""The agenda's open data: OpenAgenda's field names, ISO 8601 with the Paris offset."""

import csv
import datetime
import io
import json

import pytest

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC))


def test_event_export_gives_timings_with_the_paris_offset(client, now):
    EventFactory(
        title="Forum de l'ESS",
        start_date=datetime.date(2026, 7, 3),
        start_time=datetime.time(9, 30),
        end_time=datetime.time(17, 0),
        online=True,
        venue="",
        address="",
        territory=None,
    )

    (row,) = json.loads(body(client.get("/evenements/export.json")))

    assert row["title"] == "Forum de l'ESS"
    assert row["timings"] == [
        {"begin": "2026-07-03T09:30:00+02:00", "end": "2026-07-03T17:00:00+02:00"}
    ]
    assert (row["attendanceMode"], row["status"]) == (2, 1)


def test_event_export_keeps_the_agendas_filters_and_period(client, now):
    EventFactory(title="À venir", start_date=datetime.date(2026, 9, 1))
    EventFactory(title="Passé", start_date=datetime.date(2025, 9, 1))

    upcoming = list(csv.DictReader(io.StringIO(body(client.get("/evenements/export.csv")))))
    past = list(
        csv.DictReader(
            io.StringIO(body(client.get("/evenements/export.csv", {"periode": "passe"})))
        )
    )

    assert [row["title"] for row in upcoming] == ["À venir"]
    assert [row["title"] for row in past] == ["Passé"]
    assert json.loads(upcoming[0]["timings"])[0]["begin"] == "2026-09-01T00:00:00+02:00"


def test_event_without_a_full_date_has_no_timings(client, now):
    EventFactory(
        title="Petit-déjeuner", start_date=None, date_precision="unknown", date_label="chaque mois"
    )

    (row,) = json.loads(body(client.get("/evenements/export.json", {"periode": "tous"})))

    assert (row["timings"], row["dateLabel"]) == ([], "chaque mois")


def test_event_export_refuses_a_reversed_period(client):
    response = client.get("/evenements/export.csv", {"du": "2026-12-01", "au": "2026-01-01"})

    assert response.status_code == 400


def test_event_csv_neutralises_formulas_and_keeps_codes_as_numbers(client, now):
    EventFactory(
        title="-2+3+cmd|' /C calc'!A0",
        description="=1+1",
        venue="@salle",
        online=True,
        start_date=datetime.date(2026, 7, 3),
    )

    (row,) = csv.DictReader(io.StringIO(body(client.get("/evenements/export.csv"))))
    (json_row,) = json.loads(body(client.get("/evenements/export.json")))

    assert (row["title"], row["description"], row["locationName"]) == (
        "'-2+3+cmd|' /C calc'!A0",
        "'=1+1",
        "'@salle",
    )
    assert (row["attendanceMode"], row["status"]) == ("3", "1")
    assert (json_row["title"], json_row["attendanceMode"]) == ("-2+3+cmd|' /C calc'!A0", 3)
