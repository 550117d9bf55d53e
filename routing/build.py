"""Build a routable, strongly connected road graph for one travel profile.

:func:`build_graph` reads OSM XML, OSM PBF or GIS road lines (chosen by the
file extension), applies a :class:`~routing.profiles.Profile`, connects ferry
ends to the road network, and keeps the largest strongly connected component.

The returned graph follows this contract (the routing engine relies on it):

* graph attributes ``crs="EPSG:4326"``, ``profile`` and ``source`` (file name);
* integer node ids with ``x`` (longitude) and ``y`` (latitude) floats;
* edge attributes ``length`` (geodesic metres, > 0), ``travel_time``
  (seconds, ``length / (speed_kph / 3.6)``, > 0), ``speed_kph``, ``highway``
  (str), ``name`` (str, ``""`` when none), ``ferry`` (bool), ``oneway`` (bool:
  this edge has no twin in the other direction for the road it belongs to) and
  ``geometry`` (a lon/lat LineString from ``u`` to ``v`` whose first and last
  coordinates equal the coordinates of ``u`` and ``v``).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString
from tqdm import tqdm

from routing.errors import GraphBuildError
from routing.ferry import FerryLink, add_ferry_links
from routing.lines import read_lines
from routing.osm import ACCESS_TAGS, read_osm_pbf, read_osm_xml
from routing.profiles import FERRY_SPEED_KPH, Profile, get_profile
from routing.report import BuildReport

__all__ = ["FERRY_CONNECT_M", "BuildReport", "build_graph", "source_format"]

#: A ferry end farther than this from any road is left unconnected.
FERRY_CONNECT_M = 500.0
#: Lengths below this (duplicate OSM nodes) are raised to it so travel times stay > 0.
MIN_LENGTH_M = 0.01

_GEOD = Geod(ellps="WGS84")
_FORMATS = {
    ".osm.pbf": "pbf",
    ".pbf": "pbf",
    ".osm.bz2": "osm",
    ".xml.bz2": "osm",
    ".osm": "osm",
    ".xml": "osm",
    ".gpkg": "lines",
    ".shp": "lines",
    ".geojson": "lines",
    ".json": "lines",
}
_STAGES = ("read", "profile", "ferries", "directions", "components")


def source_format(source: str | Path) -> str:
    """
    Tell the input format of a file from its extension.

    Parameters
    ----------
    source
        Path of the input file.

    Returns
    -------
    str
        ``"osm"`` (OSM XML, optionally ``.bz2``), ``"pbf"`` or ``"lines"``.

    Raises
    ------
    GraphBuildError
        If the extension is not supported.
    """
    name = Path(source).name.lower()
    for suffix, kind in _FORMATS.items():
        if name.endswith(suffix):
            return kind
    msg = f"unsupported road file {Path(source).name!r}; supported: {', '.join(_FORMATS)}"
    raise GraphBuildError(msg)


def build_graph(
    source: str | Path,
    *,
    profile: str | Profile = "motorcycle",
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    preset: str | None = None,
    ferry_links: Iterable[FerryLink] = (),
    progress: bool = False,
) -> tuple[nx.MultiDiGraph, BuildReport]:
    """
    Build the routable graph of one travel profile from a road file.

    Parameters
    ----------
    source
        ``.osm``/``.xml``/``.osm.bz2`` (OSM XML), ``.osm.pbf``, or
        ``.gpkg``/``.shp``/``.geojson``/``.json`` road lines.
    profile
        Profile name (``motorcycle``, ``car``, ``truck``, ``walk``) or a
        :class:`~routing.profiles.Profile`.
    columns
        GIS lines only: our field (``highway``, ``name``, ``oneway``,
        ``maxspeed``, ``lanes``) to the file's column, overriding the preset.
    layer
        GIS lines only: layer to read.
    preset
        GIS lines only: column preset (``rbi``, ``osm_shp``, ``osm``);
        auto-detected when None (see :func:`routing.lines.detect_preset`).
    ferry_links
        Scheduled ferry links (e.g. Bakauheni–Merak from the database), added in
        both directions *before* the largest strongly connected component is
        taken, so that the road networks they join stay in the graph.
    progress
        Show a progress bar of the build stages on stderr.

    Returns
    -------
    graph, report
        The graph (see the module docstring for its contract) and a
        :class:`BuildReport`.

    Raises
    ------
    UnknownProfileError
        If the profile name is unknown.
    GraphBuildError
        If the file is missing, of an unsupported type, unreadable, or
        yields no routable edge for the profile.
    """
    prof, kind, path = _validate(source, profile, columns, layer, preset)
    started = time.perf_counter()
    report = BuildReport(source=path.name, profile=prof.name, input_format=kind)
    bar = tqdm(total=len(_STAGES), desc="graph", file=sys.stderr, disable=not progress)
    with bar:
        with _stage(report, bar, "read"):
            if kind == "lines":
                raw, info = read_lines(path, layer=layer, columns=columns, preset=preset)
                report.preset = str(info["preset"])
                if info["unknown_values"]:
                    report.notes.append(
                        f"unmapped road classes (as 'road'): {info['unknown_values']}"
                    )
            else:
                raw, info = read_osm_xml(path) if kind == "osm" else read_osm_pbf(path)
                report.ferry_ways_parsed = int(info["ferry_ways_parsed"])
                report.ferry_ways_skipped = int(info["ferry_ways_skipped"])
            report.raw_nodes, report.raw_edges = raw.number_of_nodes(), raw.number_of_edges()
        with _stage(report, bar, "profile"):
            graph = _apply_profile(raw, prof, report)
            del raw
        with _stage(report, bar, "ferries"):
            report.ferry_connectors = _connect_ferry_ends(graph, prof, max_m=FERRY_CONNECT_M)
            links = list(ferry_links)
            if links:
                report.ferry_links = len(add_ferry_links(graph, links))
        with _stage(report, bar, "directions"):
            if not prof.respect_oneway:
                _make_two_way(graph)
        with _stage(report, bar, "components"):
            graph = _largest_scc(graph, report)
    if graph.number_of_edges() == 0:
        msg = f"{path.name} has no edges usable by profile {prof.name!r}"
        raise GraphBuildError(msg)
    graph.graph.update(crs="EPSG:4326", profile=prof.name, source=path.name)
    report.nodes, report.edges = graph.number_of_nodes(), graph.number_of_edges()
    report.ferry_edges = sum(1 for *_, f in graph.edges(data="ferry") if f)
    report.seconds = time.perf_counter() - started
    return graph, report


def _validate(
    source: str | Path,
    profile: str | Profile,
    columns: Mapping[str, str] | None,
    layer: str | None,
    preset: str | None,
) -> tuple[Profile, str, Path]:
    """Check every argument of :func:`build_graph` in one place."""
    prof = get_profile(profile)
    path = Path(source)
    kind = source_format(path)
    if not path.is_file():
        msg = f"road file not found: {path}"
        raise GraphBuildError(msg)
    if kind != "lines" and (columns or layer or preset):
        msg = "columns, layer and preset apply only to GIS line files (.gpkg/.shp/.geojson)"
        raise GraphBuildError(msg)
    return prof, kind, path


@contextmanager
def _stage(report: BuildReport, bar: tqdm, name: str) -> Iterator[None]:
    bar.set_description(f"graph: {name}")
    start = time.perf_counter()
    yield
    report.stage_seconds[name] = round(time.perf_counter() - start, 3)
    bar.update(1)


def _first_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = next((v for v in value if v is not None and v == v), None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _name(value: Any) -> str:
    if isinstance(value, list | tuple):
        parts = list(dict.fromkeys(_first_text(v) for v in value))
        return " / ".join(p for p in parts if p)
    return _first_text(value)


def _oriented(geom: Any, ux: float, uy: float, vx: float, vy: float) -> LineString:
    """Return geom as a LineString from (ux, uy) to (vx, vy) with exact ends."""
    if geom is None or geom.is_empty:
        return LineString([(ux, uy), (vx, vy)])
    coords = shapely.get_coordinates(geom)
    d_fwd = abs(coords[0][0] - ux) + abs(coords[0][1] - uy)
    d_rev = abs(coords[-1][0] - ux) + abs(coords[-1][1] - uy)
    if d_rev < d_fwd:
        coords = coords[::-1].copy()
    coords[0], coords[-1] = (ux, uy), (vx, vy)
    return LineString(coords)


def _geodesic_lengths(geoms: list[LineString]) -> np.ndarray:
    coords, owner = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    if len(coords) < 2:
        return np.zeros(len(geoms))
    _, _, seg = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    seg = np.where(owner[1:] == owner[:-1], seg, 0.0)
    return np.bincount(owner[:-1], weights=seg, minlength=len(geoms))


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _apply_profile(raw: nx.MultiDiGraph, prof: Profile, report: BuildReport) -> nx.MultiDiGraph:
    """Return a clean graph with the edges the profile may use, timed."""
    xy = {n: (float(d["x"]), float(d["y"])) for n, d in raw.nodes(data=True)}
    memo: dict[tuple[Any, ...], float | None] = {}
    kept: list[tuple[int, int, dict[str, Any]]] = []
    speeds: list[float] = []
    durations: list[float | None] = []
    forbidden = 0
    for u, v, data in raw.edges(data=True):
        if u == v:
            continue  # self-loops never shorten a route
        is_ferry = bool(data.get("ferry", False))
        access = tuple(_hashable(data.get(k)) for k in ACCESS_TAGS)
        key = (is_ferry, _hashable(data.get("highway")), _hashable(data.get("maxspeed")), access)
        if key not in memo:
            tags = {k: a for k, a in zip(ACCESS_TAGS, access, strict=True) if a is not None}
            if is_ferry:
                allowed = prof.ferry_allowed and prof.access_verdict(tags) is not False
                memo[key] = FERRY_SPEED_KPH if allowed else None
            else:
                memo[key] = prof.edge_speed_kph(key[1], key[2], access=tags)
        speed = memo[key]
        if speed is None:
            forbidden += 1
            continue
        attrs = {
            "highway": "ferry" if is_ferry else (_first_text(data.get("highway")) or "road"),
            "name": _name(data.get("name")),
            "ferry": is_ferry,
            "oneway": bool(data.get("oneway", False)),
            "geometry": data.get("geometry"),
        }
        kept.append((int(u), int(v), attrs))
        speeds.append(speed)
        durations.append(data.get("duration_min") if is_ferry else None)
    _fix_geometries(kept, xy)
    lengths = np.maximum(_geodesic_lengths([a["geometry"] for *_, a in kept]), MIN_LENGTH_M)
    for (_, _, attrs), speed, length, minutes in zip(kept, speeds, lengths, durations, strict=True):
        if minutes:  # OSM duration of a ferry crossing sets its speed
            speed = float(length) / 1000.0 / (float(minutes) / 60.0)
        attrs["length"] = float(length)
        attrs["speed_kph"] = float(speed)
        attrs["travel_time"] = float(length) / (speed / 3.6)
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    used = {n for u, v, _ in kept for n in (u, v)}
    graph.add_nodes_from((int(n), {"x": xy[n][0], "y": xy[n][1]}) for n in raw.nodes if n in used)
    graph.add_edges_from(kept)
    report.forbidden_edges = forbidden
    return graph


def _fix_geometries(
    edges: list[tuple[int, int, dict[str, Any]]], xy: Mapping[Any, tuple[float, float]]
) -> None:
    """Make every geometry a LineString from u to v with exactly the node coordinates."""
    if not edges:
        return
    geoms = np.array([a["geometry"] for *_, a in edges], dtype=object)
    start = np.array([xy[u] for u, _, _ in edges])
    stop = np.array([xy[v] for _, v, _ in edges])
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    first = shapely.get_coordinates(shapely.get_point(geoms[ok], 0))
    last = shapely.get_coordinates(shapely.get_point(geoms[ok], -1))
    exact = np.zeros(len(edges), dtype=bool)
    exact[ok] = np.all(first == start[ok], axis=1) & np.all(last == stop[ok], axis=1)
    for i in np.flatnonzero(~exact):
        u, v, attrs = edges[i]
        attrs["geometry"] = _oriented(attrs["geometry"], *xy[u], *xy[v])


def _connect_ferry_ends(graph: nx.MultiDiGraph, prof: Profile, *, max_m: float) -> int:
    """Join ferry ends that touch no road to the nearest road node within max_m."""
    road_nodes: set[int] = set()
    ferry_nodes: set[int] = set()
    for u, v, is_ferry in graph.edges(data="ferry"):
        (ferry_nodes if is_ferry else road_nodes).update((u, v))
    dangling = sorted(ferry_nodes - road_nodes)
    if not dangling or not road_nodes:
        return 0
    roads = np.array(sorted(road_nodes))
    lon = np.array([graph.nodes[n]["x"] for n in roads])
    lat = np.array([graph.nodes[n]["y"] for n in roads])
    speed = prof.edge_speed_kph("service") or prof.default_speed_kph
    added = 0
    for node in dangling:
        x, y = graph.nodes[node]["x"], graph.nodes[node]["y"]
        _, _, dist = _GEOD.inv(np.full(len(lon), x), np.full(len(lat), y), lon, lat)
        best = int(np.argmin(dist))
        if dist[best] > max_m:
            continue
        target = int(roads[best])
        length = max(float(dist[best]), MIN_LENGTH_M)
        tx, ty = graph.nodes[target]["x"], graph.nodes[target]["y"]
        for a, b, line in (
            (node, target, LineString([(x, y), (tx, ty)])),
            (target, node, LineString([(tx, ty), (x, y)])),
        ):
            graph.add_edge(
                a,
                b,
                highway="service",
                name="ferry terminal connector",
                ferry=False,
                oneway=False,
                geometry=line,
                length=length,
                speed_kph=float(speed),
                travel_time=length / (speed / 3.6),
            )
            added += 1
    return added


def _make_two_way(graph: nx.MultiDiGraph) -> None:
    """Add the missing reverse of every one-way edge (for walking)."""
    extra = []
    for u, v, data in graph.edges(data=True):
        if data["oneway"]:
            twin = {**data, "geometry": data["geometry"].reverse(), "oneway": False}
            extra.append((v, u, twin))
            data["oneway"] = False
    graph.add_edges_from(extra)


def _largest_scc(graph: nx.MultiDiGraph, report: BuildReport) -> nx.MultiDiGraph:
    """Keep the largest strongly connected component and record what was dropped."""
    if graph.number_of_nodes() == 0:
        return graph
    components = list(nx.strongly_connected_components(graph))
    largest = max(components, key=len)
    report.dropped_components = len(components) - 1
    report.dropped_nodes = graph.number_of_nodes() - len(largest)
    edges_before = graph.number_of_edges()
    graph.remove_nodes_from([n for n in graph.nodes if n not in largest])
    report.dropped_edges = edges_before - graph.number_of_edges()
    return graph
