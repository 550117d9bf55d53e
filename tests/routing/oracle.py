"""An independent routing oracle: networkx on a road graph the test splits itself.

Nothing here imports the code under test (``routing.paths``, ``routing.snap``,
``routing.dijkstra``, ``routing.ch``, ``routing.compiled``). The oracle takes the
graph that :func:`routing.build.build_graph` produced (a networkx ``MultiDiGraph``
following the build contract: every edge has ``travel_time``, ``length`` and a
lon/lat ``geometry`` from ``u`` to ``v``) and

* finds, for each edge, the edge of the *same road* run backwards by looking for
  an edge ``v -> u`` whose coordinates are exactly reversed (its own rule, written
  here again on purpose);
* inserts every test point as a new node on the edge it lies on, and on that road's
  backward edge, charging each piece its share of the edge's travel time and length
  by geometric length (measured here with pyproj in the UTM zone, planar);
* answers with networkx's Dijkstra.

Points are given as (tail id, head id, edge coordinates, lon, lat of the point on
the edge): which edge a location snaps to is checked separately, by brute force
(:func:`nearest_distances`).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point

__all__ = ["OnEdge", "Oracle", "nearest_distances", "points_near_roads", "utm_for"]


def utm_for(lon: float, lat: float) -> pyproj.CRS:
    """The WGS 84 / UTM zone of a location (written here independently)."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class OnEdge:
    """A point lying on one directed edge of the graph."""

    u: int
    v: int
    coords: tuple[tuple[float, float], ...]
    lon: float
    lat: float


def _key(coords: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in coords)


