import datetime
import html
from xml.etree import ElementTree

import pytest
from django.db import connection
from icalendar import Calendar

from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EventFactory,
    EventParticipationFactory,
    territory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC))


def titles(response):
    return [event.title for event in response.context["object_list"]]


def test_agenda_lists_upcoming_events_by_default(client, now):
    EventFactory(title="Hier", start_date=datetime.date(2026, 11, 21))
    EventFactory(title="Aujourd'hui", start_date=datetime.date(2026, 11, 22))
    EventFactory(title="Plus tard", start_date=datetime.date(2027, 1, 5))
    EventFactory(
        title="En cours",
        start_date=datetime.date(2026, 11, 20),
        end_date=datetime.date(2026, 11, 23),
    )

    response = client.get("/evenements/")

    assert titles(response) == ["En cours", "Aujourd'hui", "Plus tard"]


def test_agenda_groups_upcoming_events_by_month(client, now):
    EventFactory(title="Décembre", start_date=datetime.date(2026, 12, 3))
    EventFactory(title="Janvier", start_date=datetime.date(2027, 1, 5))

    text = client.get("/evenements/").content.decode()

    assert text.index("Décembre 2026") < text.index("Janvier 2027")


def test_agenda_past_lists_past_events_newest_first(client, now):
    EventFactory(title="2018", start_date=datetime.date(2018, 11, 1), date_precision="year")
    EventFactory(title="Hier", start_date=datetime.date(2026, 11, 21))
    EventFactory(title="Ce mois-ci", start_date=datetime.date(2026, 11, 1), date_precision="month")
    EventFactory(title="Demain", start_date=datetime.date(2026, 11, 23))

    response = client.get("/evenements/", {"periode": "passe"})

    assert titles(response) == ["Hier", "2018"]


