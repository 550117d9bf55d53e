"""Compile a routable graph into flat numpy arrays, and save or load them.

A :class:`CompiledGraph` is the read-only form of the graph that the routing
engines work on: nodes are numbered ``0 .. n-1`` (ascending OSM/graph node id)
and edges ``0 .. m-1`` in a forward CSR layout (edges sorted by tail, then
head, then travel time). Every edge of the ``MultiDiGraph`` is kept, parallel
ones included, so that geometry and street names stay available; shortest-path
searches only use the *best* (minimum travel time) edge of each ``(u, v)`` pair,
the "simple" graph exposed by :attr:`CompiledGraph.matrix`. Building the scipy
matrix from the simple graph matters: ``scipy.sparse.csr_matrix`` *sums*
duplicate entries, which would silently turn two parallel 10 s edges into a
20 s one.

The on-disk format is an uncompressed ``.npz`` (``np.savez``, no pickles) that
memory-maps nothing and loads a 35k-node graph in a few milliseconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from scipy import sparse

from routing.errors import CompiledGraphError

if TYPE_CHECKING:
    import networkx as nx
    from numpy.typing import ArrayLike, NDArray

__all__ = ["FORMAT_VERSION", "CompiledGraph", "compile_graph", "load_compiled", "save_compiled"]

FORMAT_VERSION = 1
"""Version of the ``.npz`` layout written by :func:`save_compiled`."""

_MAGIC = "lampung-geo/compiled-graph"
_REQUIRED_EDGE_ATTRS = ("length", "travel_time")


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """Flat, read-only arrays describing one routable graph and profile.

    Node arrays have length ``n``; edge arrays have length ``m`` and are in
    forward CSR order, so the out-edges of node ``i`` are
    ``indptr[i]:indptr[i + 1]``. ``simple_*`` arrays describe the de-duplicated
    graph (one minimum-time edge per ``(u, v)``) in the same CSR order.
    """

    profile: str
    node_ids: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    indptr: NDArray[np.int64]
    edge_tail: NDArray[np.int32]
    edge_head: NDArray[np.int32]
    edge_time: NDArray[np.float64]
    edge_length: NDArray[np.float64]
    edge_ferry: NDArray[np.bool_]
    edge_ferry_link: NDArray[np.int64]
    edge_name: NDArray[np.int32]
    names: NDArray[np.str_]
    edge_highway: NDArray[np.int32]
    highways: NDArray[np.str_]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]
    edge_reverse: NDArray[np.int32]
    simple_indptr: NDArray[np.int64]
    simple_head: NDArray[np.int32]
    simple_edge: NDArray[np.int32]

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges, parallel edges included."""
        return int(self.edge_head.shape[0])

    @cached_property
    def simple_key(self) -> NDArray[np.int64]:
        """Sorted ``tail * n + head`` keys of the simple graph's edges."""
        tails = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.simple_indptr))
        return tails * self.n_nodes + self.simple_head

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        """Travel-time adjacency of the simple graph as a scipy CSR matrix."""
        data = self.edge_time[self.simple_edge]
        return sparse.csr_matrix(
            (data, self.simple_head, self.simple_indptr), shape=(self.n_nodes, self.n_nodes)
        )

    @cached_property
    def matrix_reversed(self) -> sparse.csr_matrix:
        """Travel-time adjacency of the reversed simple graph (for to-target searches)."""
        return self.matrix.transpose().tocsr()

    def node_index(self, node_ids: ArrayLike) -> NDArray[np.int64]:
        """Map graph node ids to compiled node indices.

        Parameters
        ----------
        node_ids : array_like of int
            Node ids as in the source graph.

        Returns
        -------
        numpy.ndarray
            The indices ``0 .. n-1`` of those nodes.
        """
        ids = np.asarray(node_ids, dtype=np.int64)
        pos = np.searchsorted(self.node_ids, ids)
        pos = np.minimum(pos, self.n_nodes - 1)
        bad = self.node_ids[pos] != ids
        if np.any(bad):
            missing = ids[bad][:5].tolist()
            msg = f"node ids not in the compiled graph: {missing}"
            raise KeyError(msg)
        return pos.astype(np.int64)

    def best_edges(self, tails: ArrayLike, heads: ArrayLike) -> NDArray[np.int64]:
        """Return the minimum-time edge index for each ``(tail, head)`` pair, or -1.

        Parameters
        ----------
        tails, heads : array_like of int
            Node indices of consecutive path nodes.

        Returns
        -------
        numpy.ndarray
            Edge indices into the ``edge_*`` arrays; -1 where no edge exists.
        """
        key = np.asarray(tails, dtype=np.int64) * self.n_nodes + np.asarray(heads, dtype=np.int64)
        keys = self.simple_key
        pos = np.searchsorted(keys, key)
        pos_c = np.minimum(pos, keys.shape[0] - 1)
        found = keys[pos_c] == key
        return np.where(found, self.simple_edge[pos_c], -1).astype(np.int64)

    def path_edges(self, nodes: ArrayLike) -> NDArray[np.int64]:
        """Return the best edge index between each pair of consecutive path nodes.

        Parameters
        ----------
        nodes : array_like of int
            Node indices along a path.

        Returns
        -------
        numpy.ndarray
            ``len(nodes) - 1`` edge indices.

        Raises
        ------
        CompiledGraphError
            If two consecutive nodes are not joined by an edge.
        """
        path = np.asarray(nodes, dtype=np.int64)
        edges = self.best_edges(path[:-1], path[1:])
        if np.any(edges < 0):
            msg = "path contains consecutive nodes that are not joined by an edge"
            raise CompiledGraphError(msg)
        return edges

    def edge_coords(self, edge: int) -> NDArray[np.float64]:
        """Return the ``(k, 2)`` lon/lat coordinates of one edge's geometry."""
        return self.geom_coords[self.geom_offsets[edge] : self.geom_offsets[edge + 1]]


