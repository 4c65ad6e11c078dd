"""The map of the ESS establishments: zones (core.geo.BBox) read from requests, grid
clustering, GeoJSON.

`/acteurs/carte.geojson` answers the establishments of the filtered actors inside a zone.
Up to `MAP_CLUSTER_THRESHOLD` of them come one by one; beyond, they are grouped in SQL by
the cells of a grid (GROUP BY floor(longitude / cell), floor(latitude / cell)), whose size
follows the zoom of the map and the size of the zone, so that a national view of 200 000
establishments answers a few hundred clusters in two queries. Plain ORM aggregates: the
same SQL runs on SQLite and PostgreSQL, no spatial extension needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import itemgetter

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import MAP_CELL_DEGREES, Establishment, MapCell
from core.geo import BBox

# At most this many cells across a zone, whatever the zoom asked: a bounded answer.
MAX_CELLS_ACROSS = 64
# Cells per tile width (256 px) at a given zoom: clusters about 64 px apart on screen.
CELLS_PER_TILE = 4
# Below this cosine the grid's cells stop getting flatter towards the poles.
MIN_COSINE = 0.05
# A wide view regroups the precomputed cells once its own are this many of them across:
# the clusters' counts stay exact, their positions and zones within a precomputed cell.
PRECOMPUTED_FROM = 10


class BBoxField(forms.CharField):
    """A zone typed as `west,south,east,north` (WGS 84 degrees), cleaned to a BBox."""

    default_error_messages = {
        "format": _(
            "La zone doit être quatre nombres séparés par des virgules : "
            "ouest,sud,est,nord (degrés WGS 84)."
        ),
        "longitude": _("Les longitudes de la zone doivent être comprises entre -180 et 180."),
        "latitude": _("Les latitudes de la zone doivent être comprises entre -90 et 90."),
        "order": _("L'ouest de la zone doit être inférieur à l'est, et le sud au nord."),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > self.max_length:
            raise ValidationError(self.error_messages["format"], code="format")
        try:
            numbers = [float(part) for part in value.split(",")]
        except ValueError:
            raise ValidationError(self.error_messages["format"], code="format") from None
        if len(numbers) != 4 or not all(math.isfinite(number) for number in numbers):
            raise ValidationError(self.error_messages["format"], code="format")
        west, south, east, north = numbers
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise ValidationError(self.error_messages["longitude"], code="longitude")
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise ValidationError(self.error_messages["latitude"], code="latitude")
        if not (west < east and south < north):
            raise ValidationError(self.error_messages["order"], code="order")
        return BBox(west, south, east, north)

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        # The value is a BBox: to_python() checked the text's length before reading it.
        pass


class MapForm(forms.Form):
    """What the map asks besides the list's filters: the zone it shows and its zoom."""

    bbox = BBoxField(label=_("Zone"), required=False)
    zoom = forms.IntegerField(label=_("Zoom"), min_value=0, max_value=20, required=False)


def grid_cells(bbox: BBox, zoom: int | None) -> tuple[float, float]:
    """The cell size (longitude, latitude degrees) of the clustering grid.

    About CELLS_PER_TILE cells per tile at `zoom`, never more than MAX_CELLS_ACROSS across
    the zone either way; cells are as tall as they are wide on the map (Web Mercator
    stretches latitudes by 1 / cos(latitude)).
    """
    cosine = max(math.cos(math.radians((bbox.south + bbox.north) / 2)), MIN_COSINE)
    cell = max(
        (bbox.east - bbox.west) / MAX_CELLS_ACROSS,
        (bbox.north - bbox.south) / cosine / MAX_CELLS_ACROSS,
    )
    if zoom is not None:
        cell = max(cell, 360 / 2**zoom / CELLS_PER_TILE)
    return cell, cell * cosine


def _point(longitude: float, latitude: float) -> dict:
    return {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]}


