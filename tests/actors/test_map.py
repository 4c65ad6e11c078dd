"""The map of the establishments: /acteurs/carte.geojson, the list's zone, the map block."""

import html
import json
import re

import markupsafe
import pytest

from actors.derived import refresh_map_cells
from actors.map import grid_cells
from actors.models import Establishment, MapCell
from core.geo import BBox
from essdir.settings import tile_origins
from tests.factories import ActorFactory, EstablishmentFactory, ThemeFactory, territory

pytestmark = pytest.mark.django_db

URL = "/acteurs/carte.geojson"
GRAND_EST = "5.0,48.0,7.0,49.5"


def located(actor, longitude: float, latitude: float, **fields) -> Establishment:
    return EstablishmentFactory(actor=actor, longitude=longitude, latitude=latitude, **fields)


def geojson(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def points(collection) -> list[tuple[str, list[float], str]]:
    return [
        (f["properties"]["name"], f["geometry"]["coordinates"], f["properties"]["url"])
        for f in collection["features"]
    ]


@pytest.fixture
def lorraine():
    """Six establishments of four structures: three around Toul, two in Nancy, one in Metz."""
    recyclerie = ActorFactory(name="Recyclerie de Toul")
    jardin = ActorFactory(name="Jardin de Toul")
    atelier = ActorFactory(name="Atelier de Nancy", territory=territory("commune-54395"))
    coop = ActorFactory(name="Coop de Metz", territory=territory("commune-57463"))
    located(recyclerie, 5.88, 48.62)
    located(recyclerie, 5.89, 48.625)
    located(jardin, 5.90, 48.63)
    located(atelier, 6.17, 48.74)
    located(atelier, 6.18, 48.75)
    located(coop, 6.17, 49.10)
    return {"recyclerie": recyclerie, "jardin": jardin, "atelier": atelier, "coop": coop}


def test_geojson_lists_the_establishments_inside_the_bbox(client, lorraine):
    collection = geojson(client, bbox="5.8,48.5,6.0,48.7", zoom=11)

    assert collection["type"] == "FeatureCollection"
    assert collection["clustered"] is False
    assert collection["total"] == 3
    assert points(collection) == [
        ("Jardin de Toul", [5.9, 48.63], "/acteurs/jardin-de-toul/"),
        ("Recyclerie de Toul", [5.88, 48.62], "/acteurs/recyclerie-de-toul/"),
        ("Recyclerie de Toul", [5.89, 48.625], "/acteurs/recyclerie-de-toul/"),
    ]
    assert collection["bbox"] == [5.88, 48.62, 5.9, 48.63]
    assert {f["properties"]["kind"] for f in collection["features"]} == {"establishment"}


def test_geojson_includes_establishments_on_the_edges_of_the_bbox(client, lorraine):
    collection = geojson(client, bbox="5.88,48.62,5.89,48.625")

    assert [point[1] for point in points(collection)] == [[5.88, 48.62], [5.89, 48.625]]


def test_geojson_without_bbox_covers_everything_and_gives_the_extent(client, lorraine):
    collection = geojson(client)

    assert collection["total"] == 6
    assert collection["bbox"] == [5.88, 48.62, 6.18, 49.1]


def test_geojson_leaves_out_closed_unlocated_and_unpublished(client):
    shown = ActorFactory(name="Ouverte")
    located(shown, 6.0, 48.6)
    located(shown, 6.01, 48.61, is_active=False)
    EstablishmentFactory(actor=shown)  # not located
    located(ActorFactory(name="Brouillon", status="draft"), 6.0, 48.6)
    located(ActorFactory(name="Masquée", hidden=True), 6.0, 48.6)

    collection = geojson(client, bbox=GRAND_EST)

    assert points(collection) == [("Ouverte", [6.0, 48.6], "/acteurs/ouverte/")]


def test_geojson_applies_the_theme_filter(client, lorraine):
    theme = ThemeFactory(name="Réemploi")
    lorraine["recyclerie"].themes.add(theme)

    collection = geojson(client, bbox=GRAND_EST, theme=theme.slug)

    assert [name for name, _, _ in points(collection)] == ["Recyclerie de Toul"] * 2


def test_geojson_applies_the_territory_filter(client, lorraine):
    collection = geojson(client, bbox=GRAND_EST, territoire="departement-57")

    assert points(collection) == [("Coop de Metz", [6.17, 49.1], "/acteurs/coop-de-metz/")]


def test_geojson_clusters_in_a_grid_above_the_threshold(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 5

    collection = geojson(client, bbox=GRAND_EST, zoom=8, theme="", q="")

    # Cells of 0.3515625° of longitude (360 / 2⁸ / 4) by 0.2318° of latitude (× cos 48.75°).
    assert collection["clustered"] is True
    assert collection["total"] == 6
    assert collection["bbox"] == [5.88, 48.62, 6.18, 49.1]
    assert [
        (
            f["properties"]["kind"],
            f["properties"]["count"],
            f["geometry"]["coordinates"],
            f["bbox"],
            f["properties"]["url"],
        )
        for f in collection["features"]
    ] == [
        (
            "cluster",
            3,
            [5.89, 48.625],
            [5.87999, 48.61999, 5.90001, 48.63001],
            "/acteurs/?bbox=5.87999%2C48.61999%2C5.90001%2C48.63001&theme=&q=",
        ),
        (
            "cluster",
            2,
            [6.175, 48.745],
            [6.16999, 48.73999, 6.18001, 48.75001],
            "/acteurs/?bbox=6.16999%2C48.73999%2C6.18001%2C48.75001&theme=&q=",
        ),
        (
            "cluster",
            1,
            [6.17, 49.1],
            [6.16999, 49.09999, 6.17001, 49.10001],
            "/acteurs/?bbox=6.16999%2C49.09999%2C6.17001%2C49.10001&theme=&q=",
        ),
    ]


def test_geojson_cluster_url_keeps_the_filters(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 1

    collection = geojson(client, bbox=GRAND_EST, zoom=8, territoire="departement-54", page=3)

    assert [f["properties"]["url"] for f in collection["features"]] == [
        "/acteurs/?bbox=5.87999%2C48.61999%2C5.90001%2C48.63001&territoire=departement-54",
        "/acteurs/?bbox=6.16999%2C48.73999%2C6.18001%2C48.75001&territoire=departement-54",
    ]


def test_cluster_url_narrows_the_list_to_its_structures(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 5
    toul = geojson(client, bbox=GRAND_EST, zoom=8)["features"][0]

    response = client.get(toul["properties"]["url"])

    assert response.status_code == 200
    assert [actor.name for actor in response.context["object_list"]] == [
        "Jardin de Toul",
        "Recyclerie de Toul",
    ]
    assert response.context["filter"].map_zone == BBox(5.87999, 48.61999, 5.90001, 48.63001)


def test_actor_list_bbox_filter_keeps_actors_with_an_establishment_inside(client, lorraine):
    located(lorraine["coop"], 6.1, 48.7, is_active=False)

    response = client.get("/acteurs/", {"bbox": "6.0,48.6,6.3,48.8"})

    assert response.status_code == 200
    assert [actor.name for actor in response.context["object_list"]] == ["Atelier de Nancy"]
    text = html.unescape(response.content.decode())
    assert 'data-map-bbox="6.00000,48.60000,6.30000,48.80000"' in text
    assert (
        "Liste limitée aux structures qui ont un établissement dans la zone choisie sur la "
        'carte · <a href="?">Retirer cette zone</a>' in text
    )


def test_actor_list_keeps_the_zone_as_a_hidden_field(client, lorraine):
    response = client.get("/acteurs/", {"bbox": "6.0,48.6,6.3,48.8", "famille": "cooperative"})

    text = html.unescape(response.content.decode())
    assert '<input type="hidden" name="bbox" value="6.0,48.6,6.3,48.8" id="id_bbox">' in text
    assert "Zone de la carte (ouest,sud,est,nord)</label>" not in text


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("5,48,6", "La zone doit être quatre nombres séparés par des virgules"),
        ("a,b,c,d", "La zone doit être quatre nombres séparés par des virgules"),
        ("nan,48,6,49", "La zone doit être quatre nombres séparés par des virgules"),
        ("5,48,inf,49", "La zone doit être quatre nombres séparés par des virgules"),
        ("-181,48,6,49", "Les longitudes de la zone doivent être comprises entre -180 et 180."),
        ("5,48,6,91", "Les latitudes de la zone doivent être comprises entre -90 et 90."),
        ("6,48,5,49", "L'ouest de la zone doit être inférieur à l'est, et le sud au nord."),
        ("5,49,6,49", "L'ouest de la zone doit être inférieur à l'est, et le sud au nord."),
        ("5," + "0" * 200 + ",6,49", "La zone doit être quatre nombres séparés par des virgules"),
    ],
)
def test_actor_list_bad_bbox_answers_400(client, bbox, message):
    response = client.get("/acteurs/", {"bbox": bbox})

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"bbox": "5,48,6"},
            "Paramètres invalides : La zone doit être quatre nombres séparés par des "
            "virgules : ouest,sud,est,nord (degrés WGS 84).",
        ),
        (
            {"bbox": "6,48,5,49"},
            "Paramètres invalides : L'ouest de la zone doit être inférieur à l'est, et le sud "
            "au nord.",
        ),
        (
            {"bbox": "5,-91,6,49"},
            "Paramètres invalides : Les latitudes de la zone doivent être comprises entre -90 "
            "et 90.",
        ),
        (
            {"bbox": "5,48,190,49"},
            "Paramètres invalides : Les longitudes de la zone doivent être comprises entre "
            "-180 et 180.",
        ),
        (
            {"zoom": "21"},
            "Paramètres invalides : Assurez-vous que cette valeur est inférieure ou égale à 20.",
        ),
        (
            {"zoom": "-1"},
            "Paramètres invalides : Assurez-vous que cette valeur est supérieure ou égale à 0.",
        ),
        ({"zoom": "près"}, "Paramètres invalides : Saisissez un nombre entier."),
        (
            {"theme": "inconnu"},
            "Paramètres invalides : Sélectionnez un choix valide. Ce choix ne fait pas partie "
            "de ceux disponibles.",
        ),
    ],
)
def test_geojson_bad_input_answers_400_with_a_message(client, params, error):
    response = client.get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"error": error}


