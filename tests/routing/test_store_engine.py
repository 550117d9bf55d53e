"""Networks loaded from a network store: the saved CCH order and snapping index, one
customization per profile, and routes/matrices/nearest against networkx.

The oracles are networkx searches on graphs the tests build themselves from the
store's arcs and the profile's times (node to node), and the networkx oracle of
``tests/routing/oracle.py`` on the real Jakarta graph built by ``build_graph``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from geo_api.networks import build_network_store
from routing.cch import CCHEngine
from routing.network import load_networks, load_store
from routing.snap import node_snap
from routing.store import read_network, register_derived, unregister_derived, write_store
from routing.stream_build import build_network
from tests.routing.oracle_check import check_against_oracle
from tests.routing.test_build_multi import p, write
from tests.routing.test_oracle import _assert_agrees


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A 5 x 5 street grid with one-way streets, a footpath and a loop road."""
    rows: list[tuple[str, list[tuple[float, float]]]] = []
    oneway: list[str | None] = []
    for i in range(5):
        rows.append(("residential", [p(j, i) for j in range(5)]))
        oneway.append("yes" if i == 2 else None)
        rows.append(("tertiary" if i == 0 else "residential", [p(i, j) for j in range(5)]))
        oneway.append("-1" if i == 3 else None)
    rows.append(("footway", [p(0, 0), p(0.5, 0.6), p(1, 1)]))
    oneway.append(None)
    rows.append(("residential", [p(4, 4), p(4.6, 4.4), p(4.4, 4.8), p(4, 4)]))
    oneway.append(None)
    return write(tmp_path / "src" / "town.geojson", rows, oneway=oneway)


@pytest.fixture
def store(tmp_path: Path, town: Path) -> Path:
    built = build_network(town, profiles=("car", "walk"), min_component_km=0)
    return write_store(tmp_path / "graphs", built.base, built.profiles, meta={})


def _nx_times(net_cg: object, profile_times: np.ndarray) -> nx.DiGraph:
    """A networkx graph of the usable arcs (fastest per node pair), built here."""
    cg = net_cg
    g = nx.DiGraph()
    tails = np.asarray(cg.edge_tail)  # type: ignore[attr-defined]
    heads = np.asarray(cg.edge_head)  # type: ignore[attr-defined]
    for u, v, t in zip(tails.tolist(), heads.tolist(), profile_times.tolist(), strict=True):
        if np.isfinite(t) and (not g.has_edge(u, v) or g[u][v]["w"] > t):
            g.add_edge(u, v, w=t)
    return g


def test_order_and_snap_index_saved_and_shared(store: Path) -> None:
    network = read_network(store)
    facts = network.meta["derived"]
    assert facts["cch_order"]["status"] == "built" and facts["snap"]["status"] == "built"
    order = np.asarray(network.derived["cch_order"])
    assert np.array_equal(np.sort(order), np.arange(network.n_nodes))  # a permutation
    assert set(facts["cch_order"]["scales"]) == {"car", "walk"}
    assert isinstance(network.derived["snap_xy"], np.memmap)  # read memory-mapped
    nets = load_store(store)
    car, walk = nets["car"], nets["walk"]
    assert isinstance(car.engine, CCHEngine) and isinstance(walk.engine, CCHEngine)
    assert car.engine.shared is walk.engine.shared  # one CCH for the network
    assert np.array_equal(car.engine.shared.order, order)  # the saved order, not a new one
    assert car.snapper.index is walk.snapper.index  # one snapping index
    assert car.compiled.geom_coords is walk.compiled.geom_coords  # shared base arrays
    assert car.engine.metric is not walk.engine.metric  # one customization each
    assert car.engine.scale == facts["cch_order"]["scales"]["car"]


