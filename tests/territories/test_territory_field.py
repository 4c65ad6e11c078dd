"""The territory field of every list takes what people type."""

import html

import pytest

from territories.filters import TerritoryField
from territories.models import Territory
from tests.factories import ActorFactory, CollectiviteFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Toul", "commune-54528"),
        ("toul", "commune-54528"),
        ("TOUL", "commune-54528"),
        ("54", "departement-54"),
        ("Meurthe et Moselle", "departement-54"),
        ("meurthe-et-moselle", "departement-54"),
        ("grand est", "region-44"),
        ("Grand-Est", "region-44"),
        ("departement-54", "departement-54"),
        ("commune-54528-toul", "commune-54528"),
        ("Pays Terres de Lorraine", "groupement-pays-tdl"),
        ("Lunéville", "commune-54329"),
        ("luneville", "commune-54329"),
        ("Metz Métropole", "epci-200039865"),
        ("54528", "commune-54528"),
        ("  Nancy  ", "commune-54395"),
    ],
)
def test_field_resolves_what_people_type(typed, expected):
    assert TerritoryField().clean(typed).short_slug == expected


def test_postal_code_of_several_communes_asks_to_choose():
    field = TerritoryField()

    with pytest.raises(Exception) as raised:
        field.clean("54200")

    assert raised.value.code == "ambiguous"
    assert "Toul" in [t.name for t in field.matches]
    assert len(field.matches) == 10


@pytest.mark.parametrize("junk", ["zzzzqq", "99999", "<script>", "'; drop table x;--", "0"])
def test_junk_is_unknown(junk):
    field = TerritoryField()

    with pytest.raises(Exception) as raised:
        field.clean(junk)

    assert raised.value.code == "unknown_territory"
    assert field.matches == []


@pytest.fixture
def fresh(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


@pytest.mark.parametrize(
    ("url", "factory"),
    [
        ("/acteurs/", lambda t: ActorFactory(name="Objet filtré", territory=t)),
        ("/dispositifs/", lambda t: SchemeFactory(name="Objet filtré", territory=t)),
        ("/evenements/", lambda t: EventFactory(title="Objet filtré", territory=t)),
        ("/collectivites/", lambda t: CollectiviteFactory(name="Objet filtré", territory=t)),
    ],
)
def test_every_list_filters_on_a_typed_name_and_shows_the_active_territory(
    client, fresh, url, factory
):
    factory(Territory.objects.get(short_slug="commune-54528"))

    response = client.get(url, {"territoire": "Meurthe et Moselle"})
    elsewhere = client.get(url, {"territoire": "Moselle"})

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Objet filtré" in text
    assert "Objet filtré" not in html.unescape(elsewhere.content.decode())
    assert 'Territoire : <a href="/territoires/departement-54-meurthe-et-moselle/">' in text
    assert "Retirer ce territoire" in text


def test_ambiguous_territory_lists_the_choices_as_links(client, fresh):
    response = client.get("/acteurs/", {"territoire": "54200", "theme": ""})

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Plusieurs territoires correspondent à « 54200 »" in text
    assert (
        '<a href="?territoire=commune-54528&amp;theme=">Toul (54528)</a>'
        in response.content.decode()
    )


def test_unknown_territory_answers_400_with_a_message(client, fresh):
    response = client.get("/acteurs/", {"territoire": "atlantide"})

    assert response.status_code == 400
    assert "Territoire inconnu : « atlantide »" in html.unescape(response.content.decode())


def test_suggestions_answer_json_while_typing(client):
    response = client.get("/territoires/suggestions/", {"q": "meurthe"})

    assert response.status_code == 200
    assert response.json()["results"][0] == {
        "value": "departement-54",
        "label": "Meurthe-et-Moselle (54)",
        "kind": "Département",
    }


def test_suggestions_for_digits_offer_departements_and_communes(client):
    results = client.get("/territoires/suggestions/", {"q": "542"}).json()["results"]

    assert "commune-54528" in [r["value"] for r in results]


def test_suggestions_need_two_characters_and_refuse_junk(client):
    assert client.get("/territoires/suggestions/", {"q": "m"}).json() == {"results": []}
    assert client.get("/territoires/suggestions/", {"q": "x" * 500}).status_code == 400
