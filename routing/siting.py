"""Siting new service points: the maximal covering location problem (MCLP).

Given population cells, the time of each cell to the existing facilities and a set of
candidate sites, choose ``k`` sites that maximise the population *newly* covered within
``T`` (cells already within ``T`` of an existing facility count for nothing).

* Coverage sets: for a batch of candidate *nodes*, one scipy Dijkstra on the reversed
  graph limited to ``T`` gives every node's time to each candidate; a cell is covered
  when it can leave its road and reach the candidate within ``T``
  (:func:`coverage_matrix`). User-given points are snapped and searched one by one.
* Greedy (:func:`greedy`): add the site with the largest gain ``k`` times; it reaches
  at least ``1 - 1/e`` of the optimum.
* Exact (:func:`solve_mclp`): the MILP ``max sum w_i y_i`` s.t. ``y_i <= sum_j a_ij x_j``,
  ``sum x_j = k``, ``x`` binary, ``0 <= y <= 1``, solved with HiGHS through
  ``scipy.optimize.milp`` when the instance (after merging cells with the same coverage
  set) has at most :data:`MILP_MAX_NONZEROS` nonzeros; time-limited, and the result
  carries HiGHS' dual bound so the greedy's optimality gap is always stated.

Capacity (each site serving at most its capacity) is not modelled.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import dijkstra

from data.budget import UNLIMITED, Budget
from routing.coverage import CellAccess, facility_cell_times

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.engine import RoutingEngine
    from routing.snap import Snap

__all__ = [
    "MILP_MAX_NONZEROS",
    "SitingResult",
    "candidate_nodes",
    "coverage_matrix",
    "greedy",
    "solve_mclp",
]

MILP_MAX_NONZEROS = 200_000
"""Largest reduced coverage matrix handed to the exact MILP."""
MILP_TIME_LIMIT_S = 20.0
MILP_BUDGET_SHARE = 0.8
"""Share of a budget's remaining time the MILP may use (the rest is for the answer)."""
_BATCH = 64


def candidate_nodes(
    access: CellAccess,
    population: NDArray[np.float64],
    uncovered: NDArray[np.bool_],
    *,
    limit: int = 300,
) -> NDArray[np.int64]:
    """Default candidates: the road node each uncovered populated cell leaves by.

    Up to ``limit`` distinct nodes, those of the most populated cells first.
    """
    want = np.flatnonzero(uncovered & (population > 0) & np.isfinite(access.costs[:, 0]))
    order = want[np.argsort(-population[want], kind="stable")]
    nodes = access.nodes[order, 0]
    _, first = np.unique(nodes, return_index=True)
    return nodes[np.sort(first)][:limit].astype(np.int64)


def coverage_matrix(
    engine: RoutingEngine,
    access: CellAccess,
    cells: NDArray[np.int64],
    limit_s: float,
    *,
    nodes: NDArray[np.int64] | None = None,
    points: Sequence[Snap] = (),
    budget: Budget = UNLIMITED,
) -> sparse.csc_matrix:
    """Which cells each candidate covers within ``limit_s``.

    Parameters
    ----------
    engine : RoutingEngine
        The network's engine.
    access : CellAccess
        All cells.
    cells : numpy.ndarray
        Indices of the cells that matter (e.g. the uncovered ones).
    limit_s : float
        Coverage threshold in seconds.
    nodes : numpy.ndarray, optional
        Candidate node indices (columns first).
    points : sequence of Snap
        Snapped user candidates (columns after ``nodes``).
    budget : Budget, default UNLIMITED
        Checked before each batch of node searches and each point's search.

    Returns
    -------
    scipy.sparse.csc_matrix
        Boolean ``len(cells) x n_candidates`` matrix.
    """
    cg = engine.compiled
    sub = CellAccess(
        nodes=access.nodes[cells],
        costs=access.costs[cells],
        canon=access.canon[cells],
        pos=access.pos[cells],
        snap_m=access.snap_m[cells],
    )
    cols: list[NDArray[np.bool_]] = []
    node_arr = np.asarray(nodes if nodes is not None else [], dtype=np.int64)
    for lo in range(0, node_arr.shape[0], _BATCH):
        budget.check()
        batch = node_arr[lo : lo + _BATCH]
        dist = dijkstra(cg.matrix_reversed, indices=batch, limit=limit_s)
        dist = np.atleast_2d(dist)
        t = np.min(dist[:, sub.nodes] + sub.costs[None, :, :], axis=2)
        cols.extend(list(t <= limit_s))
    for snap in points:
        budget.check()
        t = facility_cell_times(engine, sub, [snap], limit_s=limit_s)
        cols.append(t <= limit_s)
    if not cols:
        return sparse.csc_matrix((cells.shape[0], 0), dtype=bool)
    return sparse.csc_matrix(np.column_stack(cols))


@dataclass
class SitingResult:
    """Chosen candidate columns and the quality of the solution."""

    chosen: list[int]
    gains: list[float]
    objective: float
    method: str
    bound: float
    gap: float
    greedy_objective: float
    milp_objective: float | None = None
    milp_status: str = "not run"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def greedy_gap(self) -> float:
        """Optimality gap of the greedy solution against the best known bound."""
        return _gap(self.bound, self.greedy_objective)


