"""A population grid: admin-area population spread over H3 hexagons.

Model (replaceable; every choice is a parameter):

* **Source areas.** Population comes from ``admin_areas`` at the *finest* level that
  has any population figure (desa, then kecamatan, kabupaten, provinsi). Areas of that
  level without a figure count as 0 people and are listed in the grid's
  ``assumptions`` — unless an ``assumed_total`` is given, which is then spread over
  all of them together by the same weighting (e.g. DKI Jakarta's kelurahan carry no
  population; the 2020 census total :data:`DKI_CENSUS_2020` = 10,562,088 is used).
* **Cells.** H3 hexagons at ``resolution`` (default :data:`DEFAULT_RESOLUTION` = 8,
  ~0.74 km², edge ~0.5 km; 9 for cities) whose centre lies inside the area
  (``h3.geo_to_cells``); an area too small to hold a centre gets the cell of its
  representative point.
* **Weighting.** A cell's share of its area's population is proportional to the road
  length inside the cell (road density as a settlement proxy; :class:`RoadDensity`,
  roads cut into pieces of at most 50 m and each piece counted in the cell of its
  midpoint). An area with no road in any of its cells is spread uniformly. Any callable
  ``cells -> weights`` can replace it.

The grid rows are ``(cell, area)`` pairs with the cell centre's lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import h3
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.errors import LayersError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_RESOLUTION",
    "DKI_CENSUS_2020",
    "LEVELS_FINEST_FIRST",
    "AreaTable",
    "NoAreasError",
    "NoPopulationError",
    "PopulationGrid",
    "RoadDensity",
    "admin_stamp",
    "areas_at_level",
    "assign_areas",
    "build_grid",
    "population_areas",
]

DEFAULT_RESOLUTION = 8
DKI_CENSUS_2020 = 10_562_088
"""BPS Sensus Penduduk 2020 population of DKI Jakarta."""
LEVELS_FINEST_FIRST = ("desa", "kecamatan", "kabupaten", "provinsi")
PIECE_M = 50.0
_M_PER_DEG = 111_320.0

Weighting = Callable[[Sequence[str]], "NDArray[np.float64]"]


class NoPopulationError(LayersError):
    """No admin area carries a population figure (and no assumption was given)."""


class NoAreasError(LayersError):
    """There are no admin areas at the requested level."""


@dataclass(frozen=True)
class AreaTable:
    """Admin areas of one level as plain columns (population NaN where missing)."""

    level: str
    ids: list[int]
    codes: list[str | None]
    names: list[str]
    population: NDArray[np.float64]
    geoms: list[BaseGeometry]
    demo: list[bool]

    def __len__(self) -> int:
        return len(self.ids)


def admin_stamp(conn: Connection) -> tuple[int, int, int]:
    """A fingerprint of ``admin_areas`` (count, max id, newest row version)."""
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(max(id), 0), "
            "coalesce(max(xmin::text::bigint), 0) FROM admin_areas"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def areas_at_level(conn: Connection, level: str, *, field: str = "level") -> AreaTable:
    """All admin areas of ``level``; raises :class:`NoAreasError` when there are none."""
    rows = conn.execute(
        text(
            "SELECT a.id, a.code, a.name, a.population, ST_AsBinary(a.geom), s.is_demo "
            "FROM admin_areas a JOIN sources s ON s.id = a.source "
            "WHERE a.level = :level AND a.geom IS NOT NULL ORDER BY a.id"
        ),
        {"level": level},
    ).all()
    if not rows:
        present = list(
            conn.execute(text("SELECT DISTINCT level FROM admin_areas ORDER BY 1")).scalars()
        )
        msg = f"there are no admin areas at level {level!r}; levels present: {present}"
        raise NoAreasError(msg, field=field)
    return AreaTable(
        level=level,
        ids=[int(r[0]) for r in rows],
        codes=[r[1] for r in rows],
        names=[str(r[2]) for r in rows],
        population=np.array([math.nan if r[3] is None else float(r[3]) for r in rows]),
        geoms=list(shapely.from_wkb([bytes(r[4]) for r in rows])),
        demo=[bool(r[5]) for r in rows],
    )


def population_areas(conn: Connection) -> AreaTable:
    """The areas of the finest level that has any population figure."""
    have = set(
        conn.execute(
            text("SELECT DISTINCT level FROM admin_areas WHERE population IS NOT NULL")
        ).scalars()
    )
    for level in LEVELS_FINEST_FIRST:
        if level in have:
            return areas_at_level(conn, level)
    msg = (
        "no admin area has a population figure; ingest areas with a population column "
        "(or give an assumed total, e.g. `lampung-geo analyse coverage --assume-population`)"
    )
    raise NoPopulationError(msg, field="population")


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
        Longest piece a segment is cut into before counting.
    """

    def __init__(
        self,
        coords: NDArray[np.float64],
        offsets: NDArray[np.int64],
        *,
        resolution: int = DEFAULT_RESOLUTION,
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

    def __call__(self, cells: Sequence[str]) -> NDArray[np.float64]:
        """Road metres in each cell (0 where none)."""
        get = self.length_m.get
        return np.array([get(c, 0.0) for c in cells], dtype=np.float64)


@dataclass(frozen=True)
class PopulationGrid:
    """People per ``(cell, area)`` row, with the source areas and the assumptions."""

    resolution: int
    cells: list[str]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    population: NDArray[np.float64]
    area: NDArray[np.int64]  # index into ``areas``
    areas: AreaTable
    weighting: str
    assumptions: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def total(self) -> float:
        """All people in the grid."""
        return float(self.population.sum())

    @property
    def demo(self) -> bool:
        """True when any source area is DEMO data."""
        return any(self.areas.demo)


def _cells_of(geom: BaseGeometry, resolution: int) -> list[str]:
    cells: list[str] = []
    for part in shapely.get_parts(geom):
        if part.is_empty or part.geom_type != "Polygon":
            continue
        cells.extend(h3.geo_to_cells(part, resolution))
    if not cells and not geom.is_empty:
        p = geom.representative_point()
        cells = [h3.latlng_to_cell(p.y, p.x, resolution)]
    return sorted(set(cells))


def build_grid(
    areas: AreaTable,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    weight: Weighting | None = None,
    weighting: str = "road length in the cell",
    assumed_total: float | None = None,
) -> PopulationGrid:
    """Spread each area's population over its H3 cells.

    Parameters
    ----------
    areas : AreaTable
        The source areas (population NaN where missing).
    resolution : int, default 8
        H3 resolution (0-15).
    weight : callable, optional
        ``cells -> weights`` (e.g. a :class:`RoadDensity`); uniform when omitted.
    weighting : str
        How ``weight`` weights, for the record.
    assumed_total : float, optional
        People spread together over the areas without a population figure.

    Returns
    -------
    PopulationGrid
        The grid.

    Raises
    ------
    NoPopulationError
        If no area has a population and no ``assumed_total`` is given.
    """
    if not 0 <= resolution <= 15:
        msg = f"H3 resolution must be 0..15, got {resolution}"
        raise ValueError(msg)
    per_area = [_cells_of(g, resolution) for g in areas.geoms]
    cells = [c for cs in per_area for c in cs]
    area = np.repeat(np.arange(len(areas)), [len(cs) for cs in per_area]).astype(np.int64)
    w = weight(cells) if weight is not None else np.ones(len(cells))
    w = np.asarray(w, dtype=np.float64)
    if weight is None:
        weighting = "uniform"
    notes: list[str] = []
    area_w = np.bincount(area, weights=w, minlength=len(areas))
    flat = area_w[area] <= 0
    if np.any(flat):
        w = np.where(flat, 1.0, w)
        n_flat = int(np.sum(area_w <= 0))
        notes.append(f"{n_flat} area(s) with no weight (no roads): spread uniformly")
        area_w = np.bincount(area, weights=w, minlength=len(areas))
    known = ~np.isnan(areas.population)
    pop_of_area = np.where(known, areas.population, 0.0)
    pop = pop_of_area[area] * w / np.where(area_w[area] > 0, area_w[area], 1.0)
    missing = ~known
    if np.any(missing):
        rows = missing[area]
        if assumed_total is not None:
            total_w = float(w[rows].sum())
            if total_w > 0:
                pop[rows] = float(assumed_total) * w[rows] / total_w
            notes.append(
                f"{int(missing.sum())} area(s) without a population figure share an assumed "
                f"total of {assumed_total:,.0f} people, spread by the same weighting"
            )
        elif not np.any(known):
            msg = (
                f"none of the {len(areas)} {areas.level} areas has a population figure "
                "and no assumed total was given"
            )
            raise NoPopulationError(msg, field="population")
        else:
            notes.append(
                f"{int(missing.sum())} {areas.level} area(s) without a population figure "
                "count as 0 people"
            )
    lat_lon = np.array([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    return PopulationGrid(
        resolution=resolution,
        cells=cells,
        lon=lat_lon[:, 1].astype(np.float64),
        lat=lat_lon[:, 0].astype(np.float64),
        population=pop,
        area=area,
        areas=areas,
        weighting=weighting,
        assumptions=notes,
    )


def assign_areas(
    lon: NDArray[np.float64], lat: NDArray[np.float64], geoms: Sequence[BaseGeometry]
) -> NDArray[np.int64]:
    """Index of the area containing each point (first match; -1 outside all)."""
    out = np.full(lon.shape[0], -1, dtype=np.int64)
    if lon.shape[0] == 0 or not geoms:
        return out
    tree = shapely.STRtree(list(geoms))
    pts = shapely.points(np.column_stack([lon, lat]))
    pairs = tree.query(pts, predicate="intersects")
    # first (lowest area index) match per point
    order = np.lexsort((pairs[1], pairs[0]))
    p, a = pairs[0][order], pairs[1][order]
    first = np.ones(p.shape[0], dtype=bool)
    first[1:] = p[1:] != p[:-1]
    out[p[first]] = a[first]
    return out
