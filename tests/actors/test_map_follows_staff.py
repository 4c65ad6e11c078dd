"""The wide map follows staff at once: the precomputed cells (MapCell) of the national and
regional views drop a structure staff hide, unpublish, archive or delete, and take it back
when it is published or shown again, without waiting for the nightly rebuild."""

import json

import pytest

from actors import services
from actors.derived import refresh_map_cells
from actors.models import MapCell
from core.publication import set_status
from territories.models import PublicationStatus
from tests.factories import ActorFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db

FRANCE = {"bbox": "-5.5,41.2,9.8,51.2", "zoom": 5}  # cells of 2.8°: the precomputed ones
GRAND_EST = {"bbox": "3.3,47.4,8.3,50.2", "zoom": 7}  # cells of 0.7°: the precomputed ones


@pytest.fixture
def france(settings):
    """Five structures, 401 establishments: 200 in Toul, 150 in Nancy, 51 in Metz."""
    settings.MAP_CLUSTER_THRESHOLD = 5
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # every answer computed afresh
    structures = {
        "toul": ActorFactory(name="Toul"),
        "nancy": ActorFactory(name="Nancy"),
        "metz": ActorFactory(name="Metz"),
        "petite": ActorFactory(name="Petite structure de Metz"),
        "brouillon": ActorFactory(name="Brouillon", status=PublicationStatus.DRAFT),
    }
    for n in range(200):
        EstablishmentFactory(actor=structures["toul"], longitude=5.88 + n / 10_000, latitude=48.62)
    for n in range(150):
        EstablishmentFactory(actor=structures["nancy"], longitude=6.17, latitude=48.69 + n / 10_000)
    for _ in range(49):
        EstablishmentFactory(actor=structures["metz"], longitude=6.17, latitude=49.11)
    EstablishmentFactory(actor=structures["petite"], longitude=6.18, latitude=49.12)
    EstablishmentFactory(actor=structures["petite"], longitude=6.19, latitude=49.12)
    EstablishmentFactory(actor=structures["brouillon"], longitude=6.19, latitude=49.12)
    refresh_map_cells()
    return structures


def total(client, view=FRANCE) -> int:
    response = client.get("/acteurs/carte.geojson", view)
    assert response.status_code == 200
    collection = json.loads(response.content)
    assert collection["clustered"] is True
    return collection["total"]


def listed(client) -> int:
    return client.get("/acteurs/").context["paginator"].count


def cells_total() -> int:
    return sum(MapCell.objects.values_list("count", flat=True))


def test_hiding_a_structure_drops_its_establishments_from_the_national_clusters(client, france):
    assert total(client) == 401

    services.set_hidden(actors=[france["petite"]], hidden=True)

    assert total(client) == 399
    assert total(client, GRAND_EST) == 399
    assert cells_total() == 399
    assert listed(client) == 3


def test_showing_it_again_brings_them_back(client, france):
    services.set_hidden(actors=[france["petite"]], hidden=True)

    services.set_hidden(actors=[france["petite"]], hidden=False)

    assert total(client) == 401
    assert cells_total() == 401


def test_unpublishing_archiving_and_deleting_leave_the_clusters_at_once(client, france):
    set_status(records=[france["metz"]], status=PublicationStatus.DRAFT)
    assert total(client) == 352

    set_status(records=[france["nancy"]], status=PublicationStatus.ARCHIVED)
    assert total(client) == 202

    france["petite"].delete()
    assert total(client) == 200
    assert total(client, GRAND_EST) == 200

    # Toul's cell alone is left, with its mean position; Nancy's and Metz's went.
    assert list(MapCell.objects.values_list("count", flat=True)) == [200]


def test_publishing_a_draft_adds_its_establishments(client, france):
    france["brouillon"].status = PublicationStatus.PUBLISHED
    france["brouillon"].save()

    assert total(client) == 402
    assert cells_total() == 402


def test_shifted_cells_are_those_a_rebuild_gives(client, france):
    services.set_hidden(actors=[france["metz"]], hidden=True)
    set_status(records=[france["brouillon"]], status=PublicationStatus.PUBLISHED)
    shifted = sorted(MapCell.objects.values_list("gx", "gy", "count", "lon", "lat"))

    refresh_map_cells()
    rebuilt = sorted(MapCell.objects.values_list("gx", "gy", "count", "lon", "lat"))

    assert [cell[:3] for cell in shifted] == [cell[:3] for cell in rebuilt]
    assert [tuple(round(v, 9) for v in cell[3:]) for cell in shifted] == [
        tuple(round(v, 9) for v in cell[3:]) for cell in rebuilt
    ]


def test_edits_that_change_nothing_public_leave_the_cells(
    client, france, django_assert_num_queries
):
    toul = france["toul"]
    toul.name = "Recyclerie de Toul"

    # The save, its history, one read of whether the public saw it (no cell written), one of
    # its former slug (its page's cache tag: core.caching), and the listing columns of its
    # places and of its themes' lists (the rename reaches both).
    with django_assert_num_queries(6):
        toul.save()

    assert cells_total() == 401


def test_before_the_first_rebuild_nothing_is_precomputed(france):
    MapCell.objects.all().delete()

    services.set_hidden(actors=[france["petite"]], hidden=True)
    services.set_hidden(actors=[france["petite"]], hidden=False)

    assert MapCell.objects.count() == 0
