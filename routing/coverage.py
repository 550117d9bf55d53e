"""Population coverage: travel time from every population cell to the nearest facility.

The cells (H3 hexagons with a population, built by :mod:`layers.population`) are
snapped to the road network once (:meth:`routing.snap.Snapper.snap_many`) and their
exit candidates kept as arrays (:class:`CellAccess`). For a category, *one*
multi-source search on the reversed graph (``multi_source(facilities,
direction="to_sources")``) gives every node's time to its nearest facility; a cell's
time is then ``min(cost to leave its road via v + T[v], via u + T[u])`` and, where a
facility stands on the cell's own road, the direct trip along that road. Nothing here
runs one search per facility.

Aggregation (:func:`area_coverage`) sums population per area, the population within
each threshold, the percentage, and population-weighted median and 90th-percentile
travel times. Cells farther than the snapping limit from any road never count as
covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from data.budget import UNLIMITED, Budget
from routing.snap import Snap, SnapArrays

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.engine import RoutingEngine

__all__ = [
    "AreaCoverage",
    "CellAccess",
    "area_coverage",
    "cell_access",
    "cell_times",
    "facility_cell_times",
    "weighted_quantiles",
]


@dataclass(frozen=True)
class CellAccess:
    """How each cell enters the network (origin candidates, vectorised).

    ``nodes``/``costs`` are ``(n, 2)``: leave the cell's road through ``nodes[i, j]``
    after ``costs[i, j]`` seconds (``inf`` pads). ``canon``/``pos`` place the cell on
    its road (canonical edge of the two-way pair, share along it) for same-road trips;
    ``canon`` is -1 for cells off the network.
    """

    nodes: NDArray[np.int64]
    costs: NDArray[np.float64]
    canon: NDArray[np.int64]
    pos: NDArray[np.float64]
    snap_m: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.nodes.shape[0])

    @property
    def on_network(self) -> NDArray[np.bool_]:
        """Cells within the snapping limit of a road."""
        return self.canon >= 0


def _canon(cg: CompiledGraph, edge: NDArray[np.int64]) -> NDArray[np.int64]:
    rev = cg.edge_twin.astype(np.int64)[edge]
    return np.where(rev >= 0, np.minimum(edge, rev), edge)


def cell_access(cg: CompiledGraph, snaps: SnapArrays) -> CellAccess:
    """Origin candidates of snapped cells (same rule as :func:`routing.paths.origin_candidates`).

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    snaps : SnapArrays
        The cells snapped with :meth:`~routing.snap.Snapper.snap_many`.

    Returns
    -------
    CellAccess
        Arrays for :func:`cell_times`.
    """
    n = len(snaps)
    off = snaps.off_network
    e = np.where(off, 0, snaps.edge).astype(np.int64)
    t = np.where(off, 0.0, snaps.t)
    u = cg.edge_tail[e].astype(np.int64)
    v = cg.edge_head[e].astype(np.int64)
    r = cg.edge_twin[e].astype(np.int64)
    w = cg.edge_time[e]
    wr = np.where(r >= 0, cg.edge_time[np.maximum(r, 0)], np.inf)
    nodes = np.zeros((n, 2), dtype=np.int64)
    costs = np.full((n, 2), np.inf)
    at_u = t == 0.0
    nodes[:, 0] = np.where(at_u, u, v)
    costs[:, 0] = np.where(at_u, 0.0, (1.0 - t) * w)
    back = ~at_u & (r >= 0) & (t < 1.0)
    nodes[:, 1] = u
    with np.errstate(invalid="ignore"):
        costs[:, 1] = np.where(back, t * wr, np.inf)
    costs[off] = np.inf
    canon = _canon(cg, e)
    pos = np.where(canon == e, t, 1.0 - t)
    return CellAccess(
        nodes=nodes,
        costs=costs,
        canon=np.where(off, -1, canon),
        pos=np.where(off, np.nan, pos),
        snap_m=np.asarray(snaps.distance_m, dtype=np.float64),
    )


def cell_times(access: CellAccess, node_times: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each cell's time from per-node times of a ``to_sources`` search (s; ``inf``)."""
    return np.min(np.asarray(node_times)[access.nodes] + access.costs, axis=1)


def same_road_times(
    cg: CompiledGraph, access: CellAccess, facilities: Sequence[Snap]
) -> NDArray[np.float64]:
    """Direct trips along the cell's own road to a facility on it (``inf`` elsewhere)."""
    out = np.full(len(access), np.inf)
    if not facilities:
        return out
    f_edge = np.array([s.edge for s in facilities], dtype=np.int64)
    f_t = np.array([s.t for s in facilities], dtype=np.float64)
    f_canon = _canon(cg, f_edge)
    f_pos = np.where(f_canon == f_edge, f_t, 1.0 - f_t)
    on = np.flatnonzero(access.canon >= 0)
    order = np.argsort(access.canon[on], kind="stable")
    sorted_canon = access.canon[on][order]
    for c, p in zip(f_canon.tolist(), f_pos.tolist(), strict=True):
        lo = int(np.searchsorted(sorted_canon, c, "left"))
        hi = int(np.searchsorted(sorted_canon, c, "right"))
        if lo == hi:
            continue
        cells = on[order[lo:hi]]
        pc = access.pos[cells]
        fwd = float(cg.edge_time[c])
        r = int(cg.edge_twin[c])
        bwd = float(cg.edge_time[r]) if r >= 0 else np.inf
        with np.errstate(invalid="ignore"):
            cost = np.where(pc <= p, (p - pc) * fwd, (pc - p) * bwd)
        out[cells] = np.minimum(out[cells], cost)
    return out


