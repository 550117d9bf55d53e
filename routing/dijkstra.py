"""Routing engine on ``scipy.sparse.csgraph.dijkstra`` (exact float64 sums).

Snapped endpoints become *virtual nodes*: each search runs on the simple graph
plus one extra row per source whose edges lead to the source's candidate nodes
with the partial-edge costs (see :mod:`routing.paths`). One search per source
therefore covers both directions a two-way road can be left by, and
``min_only=True`` multi-source searches report which source won.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from data.budget import UNLIMITED, Budget
from routing.errors import UnreachableError
from routing.paths import (
    Candidate,
    Part,
    Route,
    assemble_route,
    destination_candidates,
    direct_parts,
    origin_candidates,
    part_cost,
    path_parts,
    path_route,
)
from routing.snap import Snap
from routing.targets import TargetSet

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph

__all__ = ["Direction", "NearestHit", "ScipyEngine"]

Direction = Literal["from_sources", "to_sources"]


class NearestHit(NamedTuple):
    """One target found by a nearest search: which, how long, how far, and the route."""

    target: int
    duration_s: float
    distance_m: float
    route: Route | None = None


_CHUNK = 128  # sources per scipy call in matrices (bounds memory to CHUNK x n floats)


class ScipyEngine:
    """Exact engine: one scipy Dijkstra search per origin (or per source set).

    Parameters
    ----------
    compiled : CompiledGraph
        The compiled graph.
    """

    kind = "scipy"

    def __init__(self, compiled: CompiledGraph) -> None:
        self.compiled = compiled
        _ = compiled.matrix, compiled.simple_key  # build the cached arrays now

    # -- searches ---------------------------------------------------------------
    def _search(
        self,
        sources: Sequence[list[Candidate]],
        *,
        reverse: bool = False,
        limit: float = np.inf,
        min_only: bool = False,
        predecessors: bool = False,
    ) -> tuple[NDArray[np.float64], NDArray[np.int32] | None, NDArray[np.int32] | None]:
        """Dijkstra from virtual nodes ``n + i`` wired to each source's candidates."""
        cg = self.compiled
        n = cg.n_nodes
        base = cg.matrix_reversed if reverse else cg.matrix
        rows_ptr = [0]
        cols: list[int] = []
        vals: list[float] = []
        for cands in sources:
            best: dict[int, float] = {}
            for c in cands:
                if c.cost < best.get(c.node, np.inf):
                    best[c.node] = c.cost
            cols.extend(best)
            vals.extend(best.values())
            rows_ptr.append(len(cols))
        s = len(sources)
        indptr = np.concatenate([base.indptr, base.indptr[-1] + np.asarray(rows_ptr[1:])])
        indices = np.concatenate([base.indices, np.asarray(cols, dtype=base.indices.dtype)])
        data = np.concatenate([base.data, np.asarray(vals, dtype=np.float64)])
        aug = sparse.csr_matrix((data, indices, indptr), shape=(n + s, n + s))
        idx = np.arange(n, n + s)
        res = dijkstra(
            aug,
            directed=True,
            indices=idx,
            limit=limit,
            min_only=min_only,
            return_predecessors=predecessors or min_only,
        )
        if min_only:
            dist, pred, src = res
            return dist[:n], pred[:n], src[:n]
        if predecessors:
            dist, pred = res
            return dist[:, :n], pred[:, :n], None
        return res[:, :n], None, None

    # -- RoutingEngine ----------------------------------------------------------
    def route(self, origin: Snap, destination: Snap) -> Route:
        """Return the best route between two snaps (see :class:`RoutingEngine`)."""
        cg = self.compiled
        oc = origin_candidates(cg, origin)
        dist, pred, _ = self._search([oc], predecessors=True)
        assert pred is not None
        dc = destination_candidates(cg, destination)
        best_cost, best_end = np.inf, None
        for c in dc:
            total = dist[0, c.node] + c.cost
            if total < best_cost:
                best_cost, best_end = total, c
        for part in direct_parts(cg, origin, destination):
            if part_cost(cg, part) <= best_cost:
                return assemble_route(cg, origin, destination, [part])
        if best_end is None:
            msg = "destination is not reachable from origin"
            raise UnreachableError(msg)
        nodes = _walk(pred[0], best_end.node, cg.n_nodes)
        first = nodes[0]
        start = min((c for c in oc if c.node == first), key=lambda c: c.cost)
        return path_route(cg, origin, destination, start, nodes, best_end)

    def duration(self, origin: Snap, destination: Snap) -> float:
        """Return the best travel time in seconds (``inf`` when unreachable)."""
        return float(self.durations([origin], [destination])[0, 0])

    def durations(
        self,
        origins: Sequence[Snap],
        destinations: Sequence[Snap],
        *,
        budget: Budget = UNLIMITED,
    ) -> NDArray[np.float64]:
        """Return the ``len(origins) x len(destinations)`` travel-time matrix (s).

        One search per origin (or destination), :data:`_CHUNK` at a time; ``budget`` is
        checked before each chunk.
        """
        cg = self.compiled
        forward = len(origins) <= len(destinations)
        srcs, dsts = (origins, destinations) if forward else (destinations, origins)
        src_c = [
            origin_candidates(cg, s) if forward else destination_candidates(cg, s) for s in srcs
        ]
        dst_nodes, dst_cost = _candidate_arrays(
            cg, dsts, destination_candidates if forward else origin_candidates
        )
        out = np.empty((len(srcs), len(dsts)), dtype=np.float64)
        for lo in range(0, len(srcs), _CHUNK):
            budget.check()
            dist, _, _ = self._search(src_c[lo : lo + _CHUNK], reverse=not forward)
            out[lo : lo + _CHUNK] = np.min(dist[:, dst_nodes] + dst_cost, axis=2)
        result = out if forward else out.T
        return _apply_direct(cg, result, origins, destinations)

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

        One Dijkstra search from the origin, bounded by ``max_duration_s``; ties are
        broken by target index. With ``with_routes`` each hit carries its
        :class:`~routing.paths.Route`, walked back from the same search tree.
        """
        if k < 1:
            msg = f"k must be >= 1, got {k}"
            raise ValueError(msg)
        cg = self.compiled
        limit = np.inf if max_duration_s is None else float(max_duration_s)
        oc = origin_candidates(cg, origin)
        dist, pred, _ = self._search([oc], limit=limit, predecessors=True)
        assert pred is not None
        nodes, costs = _candidate_arrays(cg, targets, destination_candidates)
        totals = dist[0][nodes] + costs
        which = np.argmin(totals, axis=1)
        dur = totals[np.arange(len(targets)), which]
        direct: dict[int, Part] = {}
        for i, tgt in enumerate(targets):
            for part in direct_parts(cg, origin, tgt):
                c = part_cost(cg, part)
                if c <= dur[i]:
                    dur[i] = c
                    direct[i] = part
        order = np.lexsort((np.arange(len(targets)), dur))
        order = order[np.isfinite(dur[order]) & (dur[order] <= limit)][:k]
        out = []
        for i in order.tolist():
            if i in direct:
                part = direct[i]
                route = assemble_route(cg, origin, targets[i], [part]) if with_routes else None
                dist_m = (part.t1 - part.t0) * float(cg.edge_length[part.edge])
                out.append(NearestHit(i, float(dur[i]), dist_m, route))
                continue
            end = destination_candidates(cg, targets[i])[int(which[i])]
            path = _walk(pred[0], end.node, cg.n_nodes)
            start = min((c for c in oc if c.node == path[0]), key=lambda c: c.cost)
            if with_routes:
                full = path_route(cg, origin, targets[i], start, path, end)
                route, dist_m = full, full.distance_m
            else:
                route = None
                parts = path_parts(cg, start, path, end)
                dist_m = sum((p.t1 - p.t0) * float(cg.edge_length[p.edge]) for p in parts)
            out.append(NearestHit(i, float(dur[i]), dist_m, route))
        return out

    def multi_source(
        self,
        sources: Sequence[Snap] | NDArray[np.integer],
        *,
        limit_s: float | None = None,
        direction: Direction = "from_sources",
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Travel time between every node and its nearest source, and which source.

        Parameters
        ----------
        sources : sequence of Snap, or array of node indices
            The facilities.
        limit_s : float, optional
            Stop searching beyond this travel time; farther nodes get ``inf``.
        direction : {"from_sources", "to_sources"}, default "from_sources"
            ``"from_sources"``: time *from* the nearest source to each node.
            ``"to_sources"``: time *from each node to* its nearest source, i.e. a
            search on the reversed graph — use this for access/coverage (home ->
            facility).

        Returns
        -------
        times : numpy.ndarray of float64, shape (n_nodes,)
            Seconds; ``inf`` where unreachable within the limit.
        source : numpy.ndarray of int64, shape (n_nodes,)
            Index into ``sources`` of the nearest source; -1 where unreachable.
        """
        cg = self.compiled
        if direction not in ("from_sources", "to_sources"):
            msg = f"direction must be 'from_sources' or 'to_sources', got {direction!r}"
            raise ValueError(msg)
        reverse = direction == "to_sources"
        limit = np.inf if limit_s is None else float(limit_s)
        if len(sources) == 0:
            return np.full(cg.n_nodes, np.inf), np.full(cg.n_nodes, -1, dtype=np.int64)
        if isinstance(sources, np.ndarray):
            idx = np.asarray(sources, dtype=np.int64)
            base = cg.matrix_reversed if reverse else cg.matrix
            dist, _, src = dijkstra(
                base, indices=idx, limit=limit, min_only=True, return_predecessors=True
            )
            lookup = np.full(cg.n_nodes, -1, dtype=np.int64)
            lookup[idx[::-1]] = np.arange(idx.shape[0])[::-1]
            which = np.where(src >= 0, lookup[np.maximum(src, 0)], -1)
            return dist, which.astype(np.int64)
        make = destination_candidates if reverse else origin_candidates
        dist, _, src = self._search(
            [make(cg, s) for s in sources], reverse=reverse, limit=limit, min_only=True
        )
        assert src is not None
        which = np.where(src >= 0, src.astype(np.int64) - cg.n_nodes, -1)
        return dist, which


