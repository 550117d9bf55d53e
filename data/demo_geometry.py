"""Geometry helpers of the DEMO road network: coordinates, street grids, land routing.

Junction coordinates are rounded to :data:`NDIGITS` decimals once and reused, so that
lines meet at bit-identical vertices (the routing graph builder nodes only there).
:class:`LandRouter` keeps generated roads on Lampung's real land (no road in the sea):
a straight line is kept when it stays on land, else the road follows the shortest path
over a ~1 km land raster, simplified where that stays on land.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPolygon

NDIGITS = 7
GRID_SPACING_M = 400.0
DENSIFY_M = 2_000.0
LAND_TOLERANCE_DEG = 0.003  # ~330 m: a road may run this far off the simplified coast
RASTER_DEG = 0.01  # ~1.1 km land raster for detours
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0

Coord = tuple[float, float]


@dataclass(frozen=True, slots=True)
class RoadSegment:
    """One road line between two junctions."""

    highway: str
    name: str
    maxspeed: str | None
    lanes: int | None
    coords: tuple[Coord, ...]


def pt(lon: float, lat: float) -> Coord:
    """A coordinate rounded to :data:`NDIGITS` decimals."""
    return (round(lon, NDIGITS), round(lat, NDIGITS))


def distance_m(a: Coord, b: Coord) -> float:
    """Equirectangular distance in metres (accurate to <0.1 % at these scales)."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * _M_PER_DEG_LON_EQ * math.cos(mean_lat)
    dy = (b[1] - a[1]) * _M_PER_DEG_LAT
    return math.hypot(dx, dy)


