"""A DEMO road network for Lampung and the Merak–Jakarta corridor.

The network is made by our own code: straight-ish segments between approximate
waypoints (towns, toll interchanges) along the real corridors, plus a small street grid
around every town, port and market. It is *not* survey data.

Topology rules (the routing graph builder nodes only at shared vertices):

* every line starts and ends at a junction; junction coordinates are rounded to
  ``NDIGITS`` decimals once and reused, so they are bit-identical in every line;
* long segments get intermediate vertices every ~``DENSIFY_M`` metres;
* motorways (toll roads) are dual carriageways but are emitted once with
  ``oneway=False`` and ``lanes=4``; every other road is two-way too;
* the Lampung side and the Java side are each one connected component; they are joined
  only by the ferry link (see :func:`data.demo.ferry_links`), never by a road.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from data import demo_areas, facts
from data.demo_geometry import (
    NDIGITS,
    Coord,
    LandRouter,
    RoadSegment,
    densify_path,
    grid,
    grid_segments,
    pt,
)
from data.demo_local import Village, build_local_roads

GRID_HALF = 2  # capitals, ports, markets: a 5 x 5 street grid, 40 segments
TOWN_GRID_HALF = 1  # other towns: 3 x 3, 12 segments
TOLL_CLEARANCE_DEG = 0.01  # ~1.1 km: sites are placed this far from toll roads
STRAIT_LON = 105.93  # every Lampung-side vertex is west of this, every Java-side one east
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0


@dataclass(frozen=True, slots=True)
class RoadNetwork:
    """The demo network: its segments, its anchors and the street grid of each anchor.

    ``grids`` maps an anchor key (town name, port code or market slug) to its street
    grid nodes keyed by the (east, north) offset in grid steps from the anchor.
    """

    segments: tuple[RoadSegment, ...]
    anchors: dict[str, Coord]
    grids: dict[str, dict[tuple[int, int], Coord]]
    centres: dict[str, str]
    villages: tuple[Village, ...]
    unreached: tuple[str, ...]


def anchor_points() -> dict[str, Coord]:
    """Rounded coordinates of every named junction (towns, ports, markets, waypoints).

    Returns
    -------
    dict
        Key (town name, port code, market slug or waypoint key) → (lon, lat).
    """
    anchors: dict[str, Coord] = {}
    for kab in facts.KABUPATEN:
        anchors[kab.capital] = pt(kab.lon, kab.lat)
    for town in (*facts.TOWNS, *facts.JAVA_TOWNS):
        anchors[town.name] = pt(town.lon, town.lat)
    for port in facts.PORTS:
        anchors[port.code] = pt(port.lon, port.lat)
    for market in facts.MARKETS:
        anchors[market.slug] = pt(market.lon, market.lat)
    for key, (lon, lat) in facts.ROAD_WAYPOINTS.items():
        anchors[key] = pt(lon, lat)
    return anchors


@functools.lru_cache(maxsize=1)
def build_network() -> RoadNetwork:
    """Build the demo road network (deterministic; cached per process).

    Main corridors run between the towns of :mod:`data.facts` and follow the land
    (:class:`data.demo_land.LandRouter`); every kecamatan centre gets a small street grid
    and a kecamatan road to its nearest neighbours; generated villages hang off the
    centres by village roads (:mod:`data.demo_villages`).

    Returns
    -------
    RoadNetwork
        Segments, named anchors, street grids, kecamatan centres and villages.

    Raises
    ------
    RuntimeError
        If the generated network breaks its own topology rules (a bug in the tables).
    """
    anchors = anchor_points()
    router = LandRouter(demo_areas.land())
    grids: dict[str, dict[tuple[int, int], Coord]] = {}
    segments: list[RoadSegment] = []
    grid_keys: list[tuple[str, str, tuple[int, int], bool, int]] = [
        (kab.capital, kab.capital, (0, 0), False, GRID_HALF) for kab in facts.KABUPATEN
    ]
    grid_keys += [(t.name, t.name, (0, 0), False, TOWN_GRID_HALF) for t in facts.TOWNS]
    grid_keys += [(t.name, t.name, (0, 0), False, GRID_HALF) for t in facts.JAVA_TOWNS]
    grid_keys += [(p.code, p.name, p.land_dir, True, GRID_HALF) for p in facts.PORTS]
    grid_keys += [(m.slug, m.name, (0, 0), False, GRID_HALF) for m in facts.MARKETS]
    for key, label, land_dir, is_port, half in grid_keys:
        anchor = anchors[key]
        clip = router if anchor[0] < STRAIT_LON else None
        grids[key] = grid(anchor, half=half, land_dir=land_dir, clip=clip)
        segments += grid_segments(label, grids[key], is_port=is_port, half=half)

    seen: dict[frozenset[str], str] = {}
    main: list[tuple[str, str, str | None, int | None, str, str]] = []
    for route in facts.ROAD_CORRIDORS:
        kind, title, speed, width, path = route.split("|")
        main += [
            (kind, title, speed or None, int(width) if width else None, a, b)
            for a, b in itertools.pairwise(path.split(">"))
        ]
    main += [
        ("trunk", f"Akses Gerbang Tol {_label(toll)}", "60", 2, town, toll)
        for town, toll in (pair.strip().split(">") for pair in facts.TOLL_ACCESS.split(","))
    ]
    for highway, name, maxspeed, lanes, a, b in main:
        pair = frozenset((a, b))
        if pair in seen:
            msg = f"road segment {a} – {b} is defined twice ({seen[pair]}, {name})"
            raise RuntimeError(msg)
        seen[pair] = name
        line = [anchors[a], anchors[b]]
        if anchors[a][0] < STRAIT_LON:
            detour = router.path(anchors[a], anchors[b])
            if detour is None:
                msg = f"road segment {a} – {b} ({name}) cannot stay on land"
                raise RuntimeError(msg)
            line = detour
        segments.append(RoadSegment(highway, name, maxspeed, lanes, densify_path(line)))
    toll = shapely.union_all([LineString(s.coords) for s in segments if s.highway == "motorway"])
    avoid = toll.buffer(TOLL_CLEARANCE_DEG * 1.2)
    shapely.prepare(avoid)
    main_vertices = [
        c
        for seg in segments
        if seg.highway in {"trunk", "primary", "secondary"} and seg.coords[0][0] < STRAIT_LON
        for c in seg.coords[1:-1]
    ]
    local = build_local_roads(anchors, grids, router, avoid=avoid, main_vertices=main_vertices)
    segments = _split_at(segments, local.splits) + list(local.segments)
    _check_connected(segments)
    return RoadNetwork(
        tuple(segments), anchors, grids, local.centres, local.villages, local.unreached
    )


def _split_at(segments: list[RoadSegment], at: frozenset[Coord]) -> list[RoadSegment]:
    """The segments with every inner vertex in ``at`` turned into a junction (line end)."""
    out: list[RoadSegment] = []
    for seg in segments:
        cuts = [i for i, c in enumerate(seg.coords[1:-1], start=1) if c in at]
        if not cuts:
            out.append(seg)
            continue
        for a, b in itertools.pairwise([0, *cuts, len(seg.coords) - 1]):
            out.append(
                RoadSegment(seg.highway, seg.name, seg.maxspeed, seg.lanes, seg.coords[a : b + 1])
            )
    return out


def _label(key: str) -> str:
    """The human label of a waypoint key (``"T:Kalianda"`` → ``"Kalianda"``)."""
    return key.split(":", 1)[1]


def _check_connected(segments: list[RoadSegment]) -> None:
    """Raise unless each side of the strait is exactly one connected component."""
    parent: dict[Coord, Coord] = {}

    def find(x: Coord) -> Coord:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for seg in segments:
        ra, rb = find(seg.coords[0]), find(seg.coords[-1])
        if ra != rb:
            parent[ra] = rb
    roots: dict[bool, set[Coord]] = {True: set(), False: set()}
    for node in list(parent):
        roots[node[0] < STRAIT_LON].add(find(node))
    for west, found in roots.items():
        if len(found) != 1:
            side = "Lampung" if west else "Java"
            msg = f"demo road network: {side} side has {len(found)} components, expected 1"
            raise RuntimeError(msg)


def jitter_point(
    at: Coord, *, max_m: float, rng: np.random.Generator, inside: BaseGeometry
) -> Point:
    """A random point within ``max_m`` metres of ``at`` that lies in ``inside``.

    Parameters
    ----------
    at : tuple of float
        (lon, lat) to scatter around; it must lie in ``inside`` (the fallback).
    max_m : float
        Largest offset in metres.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    inside : shapely geometry
        Area the point must fall in.

    Returns
    -------
    shapely.Point
        Coordinates rounded to ``NDIGITS`` decimals.
    """
    for _ in range(20):
        r, theta = max_m * math.sqrt(rng.random()), 2 * math.pi * rng.random()
        lon = at[0] + r * math.cos(theta) / (_M_PER_DEG_LON_EQ * math.cos(math.radians(at[1])))
        lat = at[1] + r * math.sin(theta) / _M_PER_DEG_LAT
        point = Point(round(lon, NDIGITS), round(lat, NDIGITS))
        if inside.contains(point):
            return point
    return Point(at)


_VERTICES: dict[int, tuple[RoadNetwork, list[Coord], np.ndarray]] = {}


def _main_road_vertices(net: RoadNetwork) -> tuple[list[Coord], np.ndarray]:
    """Inner vertices of trunk/primary/secondary roads, and which are clear of toll roads."""
    hit = _VERTICES.get(id(net))
    if hit is not None and hit[0] is net:
        return hit[1], hit[2]
    toll = shapely.union_all(
        [LineString(s.coords) for s in net.segments if s.highway == "motorway"]
    )
    vertices = [
        c
        for seg in net.segments
        if seg.highway in {"trunk", "primary", "secondary"}
        for c in seg.coords[1:-1]
    ]
    clear = ~shapely.dwithin(toll, shapely.points(vertices), TOLL_CLEARANCE_DEG)
    _VERTICES.clear()
    _VERTICES[id(net)] = (net, vertices, clear)
    return vertices, clear


class SiteFinder:
    """Free candidate sites in one area: street-grid nodes and main-road vertices.

    Road vertices within ``TOLL_CLEARANCE_DEG`` of a toll road are left out, so that a
    site never snaps to a road that motorcycles and farm pick-ups cannot use. Each site
    is handed out once.
    """

    def __init__(self, net: RoadNetwork, area: MultiPolygon, towns: list[str]) -> None:
        self.area = area
        self.net = net
        self.used: set[Coord] = set()
        self.grid = {}
        for t in towns:
            nodes = list(net.grids[t].items())
            inside = shapely.contains_xy(area, [c[0] for _, c in nodes], [c[1] for _, c in nodes])
            self.grid[t] = {k: c for (k, c), ok in zip(nodes, inside, strict=True) if ok}
        vertices, clear = _main_road_vertices(net)
        ok = shapely.contains_xy(area, *np.array(vertices).T) & clear
        self.roads = [c for c, keep in zip(vertices, ok, strict=True) if keep]
        self.towns = towns

    def grid_node(self, town: str, prefer: tuple[int, int]) -> Coord:
        """The free grid node of ``town`` nearest to the ``prefer`` offset."""
        free = [(k, c) for k, c in self.grid[town].items() if c not in self.used]
        if not free:
            msg = f"demo service points: no free street-grid node left in {town}"
            raise RuntimeError(msg)
        _, best = min(
            free, key=lambda kc: ((kc[0][0] - prefer[0]) ** 2 + (kc[0][1] - prefer[1]) ** 2, kc[0])
        )
        self.used.add(best)
        return best

    def road_vertex(self, rng: np.random.Generator) -> Coord | None:
        """A random free main-road vertex, or None when none is left."""
        free = [c for c in self.roads if c not in self.used]
        if not free:
            return None
        pick = free[int(rng.integers(len(free)))]
        self.used.add(pick)
        return pick

    def nearest_town(self, at: Coord) -> str:
        """The town (of this area) whose centre is nearest to ``at``."""
        anchors = self.net.anchors
        return min(self.towns, key=lambda t: math.dist(anchors[t], at))


def roads() -> gpd.GeoDataFrame:
    """The DEMO road network as lines (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``highway`` (OSM class), ``name``, ``oneway`` (always False: toll roads
        are emitted once as two-way lines), ``maxspeed`` (str or None), ``lanes``
        (nullable Int64), ``source_id`` (``"demo:road:<n>"``) and LineString
        ``geometry``. Lines meet only at bit-identical end vertices.
    """
    net = build_network()
    segs = net.segments
    gdf = gpd.GeoDataFrame(
        {
            "highway": [s.highway for s in segs],
            "name": [s.name for s in segs],
            "oneway": [False] * len(segs),
            "maxspeed": pd.Series([s.maxspeed for s in segs], dtype=object),  # keeps None
            "lanes": [s.lanes for s in segs],
            "source_id": [f"demo:road:{n}" for n in range(1, len(segs) + 1)],
        },
        geometry=[LineString(s.coords) for s in segs],
        crs="EPSG:4326",
    )
    gdf["lanes"] = gdf["lanes"].astype("Int64")
    return gdf