def facility_cell_times(
    engine: RoutingEngine,
    access: CellAccess,
    facilities: Sequence[Snap],
    *,
    limit_s: float | None = None,
    budget: Budget = UNLIMITED,
) -> NDArray[np.float64]:
    """Time from every cell to its nearest facility: one multi-source search.

    Parameters
    ----------
    engine : RoutingEngine
        The network's engine.
    access : CellAccess
        The cells (see :func:`cell_access`).
    facilities : sequence of Snap
        The snapped facilities of one category.
    limit_s : float, optional
        Search bound; cells farther get ``inf``.
    budget : Budget, default UNLIMITED
        Checked after the search.

    Returns
    -------
    numpy.ndarray
        Seconds per cell; ``inf`` where unreachable or off the network.
    """
    cg = engine.compiled
    if not facilities:
        return np.full(len(access), np.inf)
    node_times, _ = engine.multi_source(facilities, limit_s=limit_s, direction="to_sources")
    budget.check()
    times = np.minimum(cell_times(access, node_times), same_road_times(cg, access, facilities))
    if limit_s is not None:
        times[times > limit_s] = np.inf
    return times


def weighted_quantiles(
    values: NDArray[np.float64],
    weights: NDArray[np.float64],
    groups: NDArray[np.int64],
    n_groups: int,
    qs: Sequence[float],
) -> NDArray[np.float64]:
    """Weighted quantiles of ``values`` per group: the smallest value whose cumulative
    weight reaches ``q`` of the group's total (NaN for groups without weight).

    Returns an array of shape ``(n_groups, len(qs))``.
    """
    out = np.full((n_groups, len(qs)), np.nan)
    keep = weights > 0
    v, w, g = values[keep], weights[keep], groups[keep]
    if v.shape[0] == 0:
        return out
    order = np.lexsort((v, g))
    v, w, g = v[order], w[order], g[order]
    cum = np.cumsum(w)
    totals = np.bincount(g, weights=w, minlength=n_groups)
    starts = np.searchsorted(g, np.arange(n_groups), "left")
    ends = np.searchsorted(g, np.arange(n_groups), "right")
    before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    has = ends > starts
    for j, q in enumerate(qs):
        target = before + q * totals - 1e-9 * totals
        idx = np.clip(np.searchsorted(cum, target, "left"), starts, np.maximum(ends - 1, 0))
        out[has, j] = v[idx[has]]
    return out


@dataclass(frozen=True)
class AreaCoverage:
    """Coverage per area for several thresholds (arrays indexed by area)."""

    minutes: tuple[float, ...]
    population: NDArray[np.float64]
    covered: NDArray[np.float64]  # (n_areas, n_thresholds)
    median_s: NDArray[np.float64]  # NaN: no population; inf: most people unreachable
    p90_s: NDArray[np.float64]

    @property
    def percent(self) -> NDArray[np.float64]:
        """Covered share in percent (NaN where an area has no population)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100.0 * self.covered / self.population[:, None]

    @property
    def uncovered(self) -> NDArray[np.float64]:
        """Population not covered, per area and threshold."""
        return self.population[:, None] - self.covered

    def underserved(self, *, threshold: int = -1) -> NDArray[np.int64]:
        """Area indices ranked by uncovered population (largest first) at a threshold."""
        unc = self.uncovered[:, threshold]
        return np.lexsort((np.arange(unc.shape[0]), -unc)).astype(np.int64)

    def totals(self) -> dict[str, object]:
        """Population, covered and percent over all areas."""
        pop = float(self.population.sum())
        cov = self.covered.sum(axis=0)
        return {
            "population": pop,
            "covered": [float(c) for c in cov],
            "percent": [float(100.0 * c / pop) if pop > 0 else None for c in cov],
        }


def area_coverage(
    times_s: NDArray[np.float64],
    population: NDArray[np.float64],
    area: NDArray[np.int64],
    n_areas: int,
    minutes: Sequence[float],
) -> AreaCoverage:
    """Aggregate per-cell times to per-area coverage.

    Parameters
    ----------
    times_s : numpy.ndarray
        Travel time of each cell to the nearest facility (s; ``inf`` unreachable).
    population : numpy.ndarray
        People in each cell.
    area : numpy.ndarray
        Area index of each cell (``-1``: outside every area, ignored).
    n_areas : int
        Number of areas.
    minutes : sequence of float
        Thresholds in minutes.

    Returns
    -------
    AreaCoverage
        Population, covered population per threshold, weighted median and p90 time.
    """
    inside = area >= 0
    t, p, a = times_s[inside], population[inside], area[inside]
    pop = np.bincount(a, weights=p, minlength=n_areas).astype(np.float64)
    covered = np.zeros((n_areas, len(minutes)), dtype=np.float64)
    for j, m in enumerate(minutes):
        covered[:, j] = np.bincount(a, weights=p * (t <= m * 60.0), minlength=n_areas)
    q = weighted_quantiles(t, p, a, n_areas, (0.5, 0.9))
    return AreaCoverage(
        minutes=tuple(float(m) for m in minutes),
        population=pop,
        covered=covered,
        median_s=q[:, 0],
        p90_s=q[:, 1],
    )