@pytest.mark.parametrize("profile", ["car", "walk"])
def test_each_profile_customized_against_networkx(store: Path, profile: str) -> None:
    net = load_store(store)[profile]
    cg = net.compiled
    g = _nx_times(cg, np.asarray(cg.edge_time))
    nodes = sorted(g.nodes)
    snaps = {n: node_snap(cg, n) for n in nodes}
    matrix = net.engine.durations([snaps[n] for n in nodes], [snaps[n] for n in nodes])
    checked = 0
    for i, a in enumerate(nodes):
        dist = nx.single_source_dijkstra_path_length(g, a, weight="w")
        for j, b in enumerate(nodes):
            want = dist.get(b, np.inf)
            got = net.engine.duration(snaps[a], snaps[b])
            assert got == pytest.approx(want, abs=1e-9) or (np.isinf(got) and np.isinf(want))
            assert matrix[i, j] == pytest.approx(want, abs=1e-3) or (
                np.isinf(matrix[i, j]) and np.isinf(want)
            )
            checked += 1
    assert checked > 100
    # nearest: the k nearest of some targets, exact durations
    targets = [snaps[n] for n in nodes[::3]]
    for a in nodes[:10]:
        dist = nx.single_source_dijkstra_path_length(g, a, weight="w")
        want = sorted(dist.get(n, np.inf) for n in nodes[::3])[:4]
        got = [h.duration_s for h in net.engine.nearest(snaps[a], targets, k=4)]
        want = [w for w in want if np.isfinite(w)]
        assert got == pytest.approx(want, abs=1e-9)


def test_profiles_differ_where_speeds_and_one_ways_differ(store: Path) -> None:
    nets = load_store(store)
    car, walk = nets["car"].compiled, nets["walk"].compiled
    assert np.any(np.isinf(car.edge_time) & np.isfinite(walk.edge_time))  # against one-ways
    g_car = _nx_times(car, np.asarray(car.edge_time))
    diffs = 0
    for a, b in itertools.islice(itertools.permutations(sorted(g_car.nodes), 2), 300):
        tc = nets["car"].engine.duration(node_snap(car, a), node_snap(car, b))
        tw = nets["walk"].engine.duration(node_snap(walk, a), node_snap(walk, b))
        diffs += tc != tw
    assert diffs > 100


def test_store_without_saved_indexes_still_loads(tmp_path: Path, town: Path) -> None:
    built = build_network(town, profiles=("car",), min_component_km=0)
    register_derived("cch_order", None)
    register_derived("snap", None)
    try:
        folder = write_store(tmp_path / "g", built.base, built.profiles, meta={})
    finally:
        unregister_derived("cch_order")
        unregister_derived("snap")
    assert read_network(folder).meta["derived"]["cch_order"]["status"] == "missing"
    nets = load_networks(folder)  # order and index computed at load
    cg = nets["car"].compiled
    g = _nx_times(cg, np.asarray(cg.edge_time))
    a, b = sorted(g.nodes)[0], sorted(g.nodes)[-1]
    want = nx.shortest_path_length(g, a, b, weight="w")
    assert nets["car"].engine.duration(node_snap(cg, a), node_snap(cg, b)) == pytest.approx(want)


@pytest.mark.shared_data
def test_jakarta_store_motorcycle_against_oracle(
    jakarta_roads_path: Path, jakarta_graph_motorcycle: nx.MultiDiGraph, tmp_path: Path
) -> None:
    """The store's motorcycle profile (streaming build, saved order and index, CCH)
    against networkx on the graph ``build_graph`` makes from the same file (the
    session's, shared with test_oracle.py)."""
    build_network_store(
        jakarta_roads_path, tmp_path / "graphs", profiles=["motorcycle", "car", "truck", "walk"]
    )
    nets = load_networks(tmp_path / "graphs")
    assert sorted(nets) == ["car", "motorcycle", "truck", "walk"]
    graph = jakarta_graph_motorcycle
    # half the sizes of test_oracle.py's full check of the same graph (which also runs
    # the CCH engine): this one is about the store's arrays, saved order and index
    report = check_against_oracle(
        graph,
        seed=1,
        network=nets["motorcycle"],
        n_points=1000,
        route_sources=10,
        matrix_sources=5,
        nearest_origins=200,
    )
    _assert_agrees(report, share=0.5)


