"""Geometry values shared by the apps: a zone of the map (a bounding box in WGS 84 degrees).

Pure values, no database: the establishments' and map cells' querysets filter by a zone,
the map (actors.map) reads zones from requests and writes them in its GeoJSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Decimals of the coordinates written in the GeoJSON and in zones (about 1 m).
DECIMALS = 5


@dataclass(frozen=True)
class BBox:
    """A zone in WGS 84 degrees: west < east, south < north (no crossing of the 180th)."""

    west: float
    south: float
    east: float
    north: float

    def __str__(self) -> str:
        return ",".join(f"{value:.{DECIMALS}f}" for value in self.as_list())

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    @classmethod
    def world(cls) -> BBox:
        return cls(-180.0, -90.0, 180.0, 90.0)

    @classmethod
    def around(cls, west: float, south: float, east: float, north: float) -> BBox:
        """The smallest zone written with DECIMALS that strictly contains these extremes
        (a single point gives a zone of a few metres): every member lies inside it."""
        scale = 10**DECIMALS

        def down(value: float) -> float:
            # round() first: 5.88 * 10**5 is 587999.99…, which floor() would take down again.
            return (math.floor(round(value * scale, 3)) - 1) / scale

        def up(value: float) -> float:
            return (math.ceil(round(value * scale, 3)) + 1) / scale

        return cls(
            max(-180.0, down(west)),
            max(-90.0, down(south)),
            min(180.0, up(east)),
            min(90.0, up(north)),
        )