def establishments_geojson(
    actors: QuerySet | None,
    bbox: BBox,
    zoom: int | None,
    *,
    cluster_url: Callable[[BBox], str],
) -> dict:
    """A GeoJSON FeatureCollection of the active, located establishments inside `bbox` of
    `actors` (a queryset; None: every actor the public sees): one feature per establishment
    (`name`, `url` of its structure) up to MAP_CLUSTER_THRESHOLD of them, clusters beyond
    (`count`, `bbox` of the members, `url` of the list narrowed to them by `cluster_url`).
    The collection's `bbox` is the extent of what matched. One query, two when clustered."""
    threshold = settings.MAP_CLUSTER_THRESHOLD
    located = Establishment.objects.in_bbox(bbox)
    if actors is None:
        located = located.of_public_actors()
    else:
        located = located.filter(actor__in=actors.order_by().values("pk"))
    # Unordered: the first rows are enough to know whether to cluster; sorted below.
    rows = list(
        located.order_by().values_list(
            "longitude", "latitude", "name", "actor__name", "actor__slug", "id"
        )[: threshold + 1]
    )
    if len(rows) <= threshold:
        features, extent = _establishment_features(rows)
        clustered = False
    else:
        cells = _cells(located, bbox, zoom, precomputed=actors is None)
        features, extent = _cluster_features(cells, cluster_url)
        clustered = True
    collection = {"type": "FeatureCollection"}
    if extent:
        collection["bbox"] = [round(value, 6) for value in extent]
    collection["clustered"] = clustered
    collection["total"] = sum(feature["properties"]["count"] for feature in features)
    collection["features"] = features
    return collection


def _establishment_features(rows) -> tuple[list[dict], list[float] | None]:
    placeholder = "slug-of-the-actor"
    actor_url = reverse("site:actor", kwargs={"slug": placeholder})
    rows.sort(key=lambda row: (row[3].casefold(), row[5]))
    features = [
        {
            "type": "Feature",
            "geometry": _point(longitude, latitude),
            "properties": {
                "kind": "establishment",
                "count": 1,
                "name": actor_name,
                "establishment": name,
                "url": actor_url.replace(placeholder, slug),
            },
        }
        for longitude, latitude, name, actor_name, slug, _id in rows
    ]
    if not rows:
        return features, None
    longitudes = [row[0] for row in rows]
    latitudes = [row[1] for row in rows]
    return features, [min(longitudes), min(latitudes), max(longitudes), max(latitudes)]


def _cells(located, bbox: BBox, zoom: int | None, *, precomputed: bool) -> list[dict]:
    """The clusters of `located` inside `bbox` at `zoom`, sorted. A wide view of every public
    establishment (`precomputed`) regroups the precomputed cells (MapCell) when its cells
    hold at least PRECOMPUTED_FROM of them across; until they are first computed, and for
    narrower or filtered views, the establishments themselves are grouped."""
    cell_lon, cell_lat = grid_cells(bbox, zoom)
    cells = []
    if precomputed and cell_lon >= PRECOMPUTED_FROM * MAP_CELL_DEGREES:
        cells = [
            {
                "gx": cell["cx"],
                "gy": cell["cy"],
                "count": cell["total"],
                "lon": cell["lon_sum"] / cell["total"],
                "lat": cell["lat_sum"] / cell["total"],
                "west": cell["west"],
                "south": cell["south"],
                "east": cell["east"],
                "north": cell["north"],
            }
            for cell in MapCell.objects.in_bbox(bbox).grid_clusters(cell_lon, cell_lat)
        ]
    if not cells:
        cells = list(located.grid_clusters(cell_lon, cell_lat))
    return sorted(cells, key=itemgetter("gx", "gy"))


def _cluster_features(cells: list[dict], cluster_url):
    features = []
    extent = None
    for cell in cells:
        members = BBox.around(cell["west"], cell["south"], cell["east"], cell["north"])
        features.append(
            {
                "type": "Feature",
                "geometry": _point(cell["lon"], cell["lat"]),
                "bbox": members.as_list(),
                "properties": {
                    "kind": "cluster",
                    "count": cell["count"],
                    "url": cluster_url(members),
                },
            }
        )
        corners = [cell["west"], cell["south"], cell["east"], cell["north"]]
        extent = (
            corners
            if extent is None
            else [
                min(extent[0], corners[0]),
                min(extent[1], corners[1]),
                max(extent[2], corners[2]),
                max(extent[3], corners[3]),
            ]
        )
    return features, extent


def map_settings(request) -> dict:
    """Context processor: the tiles of the map and their attribution, on every page."""
    return {"map": {"tiles_url": settings.MAP_TILES_URL, "attribution": settings.MAP_ATTRIBUTION}}
