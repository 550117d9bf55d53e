"""Compile a routable graph into flat numpy arrays, and save or load them.

A :class:`CompiledGraph` is the read-only form of the graph that the routing
engines work on: nodes are numbered ``0 .. n-1`` (ascending OSM/graph node id)
and edges ``0 .. m-1`` in a forward CSR layout (edges sorted by tail, then
head, then travel time). Every edge of the ``MultiDiGraph`` is kept, parallel
ones included, so that geometry and street names stay available (only exact
copies, same ends and same line, are one road: the fastest copy is kept); shortest-path
searches only use the *best* (minimum travel time) edge of each ``(u, v)`` pair,
the "simple" graph exposed by :attr:`CompiledGraph.matrix`. Building the scipy
matrix from the simple graph matters: ``scipy.sparse.csr_matrix`` *sums*
duplicate entries, which would silently turn two parallel 10 s edges into a
20 s one.

Every edge knows its **twin**: the same road run backwards (tail and head swapped,
exactly the reversed geometry), or -1 for a one-way road. Partial edges (a trip that
starts or ends part-way along a road) are charged on the edge itself or on its twin,
never on another road that happens to join the same two junctions: a long loop road
and a short direct road between the same nodes are two different roads.

The on-disk format is an uncompressed ``.npz`` (``np.savez``, no pickles) that
memory-maps nothing and loads a 35k-node graph in a few milliseconds.
"""

from __future__ import annotations

import dataclasses
import zipfile
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

__all__ = [
    "FORMAT_VERSION",
    "CompiledGraph",
    "compile_graph",
    "distinct_roads",
    "load_compiled",
    "save_compiled",
    "twin_edges",
]

FORMAT_VERSION = 2
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
    edge_twin: NDArray[np.int32]
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
    keep = distinct_roads(tail, head, offsets, coords)
    if not np.all(keep):
        coords, offsets = _subset_geometry(coords, offsets, np.flatnonzero(keep))
        order, tail, head = order[keep], tail[keep], head[keep]
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
        If the file is not a compiled graph (not even an ``.npz``: a truncated or
        foreign file) or has another format version.
    """
    try:
        return _load_npz(Path(path))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        msg = f"{path} is not a readable compiled graph ({type(exc).__name__}: {exc})"
        raise CompiledGraphError(msg) from None


def _load_npz(path: Path) -> CompiledGraph:
    with np.load(path, allow_pickle=False) as z:
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


def _subset_geometry(
    coords: NDArray[np.float64], offsets: NDArray[np.int64], edges: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The coordinate arrays of some edges only."""
    counts = offsets[edges + 1] - offsets[edges]
    new_off = np.zeros(edges.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=new_off[1:])
    idx = np.repeat(offsets[edges] - new_off[:-1], counts) + np.arange(int(new_off[-1]))
    return np.ascontiguousarray(coords[idx]), new_off


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
    edge_twin = twin_edges(tail, head, arrays["geom_offsets"], arrays["geom_coords"])
    return CompiledGraph(
        profile=profile,
        node_ids=node_ids,
        node_lon=np.ascontiguousarray(xy[:, 0]),
        node_lat=np.ascontiguousarray(xy[:, 1]),
        indptr=indptr,
        edge_tail=tail.astype(np.int32),
        edge_head=head.astype(np.int32),
        edge_twin=edge_twin,
        simple_indptr=simple_indptr,
        simple_head=head[simple_edge].astype(np.int32),
        simple_edge=simple_edge,
        **arrays,
    )


# odd 64-bit constants (splitmix64) for the coordinate hashes of twin_edges
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xBF58476D1CE4E5B9)
_K3 = np.uint64(0x94D049BB133111EB)


