"""Only published records leave the site: every related record an export, the API or a
JSON-LD block names (a structure's networks, a scheme's funders, an event's organisers) is
itself published, and for a structure not hidden. Drafts and archived records stay in."""

import csv
import io
import json
import re

import pytest

from core.publication import PublicationStatus
from essdir.search import search_everything
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EventFactory,
    EventParticipationFactory,
    SchemeFactory,
    SchemeFunderFactory,
)

pytestmark = pytest.mark.django_db

DRAFT, ARCHIVED = PublicationStatus.DRAFT, PublicationStatus.ARCHIVED


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def json_ld(response) -> dict:
    (block,) = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(block)


@pytest.fixture
def member():
    """A published structure, member of a draft, an archived, a hidden and a published
    network, each of which data·inclusion names (emmaus, coorace, france-active, adie)."""
    actor = ActorFactory(name="Envie Nancy", slug="envie-nancy")
    actor.member_of.set(
        [
            ActorFactory(name="Emmaüs Nancy", slug="emmaus-nancy", status=DRAFT),
            ActorFactory(name="Coorace Grand Est", slug="coorace-ge", status=ARCHIVED),
            ActorFactory(name="France Active Lorraine", slug="fa-lorraine", hidden=True),
            ActorFactory(name="Adie Grand Est", slug="adie-ge"),
        ]
    )
    return actor


def test_draft_archived_or_hidden_networks_are_not_named_in_the_exports(client, member):
    rows = json.loads(body(client.get("/acteurs/export.json")))
    csv_rows = list(csv.DictReader(io.StringIO(body(client.get("/acteurs/export.csv")))))

    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {"envie-nancy", "adie-ge"}
    assert by_id["envie-nancy"]["reseaux_porteurs"] == ["adie"]
    by_id = {row["id"]: row for row in csv_rows}
    assert json.loads(by_id["envie-nancy"]["reseaux_porteurs"]) == ["adie"]


def test_draft_archived_or_hidden_networks_are_not_named_in_the_api(client, member):
    rows = client.get("/api/acteurs/").json()["results"]

    by_id = {row["id"]: row for row in rows}
    assert by_id["envie-nancy"]["reseaux_porteurs"] == ["adie"]
    assert set(by_id) == {"envie-nancy", "adie-ge"}


@pytest.fixture
def funded():
    """A published scheme funded by a draft, an archived and a published collectivité, and
    by a funder named in words (no record of the directory)."""
    scheme = SchemeFactory(name="Fonds ESS", collectivite__name="Région Grand Est")
    for name, status in (
        ("Département brouillon", DRAFT),
        ("Métropole archivée", ARCHIVED),
        ("Métropole publiée", PublicationStatus.PUBLISHED),
    ):
        SchemeFunderFactory(scheme=scheme, collectivite__name=name, collectivite__status=status)
    SchemeFunderFactory(scheme=scheme, collectivite=None, name="Fondation de France")
    return scheme


EXPECTED_CARRIERS = (
    "[{ nom: 'Région Grand Est', roles: [ 'porteur' ]}, "
    "{ nom: 'Métropole publiée', roles: [ 'financeur' ]}, "
    "{ nom: 'Fondation de France', roles: [ 'financeur' ]}]"
)


def test_unpublished_funders_are_not_named_in_the_exports_or_the_api(client, funded):
    (row,) = json.loads(body(client.get("/dispositifs/export.json")))
    (csv_row,) = csv.DictReader(io.StringIO(body(client.get("/dispositifs/export.csv"))))
    (api_row,) = client.get("/api/dispositifs/").json()["results"]

    assert row["porteurs"] == csv_row["porteurs"] == api_row["porteurs"] == EXPECTED_CARRIERS


@pytest.fixture
def organised():
    """An event organised by published, draft, archived and hidden records."""
    event = EventFactory(title="Forum de l'ESS", slug="forum-ess")
    organisers = [
        {"collectivite": CollectiviteFactory(name="Métropole publiée")},
        {"collectivite": CollectiviteFactory(name="Métropole archivée", status=ARCHIVED)},
        {"collectivite": None, "actor": ActorFactory(name="Structure brouillon", status=DRAFT)},
        {"collectivite": None, "actor": ActorFactory(name="Structure masquée", hidden=True)},
        {"collectivite": None, "actor": ActorFactory(name="Structure publiée")},
    ]
    for organiser in organisers:
        EventParticipationFactory(event=event, **organiser)
    return event


def test_json_ld_names_only_published_organisers(client, organised):
    data = json_ld(client.get(organised.get_absolute_url()))

    assert [o["name"] for o in data["organizer"]] == ["Métropole publiée", "Structure publiée"]


def test_the_event_page_names_only_published_organisers(client, organised):
    page = client.get(organised.get_absolute_url()).content.decode()
    organisers = page.split("Organisé par")[1].split("</ul>")[0]

    assert re.findall(r">([^<>]+)</a>", organisers) == ["Métropole publiée", "Structure publiée"]


def test_a_search_result_names_only_published_organisers(organised):
    (events,) = [g for g in search_everything("forum")["groups"] if g["title"] == "Événements"]

    (result,) = events["results"]
    assert [name for name, _url in result.carriers] == ["Métropole publiée", "Structure publiée"]
