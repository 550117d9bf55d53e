"""Routes, matrices, nearest-k and coverage cell times against an independent oracle.

The oracle (``tests/routing/oracle.py``) is networkx on the built graph with every
test point inserted into its edge by the test itself; it never uses
``routing.paths``. On every graph, 2,000 random points near the roads are compared:
route durations and distances, matrix cells, nearest-k durations and coverage cell
times must agree to 0.5 s (distances to 1 m).

The hand-made graph holds the cases that broke on real data: a long loop road and a
short direct road between the same two junctions, a one-way road beside a two-way
road, a dual carriageway (two one-way roads with different lines), and identical
roads digitised twice.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString
from sqlalchemy import create_engine

from routing.build import build_graph
from routing.compiled import compile_graph, load_compiled
from routing.snap import Snap, Snapper
from tests.routing.oracle import OnEdge, Oracle, points_near_roads
from tests.routing.oracle_check import TOL_M, TOL_S, OracleReport, check_against_oracle


def _assert_agrees(rep: OracleReport, *, parallel: bool = True, share: float = 1.0) -> None:
    """Every comparison agrees, and enough of them ran (``share`` of the default sizes)."""
    assert not rep.failures, "\n".join(rep.failures)
    assert rep.snap_err_m < 0.01, f"snap distance differs from brute force by {rep.snap_err_m} m"
    assert rep.route_err_s <= TOL_S and rep.matrix_err_s <= TOL_S
    assert rep.nearest_err_s <= TOL_S and rep.cell_err_s <= TOL_S
    assert rep.route_dist_err_m <= TOL_M
    assert rep.routes >= 1000 * share and rep.matrix_cells >= 2000 * share
    assert rep.nearest_origins >= 400 * share
    assert rep.on_two_way > 0
    if parallel:  # the comparison covered the case that broke
        assert rep.on_parallel > 0


def _lines(path: Path) -> Path:
    """A small town: grid streets plus every kind of twin and parallel road."""

    def row(coords: list[tuple[float, float]], hw: str, oneway: str = "no") -> dict[str, object]:
        return {"highway": hw, "oneway": oneway, "geometry": LineString(coords)}

    x0, y0, d = 105.25, -5.40, 0.004
    rows = []
    for i in range(6):  # a 6 x 6 grid of two-way residential streets, noded at vertices
        rows.append(row([(x0 + j * d, y0 - i * d) for j in range(6)], "residential"))
        rows.append(row([(x0 + i * d, y0 - j * d) for j in range(6)], "residential"))
    a, b = (x0, y0), (x0 + d, y0)
    # long loop road and short direct road between the same junctions (both two-way)
    rows.append(row([a, (x0, y0 + 0.006), (x0 + d, y0 + 0.006), b], "tertiary"))
    # one-way road beside a two-way road between the same junctions
    c, e = (x0 + 2 * d, y0), (x0 + 3 * d, y0)
    rows.append(row([c, (x0 + 2.5 * d, y0 + 0.0015), e], "primary", "yes"))
    # dual carriageway: two one-way lines between the same junctions, both directions
    f, g = (x0 + 5 * d, y0 - d), (x0 + 5 * d, y0 - 2 * d)
    rows.append(row([f, (x0 + 5 * d + 0.001, y0 - 1.5 * d), g], "trunk", "yes"))
    rows.append(row([g, (x0 + 5 * d + 0.0015, y0 - 1.5 * d), f], "trunk", "yes"))
    # a two-way road and a faster one-way road on exactly the same line
    h, k = (x0, y0 - 5 * d), (x0 + d, y0 - 5 * d)
    rows.append(row([h, (x0 + 0.5 * d, y0 - 5 * d - 0.002), k], "residential"))
    rows.append(row([h, (x0 + 0.5 * d, y0 - 5 * d - 0.002), k], "secondary", "yes"))
    # a loop road that leaves the grid and comes back to the same junction
    m = (x0 + 5 * d, y0 - 5 * d)
    rows.append(
        row(
            [m, (x0 + 5 * d + 0.003, y0 - 5 * d), (x0 + 5 * d + 0.003, y0 - 5 * d - 0.003), m],
            "residential",
        )
    )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    path = _lines(tmp_path_factory.mktemp("town") / "town.geojson")
    graph, _ = build_graph(path, profile="car", preset="osm")
    return graph


@pytest.mark.parametrize("kind", ["cch", "ch", "scipy"])
def test_handmade_parallel_roads_and_twins(town: nx.MultiDiGraph, kind: str) -> None:
    rep = check_against_oracle(
        town, n_points=2000, seed=11, kind=kind, facilities=25, nearest_origins=400
    )
    _assert_agrees(rep)


@pytest.mark.shared_data
def test_jakarta_osm_motorcycle(jakarta_graph_motorcycle: nx.MultiDiGraph) -> None:
    _assert_agrees(check_against_oracle(jakarta_graph_motorcycle, seed=1))


@pytest.mark.shared_data
def test_lampung_rbi_folders_motorcycle(shared_data_dir: Path) -> None:
    """The four RBI folders built together (border joins, five components, Mesuji's
    lines without a .dbf), as ``lampung-geo import rbi`` builds them."""
    names = ("metro", "pringsewu", "pesawaran", "mesuji")
    files = [shared_data_dir / "lampung" / "rbi" / n / "JALAN_LN_50K.shp" for n in names]
    graph, _ = build_graph(files, profile="motorcycle", labels=list(names))
    rep = check_against_oracle(graph, seed=3)
    _assert_agrees(rep)
    assert rep.unreachable > 0  # points in different kabupaten networks: both say so


@pytest.mark.shared_data
def test_helsinki_osm_pbf_car(helsinki_pbf_path: Path) -> None:
    graph, _ = build_graph(helsinki_pbf_path, profile="car")
    _assert_agrees(check_against_oracle(graph, seed=4), parallel=False)


@pytest.fixture(scope="module")
def demo_graph(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """The demo motorcycle graph built as ``build_demo_graphs`` builds it (ferry included)."""
    from data.demo_roads import roads
    from geo_api.networks import ferries_from_db

    src = tmp_path_factory.mktemp("demo") / "demo_roads.geojson"
    roads().to_file(src, driver="GeoJSON")
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        links = ferries_from_db(conn)
    engine.dispose()
    graph, _ = build_graph(src, profile="motorcycle", ferry_links=links)
    return graph


def test_demo_network_with_ferry(demo_graph: nx.MultiDiGraph) -> None:
    assert any(f for *_, f in demo_graph.edges(data="ferry"))
    _assert_agrees(check_against_oracle(demo_graph, seed=5), parallel=False)


def test_demo_api_routes_matrix_nearest(
    demo_graph: nx.MultiDiGraph, demo_client: TestClient, demo_graph_dir: Path
) -> None:
    """/route, /matrix and /nearest over HTTP against the oracle on the same demo graph."""
    cg = load_compiled(demo_graph_dir / "motorcycle.npz")
    np.testing.assert_array_equal(compile_graph(demo_graph).edge_time, cg.edge_time)
    lon, lat = points_near_roads(demo_graph, 60, seed=21, max_offset_m=500.0)
    snaps = Snapper(cg).snap_many(lon, lat).to_snaps()
    items = demo_client.get(
        "/collections/service_points/items", params={"category": "puskesmas", "limit": 10000}
    ).json()["features"]
    fac_xy = np.array([f["geometry"]["coordinates"] for f in items])
    fac_snaps = Snapper(cg).snap_many(fac_xy[:, 0], fac_xy[:, 1]).to_snaps()
    oracle = Oracle(demo_graph)

    def on_edge(s: Snap) -> OnEdge:
        e = s.edge
        u, v = int(cg.node_ids[cg.edge_tail[e]]), int(cg.node_ids[cg.edge_head[e]])
        coords = tuple((float(x), float(y)) for x, y in cg.edge_coords(e).tolist())
        return OnEdge(u, v, coords, s.lon, s.lat)

    ids = oracle.insert([on_edge(s) for s in snaps if s is not None])
    fac_ids = oracle.insert([on_edge(s) for s in fac_snaps if s is not None])
    oracle.split()
    pts = [(float(x), float(y)) for x, y, s in zip(lon, lat, snaps, strict=True) if s]
    assert len(pts) >= 50
    matrix = demo_client.post(
        "/matrix", json={"sources": pts[:6], "targets": pts[6:40], "profile": "motorcycle"}
    ).json()["durations_s"]
    checked = 0
    for i in range(12):
        dist, _ = oracle.from_point(ids[i])
        for j in range(6, 40):
            want = dist.get(ids[j], math.inf)
            if i < 6:
                got = matrix[i][j - 6]
                assert (got is None) == math.isinf(want)
                if got is not None:
                    assert abs(got - want) <= TOL_S, (i, j, got, want)
                    checked += 1
            if j < 12:
                r = demo_client.get(
                    "/route",
                    params={"from": f"{pts[i][0]},{pts[i][1]}", "to": f"{pts[j][0]},{pts[j][1]}"},
                )
                if math.isinf(want):
                    assert r.status_code == 422
                    continue
                got_s = r.json()["properties"]["duration_s"]
                assert abs(got_s - want) <= TOL_S, (i, j, got_s, want)
                checked += 1
        times = sorted(dist.get(f, math.inf) for f in fac_ids)[:3]
        body = demo_client.get(
            "/nearest",
            params={"lon": pts[i][0], "lat": pts[i][1], "category": "puskesmas", "k": 3},
        ).json()
        got_n = [f["properties"]["duration_s"] for f in body["features"]]
        want_n = [t for t in times if math.isfinite(t)]
        assert len(got_n) == len(want_n)
        assert all(abs(g - w) <= TOL_S for g, w in zip(got_n, want_n, strict=True)), (got_n, want_n)
        checked += 1
    assert checked > 200