def test_undated_events_are_listed_apart_and_never_guessed(client, now):
    EventFactory(
        title="Tous les ans en novembre",
        start_date=None,
        date_precision="unknown",
        date_label="Tous les ans au mois de Novembre",
        recurrence="yearly",
    )
    # A day and month without a year, and no rhythm: a past event, "date incomplète"
    # (tests/events/test_incomplete_dates.py).
    EventFactory(
        title="Le 22 novembre",
        start_date=None,
        date_precision="unknown",
        date_label="Le 22 novembre",
    )

    response = client.get("/evenements/")

    assert titles(response) == []
    assert [e.title for e in response.context["undated"]] == ["Tous les ans en novembre"]
    assert "Dates à préciser" in response.content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_undated_events_follow_the_visitors_filters_looked_up_once(
    client, django_assert_num_queries, settings, now, count
):
    for number in range(count):
        for slug in ("commune-54528", "commune-57463"):
            EventFactory(
                title=f"Tous les ans {number} ({slug})",
                start_date=None,
                date_precision="unknown",
                date_label="Tous les ans",
                recurrence="yearly",
                territory=territory(slug),
            )
    client.get("/evenements/", {"territoire": "commune-54528"})  # the page-cache tags
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    # The territory (once: the undated events reuse the validated filters), the dated
    # events' first page with their count (none: nothing to count again), the undated.
    with django_assert_num_queries(3):
        response = client.get("/evenements/", {"territoire": "commune-54528"})

    assert [e.title for e in response.context["undated"]] == [
        f"Tous les ans {number} (commune-54528)" for number in range(count)
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_a_territorys_events_are_counted_with_their_page(
    client, django_assert_num_queries, settings, now, count
):
    for day in range(count):
        EventFactory(
            title=f"À Toul, jour {day}",
            start_date=datetime.date(2026, 12, 1 + day),
            territory=territory("commune-54528"),
        )
    EventFactory(
        title="À Metz", start_date=datetime.date(2026, 12, 1), territory=territory("commune-57463")
    )
    EventFactory(title="Passé", start_date=datetime.date(2026, 11, 1))
    client.get("/evenements/", {"territoire": "groupement-pays-tdl"})  # the page-cache tags
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    # The territory, the page's keys with the count of all, their rows, the undated.
    with django_assert_num_queries(4) as queries:
        response = client.get("/evenements/", {"territoire": "groupement-pays-tdl"})

    assert titles(response) == [f"À Toul, jour {day}" for day in range(count)]
    assert response.context["paginator"].count == count
    # The territory's stored places read once for the dated events (their keys and count),
    # its inclusions once for the undated: neither a count nor a page walks them again.
    sqls = [q["sql"] for q in queries.captured_queries]
    assert [("events_eventplace" in sql, "territoryinclusion" in sql) for sql in sqls] == [
        (False, False),
        (True, False),
        (False, False),
        (False, True),
    ]


def test_a_territorys_later_pages_hold_the_rest_in_date_order(client, now):
    for day in range(25):
        EventFactory(
            title=f"Jour {day:02}",
            start_date=datetime.date(2026, 12, 1) + datetime.timedelta(days=day),
        )
    EventFactory(
        title="À Metz", start_date=datetime.date(2026, 12, 1), territory=territory("commune-57463")
    )

    first = client.get("/evenements/", {"territoire": "departement-54"})
    second = client.get("/evenements/", {"territoire": "departement-54", "page": 2})
    beyond = client.get("/evenements/", {"territoire": "departement-54", "page": 3})

    assert first.context["paginator"].count == 25
    assert titles(first) == [f"Jour {day:02}" for day in range(20)]
    assert titles(second) == [f"Jour {day:02}" for day in range(20, 25)]
    assert beyond.status_code == 404


def test_agenda_filters_by_territory_including_everything_inside(client, now):
    EventFactory(title="À Toul", territory=territory("commune-54528"))
    EventFactory(title="À Metz", territory=territory("commune-57463"))

    response = client.get("/evenements/", {"territoire": "groupement-pays-tdl"})

    assert titles(response) == ["À Toul"]


def test_agenda_filters_by_organiser_kind_period_and_mois_ess(client, now):
    cd54 = CollectiviteFactory(slug="meurthe-et-moselle")
    organised = EventFactory(
        title="Forum CD54", kind="forum", mois_ess=True, start_date=datetime.date(2026, 11, 28)
    )
    EventParticipationFactory(event=organised, collectivite=cd54)
    EventFactory(title="Webinaire", kind="webinaire", start_date=datetime.date(2027, 2, 1))

    assert titles(client.get("/evenements/", {"organisateur": "meurthe-et-moselle"})) == [
        "Forum CD54"
    ]
    assert titles(client.get("/evenements/", {"type": "webinaire"})) == ["Webinaire"]
    assert titles(client.get("/evenements/", {"mois_ess": "on"})) == ["Forum CD54"]
    period = client.get("/evenements/", {"du": "2027-01-01", "au": "2027-12-31"})
    assert titles(period) == ["Webinaire"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"du": "2025-02-30"}, "Saisissez une date valide."),
        ({"du": "demain"}, "Saisissez une date valide."),
        ({"du": "2027-01-02", "au": "2027-01-01"}, "précède la date de début"),
        ({"periode": "hier"}, "Sélectionnez un choix valide"),
        ({"type": "rave"}, "Sélectionnez un choix valide"),
        ({"territoire": "atlantide"}, "Territoire inconnu"),
        ({"du": "99999-01-01"}, "Saisissez une date valide."),
    ],
)
def test_agenda_bad_input_is_a_400_with_a_message(client, query, message):
    response = client.get("/evenements/", query)

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


@pytest.mark.parametrize("count", [1, 3])
def test_agenda_query_count_is_constant(client, django_assert_num_queries, now, count):
    EventFactory.create_batch(count, start_date=datetime.date(2026, 12, 1))

    # 4, and 11 more: the first page ever read initialises the versions of its 3 page-cache
    # tags (core.caching), in the database's cache table here (add(): 4 queries each).
    with django_assert_num_queries(4 + 11):
        response = client.get("/evenements/")

    assert response.context["paginator"].count == count


@pytest.mark.parametrize("count", [1, 3])
def test_event_detail_query_count_is_constant(client, django_assert_num_queries, count):
    event = EventFactory()
    for _ in range(count):
        EventParticipationFactory(event=event)
        EventParticipationFactory(event=event, collectivite=None, actor=ActorFactory())

    # 6, and 11 more: the first page ever read initialises the versions of its 3 page-cache
    # tags (core.caching), in the database's cache table here (add(): 4 queries each).
    # PostgreSQL receives the event's sources, themes, organisers and partners together
    # (core.prefetches, one level together): 3.
    with django_assert_num_queries((3 if connection.vendor == "postgresql" else 6) + 11):
        response = client.get(event.get_absolute_url())

    assert len(response.context["event"].organiser_links) == 2 * count