def compile_graph(graph: nx.MultiDiGraph) -> CompiledGraph:
    """Compile an osmnx-style routable graph into a :class:`CompiledGraph`.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Graph following the routing graph contract: int node ids with ``x``/``y``
        (lon/lat); edges with ``length`` and ``travel_time`` (> 0) and optional
        ``name``, ``highway``, ``ferry``, ``ferry_link_id``, ``geometry``
        (a LineString from u to v; a straight segment is used when missing).

    Returns
    -------
    CompiledGraph
        The compiled arrays.

    Raises
    ------
    CompiledGraphError
        If the graph is empty or an edge misses a required attribute or has a
        non-positive travel time.
    """
    nodes, xy = _node_arrays(graph)
    n = nodes.shape[0]
    edge_data = list(graph.edges(data=True))
    m = len(edge_data)
    if m == 0:
        msg = "cannot compile a graph without edges"
        raise CompiledGraphError(msg)
    tail = np.empty(m, dtype=np.int64)
    head = np.empty(m, dtype=np.int64)
    time = np.empty(m, dtype=np.float64)
    length = np.empty(m, dtype=np.float64)
    ferry = np.zeros(m, dtype=np.bool_)
    ferry_link = np.full(m, -1, dtype=np.int64)
    name_list: list[str] = []
    highway_list: list[str] = []
    geoms: list[Any] = []
    for i, (u, v, data) in enumerate(edge_data):
        tail[i], head[i] = u, v
        _check_edge(u, v, data)
        time[i] = data["travel_time"]
        length[i] = data["length"]
        ferry[i] = bool(data.get("ferry", False))
        link = data.get("ferry_link_id")
        if link is not None:
            ferry_link[i] = int(link)
        name_list.append(_as_label(data.get("name")))
        highway_list.append(_as_label(data.get("highway")))
        geoms.append(data.get("geometry"))
    tail = np.searchsorted(nodes, tail)
    head = np.searchsorted(nodes, head)
    order = np.lexsort((time, head, tail))
    names, name_idx = np.unique(np.asarray(name_list, dtype=np.str_), return_inverse=True)
    highways, hw_idx = np.unique(np.asarray(highway_list, dtype=np.str_), return_inverse=True)
    coords, offsets = _geometry_arrays([geoms[i] for i in order], xy, tail[order], head[order])
    tail, head = tail[order], head[order]
    return _assemble(
        profile=str(graph.graph.get("profile", "")),
        node_ids=nodes,
        xy=xy,
        tail=tail,
        head=head,
        arrays={
            "edge_time": time[order],
            "edge_length": length[order],
            "edge_ferry": ferry[order],
            "edge_ferry_link": ferry_link[order],
            "edge_name": name_idx.ravel()[order].astype(np.int32),
            "names": names,
            "edge_highway": hw_idx.ravel()[order].astype(np.int32),
            "highways": highways,
            "geom_offsets": offsets,
            "geom_coords": coords,
        },
        n=n,
    )


