"""Supply allocation: the minimum-cost flow of tonnes from farms to markets (HiGHS LP).

The transportation problem, with unmet demand allowed at a penalty::

    minimise   sum_fm c[f,m] x[f,m] + P * sum_mc u[m,c]
    subject to sum_m x[f,m]                     <= supply[f]        (each farm)
               sum_{f of c} x[f,m] + u[m,c]      = demand[m,c]       (each market, commodity)
               sum_fm use[l,f,m] x[f,m]         <= capacity[l]      (each ferry link)
               x, u >= 0

``x[f,m]`` exists only when farm ``f``'s commodity is demanded at market ``m`` and
``m`` can be reached from ``f`` (finite cost). ``P`` is larger than any route's cost
per tonne, so the LP meets all the demand it can before it leaves any unmet; the
unmet tonnes say where supply or the ferry is short.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from data.budget import UNLIMITED, Budget
from routing.errors import RoutingError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["AllocationError", "AllocationResult", "Flow", "solve_allocation"]


class AllocationError(RoutingError):
    """The allocation problem is malformed or the solver failed."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


_BANNER = {"shown": False}
_BANNER_LOCK = threading.Lock()


def _new_highs() -> Any:
    """A HiGHS instance; the first one of the process is made with stdout silenced,
    which swallows the copyright banner HiGHS prints once."""
    import highspy

    with _BANNER_LOCK:
        if not _BANNER["shown"]:
            from routing.ch import _quiet_stdout

            with _quiet_stdout():
                h = highspy.Highs()
            _BANNER["shown"] = True
            return h
    return highspy.Highs()


@dataclass(frozen=True)
class Flow:
    """Tonnes moved from one farm to one market, and their cost (IDR)."""

    farm: int
    market: int
    tonnes: float
    cost_idr: float


@dataclass(frozen=True)
class AllocationResult:
    """The optimal flows, unmet demand and ferry use."""

    flows: list[Flow]
    unmet: dict[tuple[int, str], float]
    ferry_used_t: list[float]
    total_cost_idr: float
    status: str
    solve_seconds: float
    variables: int
    constraints: int
    penalty_idr_per_t: float
    supplied_t: list[float] = field(default_factory=list)


def _check(
    supply: NDArray[np.float64], cost: NDArray[np.float64], commodities: Sequence[str]
) -> None:
    if cost.ndim != 2 or cost.shape[0] != supply.shape[0] or len(commodities) != supply.shape[0]:
        msg = "cost must be farms x markets, with one supply and commodity per farm"
        raise AllocationError(msg, field="cost")
    if np.any(supply < 0) or not np.all(np.isfinite(supply)):
        msg = "supply must be finite and >= 0"
        raise AllocationError(msg, field="supply")
    if np.any(cost < 0):
        msg = "cost per tonne must be >= 0"
        raise AllocationError(msg, field="cost")