def _mix(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """An order-dependent 64-bit mix of two integer arrays (wraps around)."""
    h = (a * _K1) ^ (b * _K2)
    h ^= h >> np.uint64(31)
    return h * _K3


def twin_edges(
    tail: ArrayLike, head: ArrayLike, offsets: ArrayLike, coords: ArrayLike
) -> NDArray[np.int32]:
    """Pair every edge with the same road run backwards, or -1.

    Edge ``j`` is the twin of edge ``e`` when ``tail[j] == head[e]``,
    ``head[j] == tail[e]`` and the coordinates of ``j`` are exactly those of ``e``
    reversed. Identical roads digitised twice are paired one to one. The relation is
    symmetric: ``twin[twin[e]] == e``.

    Parameters
    ----------
    tail, head : array_like of int
        Node indices of every edge.
    offsets : array_like of int
        ``m + 1`` offsets of each edge's coordinates in ``coords`` (at least two each).
    coords : array_like of float
        ``(k, 2)`` lon/lat coordinates of all edges.

    Returns
    -------
    numpy.ndarray of int32
        The twin of every edge, -1 where there is none.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    off = np.asarray(offsets, dtype=np.int64)
    xy = np.asarray(coords, dtype=np.float64)
    m = tail.shape[0]
    twin = np.full(m, -1, dtype=np.int32)
    if m == 0:
        return twin
    key_f = _road_keys(tail, head, off, xy)
    key_r = _road_keys(head, tail, off, xy, reverse=True)
    # pair the k-th edge whose key_r is X with the k-th edge whose key_f is X
    order_f = np.argsort(key_f, kind="stable")
    order_r = np.argsort(key_r, kind="stable")
    sf, sr = key_f[order_f], key_r[order_r]
    rank_f = _rank_in_group(sf)
    rank_r = _rank_in_group(sr)
    # position of (key, rank) of each reversed key among the forward keys
    start = np.searchsorted(sf, sr, side="left")
    cand_pos = start + rank_r
    inside = cand_pos < m
    cand_pos = np.where(inside, cand_pos, 0)
    found = inside & (sf[cand_pos] == sr) & (rank_f[cand_pos] == rank_r)
    e = order_r[found]
    j = order_f[cand_pos[found]]
    ok = _exact_twins(e, j, tail, head, off, xy)
    twin[e[ok]] = j[ok].astype(np.int32)
    return twin


def _road_keys(
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    off: NDArray[np.int64],
    xy: NDArray[np.float64],
    *,
    reverse: bool = False,
) -> NDArray[np.uint64]:
    """A 64-bit hash of each edge's end nodes and coordinates (read backwards if asked)."""
    n_v = np.diff(off)
    owner = np.repeat(np.arange(tail.shape[0]), n_v)
    pos = (np.arange(xy.shape[0]) - off[:-1][owner]).astype(np.uint64)
    if reverse:
        pos = (n_v[owner] - 1).astype(np.uint64) - pos
    q = np.round(xy * 1e7).astype(np.int64).view(np.uint64)
    per_vertex = _mix(_mix(q[:, 0], q[:, 1]), pos)
    return np.add.reduceat(per_vertex, off[:-1]) ^ _mix(tail.view(np.uint64), head.view(np.uint64))


def distinct_roads(
    tail: ArrayLike, head: ArrayLike, offsets: ArrayLike, coords: ArrayLike
) -> NDArray[np.bool_]:
    """Mask of the edges to keep when identical edges are one road.

    Edges with the same tail, head and exactly the same coordinates are one road
    digitised (or classified) twice; only the first of each group is kept. With edges
    sorted by ``(tail, head, travel time)`` that is the fastest.

    Parameters
    ----------
    tail, head, offsets, coords : array_like
        As for :func:`twin_edges`.

    Returns
    -------
    numpy.ndarray of bool
        True for the edges to keep.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    off = np.asarray(offsets, dtype=np.int64)
    xy = np.asarray(coords, dtype=np.float64)
    m = tail.shape[0]
    keep = np.ones(m, dtype=bool)
    if m < 2:
        return keep
    key = _road_keys(tail, head, off, xy)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    later = np.zeros(m, dtype=bool)
    later[1:] = sk[1:] == sk[:-1]
    if not np.any(later):
        return keep
    first = order[np.maximum.accumulate(np.where(~later, np.arange(m), 0))]
    dup, ref = order[later], first[later]
    same = _exact_twins(dup, ref, tail, head, off, xy, mirrored=False)
    keep[dup[same]] = False
    return keep


def _rank_in_group(sorted_keys: NDArray[np.uint64]) -> NDArray[np.int64]:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    k = sorted_keys.shape[0]
    first = np.ones(k, dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.flatnonzero(first)
    return np.arange(k) - np.repeat(starts, np.diff(np.append(starts, k)))


def _exact_twins(
    e: NDArray[np.int64],
    j: NDArray[np.int64],
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    off: NDArray[np.int64],
    xy: NDArray[np.float64],
    *,
    mirrored: bool = True,
) -> NDArray[np.bool_]:
    """Check candidate pairs exactly (the hashes only propose them).

    ``mirrored``: ``j`` must be ``e`` run backwards (a twin); else ``j`` must be ``e``
    again (an identical copy).
    """
    n_e, n_j = off[e + 1] - off[e], off[j + 1] - off[j]
    if mirrored:
        ok = (tail[j] == head[e]) & (head[j] == tail[e]) & (n_e == n_j)
    else:
        ok = (tail[j] == tail[e]) & (head[j] == head[e]) & (n_e == n_j)
    idx = np.flatnonzero(ok)
    if idx.shape[0] == 0:
        return ok
    counts = n_e[idx]
    which = np.repeat(np.arange(idx.shape[0]), counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    a = off[e[idx]][which] + k
    b = off[j[idx] + 1][which] - 1 - k if mirrored else off[j[idx]][which] + k
    same = np.all(xy[a] == xy[b], axis=1)
    ok[idx] = np.logical_and.reduceat(same, np.cumsum(counts) - counts)
    return ok
