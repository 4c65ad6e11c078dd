"""The derived tables of the structures (ActorPlace, ActorThemeListing) written by two
at once: the nightly rebuild of every row while a staff edit refreshes one structure's,
or two edits of the same structure. Neither may fail on the unique constraints, nor leave
a row twice or none."""

import threading

import pytest
from django.conf import settings
from django.db import connections

from actors.derived import refresh_actor_places, refresh_theme_listings
from actors.models import Actor, ActorPlace, ActorThemeListing
from territories.models import Territory, TerritoryInclusion, Theme

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASE_IS_POSTGRES,
        reason="two writers at once need PostgreSQL (SQLite's test database lives in memory)",
    ),
]

ROUNDS = 30


def at_once(*refreshes) -> list[Exception]:
    """Run each of `refreshes` ROUNDS times, each in its own thread (its own connection),
    started together; the errors raised."""
    start = threading.Barrier(len(refreshes))
    errors = []

    def work(refresh):
        try:
            start.wait()
            for _ in range(ROUNDS):
                refresh()
        except Exception as error:  # reported by the callers' assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(refresh,)) for refresh in refreshes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def structure():
    # Transactional tests start from an empty database: a territory of their own.
    place = Territory.objects.create(
        kind="departement",
        code="99",
        name="Fictif",
        slug="departement-99-fictif",
        short_slug="departement-99",
    )
    TerritoryInclusion.objects.create(container=place, member=place)
    actor = Actor.objects.create(name="Recyclerie", slug="recyclerie", territory=place)
    actor.themes.add(Theme.objects.create(name="Réemploi", slug="reemploi"))
    return actor


def test_a_full_rebuild_of_the_places_and_a_structures_refresh_at_once(structure):
    errors = at_once(refresh_actor_places, lambda: refresh_actor_places(actor_ids=[structure.pk]))

    assert errors == []
    assert list(ActorPlace.objects.values_list("actor_id", "territory_id")) == [
        (structure.pk, structure.territory_id)
    ]


def test_two_refreshes_of_one_structures_places_at_once(structure):
    def one():
        refresh_actor_places(actor_ids=[structure.pk])

    errors = at_once(one, one)

    assert errors == []
    assert ActorPlace.objects.filter(actor=structure).count() == 1


def test_a_full_rebuild_of_the_theme_lists_and_a_structures_refresh_at_once(structure):
    errors = at_once(
        refresh_theme_listings, lambda: refresh_theme_listings(actor_ids=[structure.pk])
    )

    assert errors == []
    theme = structure.themes.get()
    assert list(ActorThemeListing.objects.values_list("actor_id", "theme_id")) == [
        (structure.pk, theme.pk)
    ]