def test_event_detail_shows_organisers_linked_both_ways(client, now):
    actor = ActorFactory(name="Envie")
    collectivite = CollectiviteFactory(name="Pays Terres de Lorraine")
    event = EventFactory(title="ESS Tour")
    EventParticipationFactory(event=event, collectivite=collectivite)
    EventParticipationFactory(event=event, collectivite=None, actor=actor, role="partner")

    text = client.get(event.get_absolute_url()).content.decode()

    assert f'href="{collectivite.get_absolute_url()}"' in text
    assert f'href="{actor.get_absolute_url()}"' in text
    assert "ESS Tour" in client.get(collectivite.get_absolute_url()).content.decode()
    assert "ESS Tour" in client.get(actor.get_absolute_url()).content.decode()


def test_home_shows_the_next_events(client, now):
    EventFactory(title="Prochain forum", start_date=datetime.date(2026, 12, 1))
    EventFactory(title="Forum passé", start_date=datetime.date(2025, 12, 1))

    text = client.get("/").content.decode()

    assert "Prochain forum" in text
    assert "Forum passé" not in text


def test_atom_feed_lists_events(client):
    EventFactory(title="Forum annoncé")

    response = client.get("/evenements/flux.atom")

    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"<title>Forum annonc\xc3\xa9</title>" in response.content


def test_event_seed_facts_are_on_their_pages(seed, client):
    village = html.unescape(
        client.get("/evenements/village-des-solutions-de-demain-2024/").content.decode()
    )
    village_2025 = html.unescape(
        client.get("/evenements/village-des-solutions-de-demain-2025/").content.decode()
    )

    assert "<strong>81</strong> exposants" in village
    assert "<strong>1500</strong> visiteurs" in village
    assert "7 novembre 2025" in village_2025
    assert "8 novembre 2025" in village_2025


def ics_summaries(response) -> list[str]:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return [str(c["summary"]) for c in Calendar.from_ical(response.content).walk("VEVENT")]


@pytest.mark.parametrize("count", [1, 3])
def test_event_ics_query_count_is_constant(client, django_assert_num_queries, now, count):
    events = EventFactory.create_batch(count)

    for event in events:
        with django_assert_num_queries(2):
            response = client.get(f"/evenements/{event.slug}.ics")

        assert ics_summaries(response) == [event.title]


@pytest.mark.parametrize("count", [1, 3])
def test_agenda_ics_query_count_is_constant(client, django_assert_num_queries, now, count):
    events = [
        EventFactory(title=f"Rencontre {n}", start_date=datetime.date(2026, 12, 1 + n))
        for n in range(count)
    ]

    with django_assert_num_queries(2):
        response = client.get("/evenements/agenda.ics")

    assert ics_summaries(response) == [event.title for event in events]


@pytest.mark.parametrize("count", [1, 3])
def test_atom_feed_query_count_is_constant(client, django_assert_num_queries, count):
    events = [
        EventFactory(
            title=f"Forum {n}",
            created_at=datetime.datetime(2026, 10, 1 + n, tzinfo=datetime.UTC),
        )
        for n in range(count)
    ]

    with django_assert_num_queries(1):
        response = client.get("/evenements/flux.atom")

    entries = ElementTree.fromstring(response.content).findall(f"{ATOM}entry")
    # The most recently announced first.
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        event.title for event in reversed(events)
    ]
    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [
        f"https://testserver{event.get_absolute_url()}" for event in reversed(events)
    ]


def test_a_search_pages_through_its_first_matches_and_says_there_are_more(client, settings, now):
    settings.EXACT_COUNT_UP_TO = 2
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    for day in range(3):
        EventFactory(title=f"Forum {day}", start_date=datetime.date(2026, 12, 1 + day))

    searched = client.get("/evenements/", {"q": "forum"})
    every = client.get("/evenements/")

    # Searched: bounded as the site's searches are, "plus de" past the bound.
    assert (searched.context["paginator"].count, searched.context["paginator"].truncated) == (
        2,
        True,
    )
    assert titles(searched) == ["Forum 0", "Forum 1"]
    assert "Plus de 2 événements à venir" in searched.content.decode()
    assert client.get("/evenements/", {"q": "forum", "page": 2}).status_code == 404
    # The agenda itself is counted in full.
    assert (every.context["paginator"].count, every.context["paginator"].truncated) == (3, False)
    assert titles(every) == ["Forum 0", "Forum 1", "Forum 2"]
    assert "3 événements à venir" in every.content.decode()