@pytest.mark.parametrize("count", [1, 3])
def test_geojson_query_count_is_constant(client, django_assert_num_queries, count):
    for number in range(count):
        located(ActorFactory(), 6.0 + number / 100, 48.6)

    # The content version (page cache), then the establishments.
    with django_assert_num_queries(2):
        collection = geojson(client, bbox=GRAND_EST, zoom=9)

    assert collection["total"] == count


@pytest.mark.parametrize("count", [1, 3])
def test_geojson_clustered_query_count_is_constant(
    client, django_assert_num_queries, settings, count
):
    settings.MAP_CLUSTER_THRESHOLD = 0
    for number in range(count):
        located(ActorFactory(), 5.0 + number / 2, 48.6)

    # The content version, the first establishments (too many), then the clusters.
    with django_assert_num_queries(3):
        collection = geojson(client, bbox=GRAND_EST, zoom=9)

    assert [f["properties"]["count"] for f in collection["features"]] == [1] * count


def test_geojson_is_cached_for_anonymous_visitors(client, lorraine, django_assert_num_queries):
    first = client.get(URL, {"bbox": GRAND_EST})

    with django_assert_num_queries(1):  # the content version only
        second = client.get(URL, {"bbox": GRAND_EST})

    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_grid_cells_stay_bounded_whatever_the_zoom():
    cell_longitude, cell_latitude = grid_cells(BBox.world(), 20)

    assert cell_longitude == 360 / 64
    assert 180 / cell_latitude <= 64