def densify(a: Coord, b: Coord, *, step_m: float = DENSIFY_M) -> tuple[Coord, ...]:
    """The line a→b with a vertex every ~``step_m``; a and b are kept bit-identical."""
    n = max(1, math.ceil(distance_m(a, b) / step_m))
    inner = [pt(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(1, n)]
    return (a, *inner, b)


def densify_path(path: list[Coord]) -> tuple[Coord, ...]:
    """A polyline densified leg by leg; its first and last vertex are kept bit-identical."""
    out: list[Coord] = [path[0]]
    for a, b in itertools.pairwise(path):
        out += densify(a, b)[1:]
    return tuple(out)


class LandRouter:
    """Checks and detours that keep generated roads on land.

    Parameters
    ----------
    land : MultiPolygon
        The land (lon/lat); islands are separate parts.
    """

    def __init__(self, land: MultiPolygon) -> None:
        self.ok = land.buffer(LAND_TOLERANCE_DEG)
        shapely.prepare(self.ok)
        inner = land.buffer(-LAND_TOLERANCE_DEG / 2)
        minx, miny, maxx, maxy = land.bounds
        xs = np.arange(minx, maxx + RASTER_DEG, RASTER_DEG)
        ys = np.arange(miny, maxy + RASTER_DEG, RASTER_DEG)
        gx, gy = np.meshgrid(xs, ys)
        wet = ~shapely.contains_xy(inner, gx, gy)
        idx = np.full(gx.shape, -1, dtype=np.int64)
        dry = np.flatnonzero(~wet.ravel())
        idx.ravel()[dry] = np.arange(dry.size)
        self.cells = np.column_stack([gx.ravel()[dry], gy.ravel()[dry]])
        self.tree = cKDTree(self.cells)
        rows, cols, cost = [], [], []
        n_y, n_x = gx.shape
        for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
            y0, x0 = max(0, -di), max(0, -dj)
            h, w = n_y - abs(di), n_x - abs(dj)
            a = idx[y0 : y0 + h, x0 : x0 + w]
            b = idx[y0 + di : y0 + di + h, x0 + dj : x0 + dj + w]
            keep = (a >= 0) & (b >= 0)
            rows.append(a[keep])
            cols.append(b[keep])
            cost.append(np.full(int(keep.sum()), math.hypot(di, dj)))
        r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(cost)
        n = dry.size
        self.graph = coo_matrix((np.r_[w, w], (np.r_[r, c], np.r_[c, r])), shape=(n, n)).tocsr()

    def on_land(self, coords: list[Coord] | tuple[Coord, ...]) -> bool:
        """Whether the polyline stays on land (within the coast tolerance)."""
        return bool(self.ok.contains(LineString(coords)))

    def points_on_land(self, coords: list[Coord]) -> np.ndarray:
        """Boolean mask of the points that lie on land."""
        arr = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        return shapely.contains_xy(self.ok, arr[:, 0], arr[:, 1])

    def path(self, a: Coord, b: Coord) -> list[Coord] | None:
        """A polyline a→b on land (straight when possible); None if no land joins them."""
        if self.on_land([a, b]):
            return [a, b]
        _, (ia, ib) = self.tree.query([a, b])
        dist, pred = dijkstra(self.graph, indices=int(ia), return_predecessors=True)
        if not np.isfinite(dist[ib]):
            return None
        chain = [int(ib)]
        while chain[-1] != ia:
            chain.append(int(pred[chain[-1]]))
        inner = [pt(*self.cells[i]) for i in reversed(chain)]
        if not (self.on_land([a, inner[0]]) and self.on_land([inner[-1], b])):
            return None  # an end is on another island than its nearest land cell
        raw = [a, *inner, b]
        for tolerance in (4 * RASTER_DEG, 2 * RASTER_DEG, RASTER_DEG, 0.0):
            line = LineString(raw).simplify(tolerance) if tolerance else LineString(raw)
            coords = [pt(x, y) for x, y in line.coords]
            coords[0], coords[-1] = a, b
            if self.on_land(coords) or tolerance == 0.0:
                return coords
        return raw  # pragma: no cover - the loop always returns


def grid(
    anchor: Coord,
    *,
    half: int,
    land_dir: tuple[int, int],
    clip: LandRouter | None,
    cross: bool = False,
) -> dict[tuple[int, int], Coord]:
    """Street-grid nodes around ``anchor`` (offsets in grid steps from the anchor).

    The grid has ``2*half+1`` nodes a side, centred on the anchor or shifted ``half``
    steps towards ``land_dir`` (ports sit on the grid's sea-side edge); ``cross`` keeps
    only the two main streets through the anchor. Nodes off land are dropped, and so
    are nodes no longer connected to the anchor.
    """
    step_lat = GRID_SPACING_M / _M_PER_DEG_LAT
    step_lon = GRID_SPACING_M / (_M_PER_DEG_LON_EQ * math.cos(math.radians(anchor[1])))
    ci, cj = land_dir[0] * half, land_dir[1] * half
    offsets = [
        (ci + i, cj + j)
        for j in range(-half, half + 1)
        for i in range(-half, half + 1)
        if not cross or i == 0 or j == 0
    ]
    nodes = {
        (i, j): anchor
        if (i, j) == (0, 0)
        else pt(anchor[0] + i * step_lon, anchor[1] + j * step_lat)
        for i, j in offsets
    }
    if clip is not None:
        inside = clip.points_on_land(list(nodes.values()))
        nodes = {
            k: c for (k, c), ok in zip(nodes.items(), inside, strict=True) if ok or k == (0, 0)
        }
    reached = {(0, 0)}
    queue = deque([(0, 0)])
    while queue:
        i, j = queue.popleft()
        for nb in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
            ok = nb in nodes and nb not in reached
            if ok and (clip is None or clip.on_land([nodes[(i, j)], nodes[nb]])):
                reached.add(nb)
                queue.append(nb)
    return {k: c for k, c in nodes.items() if k in reached}


def grid_segments(
    label: str, nodes: dict[tuple[int, int], Coord], *, is_port: bool, half: int
) -> list[RoadSegment]:
    """The street segments joining horizontally/vertically adjacent grid nodes."""
    segments: list[RoadSegment] = []
    for (i, j), a in nodes.items():
        for nb in ((i + 1, j), (i, j + 1)):
            b = nodes.get(nb)
            if b is None:
                continue
            horizontal = nb[1] == j
            if is_port:
                segments.append(
                    RoadSegment("service", f"Jalan Kawasan {label} (demo)", "20", None, (a, b))
                )
            elif (horizontal and j == 0) or (not horizontal and i == 0):
                segments.append(
                    RoadSegment("tertiary", f"Jalan Poros {label} (demo)", None, 2, (a, b))
                )
            else:
                kind, index = ("Baris", j) if horizontal else ("Lajur", i)
                line = f"{kind} {index + half + 1}"
                segments.append(
                    RoadSegment(
                        "residential", f"Jalan Lingkungan {label} {line} (demo)", "30", None, (a, b)
                    )
                )
    return segments


__all__ = [
    "DENSIFY_M",
    "GRID_SPACING_M",
    "NDIGITS",
    "Coord",
    "LandRouter",
    "RoadSegment",
    "densify",
    "densify_path",
    "distance_m",
    "grid",
    "grid_segments",
    "pt",
]
