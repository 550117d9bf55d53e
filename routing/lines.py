"""Read GIS road lines (GeoPackage, Shapefile, GeoJSON) into a raw road graph.

Government road data (BIG's RBI maps, old OSM shapefile exports) comes as
lines that are *not* split at junctions. :func:`read_lines` nodes them:

* a line is cut only at vertices that it shares exactly (after rounding to
  1e-7 degrees, about 1 cm) with another line, or with itself, and at its ends;
* lines that merely cross without a shared vertex are **never** joined: in real
  data these are bridges, flyovers and underpasses (Jakarta's 2012 OSM roads
  have more than 1,300 of them).

Lines of *different* files cut at a common border are joined end to end
before noding (see :mod:`routing.joins`). Z and M coordinates are dropped on
read (RBI lines carry a Z, mostly 0). A Shapefile whose ``.dbf`` is missing
(geometry only, a real broken RBI delivery) is detected explicitly and built
with a stated default class (``unclassified``, RBI *Jalan Lain*), or refused.

Column presets are described in :mod:`routing.presets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from data.vector_errors import VectorReadError
from data.vector_io import VectorFile, read_vector
from routing.errors import GraphBuildError
from routing.joins import vertex_keys
from routing.presets import (
    FIELDS,
    PRESETS,
    ColumnPreset,
    detect_preset,
    parse_direction,
    resolve_columns,
    text_values,
)

__all__ = [
    "FIELDS",
    "PRESETS",
    "ColumnPreset",
    "LineTable",
    "detect_preset",
    "lines_to_graph",
    "read_line_table",
    "read_lines",
]

_GEOD = Geod(ellps="WGS84")


@dataclass
class LineTable:
    """
    The road lines of one file, ready to be noded.

    Attributes
    ----------
    path
        The file.
    geoms
        2-D lon/lat LineStrings (multi-lines exploded, Z and M dropped).
    direction
        Per line: +1 one-way along the line, -1 against it, 0 two-way.
    attrs
        Per-line arrays: ``highway`` and ``name`` (always), ``maxspeed`` and
        ``lanes`` (None when the file has no such column).
    features
        Features (rows) read from the file.
    preset
        Column preset used, or ``"none"`` when the file has no attribute table.
    unknown_values
        Class values missing from the preset, with their line counts.
    missing_dbf
        Name of the missing ``.dbf`` of a Shapefile, else None.
    default_class
        The class every line got because the attribute table is missing.
    dropped_dims
        ``"Z"``, ``"M"``, ``"ZM"`` or ``""``: coordinate dimensions dropped on read.
    """

    path: Path
    geoms: np.ndarray
    direction: np.ndarray
    attrs: dict[str, np.ndarray | None]
    features: int
    preset: str
    unknown_values: dict[str, int] = field(default_factory=dict)
    missing_dbf: str | None = None
    default_class: str | None = None
    dropped_dims: str = ""


def _read_frame(path: Path, layer: str | None) -> VectorFile:
    """Read through :func:`data.vector_io.read_vector`: Z/M dropped, encodings, CRS checks."""
    try:
        return read_vector(path, layer=layer)
    except VectorReadError as exc:
        msg = f"cannot read road lines from {path.name}: {exc.reason}"
        raise GraphBuildError(msg) from None


def read_line_table(
    path: Path,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    preset: str | None = None,
    default_class: str | None = "unclassified",
) -> LineTable:
    """
    Read the road lines of one GIS file, with their classes mapped to OSM.

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
    default_class
        Road class (OSM ``highway`` value) of every line of a ``.shp`` whose
        ``.dbf`` is missing (``unclassified`` = RBI *Jalan Lain*, the class of
        most RBI lines); None refuses such a file.

    Returns
    -------
    LineTable
        The lines and the facts the build report needs.

    Raises
    ------
    GraphBuildError
        If the file cannot be read, has no lines or no CRS, its columns do not
        fit, or its ``.dbf`` is missing and ``default_class`` is None.
    """
    read = _read_frame(path, layer)
    no_dbf = f"{path.stem}.dbf" if read.missing_attributes else None
    if no_dbf is not None and default_class is None:
        msg = (
            f"{path}: {no_dbf} is missing (no road classes); give a default class "
            "(e.g. --default-class unclassified) to build it anyway"
        )
        raise GraphBuildError(msg)
    frame = read.frame
    if frame.crs is None:
        msg = f"{path} has no coordinate reference system; set one (e.g. EPSG:4326) first"
        raise GraphBuildError(msg)
    features = len(frame)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    dims = ("Z" if read.dropped_z else "") + ("M" if read.dropped_m else "")
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame.explode(index_parts=False, ignore_index=True)
    frame = frame[frame.geom_type == "LineString"]
    frame = frame[shapely.get_num_coordinates(frame.geometry.to_numpy()) >= 2]
    frame = frame.reset_index(drop=True)
    if frame.empty:
        msg = f"{path} has no line geometries"
        raise GraphBuildError(msg)
    n = len(frame)
    table = LineTable(
        path=path,
        geoms=frame.geometry.to_numpy(),
        direction=np.zeros(n, dtype=np.int8),
        attrs={},
        features=features,
        preset="none",
        dropped_dims=dims,
    )
    if no_dbf is not None:
        table.missing_dbf, table.default_class = no_dbf, str(default_class)
        table.attrs = {
            "highway": np.full(n, str(default_class), dtype=object),
            "name": np.full(n, "", dtype=object),
            "maxspeed": None,
            "lanes": None,
        }
        return table
    _map_columns(table, frame, columns=columns, preset=preset)
    return table


def _map_columns(
    table: LineTable,
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None,
    preset: str | None,
) -> None:
    """Fill the table's classes, names and directions from the file's columns."""
    preset_name = preset if preset is not None else detect_preset(frame)
    if preset_name not in PRESETS:
        msg = f"unknown preset {preset_name!r}; valid presets: {', '.join(sorted(PRESETS))}"
        raise GraphBuildError(msg)
    spec = PRESETS[preset_name]
    cols = resolve_columns(frame, spec, columns)
    raw_class = text_values(frame[cols["highway"]])
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
    table.preset, table.unknown_values = preset_name, unknown
    table.attrs = {
        "highway": highway,
        "name": text_values(frame[cols["name"]])
        if "name" in cols
        else np.full(n, "", dtype=object),
        "maxspeed": text_values(frame[cols["maxspeed"]]) if "maxspeed" in cols else None,
        "lanes": text_values(frame[cols["lanes"]]) if "lanes" in cols else None,
    }
    if "oneway" in cols:
        table.direction = parse_direction(text_values(frame[cols["oneway"]]))


def read_lines(
    path: Path,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    preset: str | None = None,
    default_class: str | None = "unclassified",
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """
    Read a road-line file and node it into a raw road graph.

    Parameters
    ----------
    path, layer, columns, preset, default_class
        See :func:`read_line_table`.

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
    table = read_line_table(
        path, layer=layer, columns=columns, preset=preset, default_class=default_class
    )
    graph = lines_to_graph(table.geoms, direction=table.direction, attrs=table.attrs)
    info = {
        "preset": table.preset,
        "lines": len(table.geoms),
        "unknown_values": table.unknown_values,
    }
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
        Two-way lines give one edge per direction, the second with exactly the
        reversed coordinates of the first. Zero-length pieces are dropped;
        self-loops (a closed line that touches the rest at one vertex) are
        kept, for the builder to split (see :mod:`routing.loops`).
    """
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    keys = vertex_keys(coords)
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
    good = length > 0  # self-loops (closed lines) are kept: the builder splits them
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
