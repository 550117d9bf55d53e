"""Trip quantities from many origins to a few targets, one shortest-path tree per target.

For an allocation with hundreds of farms and a handful of markets, routing every
pair is wasteful: the fastest paths *to* one market form a tree. This module grows
that tree with one backward Dijkstra search per destination candidate node (scipy),
then adds up the edge quantities (length, toll metres per region, ferry crossings,
travel time) from every node to the root by pointer doubling (``log2(depth)``
vectorised steps). Origins join the tree through their snap candidates, exactly
as :mod:`routing.paths` does; a trip along a single road (origin and target on the
same edge) is not considered, so it costs its through-the-node detour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from data.budget import UNLIMITED, Budget
from routing.costing import (
    TOLL_REGIONS,
    CostRates,
    TripQuantities,
    VehicleSpec,
    edge_classes,
    ferry_tariff,
    toll_rate,
)
from routing.paths import Part, destination_candidates, origin_candidates

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.snap import Snap

__all__ = ["QuantityMatrix", "cost_matrix", "quantity_matrix"]


@dataclass(frozen=True)
class QuantityMatrix:
    """Per origin x target: duration, road metres, toll metres, ferry crossings.

    ``toll_m[r]`` is the matrix of region ``TOLL_REGIONS[r]``; ``ferry[k]`` counts
    crossings of link ``ferry_link_ids[k]``. Unreachable pairs have ``inf`` duration.
    """

    duration_s: NDArray[np.float64]
    road_m: NDArray[np.float64]
    toll_m: NDArray[np.float64]
    ferry: NDArray[np.float64]
    ferry_link_ids: list[int]

    def trip(self, i: int, j: int) -> TripQuantities:
        """The quantities of one pair."""
        return TripQuantities(
            duration_s=float(self.duration_s[i, j]),
            road_m=float(self.road_m[i, j]),
            toll_m={r: float(self.toll_m[k, i, j]) for k, r in enumerate(TOLL_REGIONS)},
            ferry_crossings={
                link: round(float(self.ferry[k, i, j]))
                for k, link in enumerate(self.ferry_link_ids)
            },
        )


def _edge_table(cg: CompiledGraph, links: list[int]) -> NDArray[np.float64]:
    """Columns: time, road length, toll length per region, crossings per ferry link."""
    classes = edge_classes(cg)
    m = cg.n_edges
    ferry = classes.ferry_link >= 0
    cols = [np.asarray(cg.edge_time, dtype=float), np.where(ferry, 0.0, cg.edge_length)]
    cols += [
        np.where(classes.toll_region == r, cg.edge_length, 0.0) for r in range(len(TOLL_REGIONS))
    ]
    cols += [(classes.ferry_link == link).astype(float) for link in links]
    return np.column_stack(cols) if m else np.zeros((0, len(cols)))


def _part_row(table: NDArray[np.float64], part: Part) -> NDArray[np.float64]:
    """Quantities of a partial edge: its share of the edge's row (a ferry counts once)."""
    share = part.t1 - part.t0
    row = table[part.edge] * share
    n_fixed = 2 + len(TOLL_REGIONS)
    row[n_fixed:] = np.where(share > 0, table[part.edge, n_fixed:], 0.0)
    return np.asarray(row)


def _tree_sums(
    cg: CompiledGraph, table: NDArray[np.float64], root: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Time to ``root`` and summed edge quantities along the fastest path, per node."""
    n = cg.n_nodes
    dist, pred = dijkstra(cg.matrix_reversed, indices=root, return_predecessors=True)
    nxt = np.asarray(pred, dtype=np.int64)
    has = nxt >= 0
    acc = np.zeros((n, table.shape[1]))
    nodes = np.flatnonzero(has)
    if nodes.size:
        edges = cg.best_edges(nodes, nxt[nodes])
        acc[nodes] = table[edges]
    ptr = np.where(has, nxt, -1)
    while True:
        live = np.flatnonzero(ptr >= 0)
        if live.size == 0:
            break
        up = ptr[live]
        acc[live] = acc[live] + acc[up]
        ptr[live] = ptr[up]
    return np.asarray(dist, dtype=float), acc


def quantity_matrix(
    cg: CompiledGraph,
    origins: Sequence[Snap],
    targets: Sequence[Snap],
    *,
    budget: Budget = UNLIMITED,
) -> QuantityMatrix:
    """Quantities of the fastest trip from every origin to every target.

    Parameters
    ----------
    cg
        The compiled graph (one profile).
    origins, targets
        Snapped locations; targets should be few (one tree search per candidate node).
    budget
        Checked before each tree.

    Returns
    -------
    QuantityMatrix
        Matrices of shape ``(len(origins), len(targets))``.
    """
    links = edge_classes(cg).ferry_link_ids
    table = _edge_table(cg, links)
    k = table.shape[1]
    n_o, n_t = len(origins), len(targets)
    best = np.full((n_o, n_t), np.inf)
    sums = np.zeros((n_o, n_t, k))
    o_cands = [origin_candidates(cg, s) for s in origins]
    for j, target in enumerate(targets):
        for dc in destination_candidates(cg, target):
            budget.check()
            dist, acc = _tree_sums(cg, table, dc.node)
            tail = _part_row(table, dc.part)
            for i, cands in enumerate(o_cands):
                for oc in cands:
                    t = oc.cost + dist[oc.node] + dc.cost
                    if t < best[i, j]:
                        best[i, j] = t
                        sums[i, j] = _part_row(table, oc.part) + acc[oc.node] + tail
    n_reg = len(TOLL_REGIONS)
    return QuantityMatrix(
        duration_s=best,
        road_m=sums[:, :, 1],
        toll_m=np.moveaxis(sums[:, :, 2 : 2 + n_reg], 2, 0),
        ferry=np.moveaxis(sums[:, :, 2 + n_reg :], 2, 0),
        ferry_link_ids=links,
    )


def cost_matrix(qm: QuantityMatrix, vehicle: VehicleSpec, rates: CostRates) -> NDArray[np.float64]:
    """Per-vehicle trip cost (IDR) of every pair, priced like :func:`~routing.costing.trip_cost`.

    Unreachable pairs cost ``inf``.
    """
    fuel = qm.road_m / 1000.0 * vehicle.fuel_l_per_km * rates.fuel_idr_per_l
    toll = np.zeros_like(qm.road_m)
    for k, region in enumerate(TOLL_REGIONS):
        if np.any(qm.toll_m[k] > 0):
            toll += qm.toll_m[k] / 1000.0 * toll_rate(rates, region, vehicle.toll_group)
    ferry = np.zeros_like(qm.road_m)
    for k, link in enumerate(qm.ferry_link_ids):
        if np.any(qm.ferry[k] > 0):
            ferry += np.round(qm.ferry[k]) * ferry_tariff(rates, link, vehicle.ferry_class)
    with np.errstate(invalid="ignore"):
        driver = qm.duration_s / 3600.0 * rates.driver_idr_per_hour
        total = fuel + toll + ferry + driver
    return np.where(np.isfinite(qm.duration_s), total, np.inf)
