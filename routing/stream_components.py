"""Keep a profile's usable strongly connected components, and account for them, on arrays.

The rules of :mod:`routing.components` (its docstrings state them; its functions are
the oracle of the tests): every strongly connected component with at least
``min_km`` km of road is kept, and the largest; arcs between kept components are
dropped; dropped road is grouped into fragments (weakly connected pieces of the
dropped nodes) and the largest five per file are listed. Components are found with
``scipy.sparse.csgraph.connected_components(connection="strong")`` on the arcs the
profile may use.

Ties that the graph version breaks by the order networkx happens to list edges and
components in are broken here by index (the largest component: the lowest node index;
the longest edge of a component: the lowest arc index); both name a point on the same
road, and equal figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.components import TOP_FRAGMENTS
from routing.report import Fragment, KeptComponent

__all__ = ["ArcTable", "ComponentResult", "keep_components"]


@dataclass
class ArcTable:
    """The arcs that a profile's components are chosen on (all arcs of the build)."""

    n_nodes: int
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    length: NDArray[np.float64]
    source: NDArray[np.int16]
    ferry: NDArray[np.bool_]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]


@dataclass
class ComponentResult:
    """
    What :func:`keep_components` kept and removed.

    Attributes
    ----------
    keep
        Per arc: usable and inside a kept component.
    kept
        The kept components, largest first.
    dropped_components, dropped_nodes, dropped_edges
        Counts, as in :class:`routing.report.BuildReport`.
    fragments
        Source index to its largest dropped fragments.
    routable_km, kept_km
        Road km per source index (-1 for connectors and ferry links) before and after.
    nodes
        Nodes of the kept components.
    """

    keep: NDArray[np.bool_]
    kept: list[KeptComponent] = field(default_factory=list)
    dropped_components: int = 0
    dropped_nodes: int = 0
    dropped_edges: int = 0
    fragments: dict[int, list[Fragment]] = field(default_factory=dict)
    routable_km: dict[int, float] = field(default_factory=dict)
    kept_km: dict[int, float] = field(default_factory=dict)
    nodes: int = 0


def _km_by_source(source: NDArray[np.int16], weight: NDArray[np.float64]) -> dict[int, float]:
    if len(source) == 0:
        return {}
    s = source.astype(np.int64) + 1
    km = np.bincount(s, weights=weight)
    present = np.bincount(s) > 0
    return {i - 1: float(km[i]) for i in np.flatnonzero(present).tolist()}


