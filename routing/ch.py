"""Routing engine on pandana's contraction hierarchies (CH), exact where it matters.

pandana stores edge weights as unsigned integers: ``int(weight * 1000)``. To keep
that rounding far below the 1e-6 relative accuracy we promise, weights are
pre-scaled by ``S`` (chosen per graph from an upper bound of its diameter so
that every path cost stays well inside 32 bits; 200 on the Jakarta graph, i.e. a
resolution of 5 microseconds) and rounded to the nearest unit.

* :meth:`CHEngine.route` / :meth:`CHEngine.duration` use CH only to *find* the
  node path and then sum the float64 ``travel_time`` of its edges, so their
  costs equal networkx's Dijkstra (paths whose rounded costs tie within a few
  units are all evaluated exactly).
* :meth:`CHEngine.durations` uses CH distances (rounded integer sums, absolute
  error <= number of edges x half a unit) when that is cheaper than one scipy
  search per origin, else the exact scipy engine.
* :meth:`CHEngine.nearest` and :meth:`CHEngine.multi_source` are inherited from
  the exact :class:`~routing.dijkstra.ScipyEngine` (one bounded search).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from data.budget import UNLIMITED, Budget
from routing.dijkstra import ScipyEngine, _apply_direct, _candidate_arrays
from routing.errors import UnreachableError
from routing.paths import (
    Route,
    assemble_route,
    destination_candidates,
    direct_parts,
    origin_candidates,
    part_cost,
    path_route,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.snap import Snap

__all__ = ["CHEngine", "choose_scale"]

_UNREACHABLE = 4294967.0  # pandana reports UINT_MAX / 1000 for "no path"
_UNIT_BUDGET = 1.0e9  # largest scaled path cost we allow (UINT_MAX is 4.29e9)
_TIE_UNITS = 1000.0  # exact re-check of CH candidates within this many units of the best
_CH_PAIR_S = 6e-6  # measured cost of one vectorised CH distance query (Jakarta)
_SCIPY_ELEM_S = 3e-8  # measured cost of one scipy search per (node + edge)


def choose_scale(cg: CompiledGraph) -> float:
    """Return the weight multiplier ``S`` for pandana's integer CH weights.

    ``S * 1000 * D`` is kept below 1e9, where ``D`` bounds every shortest-path
    cost: ``max d(x, v) + max d(v, y)`` for a node ``v`` (two scipy searches),
    or the sum of all edge times if the graph is not strongly connected.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.

    Returns
    -------
    float
        The multiplier (at least 1).
    """
    fwd = dijkstra(cg.matrix, indices=0)
    bwd = dijkstra(cg.matrix_reversed, indices=0)
    if np.all(np.isfinite(fwd)) and np.all(np.isfinite(bwd)):
        bound = float(fwd.max() + bwd.max())
    else:
        bound = float(cg.edge_time[cg.simple_edge].sum())
    return float(max(1.0, np.floor(_UNIT_BUDGET / 1000.0 / max(bound, 1e-9))))


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to file descriptor 1 (pandana's CH progress)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class CHEngine(ScipyEngine):
    """Contraction-hierarchy engine (pandana) with exact path costs.

    Parameters
    ----------
    compiled : CompiledGraph
        The compiled graph.
    scale : float, optional
        Weight multiplier for pandana's integer weights; default
        :func:`choose_scale`.
    """

    kind = "ch"

    def __init__(self, compiled: CompiledGraph, *, scale: float | None = None) -> None:
        import pandana
        import pandas as pd

        super().__init__(compiled)
        self.scale = choose_scale(compiled) if scale is None else float(scale)
        se = compiled.simple_edge
        tails = compiled.edge_tail[se].astype(np.int64)
        heads = compiled.edge_head[se].astype(np.int64)
        keep = tails != heads  # self-loops never shorten a path
        units = np.maximum(np.rint(compiled.edge_time[se][keep] * self.scale * 1000.0), 1.0)
        weights = (units + 0.25) / 1000.0  # pandana truncates weight * 1000 to an integer
        with _quiet_stdout():
            network = pandana.Network(
                pd.Series(compiled.node_lon),
                pd.Series(compiled.node_lat),
                pd.Series(tails[keep]),
                pd.Series(heads[keep]),
                pd.DataFrame({"w": weights}),
                twoway=False,
            )
        self._network = network
        self._net: Any = network.net
        self._lock = threading.Lock()

    # -- raw CH queries ------------------------------------------------------------
    def ch_distances(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        """Approximate (rounded-weight) travel times between node index pairs, ``inf`` if none."""
        a = np.ascontiguousarray(a, dtype=np.int64)
        b = np.ascontiguousarray(b, dtype=np.int64)
        with self._lock:
            raw = np.asarray(self._net.shortest_path_distances(a, b, 0), dtype=np.float64)
        out = np.where(raw >= _UNREACHABLE, np.inf, raw / self.scale)
        out[a == b] = 0.0
        return out

    def ch_path(self, a: int, b: int) -> NDArray[np.int64]:
        """Node-index path from ``a`` to ``b`` (empty when unreachable)."""
        if a == b:
            return np.asarray([a], dtype=np.int64)
        with self._lock:
            path = self._net.shortest_path(int(a), int(b), 0)
        return np.asarray(path, dtype=np.int64)

    # -- RoutingEngine -------------------------------------------------------------
    def route(self, origin: Snap, destination: Snap) -> Route:
        """Return the best route between two snaps (see :class:`RoutingEngine`)."""
        cg = self.compiled
        best = self._best(origin, destination)
        if best is None:
            msg = "destination is not reachable from origin"
            raise UnreachableError(msg)
        _, start, nodes, end, direct = best
        if direct is not None:
            return assemble_route(cg, origin, destination, [direct])
        assert start is not None and end is not None and nodes is not None
        return path_route(cg, origin, destination, start, nodes, end)

    def duration(self, origin: Snap, destination: Snap) -> float:
        """Return the best travel time in seconds (``inf`` when unreachable)."""
        best = self._best(origin, destination)
        return np.inf if best is None else best[0]

    def _best(self, origin: Snap, destination: Snap) -> Any:
        cg = self.compiled
        oc = origin_candidates(cg, origin)
        dc = destination_candidates(cg, destination)
        pairs = [(o, d) for o in oc for d in dc]
        a = np.asarray([o.node for o, _ in pairs], dtype=np.int64)
        b = np.asarray([d.node for _, d in pairs], dtype=np.int64)
        approx = self.ch_distances(a, b) + [o.cost + d.cost for o, d in pairs]
        best: Any = None
        for part in direct_parts(cg, origin, destination):
            c = part_cost(cg, part)
            if best is None or c < best[0]:
                best = (c, None, None, None, part)
        lowest = float(np.min(approx))
        if not np.isfinite(lowest):
            return best
        tol = _TIE_UNITS / (1000.0 * self.scale) + 1e-9 * lowest
        for i in np.flatnonzero(approx <= lowest + tol):
            o, d = pairs[int(i)]
            nodes = self.ch_path(o.node, d.node)
            if nodes.shape[0] == 0:
                continue
            edges = cg.path_edges(nodes)
            exact = o.cost + float(cg.edge_time[edges].sum()) + d.cost
            if best is None or exact < best[0]:
                best = (exact, o, nodes, d, None)
        return best

    def durations(
        self,
        origins: Sequence[Snap],
        destinations: Sequence[Snap],
        *,
        budget: Budget = UNLIMITED,
    ) -> NDArray[np.float64]:
        """Return the ``len(origins) x len(destinations)`` travel-time matrix (s).

        Uses CH distances between the unique candidate nodes when that is
        estimated cheaper than one scipy search per origin (or destination). The CH
        table is one pandana call (at most a few hundred ms for the API's 10,000
        cells); ``budget`` is checked before and after it.
        """
        cg = self.compiled
        o_nodes, o_cost = _candidate_arrays(cg, origins, origin_candidates)
        d_nodes, d_cost = _candidate_arrays(cg, destinations, destination_candidates)
        uo, o_inv = np.unique(o_nodes, return_inverse=True)
        ud, d_inv = np.unique(d_nodes, return_inverse=True)
        ch_cost = uo.shape[0] * ud.shape[0] * _CH_PAIR_S
        scipy_cost = (
            min(len(origins), len(destinations)) * _SCIPY_ELEM_S * (cg.n_nodes + cg.n_edges)
        )
        if scipy_cost < ch_cost:
            return super().durations(origins, destinations, budget=budget)
        budget.check()
        a = np.repeat(uo, ud.shape[0])
        b = np.tile(ud, uo.shape[0])
        table = self.ch_distances(a, b).reshape(uo.shape[0], ud.shape[0])
        budget.check()
        o_inv = o_inv.reshape(o_nodes.shape)
        d_inv = d_inv.reshape(d_nodes.shape)
        out = np.full((len(origins), len(destinations)), np.inf)
        for p in range(2):
            for q in range(2):
                cand = (
                    o_cost[:, p, None]
                    + table[np.ix_(o_inv[:, p], d_inv[:, q])]
                    + d_cost[None, :, q]
                )
                np.minimum(out, cand, out=out)
        return _apply_direct(cg, out, origins, destinations)
