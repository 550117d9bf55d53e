"""Snapping to the nearest edge segment."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString

from routing.compiled import CompiledGraph, compile_graph
from routing.errors import OffNetworkError
from routing.snap import Snap, Snapper, node_snap, utm_crs_for

# A 2 km east-west road through Bandar Lampung with a bend, and a short side road.
NODES = {1: (105.25, -5.40), 2: (105.268, -5.40), 3: (105.25, -5.401), 4: (105.30, -5.45)}


def _graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", profile="motorcycle")
    for n, (x, y) in NODES.items():
        G.add_node(n, x=x, y=y)

    def add(u: int, v: int, coords: list[tuple[float, float]], **attrs: object) -> None:
        data = {"name": "", "highway": "primary", "ferry": False, "oneway": False, **attrs}
        G.add_edge(
            u,
            v,
            length=2000.0,
            travel_time=100.0,
            speed_kph=72.0,
            geometry=LineString(coords),
            **data,
        )

    long_road = [NODES[1], NODES[2]]
    add(1, 2, long_road, name="Jalan Panjang")
    add(2, 1, long_road[::-1], name="Jalan Panjang")
    add(1, 3, [NODES[1], NODES[3]], oneway=True)
    add(3, 1, [NODES[3], NODES[1]], oneway=True)
    add(2, 4, [NODES[2], (105.29, -5.42), NODES[4]], ferry=True)  # never snapped to
    add(4, 2, [NODES[4], (105.29, -5.42), NODES[2]], ferry=True)
    return G


@pytest.fixture(scope="module")
def cg() -> CompiledGraph:
    return compile_graph(_graph())


@pytest.fixture(scope="module")
def snapper(cg: CompiledGraph) -> Snapper:
    return Snapper(cg)


def test_crs_is_utm_48s(snapper: Snapper) -> None:
    assert snapper.crs.to_epsg() == 32748
    assert utm_crs_for(106.8, -6.2).to_epsg() == 32748
    assert utm_crs_for(-3.7, 40.4).to_epsg() == 32630


def test_nearest_segment_not_nearest_node(cg: CompiledGraph, snapper: Snapper) -> None:
    # 150 m south of the middle of the 2 km road: both nodes are ~1 km away
    to_utm = pyproj.Transformer.from_crs(4326, 32748, always_xy=True)
    ax, ay = to_utm.transform(*NODES[1])
    bx, by = to_utm.transform(*NODES[2])
    mx, my = (ax + bx) / 2, (ay + by) / 2
    nx_, ny_ = -(by - ay), bx - ax  # normal to the road
    norm = np.hypot(nx_, ny_)
    px, py = mx - 150.0 * nx_ / norm, my - 150.0 * ny_ / norm
    lon, lat = to_utm.transform(px, py, direction="INVERSE")
    snap = snapper.snap(lon, lat)
    assert cg.names[cg.edge_name[snap.edge]] == "Jalan Panjang"
    assert abs(snap.distance_m - 150.0) < 1.0
    t_on_1_2 = snap.t if cg.node_ids[cg.edge_tail[snap.edge]] == 1 else 1 - snap.t
    assert t_on_1_2 == pytest.approx(0.5, abs=1e-3)
    assert snap.lon == pytest.approx(105.259, abs=1e-5)
    assert snap.lat == pytest.approx(-5.40, abs=1e-7)


def test_snap_beyond_the_end(snapper: Snapper, cg: CompiledGraph) -> None:
    west = snapper.snap(105.249, -5.40)  # 111 m west of node 1, where two roads end
    assert west.distance_m == pytest.approx(110.9, abs=1.0)
    assert west.lon == pytest.approx(NODES[1][0], abs=1e-6)
    assert west.lat == pytest.approx(NODES[1][1], abs=1e-6)
    tail = int(cg.node_ids[cg.edge_tail[west.edge]])
    assert west.t == pytest.approx(0.0 if tail == 1 else 1.0, abs=1e-4)


def test_ferries_are_not_snapped_to(snapper: Snapper, cg: CompiledGraph) -> None:
    snap = snapper.snap(105.29, -5.4199, max_distance_m=10_000)
    assert not cg.edge_ferry[snap.edge]
    assert snap.distance_m > 1000
    with_ferries = Snapper(cg, include_ferries=True).snap(105.29, -5.4199)
    assert cg.edge_ferry[with_ferries.edge] and with_ferries.distance_m < 20


def test_off_network_raises(snapper: Snapper) -> None:
    with pytest.raises(OffNetworkError, match=r"from the nearest road.*2000 m") as info:
        snapper.snap(105.25, -5.50)  # 11 km south
    err = info.value
    assert err.max_distance_m == 2000.0
    assert err.distance_m is not None and 10_000 < err.distance_m < 12_000
    assert (err.lon, err.lat) == (105.25, -5.50)
    assert snapper.snap(105.25, -5.50, max_distance_m=20_000).distance_m == err.distance_m


def test_snap_many_matches_snap(snapper: Snapper) -> None:
    rng = np.random.default_rng(0)
    lons = rng.uniform(105.24, 105.31, 50)
    lats = rng.uniform(-5.46, -5.39, 50)
    res = snapper.snap_many(lons, lats, max_distance_m=1500.0)
    assert len(res) == 50 and res.off_network.any() and not res.off_network.all()
    for i, snap in enumerate(res.to_snaps()):
        if snap is None:
            assert res.edge[i] == -1 and res.distance_m[i] > 1500.0
            with pytest.raises(OffNetworkError):
                snapper.snap(lons[i], lats[i], max_distance_m=1500.0)
        else:
            assert snap == snapper.snap(lons[i], lats[i], max_distance_m=1500.0)
            assert 0.0 <= snap.t <= 1.0


def test_node_snap(cg: CompiledGraph, snapper: Snapper) -> None:
    snap = snapper.snap_node(3)
    assert isinstance(snap, Snap) and snap.t == 0.0 and snap.distance_m == 0.0
    assert cg.node_ids[cg.edge_tail[snap.edge]] == 3
    assert (snap.lon, snap.lat) == NODES[3]
    assert node_snap(cg, 0).edge == 0


@pytest.mark.shared_data
def test_jakarta_snap_one_by_one_equals_bulk(jakarta_graph_car: nx.MultiDiGraph) -> None:
    """(Snapping speed is measured in bench/routing.py, not asserted here.)"""
    cg = compile_graph(jakarta_graph_car)
    snapper = Snapper(cg)
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(106.75, 106.9, 300), rng.uniform(-6.3, -6.15, 300)
    snaps = [snapper.snap(x, y) for x, y in zip(lons, lats, strict=True)]
    assert max(s.distance_m for s in snaps) < 2000
    bulk = snapper.snap_many(lons, lats)
    np.testing.assert_array_equal(bulk.edge, [s.edge for s in snaps])
