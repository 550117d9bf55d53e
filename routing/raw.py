"""A raw road network as flat arrays: what the readers produce before any profile.

The streaming build (:mod:`routing.stream_build`) never holds a Python object per
edge. Every reader turns its input into one :class:`RawNetwork`:

* GIS road lines (:mod:`routing.stream_lines`), noded at shared vertices;
* OSM PBF through ``osmium`` (:mod:`routing.stream_osm`);
* OSM XML through osmnx, whose raw ``MultiDiGraph`` :func:`raw_from_graph` converts
  (osmnx stays the way graphs come from OSM XML).

A raw network holds directed *raw edges*, exactly the edges of the raw graph that
:func:`routing.build.build_graph` would read: a two-way road is two raw edges (the
second with the reversed line), a one-way road one. The attributes that profiles read
(road class, ``maxspeed``, access tags, ferry) are not stored per edge but as an index
into a small table of distinct *combinations*, so that a profile computes one speed per
combination and broadcasts it (:mod:`routing.stream_profiles`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray

from routing.osm import ACCESS_TAGS

__all__ = [
    "Combo",
    "RawNetwork",
    "Table",
    "first_text",
    "hashable",
    "joined_name",
    "raw_from_graph",
]

#: The profile-relevant attributes of a raw edge: ``(is_ferry, highway, maxspeed,
#: access values in the order of ACCESS_TAGS)``, each hashable (lists become tuples).
Combo = tuple[bool, Hashable, Hashable, tuple[Hashable, ...]]

NO_ACCESS: tuple[None, ...] = (None,) * len(ACCESS_TAGS)


def first_text(value: Any) -> str:
    """The text of a tag value (the first usable one of a list), stripped; "" for none."""
    if isinstance(value, list | tuple):
        value = next((v for v in value if v is not None and v == v), None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def joined_name(value: Any) -> str:
    """A street name: the distinct non-empty names of a list joined by ``" / "``."""
    if isinstance(value, list | tuple):
        parts = list(dict.fromkeys(first_text(v) for v in value))
        return " / ".join(p for p in parts if p)
    return first_text(value)


def hashable(value: Any) -> Hashable:
    """A tag value as a hashable key (lists as tuples, NaN as None)."""
    if isinstance(value, list | tuple):
        return tuple(hashable(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value  # type: ignore[no-any-return]


class Table:
    """Distinct values in first-seen order, and the code of each (a tiny interner)."""

    def __init__(self, values: Iterable[Hashable] = ()) -> None:
        self.values: list[Any] = []
        self._code: dict[Hashable, int] = {}
        for v in values:
            self.code(v)

    def code(self, value: Hashable) -> int:
        """The code of ``value`` (added when new)."""
        found = self._code.get(value)
        if found is None:
            found = len(self.values)
            self._code[value] = found
            self.values.append(value)
        return found

    def codes(self, values: Iterable[Hashable]) -> NDArray[np.int32]:
        """The codes of many values."""
        return np.fromiter((self.code(v) for v in values), dtype=np.int32)

    def __len__(self) -> int:
        """Number of distinct values."""
        return len(self.values)


@dataclass
class RawNetwork:
    """
    The raw road network of a build as arrays (see the module docstring).

    Attributes
    ----------
    node_ids, node_lon, node_lat
        Every node of the raw graph, ids ascending.
    tail, head
        Per raw edge, node indexes.
    geom_offsets, geom_coords
        Per raw edge its lon/lat line (``m + 1`` offsets into ``(k, 2)``
        coordinates); its ends need not equal the node coordinates yet.
    raw_length
        The ``length`` the raw graph gives the edge (metres; NaN when none): it
        measures the road *read* and *barred* in the report.
    oneway
        The edge has no twin in the raw graph (a one-way road).
    ferry
        A ferry way.
    duration_min
        OSM ``duration`` of a ferry in minutes, NaN when none.
    source
        Index of the input file.
    combo, combos
        Per edge, the index of its :data:`Combo` in ``combos``.
    label, labels
        Per edge, the index of its road class label (``"ferry"`` for ferries,
        ``"road"`` when unknown) in ``labels``.
    name, names
        Per edge, the index of its street name in ``names``.
    geodesic
        Per edge, the geodesic length (WGS 84) of its line when the reader measured it
        already (GIS lines); None: the base network measures it.
    """

    node_ids: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]
    raw_length: NDArray[np.float64]
    oneway: NDArray[np.bool_]
    ferry: NDArray[np.bool_]
    duration_min: NDArray[np.float64]
    source: NDArray[np.int16]
    combo: NDArray[np.int32]
    combos: list[Combo]
    label: NDArray[np.int32]
    labels: list[str]
    name: NDArray[np.int32]
    names: list[str]
    facts: dict[str, Any] = field(default_factory=dict)
    geodesic: NDArray[np.float64] | None = None

    @property
    def n_nodes(self) -> int:
        """Nodes of the raw graph."""
        return int(self.node_ids.shape[0])

    @property
    def n_edges(self) -> int:
        """Raw edges."""
        return int(self.tail.shape[0])

    def road_weight_km(self) -> NDArray[np.float64]:
        """Kilometres of road each raw edge stands for (half a two-way road; 0 for ferries)."""
        share = np.where(self.oneway, 1.0, 0.5)
        length = np.nan_to_num(self.raw_length, nan=0.0)
        return np.where(self.ferry, 0.0, length * share / 1000.0)


def raw_from_graph(graph: nx.MultiDiGraph, *, source_index: int | None = None) -> RawNetwork:
    """
    Convert a raw osmnx-style graph (e.g. from :func:`routing.osm.read_osm_xml`) to arrays.

    This is the one place where a Python object per edge is read: the osmnx path
    (OSM XML) builds its graph in memory anyway.

    Parameters
    ----------
    graph
        A raw graph whose edges carry ``highway``, ``name``, ``maxspeed``, the
        access tags, ``oneway``, ``ferry``, ``length``, optionally ``geometry``,
        ``duration_min`` and ``source_index``.
    source_index
        Give every edge this source index (default: the edge's ``source_index``, else 0).

    Returns
    -------
    RawNetwork
        The same network as arrays (edges in the graph's iteration order).
    """
    ids = np.array(sorted(int(n) for n in graph.nodes), dtype=np.int64)
    lon = np.array([float(graph.nodes[int(n)]["x"]) for n in ids], dtype=np.float64)
    lat = np.array([float(graph.nodes[int(n)]["y"]) for n in ids], dtype=np.float64)
    combos: Table = Table()
    labels: Table = Table()
    names: Table = Table()
    tails: list[int] = []
    heads: list[int] = []
    lines: list[Any] = []
    cols: dict[str, list[Any]] = {k: [] for k in ("len", "one", "fer", "dur", "src", "c", "l", "n")}
    for u, v, data in graph.edges(data=True):
        is_ferry = bool(data.get("ferry", False))
        access = tuple(hashable(data.get(k)) for k in ACCESS_TAGS)
        combo = (is_ferry, hashable(data.get("highway")), hashable(data.get("maxspeed")), access)
        tails.append(int(u))
        heads.append(int(v))
        geom = data.get("geometry")
        lines.append(geom if geom is not None and not geom.is_empty else None)
        length = data.get("length")
        cols["len"].append(float(length) if length is not None else math.nan)
        cols["one"].append(bool(data.get("oneway", False)))
        cols["fer"].append(is_ferry)
        minutes = data.get("duration_min") if is_ferry else None
        cols["dur"].append(float(minutes) if minutes else math.nan)
        src = source_index if source_index is not None else int(data.get("source_index", 0))
        cols["src"].append(src)
        cols["c"].append(combos.code(combo))
        label = "ferry" if is_ferry else (first_text(data.get("highway")) or "road")
        cols["l"].append(labels.code(label))
        cols["n"].append(names.code(joined_name(data.get("name"))))
    tail = np.searchsorted(ids, np.array(tails, dtype=np.int64)).astype(np.int32)
    head = np.searchsorted(ids, np.array(heads, dtype=np.int64)).astype(np.int32)
    offsets, coords = _line_arrays(lines, lon, lat, tail, head)
    return RawNetwork(
        node_ids=ids,
        node_lon=lon,
        node_lat=lat,
        tail=tail,
        head=head,
        geom_offsets=offsets,
        geom_coords=coords,
        raw_length=np.array(cols["len"], dtype=np.float64),
        oneway=np.array(cols["one"], dtype=np.bool_),
        ferry=np.array(cols["fer"], dtype=np.bool_),
        duration_min=np.array(cols["dur"], dtype=np.float64),
        source=np.array(cols["src"], dtype=np.int16),
        combo=np.array(cols["c"], dtype=np.int32),
        combos=list(combos.values),
        label=np.array(cols["l"], dtype=np.int32),
        labels=list(labels.values),
        name=np.array(cols["n"], dtype=np.int32),
        names=list(names.values),
    )


def _line_arrays(
    lines: Sequence[Any],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    tail: NDArray[np.int32],
    head: NDArray[np.int32],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Offsets and coordinates of the edges' lines (a straight line where there is none)."""
    m = len(lines)
    geoms = np.empty(m, dtype=object)
    geoms[:] = list(lines)
    missing = np.flatnonzero(np.array([g is None for g in lines], dtype=bool))
    if len(missing):
        starts = np.column_stack([lon[tail[missing]], lat[tail[missing]]])
        stops = np.column_stack([lon[head[missing]], lat[head[missing]]])
        geoms[missing] = shapely.linestrings(np.stack([starts, stops], axis=1))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=m), out=offsets[1:])
    return offsets, np.ascontiguousarray(coords, dtype=np.float64)