def _midpoints(arcs: ArcTable, which: NDArray[np.int64]) -> NDArray[np.float64]:
    """The point halfway along each of some arcs (lon, lat)."""
    if len(which) == 0:
        return np.zeros((0, 2))
    off = arcs.geom_offsets
    sizes = off[which + 1] - off[which]
    pos = (
        np.repeat(off[which], sizes)
        + np.arange(int(sizes.sum()))
        - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    lines = shapely.linestrings(
        arcs.geom_coords[pos], indices=np.repeat(np.arange(len(which)), sizes)
    )
    return shapely.get_coordinates(shapely.line_interpolate_point(lines, 0.5, normalized=True))


def _longest_per_group(
    group: NDArray[np.int64], length: NDArray[np.float64], arc: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per distinct group, its arc of greatest length (lowest arc index on ties)."""
    order = np.lexsort((arc, -length, group))
    g = group[order]
    first = np.ones(len(g), dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return g[first], arc[order][first]


def keep_components(
    arcs: ArcTable,
    time: NDArray[np.float64],
    weight_km: NDArray[np.float64],
    *,
    min_km: float,
    top: int = TOP_FRAGMENTS,
) -> ComponentResult:
    """
    Choose the components a profile keeps (see the module docstring).

    Parameters
    ----------
    arcs
        Every arc of the build.
    time
        The profile's time per arc (``inf`` where it may not use the arc).
    weight_km
        Road km each arc stands for in this profile (0 for ferries).
    min_km
        Smallest road length of a kept component (the largest is always kept).
    top
        Fragments listed per file.

    Returns
    -------
    ComponentResult
        The kept arcs and the report figures.
    """
    n = arcs.n_nodes
    usable = np.isfinite(time)
    idx = np.flatnonzero(usable)
    result = ComponentResult(keep=np.zeros(len(time), dtype=bool))
    result.routable_km = _km_by_source(arcs.source[idx], weight_km[idx])
    if len(idx) == 0:
        return result
    t, h = arcs.tail[idx].astype(np.int64), arcs.head[idx].astype(np.int64)
    graph = coo_matrix((np.ones(len(idx)), (t, h)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=True, connection="strong")
    touched = np.zeros(n, dtype=bool)
    touched[t] = True
    touched[h] = True
    # number the components of the touched nodes 0..C-1 by their lowest node
    nodes = np.flatnonzero(touched)
    comp_ids, first_node, comp_of_node = np.unique(
        label[nodes], return_index=True, return_inverse=True
    )
    order = np.argsort(first_node, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    comp = np.full(n, -1, dtype=np.int64)
    comp[nodes] = rank[comp_of_node.ravel()]
    n_comp = len(comp_ids)
    size = np.bincount(comp[nodes], minlength=n_comp)
    ct, ch = comp[t], comp[h]
    inner = ct == ch
    km = np.bincount(ct[inner], weights=weight_km[idx][inner], minlength=n_comp)
    # largest by road km, then nodes, then lowest node (components are numbered by it)
    largest = int(np.lexsort((np.arange(n_comp), -size, -km))[0])
    keep_comp = km >= min_km
    keep_comp[largest] = True
    kept_ids = np.flatnonzero(keep_comp)
    kept_ids = kept_ids[np.lexsort((kept_ids, -size[kept_ids], -km[kept_ids]))]
    inner_arcs = idx[inner]
    inner_comp = ct[inner]
    groups, longest = _longest_per_group(inner_comp, arcs.length[inner_arcs], inner_arcs)
    mid = dict(zip(groups.tolist(), _midpoints(arcs, longest).tolist(), strict=True))
    n_inner = np.bincount(inner_comp, minlength=n_comp)
    src_pairs = np.unique(inner_comp * 65536 + (arcs.source[inner_arcs].astype(np.int64) + 1))
    for c in kept_ids.tolist():
        if c in mid:
            lon, lat = mid[c]
        else:  # a component without an arc inside: its lowest node
            first = int(nodes[first_node[order[c]]])
            lon, lat = float(arcs.node_lon[first]), float(arcs.node_lat[first])
        srcs = src_pairs[(src_pairs // 65536) == c] % 65536 - 1
        result.kept.append(
            KeptComponent(
                km=float(km[c]),
                nodes=int(size[c]),
                edges=int(n_inner[c]),
                lon=float(lon),
                lat=float(lat),
                sources=tuple(int(s) for s in srcs.tolist() if s >= 0),
            )
        )
    result.dropped_components = n_comp - len(kept_ids)
    keep_node = np.zeros(n, dtype=bool)
    keep_node[nodes] = keep_comp[comp[nodes]]
    kept_arc = inner & keep_comp[ct]
    result.keep[idx[kept_arc]] = True
    removed = idx[~kept_arc]
    removed_node = touched & ~keep_node
    result.nodes = int(np.count_nonzero(keep_node))
    result.dropped_nodes = int(np.count_nonzero(removed_node))
    result.dropped_edges = len(removed)
    result.kept_km = _km_by_source(arcs.source[idx[kept_arc]], weight_km[idx[kept_arc]])
    result.fragments = _fragments(arcs, removed, removed_node, weight_km, top=top)
    return result


def _fragments(
    arcs: ArcTable,
    removed: NDArray[np.int64],
    removed_node: NDArray[np.bool_],
    weight_km: NDArray[np.float64],
    *,
    top: int,
) -> dict[int, list[Fragment]]:
    """The largest dropped fragments per source (see routing.components.dropped_fragments)."""
    if len(removed) == 0 or not np.any(removed_node):
        return {}
    n = arcs.n_nodes
    t, h = arcs.tail[removed].astype(np.int64), arcs.head[removed].astype(np.int64)
    both = removed_node[t] & removed_node[h]
    adj = coo_matrix((np.ones(int(both.sum())), (t[both], h[both])), shape=(n, n))
    _, label = connected_components(adj, directed=True, connection="weak")
    node = np.where(removed_node[t], t, np.where(removed_node[h], h, -1))
    ok = (node >= 0) & (weight_km[removed] != 0.0)
    arc = removed[ok]
    if len(arc) == 0:
        return {}
    group = (arcs.source[arc].astype(np.int64) + 1) * np.int64(n + 1) + label[node[ok]]
    groups, inverse = np.unique(group, return_inverse=True)
    inverse = inverse.ravel()
    km = np.bincount(inverse, weights=weight_km[arc])
    _, longest = _longest_per_group(inverse, arcs.length[arc], arc)
    mid = _midpoints(arcs, longest)
    source = groups // np.int64(n + 1) - 1
    result: dict[int, list[Fragment]] = {}
    for s, k, (lon, lat) in zip(source.tolist(), km.tolist(), mid.tolist(), strict=True):
        result.setdefault(int(s), []).append(Fragment(km=float(k), lon=float(lon), lat=float(lat)))
    for s, frags in result.items():
        frags.sort(key=lambda f: (-f.km, f.lon, f.lat))
        result[s] = frags[:top]
    return result
