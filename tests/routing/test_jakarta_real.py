"""Real Jakarta data: market-to-market routes and nearest puskesmas, engine and API."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.ingest import ingest_file
from routing.compiled import compile_graph
from routing.network import Network, compile_and_save
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data

KRAMAT_JATI = (106.8665, -6.2790)  # Pasar Induk Kramat Jati, Jl. Raya Bogor
CIPINANG = (106.885, -6.213)  # Pasar Induk Beras Cipinang, Jl. Pisangan Lama


@pytest.fixture(scope="module")
def moto(jakarta_graph_motorcycle: nx.MultiDiGraph) -> Network:
    return Network.from_compiled(compile_graph(jakarta_graph_motorcycle))


@pytest.fixture(scope="module")
def puskesmas() -> gpd.GeoDataFrame:
    return gpd.read_file(shared_file("jakarta", "puskesmas.geojson"))


def test_route_between_the_two_wholesale_markets(
    moto: Network, jakarta_graph_motorcycle: nx.MultiDiGraph
):
    a = moto.snapper.snap(*KRAMAT_JATI, max_distance_m=500)
    b = moto.snapper.snap(*CIPINANG, max_distance_m=500)
    there, back = moto.engine.route(a, b), moto.engine.route(b, a)
    for r in (there, back):
        # 7.6 km as the crow flies; by road 8-20 km, 10-60 min on a motorcycle
        assert 8_000 < r.distance_m < 20_000
        assert 10 * 60 < r.duration_s < 60 * 60
        assert [leg.mode for leg in r.legs] == ["road"]
        assert len(r.street_names) >= 2
        assert all(n for n in r.street_names)
    assert r.coords[0] == pytest.approx((b.lon, b.lat))
    # the route's time equals networkx between its first and last node plus the two
    # partial edges (left forwards, or backwards along the reverse edge)
    g = moto.compiled
    n0, n1 = there.nodes[0], there.nodes[-1]
    e0, e1 = there.edges[0], there.edges[-1]
    first = (1 - a.t if e0 == a.edge else a.t) * g.edge_time[e0]
    last = (b.t if e1 == b.edge else 1 - b.t) * g.edge_time[e1]
    partial = first + last
    assert int(g.node_ids[g.edge_head[e0]]) == n0 and int(g.node_ids[g.edge_tail[e1]]) == n1
    between = nx.shortest_path_length(jakarta_graph_motorcycle, n0, n1, weight="travel_time")
    assert there.duration_s == pytest.approx(between + partial, rel=1e-9)


def test_nearest_puskesmas_from_20_points_equals_brute_force(
    moto: Network, puskesmas: gpd.GeoDataFrame
):
    arr = moto.snapper.snap_many(puskesmas.geometry.x.to_numpy(), puskesmas.geometry.y.to_numpy())
    targets = [s for s in arr.to_snaps() if s is not None]
    assert len(targets) > 450  # some lie on Kepulauan Seribu, with no road
    rng = np.random.default_rng(20)
    nodes = rng.choice(moto.compiled.n_nodes, size=20, replace=False)
    origins = [
        moto.snapper.snap(float(moto.compiled.node_lon[i]), float(moto.compiled.node_lat[i]))
        for i in nodes
    ]
    brute = moto.engine.durations(origins, targets)
    for row, origin in zip(brute, origins, strict=True):
        got = moto.engine.nearest(origin, targets, k=3)
        expect = np.sort(row[np.isfinite(row)])[:3]
        assert [h.duration_s for h in got] == pytest.approx(expect.tolist(), rel=1e-6)
        assert got[0][1] < 30 * 60  # Jakarta is dense in puskesmas
        # the growing-ring search gives the same answer as one unbounded search
        for k in (1, 3, 10):
            assert moto.nearest(origin, targets, k=k, first_limit_s=60) == moto.engine.nearest(
                origin, targets, k=k
            )


def test_nearest_api_on_jakarta(
    jakarta_graph_motorcycle: nx.MultiDiGraph,
    clean_engine: Engine,
    scratch_url: str,
    moto: Network,
    tmp_path: Path,
):
    compile_and_save(jakarta_graph_motorcycle.copy(), tmp_path / "motorcycle.npz")
    with clean_engine.connect() as conn:
        ingest_file(
            conn,
            shared_file("jakarta", "puskesmas.geojson"),
            kind="points",
            mapping={"NAMOBJ": "name", "OBJECTID": "source_id"},
            defaults={"category": "puskesmas"},
        )
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=tmp_path),
    )
    with TestClient(create_app(settings)) as client:
        body = client.get(
            "/nearest",
            params={"lon": KRAMAT_JATI[0], "lat": KRAMAT_JATI[1], "category": "puskesmas", "k": 5},
        ).json()
        route = client.get(
            "/route",
            params={
                "from": f"{KRAMAT_JATI[0]},{KRAMAT_JATI[1]}",
                "to": f"{CIPINANG[0]},{CIPINANG[1]}",
            },
        ).json()
    assert body["numberReturned"] == 5
    assert body["off_network_points"] > 0  # the island puskesmas
    origin = moto.snapper.snap(*KRAMAT_JATI)
    pts = gpd.read_file(shared_file("jakarta", "puskesmas.geojson"))
    arr = moto.snapper.snap_many(pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    targets = [s for s in arr.to_snaps() if s is not None]
    expect = [round(h.duration_s, 1) for h in moto.engine.nearest(origin, targets, k=5)]
    assert [f["properties"]["duration_s"] for f in body["features"]] == pytest.approx(
        expect, abs=0.11
    )
    assert route["properties"]["street_names"]
