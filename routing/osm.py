"""Read OpenStreetMap extracts (``.osm``/``.osm.bz2``/``.xml`` and ``.osm.pbf``).

Both readers return a *raw* road graph: an osmnx-style ``MultiDiGraph`` whose
one-way edges exist in their direction only and two-way edges in both, with
edge attributes ``highway`` (str or list), ``name``, ``maxspeed``, the access
tags listed in :data:`ACCESS_TAGS`, ``oneway`` (bool), ``ferry`` (bool),
``length`` (metres) and, for ferries, ``duration_min`` (the OSM ``duration``
tag in minutes, or None).

OSM XML goes through :func:`osmnx.graph_from_xml`, which turns *every* way of
the file into edges (buildings, rivers …). The file is therefore first
filtered: only ways with a routable ``highway`` tag (not ``area=yes``) and
``route=ferry`` ways are kept, with the nodes they use. Ferry ways have no
``highway`` tag; they are marked ``ferry=True, highway="ferry"``. The graph is
simplified with ``edge_attrs_differ`` so that one edge never mixes road
classes, speed limits, access rules or ferry and road.

PBF goes through pyrosm: ``get_network("all")`` and ``to_graph`` (oneway
respected), then the ``route=ferry`` ways read with
``get_data_by_custom_criteria``. A ferry end that has exactly the coordinates
of a road node is joined to it; otherwise a new node is made there and the
builder connects it to the nearest road (see :mod:`routing.build`).
"""

from __future__ import annotations

import bz2
import contextlib
import json
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from shapely.geometry import LineString

from routing.errors import GraphBuildError
from routing.profiles import NON_ROUTABLE_HIGHWAYS

__all__ = ["ACCESS_TAGS", "parse_duration_minutes", "read_osm_pbf", "read_osm_xml"]

#: OSM access keys carried to the raw graph (used by the profiles).
ACCESS_TAGS = (
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcycle",
    "motorcar",
    "hgv",
    "goods",
    "foot",
)
_WAY_TAGS = ("highway", "name", "maxspeed", "oneway", "junction", "route", "duration")
_DIFFER = ("highway", "maxspeed", "route", "oneway", *ACCESS_TAGS)
_GEOD_DECIMALS = 7


