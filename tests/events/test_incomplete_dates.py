"""Time in the sources: an event whose source gives no full date is never listed as upcoming
unless its source gives it a rhythm; its year is inferred only where the weekday and the
document's own date determine it, and the page says so; otherwise it is a past event with a
"date incomplète"."""

import datetime

import pytest
from django.db import connection

from events.models import Event
from events.seed import inferred_date
from territories.models import Source
from tests.essdir.test_views import Page
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

INNOVATION_SOCIALE = "linnovation-sociale-tous-concernes"
# The seed's events without a full date whose sources give a rhythm.
RECURRING = [
    "ESS Tour en Terres de Lorraine",
    "Forums participatifs « Tourisme et loisirs solidaire en Val de Lorraine »",
    "Petits déjeuners trimestriels de l'ESS",
    "Évènement annuel ESS et économie « traditionnelle »",
]


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC))


def titles(response, key="object_list") -> list[str]:
    return [event.title for event in response.context[key]]


def document(as_of: str) -> Source:
    return Source(code="x", title="Document", as_of=as_of)


def test_a_year_is_inferred_only_from_a_weekday_and_a_document_dated_to_the_day():
    moselle = [document("2021-11-24")]

    assert inferred_date("jeudi 2 décembre, de 16h30 à 19h30", moselle) == datetime.date(
        2021, 12, 2
    )
    assert inferred_date("JEUDI 02 DÉCEMBRE À METZ", moselle) == datetime.date(2021, 12, 2)
    # No weekday: "le 2 avril" of a 2018–2020 project stays incomplete.
    assert inferred_date("le 2 avril", moselle) is None
    # A document dated by its year only, or not at all.
    assert inferred_date("jeudi 2 décembre", [document("2021")]) is None
    assert inferred_date("jeudi 2 décembre", [document("")]) is None
    # No year around the document's date gives that weekday (2 December: 2020 a Wednesday,
    # 2021 a Thursday, 2022 a Friday).
    assert inferred_date("mardi 2 décembre", moselle) is None
    # Two documents that disagree.
    assert inferred_date("jeudi 2 décembre", [*moselle, document("2027-11-20")]) is None


def test_seed_infers_the_year_of_a_dated_documents_weekday_and_no_other(seed):
    inferred = Event.objects.get(slug=INNOVATION_SOCIALE)
    tressons = Event.objects.get(slug="tressons-seminaire-de-lancement")

    assert (inferred.start_date, inferred.date_precision, inferred.year_inferred) == (
        datetime.date(2021, 12, 2),
        "day",
        True,
    )
    assert inferred.date_label == "jeudi 2 décembre, de 16h30 à 19h30"
    assert (tressons.start_date, tressons.date_precision, tressons.year_inferred) == (
        None,
        "unknown",
        False,
    )
    assert list(Event.objects.filter(year_inferred=True).values_list("slug", flat=True)) == [
        INNOVATION_SOCIALE
    ]


def test_incomplete_dates_are_never_upcoming_and_rhythms_are_listed_apart(client, seed, today):
    response = client.get("/evenements/")

    incomplete = set(Event.objects.incomplete().values_list("title", flat=True))
    assert len(incomplete) == 10
    assert not incomplete & set(titles(response))
    assert titles(response, "undated") == RECURRING
    assert "Séminaire de lancement du projet Tressons" not in Page(response).text


def test_incomplete_dates_are_past_events_after_the_dated_ones(client, today):
    EventFactory(title="Hier", start_date=datetime.date(2026, 12, 1))
    EventFactory(
        title="Séminaire du 2 avril",
        start_date=None,
        date_precision="unknown",
        date_label="le 2 avril",
    )
    EventFactory(
        title="Tous les ans",
        start_date=None,
        date_precision="unknown",
        date_label="Tous les ans au mois de Novembre",
        recurrence="yearly",
    )
    EventFactory(title="Demain", start_date=datetime.date(2026, 12, 3))

    upcoming = client.get("/evenements/")
    past = client.get("/evenements/", {"periode": "passe"})

    assert titles(upcoming) == ["Demain"]
    assert titles(upcoming, "undated") == ["Tous les ans"]
    assert titles(past) == ["Hier", "Séminaire du 2 avril"]
    text = Page(past).text
    assert "Date incomplète — le 2 avril" in text
    assert "ils sont rangés parmi les événements passés, jamais à venir" in text


def test_pages_of_the_organiser_list_incomplete_dates_among_past_events(client, seed, today):
    response = client.get("/collectivites/hauts-de-seine/")

    assert titles(response, "upcoming_events") == []
    assert titles(response, "past_events") == [
        "La matinée des financements à impact",
        "Progr'ESS : première édition",
    ]
    assert "Date incomplète — Le 22 novembre" in Page(response).text


def test_event_page_says_the_year_was_inferred(client, seed, today):
    page = Page(client.get(f"/evenements/{INNOVATION_SOCIALE}/")).text

    assert (
        "jeudi 2 décembre 2021, 16h30–19h30 (année déduite du jour de la semaine et de la date "
        "du document) (source : « jeudi 2 décembre, de 16h30 à 19h30 »)"
    ) in " ".join(page.split())


@pytest.mark.parametrize("count", [1, 3])
def test_past_agenda_with_incomplete_dates_query_count_is_constant(
    client, django_assert_num_queries, settings, today, count
):
    for number in range(count):
        EventFactory(
            title=f"Le {number + 1} avril",
            start_date=None,
            date_precision="unknown",
            date_label=f"le {number + 1} avril",
        )
    client.get("/evenements/", {"periode": "passe"})  # the options, memoized
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    with django_assert_num_queries(2):
        response = client.get("/evenements/", {"periode": "passe"})

    assert response.context["paginator"].count == count


def test_the_past_list_is_read_in_the_order_of_its_own_index():
    # Migration 0011 (not the model's Meta: PostgreSQL needs NULLS LAST, which SQLite's
    # syntax cannot say): the past events' order, the public ones only.
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "events_event")
    index = found["event_public_past_order"]
    assert index["index"] and index["columns"] == ["start_date", "id"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'event_public_past_order'"
            )
            definition = cursor.fetchone()[0]
        assert definition.endswith(
            "(start_date DESC NULLS LAST, id DESC) WHERE ((status)::text = 'published'::text)"
        )
