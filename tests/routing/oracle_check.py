"""Compare the routing engine with the networkx oracle on random points of a graph.

One call snaps ``n`` random locations near the roads, checks every snap distance
against a brute-force nearest-road search, inserts the snapped points into an
independent networkx graph (:class:`tests.routing.oracle.Oracle`) and compares
route durations and distances, matrix cells, nearest-k durations and coverage cell
times with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from routing.compiled import compile_graph
from routing.coverage import cell_access, facility_cell_times
from routing.errors import UnreachableError
from routing.network import Network
from tests.routing.oracle import OnEdge, Oracle, nearest_distances, points_near_roads

TOL_S = 0.5
TOL_M = 1.0


@dataclass
class OracleReport:
    """What was compared and the largest disagreements."""

    points: int = 0
    on_two_way: int = 0
    on_parallel: int = 0  # points on an edge that has another road between the same nodes
    snap_err_m: float = 0.0
    routes: int = 0
    unreachable: int = 0
    route_err_s: float = 0.0
    route_dist_err_m: float = 0.0
    matrix_cells: int = 0
    matrix_err_s: float = 0.0
    nearest_origins: int = 0
    nearest_err_s: float = 0.0
    cells: int = 0
    cell_err_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        """Record a disagreement (the first 20 are kept)."""
        if len(self.failures) < 20:
            self.failures.append(what)


def check_against_oracle(
    graph: nx.MultiDiGraph,
    *,
    n_points: int = 2000,
    seed: int = 7,
    kind: str = "auto",
    route_sources: int = 20,
    routes_per_source: int = 50,
    matrix_sources: int = 10,
    matrix_targets: int = 200,
    facilities: int = 40,
    nearest_origins: int = 400,
    k: int = 3,
    network: Network | None = None,
) -> OracleReport:
    """Run every comparison on one built graph; see the module docstring.

    ``network`` is the engine under test when given (e.g. a profile of a network store
    built from the same source), else the graph compiled with ``kind``."""
    rep = OracleReport(points=n_points)
    net = network or Network.from_compiled(compile_graph(graph), kind=kind)  # type: ignore[arg-type]
    cg = net.compiled
    lon, lat = points_near_roads(graph, n_points, seed=seed)
    arrays = net.snapper.snap_many(lon, lat, max_distance_m=1e6)
    snaps = arrays.to_snaps()
    assert all(s is not None for s in snaps)
    brute = nearest_distances(graph, lon, lat)
    rep.snap_err_m = float(np.max(np.abs(arrays.distance_m - brute)))

    oracle = Oracle(graph)
    pair_count: dict[tuple[int, int], int] = {}
    for u, v in graph.edges():
        pair_count[(u, v)] = pair_count.get((u, v), 0) + 1
    points = []
    for s in snaps:
        assert s is not None
        e = s.edge
        u, v = int(cg.node_ids[cg.edge_tail[e]]), int(cg.node_ids[cg.edge_head[e]])
        coords = tuple((float(x), float(y)) for x, y in cg.edge_coords(e).tolist())
        points.append(OnEdge(u, v, coords, s.lon, s.lat))
        if pair_count.get((u, v), 0) + pair_count.get((v, u), 0) > 2:
            rep.on_parallel += 1
    ids = oracle.insert(points)
    rep.on_two_way = oracle.on_two_way
    oracle.split()
    good = [s for s in snaps if s is not None]

    # routes and matrix rows from the same oracle searches
    m_targets = list(range(matrix_targets))
    matrix = net.engine.durations(good[:matrix_sources], [good[j] for j in m_targets])
    for a in range(route_sources):
        dist, paths = oracle.from_point(ids[a])
        if a < matrix_sources:
            for col, j in enumerate(m_targets):
                want = dist.get(ids[j], math.inf)
                got = float(matrix[a, col])
                rep.matrix_cells += 1
                err = _err(got, want)
                rep.matrix_err_s = max(rep.matrix_err_s, err)
                if err > TOL_S:
                    rep.fail(f"matrix {a}->{j}: engine {got:.3f} s, oracle {want:.3f} s")
        for b in range(routes_per_source):
            j = route_sources + (a * routes_per_source + b) % (n_points - route_sources)
            want = dist.get(ids[j], math.inf)
            rep.routes += 1
            try:
                route = net.engine.route(good[a], good[j])
            except UnreachableError:
                rep.unreachable += 1
                if math.isfinite(want):
                    rep.fail(f"route {a}->{j}: engine unreachable, oracle {want:.3f} s")
                continue
            err = _err(route.duration_s, want)
            rep.route_err_s = max(rep.route_err_s, err)
            if err > TOL_S:
                rep.fail(f"route {a}->{j}: engine {route.duration_s:.3f} s, oracle {want:.3f} s")
                continue
            want_m = oracle.path_length(paths[ids[j]])
            d_err = abs(route.distance_m - want_m)
            rep.route_dist_err_m = max(rep.route_dist_err_m, d_err)
            if d_err > TOL_M:
                rep.fail(f"route {a}->{j}: engine {route.distance_m:.2f} m, oracle {want_m:.2f} m")

    # nearest-k and coverage cell times against per-facility reversed searches
    fac_idx = list(range(n_points - facilities, n_points))
    to_fac = np.full((n_points, facilities), math.inf)
    node_row = {node: i for i, node in enumerate(ids)}
    for col, f in enumerate(fac_idx):
        for node, t in oracle.to_point(ids[f]).items():
            row = node_row.get(node)
            if row is not None:
                to_fac[row, col] = t
    fac_snaps = [good[f] for f in fac_idx]
    for i in range(nearest_origins):
        want = np.sort(to_fac[i][np.isfinite(to_fac[i])])[:k]
        got = np.array([h.duration_s for h in net.nearest(good[i], fac_snaps, k=k)])
        rep.nearest_origins += 1
        if got.shape != want.shape:
            rep.fail(f"nearest {i}: engine {got.tolist()}, oracle {want.tolist()}")
            continue
        err = float(np.max(np.abs(got - want))) if got.size else 0.0
        rep.nearest_err_s = max(rep.nearest_err_s, err)
        if err > TOL_S:
            rep.fail(f"nearest {i}: engine {got.tolist()}, oracle {want.tolist()}")
    access = cell_access(cg, arrays)
    cell_t = facility_cell_times(net.engine, access, fac_snaps)
    want_cells = to_fac.min(axis=1)
    rep.cells = n_points
    for i in range(n_points):
        err = _err(float(cell_t[i]), float(want_cells[i]))
        rep.cell_err_s = max(rep.cell_err_s, err)
        if err > TOL_S:
            rep.fail(f"cell {i}: engine {cell_t[i]:.3f} s, oracle {want_cells[i]:.3f} s")
    return rep


def _err(got: float, want: float) -> float:
    if math.isinf(got) and math.isinf(want):
        return 0.0
    if math.isinf(got) or math.isinf(want):
        return math.inf
    return abs(got - want)