def parse_duration_minutes(value: Any) -> float | None:
    """
    Parse an OSM ``duration`` tag (``"HH:MM"``, ``"HH:MM:SS"``, ``"MM"``, ``"PT1H30M"``).

    Parameters
    ----------
    value
        The tag value.

    Returns
    -------
    float or None
        Minutes, or None when missing, not positive or not understood.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().upper()
    iso = re.fullmatch(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?", text)
    if iso and any(iso.groups()):
        h, m, s = (float(g) if g else 0.0 for g in iso.groups())
        minutes = h * 60 + m + s / 60
    else:
        parts = text.split(":")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            return None
        if len(numbers) == 1:
            minutes = numbers[0]
        elif len(numbers) == 2:
            minutes = numbers[0] * 60 + numbers[1]
        elif len(numbers) == 3:
            minutes = numbers[0] * 60 + numbers[1] + numbers[2] / 60
        else:
            return None
    return minutes if minutes > 0 else None


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _keep_way(tags: dict[str, str]) -> bool:
    if tags.get("route") == "ferry":
        return True
    highway = tags.get("highway")
    if not highway or highway in NON_ROUTABLE_HIGHWAYS:
        return False
    return tags.get("area") != "yes"


def _filter_osm_xml(source: Path, target: Path) -> int:
    """Write the routable ways of ``source`` and their nodes to ``target``."""
    needed: set[str] = set()
    kept = 0
    try:
        with _open(source) as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "way":
                    tags = {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}
                    if _keep_way(tags):
                        needed.update(nd.get("ref", "") for nd in elem.iter("nd"))
                        kept += 1
                    elem.clear()
                elif elem.tag in {"node", "relation"}:
                    elem.clear()
        with _open(source) as fh, target.open("wb") as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "node":
                    if elem.get("id") in needed:
                        for child in list(elem):
                            elem.remove(child)
                        elem.tail = "\n"
                        out.write(ET.tostring(elem))
                    elem.clear()
                elif elem.tag == "way":
                    tags = {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}
                    if _keep_way(tags):
                        elem.tail = "\n"
                        out.write(ET.tostring(elem))
                    elem.clear()
                elif elem.tag == "relation":
                    elem.clear()
            out.write(b"</osm>\n")
    except (ET.ParseError, OSError, EOFError) as exc:
        msg = f"cannot read OSM XML {source}: {exc}"
        raise GraphBuildError(msg) from exc
    return kept


@contextlib.contextmanager
def _osmnx_settings() -> Iterator[None]:
    """Temporarily keep the tags we need and forbid any download or cache use."""
    saved = (ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.log_console)
    ox.settings.useful_tags_way = sorted({*saved[0], *_WAY_TAGS, *ACCESS_TAGS})
    ox.settings.use_cache = False
    ox.settings.log_console = False
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.log_console = saved


def read_osm_xml(path: Path) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """
    Read an OSM XML file (optionally bz2-compressed) into a raw road graph.

    Parameters
    ----------
    path
        ``.osm``, ``.xml`` or ``.osm.bz2`` file.

    Returns
    -------
    graph, info
        The raw graph and facts for the build report (``ways``,
        ``ferry_ways_parsed``, ``ferry_ways_skipped``).

    Raises
    ------
    GraphBuildError
        If the file cannot be parsed or holds no routable way.
    """
    with tempfile.TemporaryDirectory(prefix="lampung-geo-osm-") as tmp:
        filtered = Path(tmp) / "routable.osm"
        kept = _filter_osm_xml(path, filtered)
        if kept == 0:
            msg = f"{path} has no routable ways (highway=* or route=ferry)"
            raise GraphBuildError(msg)
        with _osmnx_settings():
            graph = ox.graph_from_xml(
                filtered, simplify=False, retain_all=True, bidirectional=False
            )
    ferry_ways: set[Any] = set()
    for _, _, data in graph.edges(data=True):
        is_ferry = data.get("route") == "ferry"
        data["ferry"] = is_ferry
        if is_ferry:
            data["highway"] = "ferry"
            ferry_ways.add(data.get("osmid"))
    with _osmnx_settings():
        graph = ox.simplify_graph(graph, edge_attrs_differ=list(_DIFFER))
    for _, _, data in graph.edges(data=True):
        if data["ferry"]:
            data["duration_min"] = parse_duration_minutes(_first(data.get("duration")))
    info = {"ways": kept, "ferry_ways_parsed": len(ferry_ways), "ferry_ways_skipped": 0}
    return graph, info


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def read_osm_pbf(path: Path) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """
    Read an OSM PBF extract with pyrosm into a raw road graph, ferries included.

    Parameters
    ----------
    path
        ``.osm.pbf`` file.

    Returns
    -------
    graph, info
        The raw graph and facts for the build report (``ways``,
        ``ferry_ways_parsed``, ``ferry_ways_skipped``: ferry ways cut by the
        extract down to fewer than two distinct points).

    Raises
    ------
    GraphBuildError
        If pyrosm cannot read the file or it holds no roads.
    """
    import pyrosm  # slow import, only needed here

    try:
        osm = pyrosm.OSM(str(path))
        extra = [t for t in (*ACCESS_TAGS, "junction") if t not in {"access", "foot"}]
        nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=extra)
    except Exception as exc:  # pyrosm raises bare Exceptions and ValueErrors
        msg = f"cannot read OSM PBF {path}: {exc}"
        raise GraphBuildError(msg) from exc
    if edges is None or len(edges) == 0:
        msg = f"{path} has no roads (highway=*)"
        raise GraphBuildError(msg)
    differ = [c for c in ("highway", "maxspeed", *ACCESS_TAGS) if c in edges.columns]
    graph = osm.to_graph(
        nodes,
        edges,
        graph_type="networkx",
        network_type="driving",  # respect oneway; walk is made two-way later
        retain_all=True,
        osmnx_compatible=True,
        simplify_kwargs={"edge_attrs_differ": differ},
        progress=False,
    )
    for _, _, data in graph.edges(data=True):
        data["ferry"] = False
    ferries = osm.get_data_by_custom_criteria(
        custom_filter={"route": ["ferry"]},
        filter_type="keep",
        keep_nodes=False,
        keep_relations=False,
    )
    parsed, skipped = _add_pbf_ferries(graph, ferries)
    info = {"ways": int(edges["id"].nunique()), "ferry_ways_parsed": parsed}
    info["ferry_ways_skipped"] = skipped
    return graph, info


def _add_pbf_ferries(graph: nx.MultiDiGraph, ferries: Any) -> tuple[int, int]:
    """Add pyrosm ferry ways to graph in both directions; return (parsed, skipped)."""
    if ferries is None or len(ferries) == 0:
        return 0, 0
    index = {
        (round(d["x"], _GEOD_DECIMALS), round(d["y"], _GEOD_DECIMALS)): n
        for n, d in graph.nodes(data=True)
    }
    next_id = max((int(n) for n in graph.nodes), default=0) + 1
    parsed = skipped = 0
    for _, row in ferries.iterrows():
        geom = row.geometry
        lines = list(getattr(geom, "geoms", [geom])) if geom is not None else []
        tags = _tags(row.get("tags"))
        for line in lines:
            if not isinstance(line, LineString):
                continue
            parsed += 1
            coords = _dedupe(shapely.get_coordinates(line))
            if len(coords) < 2:
                skipped += 1  # clipped by the extract to a single point
                continue
            ends = []
            for x, y in (coords[0], coords[-1]):
                key = (round(float(x), _GEOD_DECIMALS), round(float(y), _GEOD_DECIMALS))
                node = index.get(key)
                if node is None:
                    node = next_id
                    next_id += 1
                    graph.add_node(node, x=float(x), y=float(y))
                    index[key] = node
                ends.append(node)
            u, v = ends
            x0, y0 = graph.nodes[u]["x"], graph.nodes[u]["y"]
            x1, y1 = graph.nodes[v]["x"], graph.nodes[v]["y"]
            coords[0], coords[-1] = (x0, y0), (x1, y1)
            forward = LineString(coords)
            attrs = {
                "highway": "ferry",
                "name": str(_tag(row, tags, "name") or ""),
                "ferry": True,
                "oneway": False,
                "duration_min": parse_duration_minutes(_tag(row, tags, "duration")),
                "motor_vehicle": _tag(row, tags, "motor_vehicle"),
                "motorcar": _tag(row, tags, "motorcar"),
                "foot": _tag(row, tags, "foot"),
                "osmid": row.get("id"),
            }
            # length is measured on the geometry by the builder
            graph.add_edge(u, v, geometry=forward, length=None, **attrs)
            graph.add_edge(v, u, geometry=forward.reverse(), length=None, **attrs)
    return parsed, skipped


def _tag(row: Any, tags: dict[str, Any], key: str) -> Any:
    """A ferry way's tag: from the ``tags`` JSON, else from its own column.

    pyrosm keeps the tags it knows for ``route`` relations (``duration``, ``foot``, ...)
    as columns and leaves only the others in ``tags``; reading ``tags`` alone lost
    a ferry's ``duration`` and ``foot``.
    """
    value = tags.get(key)
    if value is None:
        value = row.get(key)
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def _tags(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        with contextlib.suppress(ValueError):
            loaded = json.loads(raw)
            if isinstance(loaded, dict):
                return loaded
    return {}


def _dedupe(coords: np.ndarray) -> np.ndarray:
    if len(coords) == 0:
        return coords
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    return coords[keep].copy()