def solve_allocation(
    supply: Sequence[float] | NDArray[np.float64],
    commodities: Sequence[str],
    demand: Sequence[Mapping[str, float]],
    cost_per_t: NDArray[np.float64],
    *,
    ferry_use: NDArray[np.float64] | None = None,
    ferry_capacity_t: Sequence[float] = (),
    penalty_idr_per_t: float | None = None,
    budget: Budget = UNLIMITED,
) -> AllocationResult:
    """Solve the farm-to-market transportation LP with HiGHS.

    Parameters
    ----------
    supply
        Tonnes each farm can ship this period (>= 0).
    commodities
        Each farm's commodity code.
    demand
        Per market, tonnes demanded per commodity.
    cost_per_t
        Farms x markets cost of one tonne (IDR); ``inf`` where unreachable.
    ferry_use
        Links x farms x markets: crossings of each ferry link a tonne makes (0/1).
    ferry_capacity_t
        Tonnes each ferry link can carry this period (same order as ``ferry_use``).
    penalty_idr_per_t
        Cost of a tonne of unmet demand; default: 10 x the dearest route + 1e6.
    budget
        HiGHS gets the budget's remaining time as its time limit; a solve stopped by
        it raises :class:`~data.budget.BudgetExceededError`.

    Returns
    -------
    AllocationResult
        Flows with tonnes > 1e-6, unmet demand per (market, commodity), totals.
    """
    import highspy

    s = np.asarray(supply, dtype=float)
    c = np.asarray(cost_per_t, dtype=float)
    _check(s, c, commodities)
    n_f, n_m = c.shape
    if len(demand) != n_m:
        msg = "one demand mapping per market"
        raise AllocationError(msg, field="demand")
    use = np.zeros((0, n_f, n_m)) if ferry_use is None else np.asarray(ferry_use, dtype=float)
    caps = np.asarray(ferry_capacity_t, dtype=float)
    if use.shape[1:] != (n_f, n_m) or use.shape[0] != caps.shape[0]:
        msg = "ferry_use must be links x farms x markets, one capacity per link"
        raise AllocationError(msg, field="ferry_capacity_t")
    comm = np.asarray(commodities, dtype=object)
    pairs = [
        (f, m)
        for m in range(n_m)
        for f in range(n_f)
        if demand[m].get(str(comm[f]), 0.0) > 0 and math.isfinite(c[f, m])
    ]
    dem_keys = [(m, k) for m in range(n_m) for k, v in sorted(demand[m].items()) if v > 0]
    finite = c[np.isfinite(c)]
    penalty = (
        float(penalty_idr_per_t)
        if penalty_idr_per_t is not None
        else 10.0 * float(finite.max() if finite.size else 0.0) + 1e6
    )
    n_x, n_u = len(pairs), len(dem_keys)
    row_of_dem = {key: n_f + i for i, key in enumerate(dem_keys)}
    n_rows = n_f + n_u + caps.shape[0]
    # Column-wise (CSC) constraint matrix.
    starts, index, value = [0], [], []
    costs = []
    for f, m in pairs:
        rows = [f, row_of_dem[(m, str(comm[f]))]]
        vals = [1.0, 1.0]
        for link in range(caps.shape[0]):
            if use[link, f, m]:
                rows.append(n_f + n_u + link)
                vals.append(float(use[link, f, m]))
        index += rows
        value += vals
        starts.append(len(index))
        costs.append(float(c[f, m]))
    for key in dem_keys:
        index.append(row_of_dem[key])
        value.append(1.0)
        starts.append(len(index))
        costs.append(penalty)
    dem_vals = [float(demand[m][k]) for m, k in dem_keys]
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_x + n_u
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(costs, dtype=float)
    lp.col_lower_ = np.zeros(n_x + n_u)
    lp.col_upper_ = np.full(n_x + n_u, inf)
    lp.row_lower_ = np.concatenate([np.full(n_f, -inf), dem_vals, np.full(caps.shape[0], -inf)])
    lp.row_upper_ = np.concatenate([s, dem_vals, caps])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    budget.check()
    remaining = budget.remaining()
    if math.isfinite(remaining):
        h.setOptionValue("time_limit", max(remaining, 0.01))
    started = time.perf_counter()
    h.passModel(lp)
    h.run()
    seconds = time.perf_counter() - started
    status = h.modelStatusToString(h.getModelStatus())
    if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit and math.isfinite(remaining):
        raise budget.exceeded()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        msg = f"the allocation LP was not solved: {status}"
        raise AllocationError(msg)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    flows = [
        Flow(f, m, float(x[i]), float(x[i] * c[f, m]))
        for i, (f, m) in enumerate(pairs)
        if x[i] > 1e-6
    ]
    unmet = {key: float(x[n_x + i]) for i, key in enumerate(dem_keys)}
    ferry_used = [
        float(sum(use[link, fl.farm, fl.market] * fl.tonnes for fl in flows))
        for link in range(caps.shape[0])
    ]
    supplied = np.zeros(n_f)
    for fl in flows:
        supplied[fl.farm] += fl.tonnes
    return AllocationResult(
        flows=flows,
        unmet=unmet,
        ferry_used_t=ferry_used,
        total_cost_idr=float(sum(fl.cost_idr for fl in flows)),
        status=status,
        solve_seconds=seconds,
        variables=n_x + n_u,
        constraints=n_rows,
        penalty_idr_per_t=penalty,
        supplied_t=supplied.tolist(),
    )
