"""Build a routable road graph for one travel profile from one or several files.

:func:`build_graph` reads OSM XML, OSM PBF (one file) or GIS road lines (one
or several files, e.g. one RBI folder per kabupaten; see
:mod:`routing.sources`), applies a :class:`~routing.profiles.Profile`, splits
closed roads (:mod:`routing.loops`), connects ferry ends to the road network,
and keeps every strongly connected component of at least ``min_component_km``
km of road plus the largest (:mod:`routing.components`).

The returned graph follows this contract (the routing engine relies on it):

* graph attributes ``crs="EPSG:4326"``, ``profile``, ``source`` (the file
  labels joined by ``", "``) and ``sources`` (the list of labels);
* integer node ids with ``x`` (longitude) and ``y`` (latitude) floats;
* edge attributes ``length`` (geodesic metres, > 0), ``travel_time``
  (seconds, ``length / (speed_kph / 3.6)``, > 0), ``speed_kph``, ``highway``
  (str), ``name`` (str, ``""`` when none), ``ferry`` (bool), ``oneway`` (bool:
  this edge has no twin in the other direction for the road it belongs to),
  ``source_index`` (int: position of the edge's file in the inputs; -1 for
  scheduled ferry links and ferry-terminal connectors) and ``geometry`` (a
  lon/lat LineString from ``u`` to ``v`` whose first and last coordinates
  equal the coordinates of ``u`` and ``v``);
* for a two-way road, the edge ``v -> u`` carries exactly the reversed
  coordinates of ``u -> v`` (also for the halves of a split closed road);
* the graph may have several strongly connected components (each one
  strongly connected on its own, no edge between two of them): routes between
  them are unreachable.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString
from tqdm import tqdm

from routing.components import (
    finish_source_reports,
    keep_usable_components,
    road_km_by_source,
    road_weight,
)
from routing.errors import GraphBuildError
from routing.ferry import FerryLink, add_ferry_links
from routing.loops import loop_node_ids, loop_split_key, split_self_loops
from routing.osm import ACCESS_TAGS
from routing.profiles import FERRY_SPEED_KPH, Profile, get_profile
from routing.report import BuildReport, SourceReport
from routing.sources import SourceSpec, read_sources, resolve_sources, source_format

__all__ = [
    "DEFAULT_CLASS",
    "FERRY_CONNECT_M",
    "JOIN_TOLERANCE_M",
    "MIN_COMPONENT_KM",
    "BuildReport",
    "build_graph",
    "source_format",
]

#: A ferry end farther than this from any road is left unconnected.
FERRY_CONNECT_M = 500.0
#: Lengths below this (duplicate OSM nodes) are raised to it so travel times stay > 0.
MIN_LENGTH_M = 0.01
#: Line ends of different files closer than this (metres) are joined.
JOIN_TOLERANCE_M = 1.0
#: Strongly connected components with less road than this (km) are dropped
#: (the largest is always kept). See the README for the evidence behind it.
MIN_COMPONENT_KM = 25.0
#: Class of every line of a Shapefile without its .dbf: RBI "Jalan Lain", the
#: class of most RBI lines (94 % of the lines and 71 % of the km of Metro,
#: Pringsewu and Pesawaran).
DEFAULT_CLASS = "unclassified"

_GEOD = Geod(ellps="WGS84")
_STAGES = ("read", "profile", "ferries", "directions", "components")


def build_graph(
    source: str | Path | Sequence[str | Path],
    *,
    profile: str | Profile = "motorcycle",
    labels: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    preset: str | Sequence[str | None] | None = None,
    default_class: str | None = DEFAULT_CLASS,
    join_tolerance_m: float = JOIN_TOLERANCE_M,
    min_component_km: float = MIN_COMPONENT_KM,
    ferry_links: Iterable[FerryLink] = (),
    progress: bool = False,
) -> tuple[nx.MultiDiGraph, BuildReport]:
    """
    Build the routable graph of one travel profile from one or several road files.

    Parameters
    ----------
    source
        One path or a sequence of paths: ``.osm``/``.xml``/``.osm.bz2`` (OSM
        XML) or ``.osm.pbf`` (one file only), or any number of
        ``.gpkg``/``.shp``/``.geojson``/``.json`` road-line files.
    profile
        Profile name (``motorcycle``, ``car``, ``truck``, ``walk``) or a
        :class:`~routing.profiles.Profile`.
    labels
        One name per file for reports; default: the file name, or
        ``<parent folder>/<file name>`` where names repeat.
    columns
        GIS lines only: our field (``highway``, ``name``, ``oneway``,
        ``maxspeed``, ``lanes``) to the file's column, overriding the preset
        (applied to every file).
    layer
        GIS lines only: layer to read (in every file).
    preset
        GIS lines only: column preset (``rbi``, ``osm_shp``, ``osm``) for
        every file, or one per file (None entries auto-detect); auto-detected
        per file when None (see :func:`routing.lines.detect_preset`).
    default_class
        GIS lines only: road class (OSM ``highway``) of every line of a
        ``.shp`` whose ``.dbf`` is missing, with a warning; None refuses such a
        file with an error naming the missing ``.dbf``.
    join_tolerance_m
        Line ends of *different* files at most this far apart (metres) become
        one vertex (see :mod:`routing.joins`); 0 joins only coinciding ends.
    min_component_km
        Keep every strongly connected component with at least this much road
        (km, two-way roads once); the largest is always kept.
    ferry_links
        Scheduled ferry links (e.g. Bakauheni–Merak from the database), added in
        both directions *before* components are chosen, so that the road
        networks they join form one component.
    progress
        Show a progress bar of the build stages on stderr.

    Returns
    -------
    graph, report
        The graph (see the module docstring for its contract) and a
        :class:`BuildReport` with one :class:`~routing.report.SourceReport`
        per file.

    Raises
    ------
    UnknownProfileError
        If the profile name is unknown.
    GraphBuildError
        If a file is missing, of an unsupported type, unreadable, lacks its
        ``.dbf`` while ``default_class`` is None, an option is invalid, or
        nothing is routable for the profile.
    """
    prof, spec = _validate(
        source, profile, labels, columns, layer, preset, default_class,
        join_tolerance_m, min_component_km,
    )  # fmt: skip
    started = time.perf_counter()
    report = BuildReport(
        source=", ".join(spec.labels),
        profile=prof.name,
        input_format=spec.kind,
        join_tolerance_m=float(join_tolerance_m),
        min_component_km=float(min_component_km),
    )
    report.sources = [
        SourceReport(index=i, label=label, path=str(path))
        for i, (label, path) in enumerate(zip(spec.labels, spec.paths, strict=True))
    ]
    bar = tqdm(total=len(_STAGES), desc="graph", file=sys.stderr, disable=not progress)
    with bar:
        with _stage(report, bar, "read"):
            raw = read_sources(
                spec,
                report,
                layer=layer,
                columns=columns,
                default_class=default_class,
                join_tolerance_m=join_tolerance_m,
            )
            report.raw_nodes, report.raw_edges = raw.number_of_nodes(), raw.number_of_edges()
            for s, km in road_km_by_source(raw.edges(data=True)).items():
                if 0 <= s < len(report.sources):
                    report.sources[s].km_read = km
        with _stage(report, bar, "profile"):
            graph = _apply_profile(raw, prof, report)
            del raw
        with _stage(report, bar, "ferries"):
            report.ferry_connectors = _connect_ferry_ends(graph, prof, max_m=FERRY_CONNECT_M)
            links = list(ferry_links)
            if links:
                report.ferry_links = len(add_ferry_links(graph, links))
            for _, _, data in graph.edges(data=True):
                data.setdefault("source_index", -1)
        with _stage(report, bar, "directions"):
            if not prof.respect_oneway:
                _make_two_way(graph)
        with _stage(report, bar, "components"):
            routable = road_km_by_source(graph.edges(data=True))
            keep_usable_components(graph, report, min_km=min_component_km)
    if graph.number_of_edges() == 0:
        msg = f"{report.source} has no edges usable by profile {prof.name!r}"
        raise GraphBuildError(msg)
    finish_source_reports(report, graph, routable)
    graph.graph.update(
        crs="EPSG:4326", profile=prof.name, source=report.source, sources=list(spec.labels)
    )
    report.nodes, report.edges = graph.number_of_nodes(), graph.number_of_edges()
    report.ferry_edges = sum(1 for *_, f in graph.edges(data="ferry") if f)
    report.seconds = time.perf_counter() - started
    return graph, report


def _validate(
    source: str | Path | Sequence[str | Path],
    profile: str | Profile,
    labels: Sequence[str] | None,
    columns: Mapping[str, str] | None,
    layer: str | None,
    preset: str | Sequence[str | None] | None,
    default_class: str | None,
    join_tolerance_m: float,
    min_component_km: float,
) -> tuple[Profile, SourceSpec]:
    """Check every argument of :func:`build_graph` in one place."""
    prof = get_profile(profile)
    for name, value in (
        ("join_tolerance_m", join_tolerance_m),
        ("min_component_km", min_component_km),
    ):
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            msg = f"{name} must be a finite number >= 0, got {value!r}"
            raise GraphBuildError(msg)
    spec = resolve_sources(source, labels=labels, preset=preset, default_class=default_class)
    if spec.kind != "lines" and (columns or layer or preset):
        msg = "columns, layer and preset apply only to GIS line files (.gpkg/.shp/.geojson)"
        raise GraphBuildError(msg)
    return prof, spec


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
    """Return a clean graph with the edges the profile may use, timed, closed roads split."""
    xy = {int(n): (float(d["x"]), float(d["y"])) for n, d in raw.nodes(data=True)}
    memo: dict[tuple[Any, ...], float | None] = {}
    kept: list[tuple[int, int, dict[str, Any]]] = []
    forbidden = 0
    forbidden_km: dict[int, float] = {}
    for u, v, data in raw.edges(data=True):
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
        source = int(data.get("source_index", 0))
        if speed is None:
            forbidden += 1
            forbidden_km[source] = forbidden_km.get(source, 0.0) + road_weight(data)
            continue
        attrs = {
            "highway": "ferry" if is_ferry else (_first_text(data.get("highway")) or "road"),
            "name": _name(data.get("name")),
            "ferry": is_ferry,
            "oneway": bool(data.get("oneway", False)),
            "source_index": source,
            "geometry": data.get("geometry"),
            "_speed": speed,
            "_minutes": data.get("duration_min") if is_ferry else None,
        }
        kept.append((int(u), int(v), attrs))
    _fix_geometries(kept, xy)
    kept, report.self_loops_split, loops_dropped = split_self_loops(
        kept, xy, node_ids=_loop_node_ids(raw, xy)
    )
    if loops_dropped:
        report.notes.append(f"{loops_dropped:,} closed roads without any vertex apart dropped")
    lengths = np.maximum(_geodesic_lengths([a["geometry"] for *_, a in kept]), MIN_LENGTH_M)
    for (_, _, attrs), length in zip(kept, lengths, strict=True):
        speed, minutes = attrs.pop("_speed"), attrs.pop("_minutes")
        if minutes:  # OSM duration of a ferry crossing sets its speed
            speed = float(length) / 1000.0 / (float(minutes) / 60.0)
        attrs["length"] = float(length)
        attrs["speed_kph"] = float(speed)
        attrs["travel_time"] = float(length) / (speed / 3.6)
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    used = sorted({n for u, v, _ in kept for n in (u, v)})
    graph.add_nodes_from((n, {"x": xy[n][0], "y": xy[n][1]}) for n in used)
    graph.add_edges_from(kept)
    report.forbidden_edges = forbidden
    for rec in report.sources:
        rec.km_forbidden = forbidden_km.get(rec.index, 0.0)
    return graph


def _loop_node_ids(
    raw: nx.MultiDiGraph, xy: Mapping[int, tuple[float, float]]
) -> dict[tuple[int, float, float], int]:
    """Ids of the new nodes of *every* closed road of the raw graph (see routing.loops).

    Numbered over all raw loops, not only those the profile keeps, so that a loop's
    new node has one id in every profile.
    """
    keys = []
    for u, _, data in nx.selfloop_edges(raw, data=True):
        line = _oriented(data.get("geometry"), *xy[int(u)], *xy[int(u)])
        key = loop_split_key(int(u), shapely.get_coordinates(line))
        if key is not None:
            keys.append(key)
    return loop_node_ids(keys, first_id=max(xy) + 1 if xy else 0)


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
