"""The derived tables of the structures (ActorPlace, ActorThemeListing) written by two
at once: the nightly rebuild of every row while a staff edit refreshes one structure's,
or two edits of the same structure. Neither may fail on the unique constraints, nor leave
a row twice or none."""

import pytest
from django.conf import settings

from actors.derived import refresh_actor_places, refresh_theme_listings
from actors.models import Actor, ActorPlace, ActorThemeListing
from territories.models import Theme
from tests.concurrency import at_once, fictive_departement

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASE_IS_POSTGRES,
        reason="two writers at once need PostgreSQL (SQLite's test database lives in memory)",
    ),
]


@pytest.fixture
def structure():
    place = fictive_departement()
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
