"""CSV injection (OWASP): no cell of any CSV export starts a spreadsheet formula; a text cell
that would is written after a single quote. JSON and the API keep the value as it is."""

import csv
import io
import json

import pytest

from core.exports import FORMULA_STARTS, neutralised
from tests.factories import ActorFactory, CollectiviteFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db

PAYLOAD = "cmd|' /C calc'!A0"
# Each list's exports and the column holding the record's name.
EXPORTS = {
    "/acteurs/export": "nom",
    "/dispositifs/export": "titre",
    "/collectivites/export": "nom",
    "/evenements/export": "title",
}
API = {
    "/acteurs/export": ("/api/acteurs/", "nom"),
    "/dispositifs/export": ("/api/dispositifs/", "titre"),
    "/collectivites/export": ("/api/collectivites/", "nom"),
    "/evenements/export": ("/api/evenements/", "title"),
}


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def formulas():
    """A structure, a scheme, a collectivité and an event named as an attacker would (from
    an accepted public proposal, an import…), once per dangerous first character."""
    names = [f"{start}{PAYLOAD}" for start in "=+-@"]
    for number, name in enumerate(names):
        ActorFactory(name=name, slug=f"formule-acteur-{number}", description=f"\t{PAYLOAD}")
        collectivite = CollectiviteFactory(name=name, slug=f"formule-collectivite-{number}")
        SchemeFactory(
            name=name,
            slug=f"formule-dispositif-{number}",
            summary=f"\r{PAYLOAD}",
            collectivite=collectivite,
        )
        EventFactory(title=name, slug=f"formule-evenement-{number}", description=f"-{PAYLOAD}")
    return names


@pytest.mark.parametrize("export", EXPORTS)
def test_no_csv_export_starts_a_formula_in_any_cell(client, formulas, export):
    text = body(client.get(f"{export}.csv", {"periode": "tous"}))

    rows = list(csv.DictReader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row.values()]
    assert len(rows) == len(formulas)
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    assert sorted(row[EXPORTS[export]] for row in rows) == sorted(f"'{n}" for n in formulas)


@pytest.mark.parametrize("export", EXPORTS)
def test_json_and_the_api_keep_the_values_as_they_are(client, formulas, export):
    rows = json.loads(body(client.get(f"{export}.json", {"periode": "tous"})))
    path, column = API[export]
    api_rows = client.get(path, {"periode": "tous"}).json()["results"]

    assert sorted(row[EXPORTS[export]] for row in rows) == sorted(formulas)
    assert sorted(row[column] for row in api_rows) == sorted(formulas)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 3 83 00 00 00", "'+33 3 83 00 00 00"),  # a text column keeps the rule
        ("-12", "'-12"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Envie 2E", "Envie 2E"),
        ("", ""),
        (None, None),
        (-21.1, -21.1),  # a number (a column typed number) stays a number
        (-3, -3),
    ],
)
def test_a_cell_is_neutralised_only_when_it_is_text_starting_a_formula(value, cell):
    assert neutralised(value) == cell