@pytest.mark.parametrize(
    ("extremes", "text"),
    [
        ((5.88, 48.62, 5.9, 48.63), "5.87999,48.61999,5.90001,48.63001"),
        ((-180.0, -90.0, 180.0, 90.0), "-180.00000,-90.00000,180.00000,90.00000"),
    ],
)
def test_bbox_around_contains_its_extremes_strictly(extremes, text):
    assert str(BBox.around(*extremes)) == text


def test_actor_list_shows_the_map_block(client, settings):
    response = client.get("/acteurs/", {"theme": "", "q": "insertion", "tri": "nom"})

    text = response.content.decode()
    block = re.search(r"<div class=\"map\" data-map [^>]*>", text).group(0)
    assert 'role="region" aria-label="Carte des établissements"' in block
    assert 'data-map-geojson="/acteurs/carte.geojson?theme=&amp;q=insertion&amp;tri=nom"' in block
    assert f'data-map-tiles="{settings.MAP_TILES_URL}"' in block
    assert f'data-map-attribution="{markupsafe.escape(settings.MAP_ATTRIBUTION)}"' in block
    assert "data-map-bbox" not in block
    assert "La liste ci-dessous en est l'alternative textuelle" in html.unescape(text)


def test_territory_page_shows_the_map_of_its_actors(client, lorraine):
    response = client.get("/territoires/commune-54528-toul/")

    text = html.unescape(response.content.decode())
    assert 'data-map-geojson="/acteurs/carte.geojson?territoire=commune-54528"' in text


