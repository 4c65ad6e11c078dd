"""Search behaves the same for users on SQLite and PostgreSQL (full-text on the latter)."""

import pytest
from django.db import connection

from actors.models import Actor
from events.models import Event
from territories.models import Scheme
from tests.factories import ActorFactory, CollectiviteFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def names(queryset):
    return [str(obj) for obj in queryset]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("economie solidaire", ["Fonds pour l'Économie sociale et solidaire"]),
        ("ÉCONOMIE", ["Fonds pour l'Économie sociale et solidaire"]),
        ("coopérative", ["Bourses aux coopératives"]),
        ("insertion", ["Aide à l'insertion"]),
        ("cooperatives", ["Bourses aux coopératives"]),
    ],
)
def test_scheme_search_is_french_aware(query, expected):
    SchemeFactory(name="Fonds pour l'Économie sociale et solidaire")
    SchemeFactory(name="Bourses aux coopératives")
    SchemeFactory(name="Aide à l'insertion")

    assert names(Scheme.objects.search(query)) == expected


def test_title_weighs_more_than_the_body():
    ActorFactory(name="Atelier vélo", description="Réparation, insertion et mobilité.")
    ActorFactory(name="Chantier d'insertion", description="Espaces verts.")

    assert names(Actor.objects.search("insertion")) == ["Chantier d'insertion", "Atelier vélo"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming needs PostgreSQL")
def test_postgresql_stems_verbs_and_plurals():
    EventFactory(title="Forum des entreprises solidaires")

    assert names(Event.objects.search("entreprise solidaire")) == [
        "Forum des entreprises solidaires"
    ]


def test_search_is_kept_up_to_date_on_save():
    actor = ActorFactory(name="Recyclerie")
    actor.name = "Ressourcerie"
    actor.save()

    assert names(Actor.objects.search("ressourcerie")) == ["Ressourcerie"]
    assert names(Actor.objects.search("recyclerie")) == []


def test_search_page_groups_results_and_links_to_each_filtered_list(client):
    CollectiviteFactory(name="Métropole solidaire")
    ActorFactory(name="Épicerie solidaire")

    response = client.get("/recherche/", {"q": "solidaire"})

    groups = {g["title"]: g for g in response.context["groups"]}
    assert groups["Acteurs"]["count"] == 1
    assert groups["Acteurs"]["list_url"] == "/acteurs/?q=solidaire"
    assert groups["Collectivités"]["count"] == 1


def test_list_q_orders_by_relevance(client):
    ActorFactory(name="Bâtiment", description="Insertion par le bâtiment.")
    ActorFactory(name="Zèbre insertion")

    response = client.get("/acteurs/", {"q": "insertion"})

    assert [a.name for a in response.context["object_list"]] == ["Zèbre insertion", "Bâtiment"]
