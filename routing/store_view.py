"""A profile's :class:`~routing.compiled.CompiledGraph` view over a network store.

The view shares every base array of the store (memory-mapped node arrays, arcs, lines,
twins) and adds only what depends on the profile's speeds: its ``edge_time`` and the
simple graph (the fastest *usable* arc of each ``(tail, head)`` pair), O(m) numpy.
Arcs with ``inf`` time (forbidden class, against a one-way, outside the kept
components) are never in the simple graph, so no search traverses them; snapping
skips them (:class:`routing.snap.Snapper`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.compiled import CompiledGraph
from routing.store_types import StoreNetwork, StoreProfile

__all__ = ["profile_graph", "simple_arcs"]


def simple_arcs(
    edge_tail: NDArray[np.int32],
    edge_head: NDArray[np.int32],
    edge_time: NDArray[np.float64],
    n_nodes: int,
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """
    The fastest finite arc of each ``(tail, head)`` pair of arcs sorted by (tail, head).

    Parameters
    ----------
    edge_tail, edge_head
        Arcs in CSR order (sorted by tail, then head).
    edge_time
        The profile's arc times (``inf``: not usable).
    n_nodes
        Number of nodes.

    Returns
    -------
    simple_indptr, simple_edge
        CSR pointers by tail, and the chosen arc of each pair (ties: the lowest arc).
    """
    usable = np.flatnonzero(np.isfinite(edge_time))
    tail = np.asarray(edge_tail)[usable].astype(np.int64)
    key = tail * n_nodes + np.asarray(edge_head)[usable]
    if usable.shape[0] == 0:
        return np.zeros(n_nodes + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    counts = np.diff(np.append(starts, key.shape[0]))
    times = np.asarray(edge_time)[usable]
    fastest = np.minimum.reduceat(times, starts)
    pos = np.where(times == np.repeat(fastest, counts), np.arange(key.shape[0]), key.shape[0])
    chosen = usable[np.minimum.reduceat(pos, starts)]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail[starts], minlength=n_nodes), out=indptr[1:])
    return indptr, chosen.astype(np.int32)


def profile_graph(
    network: StoreNetwork,
    profile: StoreProfile,
    *,
    highway: NDArray[np.int32] | None = None,
) -> CompiledGraph:
    """
    The compiled-graph view of one profile of a store (shares the base arrays).

    Parameters
    ----------
    network
        The store's base network (arrays usually memory-mapped).
    profile
        The profile's times.
    highway
        ``network.edge_highway`` as int32, shared by the views of one network (made
        here when omitted).

    Returns
    -------
    CompiledGraph
        Edges are the store's arcs; the simple graph holds only usable arcs.
    """
    n = network.n_nodes
    indptr, simple_edge = simple_arcs(network.edge_tail, network.edge_head, profile.edge_time, n)
    hw: NDArray[Any] = (
        np.asarray(network.edge_highway, dtype=np.int32) if highway is None else highway
    )
    return CompiledGraph(
        profile=profile.profile,
        node_ids=network.node_ids,
        node_lon=network.node_lon,
        node_lat=network.node_lat,
        indptr=network.indptr,
        edge_tail=network.edge_tail,
        edge_head=network.edge_head,
        edge_time=profile.edge_time,
        edge_length=network.edge_length,
        edge_ferry=network.edge_ferry,
        edge_ferry_link=network.edge_ferry_link,
        edge_name=network.edge_name,
        names=network.names,
        edge_highway=hw,
        highways=network.highways,
        geom_offsets=network.geom_offsets,
        geom_coords=network.geom_coords,
        edge_twin=network.edge_twin,
        simple_indptr=indptr,
        simple_head=np.asarray(network.edge_head)[simple_edge],
        simple_edge=simple_edge,
    )
