"""Time in the sources: a scheme whose period is over says "Terminé" with its period and
comes after the current ones; "open today" says what it means."""

import datetime

import pytest

from territories.models import Scheme
from tests.essdir.test_views import Page
from tests.factories import SchemeFactory

pytestmark = pytest.mark.django_db

# The seed's schemes whose period is over: the years their sources give or determine.
OVER = {
    "tressons": (2020, False),
    "comite-demergence": (2019, False),
    "moselle-aap-innovation-sociale": (2021, True),
    "moselle-fonds-de-soutien-exceptionnel-ess": (2020, True),
}


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC))


def slugs(response, key="object_list") -> list[str]:
    return [scheme.slug for scheme in response.context[key]]


def test_seed_end_years_come_from_the_sources_and_say_when_inferred(seed):
    ends = {
        scheme.slug: (scheme.end_year, scheme.end_year_inferred)
        for scheme in Scheme.objects.filter(end_year__isnull=False)
    }
    aap = Scheme.objects.get(slug="moselle-aap-innovation-sociale")

    assert ends == OVER
    assert aap.end_year_note == (
        "lancé en 2019, « 300 000 € mobilisés sur 3 ans » : 2019, 2020 et 2021"
    )


def test_schemes_whose_period_is_over_come_after_the_current_ones(client, seed, today):
    response = client.get("/dispositifs/", {"territoire": "departement-57"})

    listed = slugs(response)
    # The Moselle's 3, Metz's 4 and the Région's 12; by name, the current ones first.
    assert response.context["paginator"].count == 19
    assert listed[-3:] == [
        "moselle-aap-innovation-sociale",
        "comite-demergence",
        "moselle-fonds-de-soutien-exceptionnel-ess",
    ]
    assert [slug for slug in listed if slug in OVER] == listed[-3:]
    html = response.content.decode()
    assert html.count('<span class="badge status-cancelled">Terminé</span>') == 3
    assert "fin en 2021, déduite de la source" in html
    assert "sont marqués « Terminé » et listés après" in Page(response).text


def test_finder_and_widget_list_current_schemes_first(client, seed, today):
    finder = client.get("/contacts/", {"commune": "commune-57463"})

    listed = slugs(finder, "schemes")
    assert listed[-3:] == [
        "comite-demergence",
        "moselle-aap-innovation-sociale",
        "moselle-fonds-de-soutien-exceptionnel-ess",
    ]
    assert [slug for slug in listed if slug in OVER] == listed[-3:]


def test_scheme_page_says_the_period_is_over_and_where_its_end_comes_from(client, seed, today):
    aap = Page(client.get("/dispositifs/moselle-aap-innovation-sociale/")).text
    tressons = Page(client.get("/dispositifs/tressons/")).text
    current = Page(client.get("/dispositifs/agiren54/")).text

    assert "2019 — terminé : dernière année 2021 (année déduite de la source : lancé en 2019" in aap
    assert "De 2018 à 2020 — terminé : dernière année 2020 (source : « De 2018 à 2020 »)" in (
        tressons
    )
    assert "Terminé" not in current


def test_a_scheme_is_over_once_its_last_year_is_past(client, time_machine, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # each page rendered on the day asked
    time_machine.move_to(datetime.datetime(2026, 12, 31, 12, 0, tzinfo=datetime.UTC))
    SchemeFactory(name="Jusqu'en 2026", end_year=2026, opens_on="2026-01-01")
    SchemeFactory(name="Zèbre en cours")

    this_year = client.get("/dispositifs/")
    time_machine.move_to(datetime.datetime(2027, 1, 1, 12, 0, tzinfo=datetime.UTC))
    next_year = client.get("/dispositifs/")

    assert [s.name for s in this_year.context["object_list"]] == ["Jusqu'en 2026", "Zèbre en cours"]
    assert [s.name for s in next_year.context["object_list"]] == ["Zèbre en cours", "Jusqu'en 2026"]
    assert [s.is_over for s in next_year.context["object_list"]] == [False, True]
    assert list(Scheme.objects.open_on(datetime.date(2027, 1, 1))) == []


def test_open_today_says_what_it_means_and_why_nothing_is_found(client, seed, today):
    response = client.get("/dispositifs/", {"ouvert": "on"})

    text = Page(response).text
    assert response.context["paginator"].count == 0
    assert "seulement les dispositifs dont la source donne des dates de candidature" in text
    assert "Aucun dispositif de ces critères n'a de dates de candidature connues" in text
    assert ("?", "Voir ces dispositifs sans ce filtre") in Page(response).links