def test_concurrent_queries_from_many_threads(store: Path) -> None:
    """The binding's query objects may only be used by the thread that made them; 8
    request threads at once get the answers a single thread gets (nothing raised)."""
    from concurrent.futures import ThreadPoolExecutor

    net = load_store(store)["walk"]
    cg = net.compiled
    nodes = np.flatnonzero(np.diff(np.asarray(cg.simple_indptr)) > 0)
    snaps = [node_snap(cg, int(n)) for n in nodes]
    exact = load_store(store, kind="scipy")["walk"].engine

    def work(i: int) -> tuple[list[float], list[int], list[float]]:
        o = snaps[i % len(snaps)]
        routes = [net.engine.duration(o, d) for d in snaps]
        near = [h.target for h in net.engine.nearest(o, snaps, k=3)]
        row = net.engine.durations([o], snaps)[0].tolist()
        return routes, near, row

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(work, range(32)))
    for i, (routes, near, row) in enumerate(got):
        want = exact.durations([snaps[i % len(snaps)]], snaps)[0]
        np.testing.assert_allclose(routes, want, rtol=1e-12)
        np.testing.assert_allclose(row, want, rtol=1e-6)
        assert near == sorted(range(len(snaps)), key=lambda j: (want[j], j))[:3]


def test_api_serves_a_network_store(demo_url: str, demo_graph_dir: Path, tmp_path: Path) -> None:
    """The API on the demo as a network store (all four profiles, the ferry) answers
    /route, /matrix and /nearest like the exact scipy engine on the format-2 demo
    graphs built by ``build_graph`` (another build and another engine)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    from data.demo_roads import roads
    from geo_api.app import create_app
    from geo_api.networks import ferries_from_db
    from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
    from routing.compiled import load_compiled
    from routing.engine import make_engine
    from routing.snap import Snapper

    src = tmp_path / "demo_roads.geojson"
    roads().to_file(src, driver="GeoJSON")
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        links = ferries_from_db(conn)
    engine.dispose()
    folder = tmp_path / "graphs"
    build_network_store(src, folder, profiles=["motorcycle", "car", "truck", "walk"], ferries=links)
    cg = load_compiled(demo_graph_dir / "motorcycle.npz")
    exact, snapper = make_engine(cg, kind="scipy"), Snapper(cg)
    settings = Settings(
        database=DatabaseSettings(database_url=demo_url),
        routing=RoutingSettings(graph_dir=folder),
    )
    rng = np.random.default_rng(3)
    pick = rng.choice(cg.n_nodes, size=12, replace=False)
    pts = [(float(cg.node_lon[i]) + 1e-4, float(cg.node_lat[i]) + 1e-4) for i in pick]
    snaps = [snapper.snap(x, y) for x, y in pts]
    want = exact.durations(snaps, snaps)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/health/ready").status_code == 200
        for i in range(0, 12, 3):
            for j in range(1, 12, 4):
                a, b = pts[i], pts[j]
                r = client.get("/route", params={"from": f"{a[0]},{a[1]}", "to": f"{b[0]},{b[1]}"})
                if np.isinf(want[i, j]):
                    assert r.status_code == 422
                    continue
                assert r.status_code == 200
                assert r.json()["properties"]["duration_s"] == pytest.approx(want[i, j], abs=0.5)
        body = client.post(
            "/matrix", json={"sources": pts[:4], "targets": pts[4:], "profile": "motorcycle"}
        ).json()["durations_s"]
        for i in range(4):
            for j in range(8):
                got, w = body[i][j], want[i, 4 + j]
                assert (got is None) == bool(np.isinf(w))
                assert got is None or abs(got - w) <= 0.5
        r = client.get(
            "/nearest",
            params={"lon": pts[0][0], "lat": pts[0][1], "category": "puskesmas", "k": 3},
        )
        assert r.status_code == 200 and len(r.json()["features"]) == 3
