"""Weights that spread an area's population over H3 cells, one class per method.

A weighting says, for ``(area, cell)`` pairs, how much of the area's people live in
the cell. :mod:`layers.population` combines them per area in a preference order
(settlements or a raster first, road length next, uniform last).

* :class:`PairWeights` — weights given per ``(area, cell)`` pair, so a cell cut by an
  area boundary can hold people of both areas (settlement area, raster counts).
* :class:`RoadDensity` — road metres per cell, applied to the cells whose centre lies
  in the area (a proxy for settlement; the fallback when nothing better is loaded).

Helpers shared by the methods: the H3 cells of an area, hexagon polygons, and areas in
square metres in an equal-area projection (:data:`EQUAL_AREA_CRS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "EQUAL_AREA_CRS",
    "METHODS",
    "PIECE_M",
    "PairWeights",
    "RoadDensity",
    "cells_of",
    "equal_area_m2",
    "hexagons",
]

METHODS = ("settlements", "raster", "road_length", "uniform")
"""Every way the grid can spread an area's people, best first."""
EQUAL_AREA_CRS = "EPSG:6933"
"""WGS 84 / NSIDC EASE-Grid 2.0 Global: cylindrical equal-area, true areas at any latitude."""
PIECE_M = 50.0
_M_PER_DEG = 111_320.0
_TO_EQUAL_AREA = Transformer.from_crs("EPSG:4326", EQUAL_AREA_CRS, always_xy=True)


def equal_area_m2(geoms: Any) -> NDArray[np.float64]:
    """Areas in m² of lon/lat geometries, projected to :data:`EQUAL_AREA_CRS`.

    The projection is equal-area, so the planar area of the projected geometry is its
    area on the WGS 84 ellipsoid (up to the straight-edge approximation of each
    segment, nothing at the scale of settlement outlines and H3 res 7-10 cells).
    """
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return np.zeros(0, dtype=np.float64)

    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = _TO_EQUAL_AREA.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.area(shapely.transform(arr, project)), dtype=np.float64)


def hexagons(cells: Sequence[str]) -> NDArray[Any]:
    """Shapely polygons (lon/lat) of H3 cells."""
    rings = [[(lng, lat) for lat, lng in h3.cell_to_boundary(c)] for c in cells]
    if rings and all(len(r) == 6 for r in rings):
        return np.asarray(shapely.polygons(np.array(rings, dtype=np.float64)), dtype=object)
    return np.array([shapely.Polygon(r) for r in rings], dtype=object)


def cells_of(geom: BaseGeometry, resolution: int) -> list[str]:
    """H3 cells whose centre lies in ``geom`` (sorted).

    An area too small to hold a centre gets the cell of its representative point.
    """
    cells: list[str] = []
    for part in shapely.get_parts(geom):
        if part.is_empty or part.geom_type != "Polygon":
            continue
        cells.extend(h3.geo_to_cells(part, resolution))
    if not cells and not geom.is_empty:
        p = geom.representative_point()
        cells = [h3.latlng_to_cell(p.y, p.x, resolution)]
    return sorted(set(cells))


@dataclass(frozen=True)
class PairWeights:
    """Weights of one method given per ``(area, cell)`` pair.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    description : str
        What the weight is, for people.
    area : numpy.ndarray
        Area index (into the :class:`~layers.population.AreaTable`) of each pair.
    cells : list of str
        H3 cell of each pair.
    weight : numpy.ndarray
        Weight of each pair (> 0).
    lon, lat : numpy.ndarray
        A point of each pair inside the area and the cell, where the weight lies (used
        for pairs whose cell centre is outside the area).
    counts : bool
        True when weights are people (a raster): areas without a figure may take them.
    data : dict
        The data used, for the answer (counts, areas, file, resolution, ...).
    notes : list of str
        Caveats to state in the grid's assumptions.
    """

    method: str
    description: str
    area: NDArray[np.int64]
    cells: list[str]
    weight: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    counts: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cells)


class RoadDensity:
    """Road length (m) per H3 cell, from road lines given as flat lon/lat arrays.

    Parameters
    ----------
    coords : numpy.ndarray
        ``(n, 2)`` lon/lat vertices of all lines, line after line.
    offsets : numpy.ndarray
        ``len(lines) + 1`` start offsets into ``coords`` (CSR style).
    resolution : int
        H3 resolution of the cells.
    piece_m : float
        Longest piece a segment is cut into before counting; each piece counts in the
        cell of its midpoint.
    """

    method = "road_length"
    description = "road length inside the cell (road density as a settlement proxy)"

    def __init__(
        self,
        coords: NDArray[np.float64],
        offsets: NDArray[np.int64],
        *,
        resolution: int = 8,
        piece_m: float = PIECE_M,
    ) -> None:
        self.resolution = resolution
        xy = np.asarray(coords, dtype=np.float64)
        off = np.asarray(offsets, dtype=np.int64)
        # segments k -> k+1 inside every line
        last = np.zeros(xy.shape[0], dtype=bool)
        last[off[1:] - 1] = True
        a = np.flatnonzero(~last[:-1]) if xy.shape[0] > 1 else np.empty(0, dtype=np.int64)
        a = a[~last[a]]
        p, q = xy[a], xy[a + 1]
        mid_lat = np.radians((p[:, 1] + q[:, 1]) / 2)
        dx = (q[:, 0] - p[:, 0]) * _M_PER_DEG * np.cos(mid_lat)
        dy = (q[:, 1] - p[:, 1]) * _M_PER_DEG
        seg_m = np.hypot(dx, dy)
        n = np.maximum(1, np.ceil(seg_m / piece_m)).astype(np.int64)
        owner = np.repeat(np.arange(a.shape[0]), n)
        k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        f = (k + 0.5) / n[owner]
        pts = p[owner] + f[:, None] * (q[owner] - p[owner])
        piece = seg_m[owner] / n[owner]
        length: dict[str, float] = {}
        for (lon, lat), m in zip(pts.tolist(), piece.tolist(), strict=True):
            c = h3.latlng_to_cell(lat, lon, resolution)
            length[c] = length.get(c, 0.0) + m
        self.length_m = length
        self.total_m = float(seg_m.sum())

    def __call__(self, cells: Sequence[str]) -> NDArray[np.float64]:
        """Road metres in each cell (0 where none)."""
        get = self.length_m.get
        return np.array([get(c, 0.0) for c in cells], dtype=np.float64)

    @property
    def data(self) -> dict[str, Any]:
        """What the weighting used, for the answer."""
        return {"road_km": round(self.total_m / 1000.0, 1), "cells_with_roads": len(self.length_m)}
