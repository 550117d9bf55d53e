"""Read GIS road lines (GeoPackage, Shapefile, GeoJSON) into a raw road graph.

Government road data (BIG's RBI maps, old OSM shapefile exports) comes as
lines that are *not* split at junctions. :func:`read_lines` nodes them:

* a line is cut only at vertices that it shares exactly (after rounding to
  1e-7 degrees, about 1 cm) with another line, or with itself, and at its ends;
* lines that merely cross without a shared vertex are **never** joined: in real
  data these are bridges, flyovers and underpasses (Jakarta's 2012 OSM roads
  have more than 1,300 of them).

Column presets (see :data:`PRESETS`) map a file's columns and values to OSM
highway classes:

``rbi``
    BIG RBI roads: ``REMARK`` holds ``Jalan Arteri`` (primary), ``Jalan
    Kolektor`` (secondary), ``Jalan Lokal`` (tertiary), ``Jalan Lain``
    (unclassified: the village and estate roads that make up most of RBI),
    ``Jalan Setapak`` (path, foot only) and ``Jalan Tol`` / ``Jalan Bebas
    Hambatan`` (motorway). RBI has no names, one-way or speed attributes.
``osm_shp``
    Old OSM shapefile exports: ``TYPE`` (OSM highway class), ``NAME``,
    ``ONEWAY`` (``yes``/``1``/``FT``/``F`` forward, ``-1``/``TF``/``T`` reverse,
    anything else two-way), ``MAXSPEED``, ``LANES``.
``osm``
    Files that use OSM keys as column names (``highway``, ``name``, ``oneway``,
    ``maxspeed``, ``lanes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from routing.errors import GraphBuildError

__all__ = ["FIELDS", "PRESETS", "ColumnPreset", "detect_preset", "lines_to_graph", "read_lines"]

#: Our edge fields that a file's columns can be mapped to.
FIELDS = ("highway", "name", "oneway", "maxspeed", "lanes")

#: Coordinates are compared after rounding to this many decimal degrees.
COORD_DECIMALS = 7

_GEOD = Geod(ellps="WGS84")
_FORWARD = frozenset({"yes", "true", "1", "ft", "f", "forward"})
_REVERSE = frozenset({"-1", "tf", "t", "reverse", "backward"})


@dataclass(frozen=True)
class ColumnPreset:
    """
    How the columns and values of one kind of road file map to our fields.

    Attributes
    ----------
    name
        Preset name.
    columns
        Our field (``highway``, ``name``, ``oneway``, ``maxspeed``, ``lanes``)
        to the file's column name (matched case-insensitively).
    highway_values
        File value (lower case) to OSM highway class; None keeps the values
        as they are (lower-cased).
    unknown_highway
        Class given to values missing from ``highway_values``.
    """

    name: str
    columns: Mapping[str, str]
    highway_values: Mapping[str, str] | None = None
    unknown_highway: str = "road"
    notes: str = field(default="", compare=False)


#: Built-in column presets by name.
PRESETS: Mapping[str, ColumnPreset] = MappingProxyType(
    {
        "rbi": ColumnPreset(
            name="rbi",
            columns=MappingProxyType({"highway": "REMARK", "name": "NAMRJL"}),
            highway_values=MappingProxyType(
                {
                    "jalan tol": "motorway",
                    "jalan bebas hambatan": "motorway",
                    "jalan arteri": "primary",
                    "jalan kolektor": "secondary",
                    "jalan lokal": "tertiary",
                    "jalan lain": "unclassified",
                    "jalan setapak": "path",
                }
            ),
            notes="BIG RBI 1:25k/1:50k roads",
        ),
        "osm_shp": ColumnPreset(
            name="osm_shp",
            columns=MappingProxyType(
                {
                    "highway": "TYPE",
                    "name": "NAME",
                    "oneway": "ONEWAY",
                    "maxspeed": "MAXSPEED",
                    "lanes": "LANES",
                }
            ),
        ),
        "osm": ColumnPreset(
            name="osm",
            columns=MappingProxyType({f: f for f in FIELDS}),
        ),
    }
)


def detect_preset(frame: pd.DataFrame) -> str:
    """
    Guess the column preset of a road table.

    Parameters
    ----------
    frame
        The table (geometry column ignored).

    Returns
    -------
    str
        ``"rbi"`` if a ``REMARK`` column holds ``Jalan …`` values, else
        ``"osm_shp"`` if there is a ``TYPE`` column, else ``"osm"`` if there is
        a ``highway`` column.

    Raises
    ------
    GraphBuildError
        If none of these columns is found.
    """
    cols = {str(c).lower(): c for c in frame.columns}
    if "remark" in cols:
        values = frame[cols["remark"]].dropna().astype(str).str.strip().str.lower()
        if len(values) and values.str.startswith("jalan").mean() > 0.5:
            return "rbi"
    if "type" in cols:
        return "osm_shp"
    if "highway" in cols:
        return "osm"
    msg = (
        f"cannot tell the road class column among {list(frame.columns)}; pass "
        "columns={'highway': '<column>'} or preset='rbi'/'osm_shp'/'osm'"
    )
    raise GraphBuildError(msg)


def _resolve_columns(
    frame: pd.DataFrame, preset: ColumnPreset, columns: Mapping[str, str] | None
) -> dict[str, str]:
    unknown = set(columns or {}) - set(FIELDS)
    if unknown:
        msg = f"unknown keys in columns: {sorted(unknown)}; valid keys: {list(FIELDS)}"
        raise GraphBuildError(msg)
    wanted = {**preset.columns, **(columns or {})}
    lookup = {str(c).lower(): str(c) for c in frame.columns}
    resolved: dict[str, str] = {}
    for ours, theirs in wanted.items():
        found = lookup.get(str(theirs).lower())
        if found is not None:
            resolved[ours] = found
        elif columns and ours in columns:
            msg = f"column {theirs!r} (for {ours!r}) not found; columns: {list(frame.columns)}"
            raise GraphBuildError(msg)
    if "highway" not in resolved:
        msg = f"no road class column {wanted.get('highway')!r} in {list(frame.columns)}"
        raise GraphBuildError(msg)
    return resolved


def _text(series: pd.Series) -> np.ndarray:
    """Return a column as an object array of str ("" for missing)."""
    out = series.astype(object).where(series.notna(), "")
    return np.array([str(v).strip() for v in out], dtype=object)


def _direction(values: np.ndarray) -> np.ndarray:
    """Return +1 (forward only), -1 (reverse only) or 0 (both ways) per value."""
    lowered = np.array([str(v).strip().lower() for v in values], dtype=object)
    result = np.zeros(len(lowered), dtype=np.int8)
    for i, value in enumerate(lowered):
        if value.endswith(".0"):  # numeric columns read as float
            value = value[:-2]
        if value in _FORWARD:
            result[i] = 1
        elif value in _REVERSE:
            result[i] = -1
    return result


def read_lines(
    path: Path,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    preset: str | None = None,
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """
    Read a road-line file and node it into a raw road graph.

    Parameters
    ----------
    path
        ``.gpkg``, ``.shp``, ``.geojson`` or ``.json`` file of road lines.
    layer
        Layer to read (default: the first).
    columns
        Our field to the file's column, overriding the preset, e.g.
        ``{"highway": "KELAS", "name": "NAMA"}``. Keys: :data:`FIELDS`.
    preset
        A key of :data:`PRESETS`; auto-detected with :func:`detect_preset`
        when None.

    Returns
    -------
    graph, info
        The raw graph (see :func:`lines_to_graph`) and facts for the build
        report (``preset``, ``lines``, ``unknown_values``).

    Raises
    ------
    GraphBuildError
        If the file cannot be read, has no lines, or its columns do not fit.
    """
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types
        msg = f"cannot read road lines from {path}: {exc}"
        raise GraphBuildError(msg) from exc
    if frame.crs is None:
        msg = f"{path} has no coordinate reference system; set one (e.g. EPSG:4326) first"
        raise GraphBuildError(msg)
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame[frame.geometry.notna()].explode(index_parts=False, ignore_index=True)
    frame = frame[frame.geom_type == "LineString"].reset_index(drop=True)
    if frame.empty:
        msg = f"{path} has no line geometries"
        raise GraphBuildError(msg)
    preset_name = preset if preset is not None else detect_preset(frame)
    if preset_name not in PRESETS:
        msg = f"unknown preset {preset_name!r}; valid presets: {', '.join(sorted(PRESETS))}"
        raise GraphBuildError(msg)
    spec = PRESETS[preset_name]
    cols = _resolve_columns(frame, spec, columns)

    raw_class = _text(frame[cols["highway"]])
    if spec.highway_values is None:
        highway = np.array([v.lower() or spec.unknown_highway for v in raw_class], dtype=object)
        unknown: dict[str, int] = {}
    else:
        mapping = spec.highway_values
        highway = np.array(
            [mapping.get(v.lower(), spec.unknown_highway) for v in raw_class], dtype=object
        )
        missing = pd.Series([v for v in raw_class if v.lower() not in mapping], dtype=object)
        unknown = {str(k): int(n) for k, n in missing.value_counts().items()}
    n = len(frame)
    attrs = {
        "highway": highway,
        "name": _text(frame[cols["name"]]) if "name" in cols else np.full(n, "", dtype=object),
        "maxspeed": _text(frame[cols["maxspeed"]]) if "maxspeed" in cols else None,
        "lanes": _text(frame[cols["lanes"]]) if "lanes" in cols else None,
    }
    direction = (
        _direction(_text(frame[cols["oneway"]])) if "oneway" in cols else np.zeros(n, dtype=np.int8)
    )
    graph = lines_to_graph(frame.geometry.to_numpy(), direction=direction, attrs=attrs)
    info = {"preset": preset_name, "lines": n, "unknown_values": unknown}
    return graph, info


def lines_to_graph(
    geoms: np.ndarray,
    *,
    direction: np.ndarray,
    attrs: Mapping[str, np.ndarray | None],
) -> nx.MultiDiGraph:
    """
    Node lon/lat lines at shared vertices and build a directed raw road graph.

    Parameters
    ----------
    geoms
        LineStrings in lon/lat.
    direction
        Per line: +1 one-way along the digitising direction, -1 one-way
        against it, 0 two-way.
    attrs
        Per-line attribute arrays (``highway`` required; None arrays are
        skipped) copied to every edge cut from the line.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes ``0..n-1`` with ``x``/``y``; edges with ``length`` (geodesic
        metres), ``geometry`` (oriented from u to v, ends equal to the node
        coordinates), ``oneway`` (bool), ``ferry`` (False) and the ``attrs``.
        Two-way lines give one edge per direction. Zero-length pieces and
        self-loops are dropped.
    """
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    keys = np.round(coords * 10**COORD_DECIMALS).astype(np.int64)
    uniq, first, vid, counts = np.unique(
        keys, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    vid = vid.ravel()
    # drop repeated consecutive vertices of a line (zero-length segments)
    keep = np.ones(len(vid), dtype=bool)
    keep[1:] = ~((vid[1:] == vid[:-1]) & (line_of[1:] == line_of[:-1]))
    vid, line_of = vid[keep], line_of[keep]
    # count each vertex once per occurrence left (shared or self-touching)
    counts = np.bincount(vid, minlength=len(uniq))
    rep = coords[first]  # one representative coordinate per distinct vertex
    xy = rep[vid]

    starts = np.ones(len(vid), dtype=bool)
    starts[1:] = line_of[1:] != line_of[:-1]
    ends = np.roll(starts, -1)
    ends[-1] = True
    is_node = starts | ends | (counts[vid] >= 2)
    node_pos = np.flatnonzero(is_node)
    a, b = node_pos[:-1], node_pos[1:]
    same = line_of[a] == line_of[b]
    a, b = a[same], b[same]
    piece_line = line_of[a]

    # geodesic length of every segment, summed per piece with a cumulative sum
    _, _, seg = _GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    seg = np.where(line_of[1:] == line_of[:-1], seg, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    length = cum[b] - cum[a]

    u_vid, v_vid = vid[a], vid[b]
    good = (u_vid != v_vid) & (length > 0)
    a, b, piece_line, length = a[good], b[good], piece_line[good], length[good]
    u_vid, v_vid = u_vid[good], v_vid[good]

    sizes = b - a + 1
    offsets = np.repeat(np.cumsum(sizes) - sizes, sizes)
    positions = np.repeat(a, sizes) + (np.arange(sizes.sum()) - offsets)
    pieces = shapely.linestrings(xy[positions], indices=np.repeat(np.arange(len(a)), sizes))

    used = np.unique(np.concatenate([u_vid, v_vid]))
    node_id = np.full(len(uniq), -1, dtype=np.int64)
    node_id[used] = np.arange(len(used))
    u, v = node_id[u_vid], node_id[v_vid]

    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, (x, y) in zip(range(len(used)), rep[used], strict=True)
    )
    line_dir = direction[piece_line]
    columns = {k: arr[piece_line] for k, arr in attrs.items() if arr is not None}
    reversed_pieces = shapely.reverse(pieces)
    names = list(columns)
    values = [columns[k] for k in names]
    edges: list[tuple[int, int, dict[str, Any]]] = []
    for i in range(len(pieces)):
        base = {k: vals[i] for k, vals in zip(names, values, strict=True)}
        base["length"] = float(length[i])
        base["ferry"] = False
        d = int(line_dir[i])
        oneway = d != 0
        if d >= 0:
            edges.append((int(u[i]), int(v[i]), {**base, "geometry": pieces[i], "oneway": oneway}))
        if d <= 0:
            edges.append(
                (int(v[i]), int(u[i]), {**base, "geometry": reversed_pieces[i], "oneway": oneway})
            )
    graph.add_edges_from(edges)
    return graph