def _reduce(
    a: sparse.csc_matrix, w: NDArray[np.float64]
) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
    """Drop cells no candidate covers and merge cells with identical coverage sets."""
    a = sparse.csr_matrix(a, dtype=bool)
    keep = np.flatnonzero((np.diff(a.indptr) > 0) & (w > 0))
    a, w = a[keep], w[keep]
    keys = [a.indices[a.indptr[i] : a.indptr[i + 1]].tobytes() for i in range(a.shape[0])]
    _, first, inverse = np.unique(
        np.array(keys, dtype=object), return_index=True, return_inverse=True
    )
    merged_w = np.bincount(inverse.ravel(), weights=w, minlength=first.shape[0]).astype(float)
    return a[first], merged_w


def greedy(a: sparse.csc_matrix, w: NDArray[np.float64], k: int) -> tuple[list[int], list[float]]:
    """Greedy MCLP: ``k`` times, the column with the largest newly covered weight."""
    a = sparse.csc_matrix(a, dtype=np.float64)
    left = w.astype(np.float64).copy()
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(min(k, a.shape[1])):
        gain = a.T @ left
        if chosen:
            gain[chosen] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0 and chosen:
            break
        chosen.append(j)
        gains.append(float(gain[j]))
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        left[rows] = 0.0
    return chosen, gains


def solve_mclp(
    a: sparse.csc_matrix,
    w: NDArray[np.float64],
    k: int,
    *,
    max_nonzeros: int = MILP_MAX_NONZEROS,
    time_limit_s: float = MILP_TIME_LIMIT_S,
    budget: Budget = UNLIMITED,
) -> SitingResult:
    """Greedy, then the exact MILP when small enough; the better one is returned.

    Parameters
    ----------
    a : scipy.sparse matrix
        Boolean cells x candidates coverage.
    w : numpy.ndarray
        Weight (uncovered population) of each cell.
    k : int
        Number of sites.
    max_nonzeros : int
        Skip the MILP above this many nonzeros of the reduced matrix.
    time_limit_s : float
        HiGHS time limit.
    budget : Budget, default UNLIMITED
        Checked after the greedy; the MILP gets at most :data:`MILP_BUDGET_SHARE` of
        the budget's remaining time (it then reports the best solution found with its
        gap, as with ``time_limit_s``).

    Returns
    -------
    SitingResult
        ``gap`` is ``(bound - objective) / bound`` with ``bound`` HiGHS' dual bound, or,
        when the MILP was not run, the greedy guarantee ``objective / (1 - 1/e)`` capped
        by the sum of the ``k`` largest single gains.
    """
    started = time.perf_counter()
    n_cols = a.shape[1]
    chosen, gains = greedy(a, w, k)
    g_obj = float(sum(gains))
    budget.check()
    red, rw = _reduce(sparse.csc_matrix(a), w)
    budget.check()
    single = np.sort(np.asarray(sparse.csc_matrix(red, dtype=np.float64).T @ rw).ravel())[::-1]
    bound = min(g_obj / (1.0 - 1.0 / np.e), float(single[:k].sum())) if g_obj > 0 else 0.0
    bound = max(bound, g_obj)
    result = SitingResult(
        chosen=chosen,
        gains=gains,
        objective=g_obj,
        method="greedy",
        bound=bound,
        gap=_gap(bound, g_obj),
        greedy_objective=g_obj,
    )
    if red.nnz > max_nonzeros:
        result.milp_status = f"skipped: {red.nnz} nonzeros > {max_nonzeros}"
        result.notes.append(f"MILP skipped ({red.nnz} nonzeros); bound from the greedy guarantee")
    elif red.shape[0] and n_cols:
        _milp(result, red, rw, k, min(time_limit_s, MILP_BUDGET_SHARE * budget.remaining()))
    result.seconds = time.perf_counter() - started
    return result


def _gap(bound: float, obj: float) -> float:
    return 0.0 if bound <= 0 else max(0.0, (bound - obj) / bound)


def _milp(
    result: SitingResult, a: sparse.csr_matrix, w: NDArray[np.float64], k: int, limit_s: float
) -> None:
    m, n = a.shape
    k_eff = min(k, n)
    # variables: x_0..x_{n-1} (sites), y_0..y_{m-1} (cells)
    c = np.concatenate([np.zeros(n), -w])
    cover = sparse.hstack([-sparse.csr_matrix(a, dtype=np.float64), sparse.eye(m)], format="csr")
    count = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
    constraints = [
        LinearConstraint(cover, -np.inf, 0.0),
        LinearConstraint(count, k_eff, k_eff),
    ]
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": limit_s, "mip_rel_gap": 1e-6},
    )
    if res.x is None:
        result.milp_status = f"no solution: {res.message}"
        return
    obj = float(-res.fun)
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(-dual) if dual is not None and np.isfinite(dual) else obj
    result.milp_objective = obj
    result.milp_status = "optimal" if res.status == 0 else f"stopped: {res.message}"
    result.bound = max(bound, obj)
    if obj > result.greedy_objective + 1e-6:
        x = res.x[:n]
        chosen = [int(j) for j in np.argsort(-x, kind="stable")[:k_eff]]
        result.chosen = chosen
        result.gains = _gains(a, w, chosen)
        result.objective = float(sum(result.gains))
        result.method = "milp"
    result.gap = _gap(result.bound, result.objective)


def _gains(a: sparse.csr_matrix, w: NDArray[np.float64], chosen: list[int]) -> list[float]:
    """Newly covered weight of each chosen column, in order."""
    a = sparse.csc_matrix(a, dtype=bool)
    covered = np.zeros(a.shape[0], dtype=bool)
    gains = []
    for j in chosen:
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        new = rows[~covered[rows]]
        gains.append(float(w[new].sum()))
        covered[new] = True
    return gains