def test_csp_allows_the_tiles_host_only(client):
    response = client.get("/acteurs/")

    img_src = next(
        part.strip()
        for part in response["Content-Security-Policy"].split(";")
        if part.strip().startswith("img-src")
    )
    assert img_src == (
        "img-src 'self' data: https://a.tile.openstreetmap.fr https://b.tile.openstreetmap.fr "
        "https://c.tile.openstreetmap.fr"
    )


@pytest.mark.parametrize(
    ("url", "origins"),
    [
        (
            "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
            [
                "https://a.tile.openstreetmap.fr",
                "https://b.tile.openstreetmap.fr",
                "https://c.tile.openstreetmap.fr",
            ],
        ),
        (
            "https://data.geopf.fr/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
            ["https://data.geopf.fr"],
        ),
        ("http://127.0.0.1:8765/{z}/{x}/{y}.png", ["http://127.0.0.1:8765"]),
    ],
)
def test_tile_origins_are_the_tiles_hosts(url, origins):
    assert tile_origins(url) == origins


def clusters(collection) -> list[tuple[int, list[float], list[float]]]:
    return [
        (f["properties"]["count"], f["geometry"]["coordinates"], f["bbox"])
        for f in collection["features"]
    ]


def test_wide_view_regroups_the_precomputed_cells_as_the_live_grid_does(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 5
    live = geojson(client, bbox="-5.5,41.2,9.8,51.2", zoom=5)  # cells of 2.8°: 56 × 0.05°
    assert MapCell.objects.count() == 0

    assert refresh_map_cells() == 5  # Toul's three establishments share one 0.05° cell
    precomputed = geojson(client, bbox="-5.5,41.2,9.8,51.2", zoom=5, q="")

    assert clusters(precomputed) == clusters(live)
    assert [count for count, _position, _zone in clusters(precomputed)] == [3, 3]
    assert precomputed["total"] == 6


def test_precomputed_cells_leave_out_what_the_public_does_not_see(lorraine):
    lorraine["coop"].hidden = True
    lorraine["coop"].save()

    refresh_map_cells()

    assert sorted(MapCell.objects.values_list("count", flat=True)) == [1, 1, 1, 2]


def test_narrow_or_filtered_views_group_the_establishments_themselves(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 2
    refresh_map_cells()
    MapCell.objects.update(count=99)  # would show if the cells were read

    narrow = geojson(client, bbox=GRAND_EST, zoom=8)
    filtered = geojson(client, bbox="-5.5,41.2,9.8,51.2", zoom=5, famille="association")

    assert (narrow["total"], filtered["total"]) == (6, 0)


def test_wide_view_reads_the_precomputed_cells(client, lorraine, settings):
    settings.MAP_CLUSTER_THRESHOLD = 5
    refresh_map_cells()
    MapCell.objects.update(count=10)

    collection = geojson(client, bbox="-5.5,41.2,9.8,51.2", zoom=5)

    assert collection["total"] == 50
