"""The metric-independent CCH order of a network store (the ``cch_order`` derived slot).

RoutingKit's customizable contraction hierarchies split preprocessing in two: a
nested-dissection node order that depends only on the road graph (computed here once,
at write time, with ``compute_order_inertial`` from the node coordinates, and saved as
``cch_order.npy``), and a cheap per-profile *customization* with the profile's
integer arc weights at load (:func:`routing.cch.cch_metric`). The CCH itself is built
from the order at load, once per network, and shared by the four profiles.

The build also records each profile's weight scale (``meta.json``
``derived.cch_order.scales``): integer weights are ``round(edge_time * scale)``, the
scale chosen so every shortest-path cost fits in 30 bits (:func:`choose_cch_scale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra

from routing.store_derived import DerivedIndex
from routing.store_types import StoreError, StoreNetwork, StoreProfile

if TYPE_CHECKING:
    from routing.compiled import CompiledGraph

__all__ = [
    "UNIT_BUDGET",
    "build_cch_order",
    "choose_cch_scale",
    "compute_order",
    "saved_order",
    "saved_scale",
]

#: Largest integer path cost allowed (RoutingKit's weights are 32-bit, inf = 2**31 - 1).
UNIT_BUDGET = float(2**30)
#: The finest resolution used: 1 microsecond (more buys nothing over float64 re-sums).
MAX_SCALE = 1.0e6


def compute_order(
    n_nodes: int,
    tail: NDArray[np.integer],
    head: NDArray[np.integer],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
) -> NDArray[np.int32]:
    """Nested-dissection (inertial flow) order of a graph's nodes (RoutingKit)."""
    import routingkit_cch

    if n_nodes == 0:
        return np.zeros(0, dtype=np.int32)
    order = routingkit_cch.compute_order_inertial(
        int(n_nodes),
        np.asarray(tail).tolist(),
        np.asarray(head).tolist(),
        np.asarray(lat, dtype=np.float64).tolist(),
        np.asarray(lon, dtype=np.float64).tolist(),
    )
    return np.asarray(order, dtype=np.int32)


def choose_cch_scale(cg: CompiledGraph) -> float:
    """
    Integer-weight multiplier for one profile: every path cost below :data:`UNIT_BUDGET`.

    ``D`` bounds every shortest-path cost. When no usable arc joins two strongly
    connected components (the usual case: the build keeps whole components), a path
    stays inside one component, so ``D = max d(r, x) + max d(x, r)`` with ``r`` the
    representative of ``x``'s component (two multi-source searches); otherwise ``D`` is
    the sum of all usable arc times (always a bound, but loose).

    Parameters
    ----------
    cg
        The profile's compiled graph (or store view).

    Returns
    -------
    float
        ``floor(UNIT_BUDGET / D)`` between 1 and :data:`MAX_SCALE`.
    """
    times = np.asarray(cg.edge_time)[cg.simple_edge]
    if times.shape[0] == 0:
        return 1.0
    matrix: sparse.csr_matrix = cg.matrix
    _, label = connected_components(matrix, directed=True, connection="strong")
    tails = np.repeat(np.arange(cg.n_nodes), np.diff(np.asarray(cg.simple_indptr)).astype(np.int64))
    heads = np.asarray(cg.simple_head)
    if np.array_equal(label[tails], label[heads]):
        touched = np.unique(np.concatenate([tails, heads]))
        reps = np.unique(label[touched], return_index=True)[1]
        reps = touched[reps]
        fwd = dijkstra(matrix, indices=reps, min_only=True)
        bwd = dijkstra(matrix.transpose().tocsr(), indices=reps, min_only=True)
        bound = float(fwd[touched].max() + bwd[touched].max())
    else:
        bound = float(times.sum())
    return float(np.clip(np.floor(UNIT_BUDGET / max(bound, 1e-9)), 1.0, MAX_SCALE))


def build_cch_order(network: StoreNetwork, profiles: Sequence[StoreProfile]) -> DerivedIndex:
    """
    The ``cch_order`` slot's builder: the order of the base network and each profile's scale.

    Parameters
    ----------
    network
        The sorted base network (every arc, both directions of every road).
    profiles
        The profiles stored with it (their weight scales go in ``meta.json``).

    Returns
    -------
    DerivedIndex
        ``cch_order`` (int32, n) and ``{"scales": {profile: scale}}``.
    """
    from routing.store_view import profile_graph

    order = compute_order(
        network.n_nodes, network.edge_tail, network.edge_head, network.node_lon, network.node_lat
    )
    if network.n_nodes and not np.array_equal(np.sort(order), np.arange(network.n_nodes)):
        msg = "RoutingKit returned an order that is not a permutation of the nodes"
        raise StoreError(msg)
    highway = np.asarray(network.edge_highway, dtype=np.int32)
    scales = {
        p.profile: choose_cch_scale(profile_graph(network, p, highway=highway)) for p in profiles
    }
    return DerivedIndex(arrays={"cch_order": order}, meta={"scales": scales, "method": "inertial"})


def saved_order(network: StoreNetwork) -> NDArray[np.int32] | None:
    """The store's saved order, or None when it was built without one."""
    facts: dict[str, Any] = network.meta.get("derived", {}).get("cch_order", {})
    order = network.derived.get("cch_order")
    if facts.get("status") != "built" or order is None:
        return None
    if order.shape != (network.n_nodes,):
        msg = f"cch_order.npy has {order.shape[0]:,} entries for {network.n_nodes:,} nodes"
        raise StoreError(msg)
    return np.asarray(order, dtype=np.int32)


def saved_scale(network: StoreNetwork, profile: str) -> float | None:
    """The weight scale saved for a profile at build time, or None."""
    facts: dict[str, Any] = network.meta.get("derived", {}).get("cch_order", {})
    value = facts.get("scales", {}).get(profile)
    return None if value is None else float(value)
