"""Routing engine on RoutingKit's customizable contraction hierarchies (CCH), exact costs.

Three stages (``routingkit-cch``):

* **order** (metric-independent, nested dissection from the node coordinates):
  computed once when a network store is written and saved as ``cch_order.npy``
  (:mod:`routing.store_cch`); for a format-2 graph, at load;
* **CCH** (from the order and the arcs): built once per network at load and shared by
  its profiles (:class:`SharedCCH`);
* **customization** (a :class:`CCHMetric` from one profile's integer weights
  ``round(edge_time * scale)``, RoutingKit's ``inf`` for unusable arcs): per profile
  at load, a fraction of a second on a million arcs.

Costs stay exact where it matters, as in :class:`routing.ch.CHEngine`:

* :meth:`CCHEngine.route` / :meth:`CCHEngine.duration` use the CCH only to *find* the
  node path of each (origin candidate, destination candidate) pair and re-sum float64
  ``edge_time`` over it; pairs whose integer costs are within the rounding bound of
  the best are all evaluated exactly.
* :meth:`CCHEngine.durations` (matrix): one pinned one-to-many sweep
  (``CCHOneToMany`` pinned on the destinations' candidate nodes) per origin, started
  from both of the origin's candidate nodes; destinations' partial-road costs are
  added in float64, the rest are integer sums (absolute error at most half a unit per
  arc plus one: microseconds on Jakarta's 1/120,000 s units, a few milliseconds on a
  long path of the 1M-edge synthetic network's 1/30,000 s units).
* :meth:`CCHEngine.nearest`: one pinned one-to-many sweep from the origin's
  candidates over all targets' candidate nodes ranks the targets; the best ``k``
  (and every target within the rounding bound of the ``k``-th) are re-computed
  exactly with :meth:`duration`.
* :meth:`CCHEngine.multi_source` (isochrones, coverage) is the exact scipy search
  inherited from :class:`~routing.dijkstra.ScipyEngine`.

Query objects of the binding may only be used by the thread that made them: they
live in the engine's own pool of :data:`_MAX_QUERIES` threads (made on first use,
so none exist before ``serve --workers`` forks), to which request threads hand their
queries; their O(n) buffers are bounded however many threads serve requests. A
query result is dropped before its query runs again.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import routingkit_cch

from data.budget import UNLIMITED, Budget
from routing.dijkstra import NearestHit, ScipyEngine, _apply_direct
from routing.errors import UnreachableError
from routing.paths import (
    Route,
    assemble_route,
    destination_candidates,
    direct_parts,
    origin_candidates,
    part_cost,
    path_parts,
    path_route,
)
from routing.store_cch import choose_cch_scale, compute_order
from routing.targets import TargetSet, as_target_set

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.snap import Snap

__all__ = ["INF_WEIGHT", "CCHEngine", "SharedCCH", "cch_weights"]

#: RoutingKit's "no arc" weight (distances at or above it are reported as None).
INF_WEIGHT = 2**31 - 1
#: Threads of an engine's query pool (each holds its own O(n) query buffers).
_MAX_QUERIES = max(2, os.cpu_count() or 1)
_T = TypeVar("_T")
#: A pinned one-to-many sweep costs about this fraction of a scipy search (measured on
#: Jakarta: 0.43 ms against ~4 ms).
_SWEEP_PER_SEARCH = 0.12
#: Exact re-check of candidates within this many integer units of the best.
_TIE_UNITS = 64.0
#: Nearest re-checks every target whose rounded cost could hide an exact one this many
#: arcs long (half a unit of rounding per arc).
_EXACT_ARCS = 4096


class SharedCCH:
    """A CCH (order + arcs) shared by the profiles of one network.

    Parameters
    ----------
    order
        The metric-independent node order (:func:`routing.store_cch.compute_order`).
    tail, head
        The arcs (every arc of the network; profiles give unusable ones ``inf``).
    """

    def __init__(
        self, order: NDArray[np.integer], tail: NDArray[np.integer], head: NDArray[np.integer]
    ) -> None:
        self.order = np.asarray(order)
        self.n_arcs = int(np.asarray(tail).shape[0])
        self.cch: Any = routingkit_cch.CCH(
            self.order.tolist(), np.asarray(tail).tolist(), np.asarray(head).tolist(), False
        )

    @classmethod
    def for_graph(cls, cg: CompiledGraph) -> SharedCCH:
        """Order and CCH for a compiled graph without a saved order (format 2)."""
        order = compute_order(cg.n_nodes, cg.edge_tail, cg.edge_head, cg.node_lon, cg.node_lat)
        return cls(order, cg.edge_tail, cg.edge_head)


def cch_weights(edge_time: NDArray[np.float64], scale: float) -> list[int]:
    """Integer CCH weights: ``round(t * scale)``, :data:`INF_WEIGHT` where ``t`` is inf."""
    t = np.asarray(edge_time, dtype=np.float64)
    units = np.where(np.isfinite(t), np.rint(t * scale), float(INF_WEIGHT))
    units = np.minimum(units, float(INF_WEIGHT))
    out: list[int] = units.astype(np.int64).tolist()  # lists build metrics ~10x faster
    return out


class CCHEngine(ScipyEngine):
    """Customizable-contraction-hierarchy engine (RoutingKit) with exact path costs.

    Parameters
    ----------
    compiled
        The compiled graph (or a profile's view of a network store).
    shared
        The network's CCH (a store's, built from its saved order); built here when
        omitted.
    scale
        Integer-weight multiplier; default :func:`routing.store_cch.choose_cch_scale`.
    """

    kind = "cch"
    #: One pinned sweep ranks every target: ``Network.nearest`` needs no growing rings.
    ranks_all_targets = True

    def __init__(
        self,
        compiled: CompiledGraph,
        *,
        shared: SharedCCH | None = None,
        scale: float | None = None,
    ) -> None:
        super().__init__(compiled)
        self.shared = SharedCCH.for_graph(compiled) if shared is None else shared
        if self.shared.n_arcs != compiled.n_edges:
            msg = f"the CCH has {self.shared.n_arcs:,} arcs, the graph {compiled.n_edges:,}"
            raise ValueError(msg)
        self.scale = choose_cch_scale(compiled) if scale is None else float(scale)
        self.metric: Any = routingkit_cch.CCHMetric(
            self.shared.cch, cch_weights(compiled.edge_time, self.scale)
        )
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(
            max_workers=_MAX_QUERIES,
            thread_name_prefix="cch",
            initializer=_mark_pool_thread,  # not a bound method: the threads must not
            initargs=(self._local,),  # keep the engine alive (see _close_pool)
        )
        weakref.finalize(self, _close_pool, self._pool, self._local)

    # -- raw CCH queries ---------------------------------------------------------------
    # The binding's query objects are "unsendable": each must be used, and dropped, by
    # the thread that made it. They live in the engine's own small thread pool (at
    # most _MAX_QUERIES threads, made on first use, so none exist before a fork), and
    # request threads hand their queries to it: O(n) buffers per pool thread, not per
    # request thread.
    def _call(self, fn: Callable[..., _T], /, *args: Any) -> _T:
        """``fn(*args)`` on a pool thread: handed over and waited for, or run at once
        when this already is one (no second hand-off, no pool waiting on itself)."""
        if getattr(self._local, "on_pool", False):
            return fn(*args)
        return self._pool.submit(fn, *args).result()

    def submit(self, fn: Callable[..., _T], /, *args: Any) -> Future[_T]:
        """Run ``fn(*args)`` on one of the engine's query threads.

        A request's whole CPU part (snapping, the search, building the answer) can be
        handed over once this way: the engine's methods it calls run there directly.
        """
        return self._pool.submit(fn, *args)

    def _query(self) -> Any:
        q = getattr(self._local, "query", None)
        if q is None:
            q = routingkit_cch.CCHQuery(self.metric)
            self._local.query = q
        return q

    def _one_to_many(self, targets: NDArray[np.int64], *, key: str | None = None) -> Any:
        """This pool thread's one-to-many query pinned on ``targets``. A query pinned
        on the same prepared :class:`~routing.targets.TargetSet` (same ``key``) is
        reused without re-pinning; any other target list is pinned anew."""
        otm = getattr(self._local, "one_to_many", None)
        if otm is None:
            otm = routingkit_cch.CCHOneToMany(self.metric, targets.tolist())
            self._local.one_to_many = otm
        elif key is None or key != getattr(self._local, "pinned_key", None):
            otm.repin_targets(targets.tolist())
        self._local.pinned_key = key
        return otm

    def _paths_now(self, pairs: list[tuple[int, int]]) -> list[tuple[float, NDArray[np.int64]]]:
        out = []
        query = self._query()
        for a, b in pairs:
            if a == b:
                out.append((0.0, np.asarray([a], dtype=np.int64)))
                continue
            res = query.run(int(a), int(b))
            dist, path = res.distance, res.node_path
            del res  # a result must be gone before its query runs again
            if dist is None:
                out.append((np.inf, np.zeros(0, dtype=np.int64)))
            else:
                out.append((dist / self.scale, np.asarray(path, dtype=np.int64)))
        return out

    def cch_paths(self, pairs: list[tuple[int, int]]) -> list[tuple[float, NDArray[np.int64]]]:
        """Integer-rounded cost (s) and node path of each node pair (inf, empty if none)."""
        return self._call(self._paths_now, pairs)

    def cch_path(self, a: int, b: int) -> tuple[float, NDArray[np.int64]]:
        """Integer-rounded cost (s) and node path from ``a`` to ``b`` (inf, empty if none)."""
        return self.cch_paths([(a, b)])[0]

    def _rows_now(
        self,
        sources: list[list[tuple[int, float]]],
        targets: NDArray[np.int64],
        budget: Budget,
        key: str | None = None,
    ) -> NDArray[np.float64]:
        out = np.full((len(sources), targets.shape[0]), np.inf)
        otm = self._one_to_many(targets, key=key)
        for i, cands in enumerate(sources):
            if i % 64 == 63:
                budget.check()
            starts = [(node, round(cost * self.scale)) for node, cost in cands]
            if not starts:
                continue
            row = np.asarray(otm.distances_from_multi(starts), dtype=object)
            found = row != None  # noqa: E711 (elementwise)
            out[i, found] = row[found].astype(np.float64) / self.scale
        return out

    def cch_rows(
        self,
        sources: list[list[tuple[int, float]]],
        targets: NDArray[np.int64],
        *,
        budget: Budget = UNLIMITED,
    ) -> NDArray[np.float64]:
        """Costs from each source set (candidate nodes with float start costs) to each
        target node: one pinned one-to-many sweep per set (start costs rounded to the
        scale's unit; inf where unreachable)."""
        if targets.shape[0] == 0:
            return np.full((len(sources), 0), np.inf)
        return self._call(self._rows_now, sources, targets, budget)

    # -- RoutingEngine ----------------------------------------------------------------
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
        return path_route(cg, origin, destination, start, nodes, end)

    def duration(self, origin: Snap, destination: Snap) -> float:
        """Return the best travel time in seconds (``inf`` when unreachable)."""
        best = self._best(origin, destination)
        return np.inf if best is None else float(best[0])

    def _best(self, origin: Snap, destination: Snap) -> Any:
        """(exact cost, start, node path, end, direct part) of the best route, or None."""
        cg = self.compiled
        best: Any = None
        for part in direct_parts(cg, origin, destination):
            c = part_cost(cg, part)
            if np.isfinite(c) and (best is None or c < best[0]):
                best = (c, None, None, None, part)
        pairs = [
            (o, d)
            for o in origin_candidates(cg, origin)
            for d in destination_candidates(cg, destination)
            if np.isfinite(o.cost) and np.isfinite(d.cost)
        ]
        found = []
        for (o, d), (approx, nodes) in zip(
            pairs, self.cch_paths([(o.node, d.node) for o, d in pairs]), strict=True
        ):
            if np.isfinite(approx):
                found.append((approx + o.cost + d.cost, o, nodes, d))
        if not found:
            return best
        lowest = min(f[0] for f in found)
        tol = _TIE_UNITS / self.scale + 1e-9 * lowest
        for approx, o, nodes, d in found:
            if approx > lowest + tol:
                continue
            edges = cg.path_edges(nodes) if nodes.shape[0] > 1 else np.zeros(0, dtype=np.int64)
            exact = o.cost + float(np.asarray(cg.edge_time)[edges].sum()) + d.cost
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

        When destinations are fewer than about a tenth of the origins, one exact scipy
        search per destination is cheaper and is used instead. Otherwise one pinned
        one-to-many sweep per origin, started from both of its candidate nodes at once
        (their partial-road costs rounded to the unit), over the distinct destination
        candidate nodes; destinations' partial-road costs are added in
        float64. ``budget`` is checked every 64 sweeps.
        """
        cg = self.compiled
        if _SWEEP_PER_SEARCH * len(origins) > len(destinations):
            # far fewer destinations (coverage: many homes, few facilities): one exact
            # scipy search per destination is cheaper than one sweep per origin
            return super().durations(origins, destinations, budget=budget)
        ts = as_target_set(cg, destinations)
        if not len(origins) or not len(ts):
            return np.full((len(origins), len(ts)), np.inf)
        budget.check()
        out = self._call(self._table_now, origins, ts, budget)
        budget.check()
        return out

    def _table_now(
        self, origins: Sequence[Snap], ts: TargetSet, budget: Budget
    ) -> NDArray[np.float64]:
        """The matrix of :meth:`durations` (sweep branch), run in a pool thread."""
        cg = self.compiled
        out = np.full((len(origins), len(ts)), np.inf)
        if ts.pinned.shape[0] == 0:
            return _apply_direct(cg, out, origins, ts)
        sources = [
            [(c.node, c.cost) for c in origin_candidates(cg, o) if np.isfinite(c.cost)]
            for o in origins
        ]
        table = self._rows_now(sources, ts.pinned, budget, key=ts.key)
        for q in range(2):  # padding of pin_index has an inf cost
            np.minimum(out, table[:, ts.pin_index[:, q]] + ts.costs[None, :, q], out=out)
        return _apply_direct(cg, out, origins, ts)

    def nearest(
        self,
        origin: Snap,
        targets: Sequence[Snap],
        *,
        k: int,
        max_duration_s: float | None = None,
        with_routes: bool = False,
    ) -> list[NearestHit]:
        """Return up to ``k`` hits (target index, duration s, distance m), fastest first.

        The targets are ranked by one pinned one-to-many sweep; the best ``k`` and
        every target within the rounding bound of the ``k``-th are re-computed
        exactly (:meth:`route`), so durations equal the exact engine's; ties are
        broken by target index. A prepared :class:`~routing.targets.TargetSet` skips
        the per-call preparation (and a pool thread keeps its sweep pinned on it); the
        whole query is one hand-off to the engine's pool.
        """
        if k < 1:
            msg = f"k must be >= 1, got {k}"
            raise ValueError(msg)
        if not targets:
            return []
        limit = np.inf if max_duration_s is None else float(max_duration_s)
        ts = as_target_set(self.compiled, targets)
        return self._call(self._nearest_now, origin, ts, k, limit, with_routes)

    def _nearest_now(
        self, origin: Snap, ts: TargetSet, k: int, limit: float, with_routes: bool
    ) -> list[NearestHit]:
        """:meth:`nearest`, run in a pool thread."""
        approx = self._table_now([origin], ts, UNLIMITED)[0]
        finite = np.flatnonzero(np.isfinite(approx))
        if finite.shape[0] == 0:
            return []
        ranked = finite[np.lexsort((finite, approx[finite]))]
        kth = float(approx[ranked[min(k, ranked.shape[0]) - 1]])
        slack = (_TIE_UNITS + 0.5 * _EXACT_ARCS) / self.scale + 1e-6 * kth
        pool = ranked[approx[ranked] <= kth + slack]
        cg = self.compiled
        hits: list[tuple[float, int, Any]] = []
        for i in pool.tolist():
            best = self._best(origin, ts[i])
            if best is not None and best[0] <= limit:
                hits.append((float(best[0]), i, best))
        hits.sort(key=lambda h: (h[0], h[1]))
        out = []
        for dur, i, (_, start, nodes, end, direct) in hits[:k]:
            route = None
            if with_routes:  # the route sums the same lengths in the same order
                if direct is not None:
                    route = assemble_route(cg, origin, ts[i], [direct])
                else:
                    route = path_route(cg, origin, ts[i], start, nodes, end)
                dist_m = route.distance_m
            else:
                parts = [direct] if direct is not None else path_parts(cg, start, nodes, end)
                dist_m = sum((p.t1 - p.t0) * float(cg.edge_length[p.edge]) for p in parts)
            out.append(NearestHit(i, dur, dist_m, route))
        return out


def _mark_pool_thread(local: threading.local) -> None:
    local.on_pool = True


def _close_pool(pool: ThreadPoolExecutor, local: threading.local) -> None:
    """When an engine is collected: every pool thread drops its own query objects (the
    binding refuses to drop them from another thread, and would leak them), then the
    pool ends. One task per thread, held at a barrier so no thread takes two."""
    barrier = threading.Barrier(_MAX_QUERIES)

    def clear() -> None:
        local.__dict__.clear()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5.0)

    with contextlib.suppress(RuntimeError):  # interpreter shutting down
        for _ in range(_MAX_QUERIES):
            pool.submit(clear)
    pool.shutdown(wait=False)