class Oracle:
    """networkx shortest paths with test points inserted into their edges.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The built road graph (not modified).
    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        lon = np.array([d["x"] for _, d in graph.nodes(data=True)])
        lat = np.array([d["y"] for _, d in graph.nodes(data=True)])
        crs = utm_for(float(lon.mean()), float(lat.mean()))
        self._fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        self.graph = nx.MultiDiGraph()
        self.graph.add_nodes_from(graph.nodes)
        self._by_coords: dict[tuple[int, int, tuple[tuple[float, float], ...]], list[int]] = (
            defaultdict(list)
        )
        self._data: dict[tuple[int, int, int], tuple[float, float, LineString]] = {}
        for u, v, k, d in graph.edges(keys=True, data=True):
            coords = _key(d["geometry"].coords)
            self.graph.add_edge(u, v, k, travel_time=d["travel_time"], length=d["length"])
            self._by_coords[(u, v, coords)].append(k)
            self._data[(u, v, k)] = (d["travel_time"], d["length"], self._project(coords))
        self._cuts: dict[tuple[int, int, int], list[tuple[float, int]]] = defaultdict(list)
        self._inserted: list[int] = []
        self.on_two_way = 0  # points whose road the oracle found a backward edge for

    def _project(self, coords: Sequence[tuple[float, float]]) -> LineString:
        arr = np.asarray(coords)
        x, y = self._fwd.transform(arr[:, 0], arr[:, 1])
        return LineString(np.column_stack([x, y]))

    def _edge(
        self, u: int, v: int, coords: tuple[tuple[float, float], ...]
    ) -> tuple[int, int, int]:
        keys = self._by_coords.get((u, v, coords))
        if not keys:
            msg = f"no edge {u}->{v} with these coordinates in the oracle graph"
            raise KeyError(msg)
        # one line carrying several roads the same way: a traveller there takes the fastest
        return (u, v, min(keys, key=lambda k: self._data[(u, v, k)][0]))

    def insert(self, points: Sequence[OnEdge]) -> list[int]:
        """Register points on their edges; returns their oracle node ids (negative ints)."""
        ids = []
        for i, p in enumerate(points):
            node = -1 - len(self._inserted) - i
            edge = self._edge(p.u, p.v, p.coords)
            line = self._data[edge][2]
            x, y = self._fwd.transform(p.lon, p.lat)
            t = line.project(Point(x, y)) / line.length if line.length > 0 else 0.0
            t = min(1.0, max(0.0, t))
            self._cuts[edge].append((t, node))
            back = self._backward_of(edge, p.coords)
            if back is not None:
                self._cuts[back].append((1.0 - t, node))
                self.on_two_way += 1
            ids.append(node)
        self._inserted.extend(ids)
        return ids

    def _backward_of(
        self, edge: tuple[int, int, int], coords: tuple[tuple[float, float], ...]
    ) -> tuple[int, int, int] | None:
        u, v, _ = edge
        keys = self._by_coords.get((v, u, tuple(reversed(coords))))
        if not keys:
            return None
        return (v, u, min(keys, key=lambda k: self._data[(v, u, k)][0]))

    def split(self) -> None:
        """Replace every edge holding points by a chain through them."""
        for (u, v, k), cuts in self._cuts.items():
            tt, length, _ = self._data[(u, v, k)]
            self.graph.remove_edge(u, v, k)
            chain = [(0.0, u), *sorted(cuts), (1.0, v)]
            for (t0, a), (t1, b) in itertools.pairwise(chain):
                share = t1 - t0
                self.graph.add_edge(a, b, travel_time=share * tt, length=share * length)
                if share == 0.0:  # the same spot (two points, or a point at a node)
                    self.graph.add_edge(b, a, travel_time=0.0, length=0.0)
        self._cuts.clear()

    def from_point(self, node: int) -> tuple[dict[int, float], dict[int, list[int]]]:
        """Travel times and fastest paths from an inserted point to every node."""
        dist, paths = nx.single_source_dijkstra(self.graph, node, weight=_weight)
        return dist, paths

    def to_point(self, node: int) -> dict[int, float]:
        """Travel time from every node to an inserted point."""
        return nx.single_source_dijkstra_path_length(
            self.graph.reverse(copy=False), node, weight=_weight
        )

    def path_length(self, path: Sequence[int]) -> float:
        """Metres along a node path (the shortest-time parallel edge at each step)."""
        total = 0.0
        for a, b in itertools.pairwise(path):
            best = min(self.graph[a][b].values(), key=lambda d: d["travel_time"])
            total += best["length"]
        return total


def _weight(_u: int, _v: int, data: dict[int, dict[str, float]]) -> float:
    return min(d["travel_time"] for d in data.values())


def points_near_roads(
    graph: nx.MultiDiGraph, n: int, *, seed: int, max_offset_m: float = 300.0
) -> tuple[np.ndarray, np.ndarray]:
    """Random locations near the roads: a random point of a random edge (by length), moved.

    Returns lon and lat arrays. Ferry edges are skipped.
    """
    rng = np.random.default_rng(seed)
    lines = [d["geometry"] for *_, d in graph.edges(data=True) if not d.get("ferry")]
    lengths = np.array([d["length"] for *_, d in graph.edges(data=True) if not d.get("ferry")])
    pick = rng.choice(len(lines), size=n, p=lengths / lengths.sum())
    share = rng.random(n)
    base = shapely.line_interpolate_point(
        np.asarray(lines, dtype=object)[pick], share, normalized=True
    )
    xy = shapely.get_coordinates(base)
    angle = rng.uniform(0, 2 * math.pi, n)
    dist = rng.uniform(0, max_offset_m, n)
    dlat = dist * np.sin(angle) / 111_320.0
    dlon = dist * np.cos(angle) / (111_320.0 * np.cos(np.radians(xy[:, 1])))
    return xy[:, 0] + dlon, xy[:, 1] + dlat


def nearest_distances(graph: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Brute-force distance (m, UTM) from each location to the nearest non-ferry edge."""
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)])
    crs = utm_for(float(xs.mean()), float(ys.mean()))
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    lines = []
    for *_, d in graph.edges(data=True):
        if d.get("ferry"):
            continue
        c = np.asarray(d["geometry"].coords)
        x, y = fwd.transform(c[:, 0], c[:, 1])
        lines.append(LineString(np.column_stack([x, y])))
    tree = shapely.STRtree(lines)
    px, py = fwd.transform(lon, lat)
    pts = shapely.points(np.column_stack([px, py]))
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    return np.asarray(dist)