def save_compiled(cg: CompiledGraph, path: str | Path) -> Path:
    """Write a compiled graph to an uncompressed ``.npz`` file.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    path : str or pathlib.Path
        Destination file; written as given (no suffix is appended).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    arrays = {f.name: getattr(cg, f.name) for f in dataclasses.fields(cg) if f.name != "profile"}
    with path.open("wb") as fh:
        np.savez(
            fh,
            magic=np.array(_MAGIC),
            format_version=np.array(FORMAT_VERSION, dtype=np.int64),
            profile=np.array(cg.profile),
            **arrays,
        )
    return path


def load_compiled(path: str | Path) -> CompiledGraph:
    """Load a compiled graph written by :func:`save_compiled`.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.npz`` file.

    Returns
    -------
    CompiledGraph
        The compiled graph.

    Raises
    ------
    CompiledGraphError
        If the file is not a compiled graph or has another format version.
    """
    with np.load(Path(path), allow_pickle=False) as z:
        files = set(z.files)
        if "magic" not in files or str(z["magic"]) != _MAGIC:
            msg = f"{path} is not a lampung-geo compiled graph"
            raise CompiledGraphError(msg)
        version = int(z["format_version"])
        if version != FORMAT_VERSION:
            msg = f"{path} has compiled-graph format {version}; this code reads {FORMAT_VERSION}"
            raise CompiledGraphError(msg)
        fields = [f.name for f in dataclasses.fields(CompiledGraph) if f.name != "profile"]
        missing = [name for name in fields if name not in files]
        if missing:
            msg = f"{path} lacks arrays {missing}"
            raise CompiledGraphError(msg)
        return CompiledGraph(profile=str(z["profile"]), **{name: z[name] for name in fields})


def _node_arrays(graph: nx.MultiDiGraph) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if graph.number_of_nodes() == 0:
        msg = "cannot compile an empty graph"
        raise CompiledGraphError(msg)
    try:
        items = sorted((int(k), float(d["x"]), float(d["y"])) for k, d in graph.nodes(data=True))
    except KeyError as exc:
        msg = f"every node needs 'x' and 'y' attributes (missing {exc})"
        raise CompiledGraphError(msg) from None
    arr = np.asarray(items, dtype=np.float64)
    nodes = np.asarray([item[0] for item in items], dtype=np.int64)
    return nodes, np.ascontiguousarray(arr[:, 1:3])


def _check_edge(u: int, v: int, data: dict[str, Any]) -> None:
    for attr in _REQUIRED_EDGE_ATTRS:
        if attr not in data:
            msg = f"edge ({u}, {v}) lacks the {attr!r} attribute"
            raise CompiledGraphError(msg)
    if not data["travel_time"] > 0:
        msg = f"edge ({u}, {v}) has travel_time {data['travel_time']!r}; it must be > 0"
        raise CompiledGraphError(msg)


def _as_label(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _geometry_arrays(
    geoms: list[Any], xy: NDArray[np.float64], tail: NDArray[np.int64], head: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    m = len(geoms)
    lines = np.empty(m, dtype=object)
    for i, geom in enumerate(geoms):
        if geom is None:
            geom = shapely.LineString([xy[tail[i]], xy[head[i]]])
        lines[i] = geom
    coords, index = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(index, minlength=m)
    offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return np.ascontiguousarray(coords, dtype=np.float64), offsets


def _assemble(
    *,
    profile: str,
    node_ids: NDArray[np.int64],
    xy: NDArray[np.float64],
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    arrays: dict[str, NDArray[Any]],
    n: int,
) -> CompiledGraph:
    m = tail.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    # edges are sorted by (tail, head, time): the first of each (tail, head) run is the best
    first = np.ones(m, dtype=np.bool_)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    simple_edge = np.flatnonzero(first).astype(np.int32)
    simple_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail[simple_edge], minlength=n), out=simple_indptr[1:])
    simple_key = tail[simple_edge] * n + head[simple_edge]
    rev_key = head * n + tail
    pos = np.minimum(np.searchsorted(simple_key, rev_key), simple_key.shape[0] - 1)
    edge_reverse = np.where(simple_key[pos] == rev_key, simple_edge[pos], -1).astype(np.int32)
    return CompiledGraph(
        profile=profile,
        node_ids=node_ids,
        node_lon=np.ascontiguousarray(xy[:, 0]),
        node_lat=np.ascontiguousarray(xy[:, 1]),
        indptr=indptr,
        edge_tail=tail.astype(np.int32),
        edge_head=head.astype(np.int32),
        edge_reverse=edge_reverse,
        simple_indptr=simple_indptr,
        simple_head=head[simple_edge].astype(np.int32),
        simple_edge=simple_edge,
        **arrays,
    )