def _walk(pred: NDArray[np.int32], node: int, n: int) -> NDArray[np.int64]:
    """Follow predecessors back to the virtual source; return the node path."""
    path = [node]
    p = int(pred[node])
    while 0 <= p < n:
        path.append(p)
        p = int(pred[p])
    return np.asarray(path[::-1], dtype=np.int64)


def _candidate_arrays(
    cg: CompiledGraph,
    snaps: Sequence[Snap],
    make: Callable[[CompiledGraph, Snap], list[Candidate]],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Candidate nodes and costs as ``(len(snaps), 2)`` arrays (padded with inf cost).

    Destination candidates of a :class:`~routing.targets.TargetSet` are its prepared
    arrays (the same values, computed once)."""
    if isinstance(snaps, TargetSet) and make is destination_candidates:
        snaps.check_graph(cg)
        return snaps.nodes, snaps.costs
    nodes = np.zeros((len(snaps), 2), dtype=np.int64)
    costs = np.full((len(snaps), 2), np.inf)
    for i, s in enumerate(snaps):
        for j, c in enumerate(make(cg, s)):
            nodes[i, j], costs[i, j] = c.node, c.cost
    return nodes, costs


def _apply_direct(
    cg: CompiledGraph,
    matrix: NDArray[np.float64],
    origins: Sequence[Snap],
    destinations: Sequence[Snap],
) -> NDArray[np.float64]:
    """Lower matrix entries where origin and destination share a road."""
    by_edge: Mapping[int, Sequence[int]]
    if isinstance(destinations, TargetSet):
        by_edge = destinations.by_edge
    else:
        made: dict[int, list[int]] = {}
        for j, d in enumerate(destinations):
            made.setdefault(int(d.edge), []).append(j)
        by_edge = made
    for i, o in enumerate(origins):
        e = int(o.edge)
        for cand in (e, int(cg.edge_twin[e])):
            for j in by_edge.get(cand, ()) if cand >= 0 else ():
                for part in direct_parts(cg, o, destinations[j]):
                    matrix[i, j] = min(matrix[i, j], part_cost(cg, part))
    return matrix
