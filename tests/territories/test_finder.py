"""The contact finder: postal codes shared by several communes, INSEE codes, no named contact."""

import html

import pytest
from django.db import connection

from core.publication import PublicationStatus
from territories import statements
from territories.finder import answer_for, serving_territory
from territories.models import Collectivite, Contact, Territory
from tests.factories import territory

pytestmark = pytest.mark.django_db


def names(serving) -> list[str]:
    return [
        f"{contact.collectivite.short_name or contact.collectivite.name}: {contact}"
        for group in serving.groups
        for contact in group["contacts"]
    ]


@pytest.fixture
def no_cache(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def test_postal_code_of_several_communes_answers_with_their_common_contacts(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54200"})

    answer = response.context["answer"]
    assert response.status_code == 200
    assert len(answer.communes) == 20
    assert "Toul" in [c.name for c in answer.communes]
    assert "Flirey" not in [c.name for c in answer.communes]
    assert [group["territory"].short_slug for group in answer.common.groups][:2] == [
        "groupement-pays-tdl",
        "groupement-cd54-terres-de-lorraine",
    ]
    assert answer.differences == []


def test_commune_whose_insee_code_is_the_postal_code_is_offered_apart(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54200"})

    alternative = response.context["alternative"]
    text = html.unescape(response.content.decode())
    assert (alternative.name, alternative.code) == ("Flirey", "54200")
    assert "Vouliez-vous dire la commune dont le code INSEE est 54200 ?" in text


def test_insee_code_that_is_no_postal_code_finds_its_commune(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54528"})

    assert [c.name for c in response.context["answer"].communes] == ["Toul"]
    assert response.context["commune"].name == "Toul"


def test_postal_code_of_another_city_lists_la_caure_apart(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "51100"})

    assert [c.name for c in response.context["answer"].communes] == ["Reims"]
    assert response.context["alternative"].name == "La Caure"


def test_commune_without_named_contact_gets_its_collectivite_as_point_of_contact(
    client, seed, no_cache
):
    response = client.get("/contacts/", {"q": "Nanterre"})

    answer = response.context["answer"]
    text = html.unescape(response.content.decode())
    assert [c.slug for c in answer.common.collectivites] == ["hauts-de-seine"]
    # The answer card names it (and it is not listed again below).
    assert "Collectivité à contacter directement : sa source ne nomme pas de contact ESS." in text
    assert "Aucun contact ESS n'est encore recensé" not in text


def test_communes_served_differently_are_listed_apart(seed):
    toul = Territory.objects.get(short_slug="commune-54528")
    metz = Territory.objects.get(short_slug="commune-57463")

    answer = answer_for([toul, metz])

    common = {group["territory"].short_slug for group in answer.common.groups}
    assert common == {"region-44"}
    assert [[c.name for c in d["communes"]] for d in answer.differences] == [["Toul"], ["Metz"]]


@pytest.mark.parametrize("code", ["54000", "57000", "67000", "51100", "52200", "92000"])
def test_every_postal_code_of_the_covered_departements_gives_contacts(client, seed, no_cache, code):
    answer = client.get("/contacts/", {"q": code}).context["answer"]

    assert answer.common or answer.differences


def test_answer_takes_the_same_queries_for_one_or_many_communes(seed, django_assert_num_queries):
    one = list(Territory.objects.filter(short_slug="commune-54528"))
    many = list(Territory.objects.communes().filter(postal_codes__code="54200"))

    # PostgreSQL receives the links and the records they name two by two (rows_together).
    expected = 2 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(expected):
        answer_for(one)
    with django_assert_num_queries(expected):
        answer_for(many)


def test_every_postal_code_of_the_covered_departements_answers_directly(seed):
    from territories.models import PostalCode

    codes = sorted(
        set(
            PostalCode.objects.filter(
                commune__departement_code__in=["54", "57", "67", "51", "52", "92"]
            ).values_list("code", flat=True)
        )
    )
    silent = [
        code
        for code in codes
        if not (answer := answer_for(list(Territory.objects.matching_place(code))))
        or not (answer.common or answer.differences)
    ]

    assert len(codes) == 430
    assert silent == []


@pytest.mark.parametrize(
    ("query", "communes", "alternative"),
    [
        ("54200", ["Andilly", "Bicqueley", "Boucq"], "Flirey"),
        ("54200 Toul", ["Toul"], "Flirey"),
        ("toul 54200", ["Toul"], "Flirey"),
        ("54528", ["Toul"], None),
        ("Toul", ["Toul"], None),
        ("54200 54528", ["Toul"], None),
        ("51100", ["Reims"], "La Caure"),
    ],
)
def test_places_reads_the_communes_of_a_query_and_the_commune_of_its_insee_code(
    seed, query, communes, alternative
):
    found, other = statements.places(query, size=3)

    assert [commune.name for commune in found] == communes
    assert [commune.pk for commune in found] == list(
        Territory.objects.matching_place(query).values_list("pk", flat=True)[:3]
    )
    assert (other.name if other else None) == alternative


def test_places_of_a_postal_code_take_one_statement_on_postgresql(seed, django_assert_num_queries):
    statements.places("54200", size=61)  # compiled once, then kept

    # The communes and the commune whose INSEE code it is, together (SQLite: one each).
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        found, other = statements.places("57000", size=61)

    assert ([commune.name for commune in found], other) == (["Metz"], None)


@pytest.mark.parametrize(
    "slug", ["commune-54528", "epci-200070845", "departement-54", "region-44", "departement-92"]
)
def test_the_links_around_a_territory_are_those_of_it_and_its_containers(seed, slug):
    place = territory(slug)
    containing = Territory.objects.containing(place)
    expected = statements.contact_links.rows(territory_ids=[t.pk for t in containing])
    containers = statements.containers.rows(territory_id=place.pk)

    around = statements.contact_links_around.rows(territory_id=place.pk)

    assert sorted(link.pk for link in around) == sorted(link.pk for link in expected)
    # What the pages build from them (territories.finder.serving_territory) is the same.
    read = serving_territory(place, containers, links=around)
    assert names(read) == names(serving_territory(place, containers))
    assert [c.name for c in read.collectivites] == [
        c.name for c in serving_territory(place, containers).collectivites
    ]


@pytest.mark.parametrize("slug", ["departement-54", "commune-54528"])
def test_the_links_around_a_territory_are_those_of_its_published_contacts_alone(seed, slug):
    place = territory(slug)
    region = Collectivite.objects.get(slug="region-grand-est")
    Collectivite.objects.filter(pk=region.pk).update(status=PublicationStatus.DRAFT)
    draft = Contact.objects.filter(collectivite__slug="meurthe-et-moselle").first()
    Contact.objects.filter(pk=draft.pk).update(status=PublicationStatus.DRAFT)
    # What Contact.objects.published() selects, through the territories containing it.
    expected = Contact.territories.through.objects.filter(
        contact__in=Contact.objects.published(),
        territory__member_links__member=place,
    )

    around = statements.contact_links_around.rows(territory_id=place.pk)

    assert sorted(link.pk for link in around) == sorted(link.pk for link in expected)
    assert draft.pk not in {link.contact_id for link in around}
    assert region.pk not in {link.contact.collectivite_id for link in around}
    assert len(around) > 0


def test_the_links_around_toul_s_departement_name_its_contacts(seed):
    place = territory("departement-54")

    around = statements.contact_links_around.rows(territory_id=place.pk)

    # The seed's contacts serving Meurthe-et-Moselle or the Grand Est, none of elsewhere.
    served = {link.territory.short_slug for link in around}
    assert served == {"departement-54", "region-44"}
    assert all(link.contact.status == "published" for link in around)
