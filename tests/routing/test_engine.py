"""Routing engines (CH and scipy) against networkx and hand-computed costs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from routing.compiled import CompiledGraph, compile_graph
from routing.engine import RoutingEngine, make_engine, node_values_at
from routing.errors import UnreachableError
from routing.snap import Snap, node_snap

KINDS = ["cch", "ch", "scipy"]


# -- handmade graphs -----------------------------------------------------------------
def _edge(g: nx.MultiDiGraph, u: int, v: int, tt: float, length: float, **attrs: object) -> None:
    p, q = g.nodes[u], g.nodes[v]
    data = {"name": "", "highway": "residential", "ferry": False, "oneway": False, **attrs}
    g.add_edge(
        u,
        v,
        travel_time=tt,
        length=length,
        speed_kph=length / tt * 3.6,
        geometry=LineString([(p["x"], p["y"]), (q["x"], q["y"])]),
        **data,
    )


def _new(nodes: dict[int, tuple[float, float]]) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", profile="motorcycle")
    for n, (x, y) in nodes.items():
        G.add_node(n, x=x, y=y)
    return G


def grid_graph(size: int = 7, seed: int = 3) -> nx.MultiDiGraph:
    """Grid with random times, some one-way streets and parallel edges (largest SCC)."""
    rng = np.random.default_rng(seed)
    G = _new(
        {
            r * size + c + 1: (105.2 + c * 0.002, -5.4 - r * 0.002)
            for r in range(size)
            for c in range(size)
        }
    )
    for r in range(size):
        for c in range(size):
            u = r * size + c + 1
            for v in ([u + 1] if c < size - 1 else []) + ([u + size] if r < size - 1 else []):
                tt, ln = float(rng.uniform(5, 60)), float(rng.uniform(100, 400))
                kind = rng.random()
                if kind < 0.15:
                    _edge(G, u, v, tt, ln, oneway=True)
                elif kind < 0.3:
                    _edge(G, v, u, tt, ln, oneway=True)
                else:
                    _edge(G, u, v, tt, ln)
                    _edge(G, v, u, tt * float(rng.uniform(0.8, 1.25)), ln)
                if rng.random() < 0.1:
                    _edge(G, u, v, tt * float(rng.uniform(0.5, 1.5)), ln)  # parallel edge
    big = max(nx.strongly_connected_components(G), key=len)
    return G.subgraph(big).copy()


def model_graph() -> nx.MultiDiGraph:
    """1 <-> 2 (100 s, 1000 m each way), 2 -> 3 (50 s, 500 m), 3 -> 1 (400 s, 2000 m)."""
    G = _new({1: (105.0, -5.0), 2: (105.01, -5.0), 3: (105.02, -5.0)})
    _edge(G, 1, 2, 100.0, 1000.0, name="Jalan A")
    _edge(G, 2, 1, 100.0, 1000.0, name="Jalan A")
    _edge(G, 2, 3, 50.0, 500.0, name="Jalan B", oneway=True)
    _edge(G, 3, 1, 400.0, 2000.0, name="Jalan C", oneway=True)
    return G


def ferry_graph() -> nx.MultiDiGraph:
    """Road, road, ferry (Bakauheni-Merak), road; every edge also backwards."""
    G = _new(
        {
            1: (105.5, -5.6),
            2: (105.6, -5.7),
            3: (105.75, -5.87),
            4: (106.0, -5.93),
            5: (106.2, -6.0),
        }
    )
    chain = [
        (1, 2, 60.0, 1000.0, {"name": "Jalan Lintas Sumatera"}),
        (2, 3, 30.0, 500.0, {"name": ""}),
        (
            3,
            4,
            7200.0,
            30000.0,
            {"name": "Bakauheni-Merak", "ferry": True, "ferry_link_id": 7, "highway": "ferry"},
        ),
        (4, 5, 600.0, 12000.0, {"name": "Jalan Tol Tangerang-Merak"}),
    ]
    for u, v, tt, ln, attrs in chain:
        _edge(G, u, v, tt, ln, **attrs)
        _edge(G, v, u, tt, ln, **attrs)
    return G


@pytest.fixture(scope="module")
def grid() -> tuple[nx.MultiDiGraph, CompiledGraph]:
    G = grid_graph()
    return G, compile_graph(G)


@pytest.fixture(scope="module", params=KINDS)
def grid_engine(request: pytest.FixtureRequest, grid: tuple[nx.MultiDiGraph, CompiledGraph]):
    return make_engine(grid[1], kind=request.param)


def _random_snaps(cg: CompiledGraph, count: int, seed: int) -> list[Snap]:
    rng = np.random.default_rng(seed)
    snaps = []
    for _ in range(count):
        e = int(rng.integers(cg.n_edges))
        t = float(rng.choice([0.0, 1.0, rng.random()], p=[0.1, 0.1, 0.8]))
        snaps.append(Snap(edge=e, t=t, lon=0.0, lat=0.0))
    return snaps


def _reference(g: nx.MultiDiGraph, cg: CompiledGraph, o: Snap, d: Snap) -> float:
    """Independent cost of the snapped-endpoint model with networkx for the middle part."""

    def w(u: int, v: int) -> float | None:
        data = g.get_edge_data(u, v)
        return None if data is None else min(x["travel_time"] for x in data.values())

    ou, ov = (int(cg.node_ids[cg.edge_tail[o.edge]]), int(cg.node_ids[cg.edge_head[o.edge]]))
    du, dv = (int(cg.node_ids[cg.edge_tail[d.edge]]), int(cg.node_ids[cg.edge_head[d.edge]]))
    wo, wd = float(cg.edge_time[o.edge]), float(cg.edge_time[d.edge])
    starts = [(ov, (1 - o.t) * wo)] + ([(ou, 0.0)] if o.t == 0 else [])
    if o.t > 0 and (r := w(ov, ou)) is not None:
        starts.append((ou, o.t * r))
    ends = [(du, d.t * wd)] + ([(dv, 0.0)] if d.t == 1 else [])
    if d.t < 1 and (r := w(dv, du)) is not None:
        ends.append((dv, (1 - d.t) * r))
    best = np.inf
    for s, cs in starts:
        lengths = nx.single_source_dijkstra_path_length(g, s, weight="travel_time")
        for e, ce in ends:
            best = min(best, cs + lengths.get(e, np.inf) + ce)
    same = {(ou, ov), (ov, ou)} == {(du, dv), (dv, du)}
    if same:
        pos = d.t if (du, dv) == (ou, ov) else 1 - d.t
        if pos >= o.t:
            best = min(best, (pos - o.t) * wo)
        if pos <= o.t and (r := w(ov, ou)) is not None:
            best = min(best, (o.t - pos) * r)
    return best


# -- handmade graph: exactness against networkx ------------------------------------------
def test_engine_kinds(grid: tuple[nx.MultiDiGraph, CompiledGraph]) -> None:
    assert make_engine(grid[1]).kind == "cch"  # the default: RoutingKit's CCH
    assert make_engine(grid[1], kind="ch").kind == "ch"  # pandana, kept for comparison
    assert isinstance(make_engine(grid[1], kind="scipy"), RoutingEngine)
    with pytest.raises(ValueError, match="kind"):
        make_engine(grid[1], kind="dijkstra")  # type: ignore[arg-type]


def test_node_pairs_equal_networkx(grid, grid_engine: RoutingEngine) -> None:
    G, cg = grid
    rng = np.random.default_rng(11)
    for a, b in rng.integers(cg.n_nodes, size=(200, 2)):
        ref = nx.shortest_path_length(
            G, int(cg.node_ids[a]), int(cg.node_ids[b]), weight="travel_time"
        )
        got = grid_engine.duration(node_snap(cg, int(a)), node_snap(cg, int(b)))
        assert got == pytest.approx(ref, rel=1e-6, abs=1e-9)
        route = grid_engine.route(node_snap(cg, int(a)), node_snap(cg, int(b)))
        assert route.duration_s == pytest.approx(ref, rel=1e-6, abs=1e-9)
        if a != b:
            assert route.nodes[0] == cg.node_ids[a] and route.nodes[-1] == cg.node_ids[b]
            assert nx.path_weight(G, route.nodes, "length") <= route.distance_m + 1e-6


def test_snapped_routes_match_model(grid, grid_engine: RoutingEngine) -> None:
    G, cg = grid
    snaps = _random_snaps(cg, 40, seed=5)
    for o, d in zip(snaps[::2], snaps[1::2], strict=True):
        ref = _reference(G, cg, o, d)
        assert grid_engine.route(o, d).duration_s == pytest.approx(ref, rel=1e-9)
        assert grid_engine.duration(o, d) == pytest.approx(ref, rel=1e-9)


def test_matrix_equals_pairwise_routes(grid, grid_engine: RoutingEngine) -> None:
    _, cg = grid
    origins = _random_snaps(cg, 12, seed=8)
    dests = _random_snaps(cg, 9, seed=9) + origins[:3]
    matrix = grid_engine.durations(origins, dests)
    assert matrix.shape == (12, 12)
    for i, o in enumerate(origins):
        for j, d in enumerate(dests):
            assert matrix[i, j] == pytest.approx(grid_engine.route(o, d).duration_s, rel=1e-6)


def test_nearest_equals_brute_force(grid, grid_engine: RoutingEngine) -> None:
    _, cg = grid
    targets = _random_snaps(cg, 30, seed=21)
    targets.append(targets[4])  # exact tie: lower index first
    exact = make_engine(cg, kind="scipy")  # CCH matrices are integer sums (1e-6 relative)
    for origin in _random_snaps(cg, 5, seed=22):
        brute = exact.durations([origin], targets)[0]
        got = grid_engine.nearest(origin, targets, k=7)
        expected = sorted(range(len(targets)), key=lambda i: (brute[i], i))[:7]
        assert [h.target for h in got] == expected
        np.testing.assert_allclose([h.duration_s for h in got], brute[expected], rtol=1e-9)
        for h in got:
            assert h.distance_m == pytest.approx(
                grid_engine.route(origin, targets[h.target]).distance_m
            )
        # the routes of the same search equal separate point-to-point routes
        for h in grid_engine.nearest(origin, targets, k=7, with_routes=True):
            alone = grid_engine.route(origin, targets[h.target])
            assert h.route is not None
            assert h.route.duration_s == pytest.approx(alone.duration_s, rel=1e-9)
            assert h.route.distance_m == pytest.approx(h.distance_m, rel=1e-9)
            assert h.route.coords[0] == alone.coords[0] and h.route.coords[-1] == alone.coords[-1]
        limit = float(np.sort(brute)[3])
        bounded = grid_engine.nearest(origin, targets, k=10, max_duration_s=limit)
        assert all(h.duration_s <= limit for h in bounded)
        assert len(bounded) == int(np.sum(brute <= limit))


def test_multi_source_equals_min_of_single_sources(grid, grid_engine: RoutingEngine) -> None:
    G, cg = grid
    rng = np.random.default_rng(4)
    sources = rng.choice(cg.n_nodes, size=5, replace=False)
    ids = [int(cg.node_ids[s]) for s in sources]
    for direction, graph in (("from_sources", G), ("to_sources", G.reverse(copy=True))):
        times, which = grid_engine.multi_source(sources, direction=direction)
        per = [nx.single_source_dijkstra_path_length(graph, s, weight="travel_time") for s in ids]
        for node in range(cg.n_nodes):
            nid = int(cg.node_ids[node])
            ref = min(p[nid] for p in per)
            assert times[node] == pytest.approx(ref, rel=1e-9, abs=1e-12)
            assert per[which[node]][nid] == pytest.approx(ref, rel=1e-9, abs=1e-12)
        limited, lw = grid_engine.multi_source(sources, direction=direction, limit_s=60.0)
        assert np.all(np.isinf(limited[times > 60.0])) and np.all(lw[times > 60.0] == -1)
        np.testing.assert_allclose(limited[times <= 60.0], times[times <= 60.0])


def test_multi_source_snaps_and_node_values(grid, grid_engine: RoutingEngine) -> None:
    _, cg = grid
    facilities = _random_snaps(cg, 4, seed=30)
    homes = _random_snaps(cg, 15, seed=31)
    times, which = grid_engine.multi_source(facilities, direction="to_sources")
    assert which.min() >= 0 and which.max() < 4
    at_homes = node_values_at(cg, homes, times, direction="to_sources")
    # exact matrix (CCH matrices are integer sums, 1e-6 relative; checked elsewhere)
    brute = make_engine(cg, kind="scipy").durations(homes, facilities).min(axis=1)
    # node_values_at ignores trips along the home's own road, so it can only be >=
    assert np.all(at_homes >= brute - 1e-9)
    np.testing.assert_allclose(np.sort(at_homes)[:5], np.sort(brute)[:5], rtol=1e-9)


# -- hand-computed snapped costs -----------------------------------------------------------
@pytest.fixture(scope="module", params=KINDS)
def model(request: pytest.FixtureRequest) -> tuple[CompiledGraph, RoutingEngine]:
    cg = compile_graph(model_graph())
    return cg, make_engine(cg, kind=request.param)


def _on(cg: CompiledGraph, u: int, v: int, t: float) -> Snap:
    e = int(cg.best_edges(cg.node_index([u]), cg.node_index([v]))[0])
    return Snap(edge=e, t=t, lon=0.0, lat=0.0)


def test_partial_edge_costs_by_hand(model) -> None:
    cg, engine = model
    o, d = _on(cg, 1, 2, 0.25), _on(cg, 2, 3, 0.5)
    route = engine.route(o, d)
    # leave forward to node 2: 0.75 * 100 = 75 s, then 0.5 * 50 = 25 s
    assert route.duration_s == pytest.approx(100.0)
    assert route.distance_m == pytest.approx(750.0 + 250.0)
    assert route.nodes == [2]
    assert route.street_names == ["Jalan A", "Jalan B"]
    # the same spot snapped on the reverse edge 2->1 (t = 0.75) reaches 2 via 1->2 in 75 s
    back = engine.route(_on(cg, 2, 1, 0.75), d)
    assert back.duration_s == pytest.approx(100.0)
    assert back.edges == route.edges
    # 250 m from node 2 on 2->1: back to 2 over 1->2 in 25 s, then 25 s
    assert engine.route(_on(cg, 2, 1, 0.25), d).duration_s == pytest.approx(50.0)
    # destination behind the origin on a one-way road: go round 3 -> 1 -> 2
    loop = engine.route(_on(cg, 2, 3, 0.5), _on(cg, 2, 3, 0.25))
    assert loop.duration_s == pytest.approx(25.0 + 400.0 + 100.0 + 12.5)
    assert loop.nodes == [3, 1, 2]
    assert engine.durations([o], [d])[0, 0] == pytest.approx(100.0)


def test_same_edge(model) -> None:
    cg, engine = model
    ahead = engine.route(_on(cg, 1, 2, 0.25), _on(cg, 1, 2, 0.75))
    assert ahead.duration_s == pytest.approx(50.0) and ahead.distance_m == pytest.approx(500.0)
    assert ahead.nodes == [] and len(ahead.edges) == 1
    behind = engine.route(_on(cg, 1, 2, 0.75), _on(cg, 1, 2, 0.25))  # via the 2->1 edge
    assert behind.duration_s == pytest.approx(50.0)
    mirrored = engine.route(_on(cg, 1, 2, 0.25), _on(cg, 2, 1, 0.5))  # snapped on 2->1
    assert mirrored.duration_s == pytest.approx(25.0)
    assert engine.duration(_on(cg, 1, 2, 0.4), _on(cg, 1, 2, 0.4)) == 0.0
    m = engine.durations([_on(cg, 1, 2, 0.25)], [_on(cg, 1, 2, 0.75), _on(cg, 1, 2, 0.0)])
    np.testing.assert_allclose(m, [[50.0, 25.0]])
    near = engine.nearest(_on(cg, 1, 2, 0.25), [_on(cg, 2, 3, 0.5), _on(cg, 1, 2, 0.75)], k=2)
    assert [(i, round(t, 6), round(dist, 6)) for i, t, dist, _ in near] == [
        (1, 50.0, 500.0),
        (0, 100.0, 1000.0),
    ]


def test_geometry_starts_and_ends_at_snaps(model) -> None:
    cg, engine = model
    o = Snap(edge=_on(cg, 1, 2, 0.25).edge, t=0.25, lon=105.0025, lat=-5.0)
    d = Snap(edge=_on(cg, 2, 3, 0.5).edge, t=0.5, lon=105.015, lat=-5.0)
    route = engine.route(o, d)
    assert route.coords[0] == (105.0025, -5.0) and route.coords[-1] == (105.015, -5.0)
    assert (105.01, -5.0) in route.coords


def test_unreachable() -> None:
    G = _new({1: (105.0, -5.0), 2: (105.01, -5.0), 3: (105.02, -5.0)})
    _edge(G, 1, 2, 10.0, 100.0, oneway=True)
    _edge(G, 2, 3, 10.0, 100.0, oneway=True)
    cg = compile_graph(G)
    for kind in KINDS:
        engine = make_engine(cg, kind=kind)
        back = (node_snap(cg, 2), Snap(edge=0, t=0.5, lon=0.0, lat=0.0))
        assert engine.duration(*back) == np.inf
        assert engine.durations([back[0]], [back[1]])[0, 0] == np.inf
        with pytest.raises(UnreachableError):
            engine.route(*back)
        assert engine.nearest(back[0], [back[1]], k=1) == []


# -- ferry legs and names ------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_legs_split_at_ferry(kind: str) -> None:
    cg = compile_graph(ferry_graph())
    engine = make_engine(cg, kind=kind)
    o, d = node_snap(cg, 0), node_snap(cg, 4)
    route = engine.route(o, d)
    assert [leg.mode for leg in route.legs] == ["road", "ferry", "road"]
    assert [leg.duration_s for leg in route.legs] == pytest.approx([90.0, 7200.0, 600.0])
    assert [leg.distance_m for leg in route.legs] == pytest.approx([1500.0, 30000.0, 12000.0])
    assert sum(leg.duration_s for leg in route.legs) == pytest.approx(route.duration_s)
    assert [leg.ferry_link_id for leg in route.legs] == [None, 7, None]
    assert route.street_names == [
        "Jalan Lintas Sumatera",
        "Bakauheni-Merak",
        "Jalan Tol Tangerang-Merak",
    ]
    assert route.legs[0].coords[-1] == route.legs[1].coords[0] == (105.75, -5.87)
    assert route.coords[0] == (105.5, -5.6) and route.coords[-1] == (106.2, -6.0)
    assert len(route.coords) == 5
    # a trip starting halfway along the first road
    half = Snap(edge=int(cg.best_edges([0], [1])[0]), t=0.5, lon=105.55, lat=-5.65)
    part = engine.route(half, d)
    assert part.legs[0].duration_s == pytest.approx(60.0)
    assert part.legs[0].coords[0] == (105.55, -5.65)


# -- real data --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jakarta(jakarta_graph_car: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, CompiledGraph]:
    return jakarta_graph_car, compile_graph(jakarta_graph_car)


@pytest.fixture(scope="module", params=["cch", "ch"])
def jakarta_ch(jakarta, request: pytest.FixtureRequest) -> RoutingEngine:
    return make_engine(jakarta[1], kind=request.param)


@pytest.mark.shared_data
def test_jakarta_200_pairs_equal_networkx(jakarta, jakarta_ch: RoutingEngine) -> None:
    G, cg = jakarta
    rng = np.random.default_rng(2024)
    sources = rng.choice(cg.n_nodes, size=20, replace=False)
    scipy_engine = make_engine(cg, kind="scipy")
    for s in sources:
        lengths = nx.single_source_dijkstra_path_length(
            G, int(cg.node_ids[s]), weight="travel_time"
        )
        targets = rng.choice(cg.n_nodes, size=10, replace=False)
        got = [
            jakarta_ch.route(node_snap(cg, int(s)), node_snap(cg, int(t))).duration_s
            for t in targets
        ]
        ref = [lengths[int(cg.node_ids[t])] for t in targets]
        np.testing.assert_allclose(got, ref, rtol=1e-6)
        row = scipy_engine.durations(
            [node_snap(cg, int(s))], [node_snap(cg, int(t)) for t in targets]
        )
        np.testing.assert_allclose(row[0], ref, rtol=1e-6)


@pytest.mark.shared_data
def test_jakarta_matrix_nearest_multi_source(jakarta, jakarta_ch: RoutingEngine) -> None:
    _, cg = jakarta
    rng = np.random.default_rng(7)
    origins = _random_snaps(cg, 15, seed=1)
    dests = _random_snaps(cg, 15, seed=2)
    matrix = jakarta_ch.durations(origins, dests)
    exact = make_engine(cg, kind="scipy").durations(origins, dests)
    np.testing.assert_allclose(matrix, exact, rtol=1e-6)
    for i in range(0, 15, 5):
        for j in range(0, 15, 4):
            assert matrix[i, j] == pytest.approx(
                jakarta_ch.route(origins[i], dests[j]).duration_s, rel=1e-6
            )
    targets = _random_snaps(cg, 200, seed=3)
    brute = jakarta_ch.durations([origins[0]], targets)[0]
    got = jakarta_ch.nearest(origins[0], targets, k=10)
    np.testing.assert_allclose([h.duration_s for h in got], np.sort(brute)[:10], rtol=1e-6)
    facilities = rng.choice(cg.n_nodes, size=50, replace=False)
    times, which = jakarta_ch.multi_source(facilities, direction="to_sources")
    from scipy.sparse.csgraph import dijkstra

    per = dijkstra(cg.matrix_reversed, indices=facilities)
    np.testing.assert_allclose(times, per.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(per[which, np.arange(cg.n_nodes)], times, rtol=1e-12)
