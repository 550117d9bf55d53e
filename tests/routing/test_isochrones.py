"""Isochrones from reachable road stretches: partial edges, nesting, no hulls, no sea."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString

from data.demo_roads import STRAIT_LON
from routing.compiled import compile_graph
from routing.engine import make_engine
from routing.isochrones import (
    ACCESS_M,
    isochrone_bands,
    projected_edges,
    reached_intervals,
    reached_lines,
)
from routing.network import Network
from routing.snap import node_snap
from tests.routing.coverage_fixtures import (  # noqa: F401 - fixtures
    fixture_demo_facilities,
    fixture_demo_net,
)


def _two_way(g: nx.MultiDiGraph, u: int, v: int, tt: float) -> None:
    p, q = g.nodes[u], g.nodes[v]
    geom = LineString([(p["x"], p["y"]), (q["x"], q["y"])])
    length = float(pyproj.Geod(ellps="WGS84").line_length([p["x"], q["x"]], [p["y"], q["y"]]))
    for a, b, gm in ((u, v, geom), (v, u, geom.reverse())):
        g.add_edge(
            a,
            b,
            travel_time=tt,
            length=length,
            speed_kph=length / tt * 3.6,
            geometry=gm,
            name="",
            highway="residential",
            ferry=False,
            oneway=False,
        )


def ring_graph() -> nx.MultiDiGraph:
    """A ~4.4 km square ring road; its inside is a road-free block."""
    g = nx.MultiDiGraph(crs="EPSG:4326", profile="motorcycle")
    corners = {1: (105.20, -5.40), 2: (105.24, -5.40), 3: (105.24, -5.44), 4: (105.20, -5.44)}
    for n, (x, y) in corners.items():
        g.add_node(n, x=x, y=y)
    for u, v in ((1, 2), (2, 3), (3, 4), (4, 1)):
        _two_way(g, u, v, 300.0)  # 5 minutes per side
    return g


def test_partial_edges_are_cut_where_time_runs_out():
    cg = compile_graph(ring_graph())
    engine = make_engine(cg, kind="scipy")
    origin = node_snap(cg, 0)
    times, _ = engine.multi_source([origin])
    edge, lo, hi = reached_intervals(cg, times, 120.0, sources=[origin])  # 2 of 5 minutes
    pe = projected_edges(cg)
    lines = reached_lines(cg, edge, lo, hi)
    assert len(lines) == 2  # both sides leaving the corner, 40 % of each
    np.testing.assert_allclose(hi - lo, 0.4)
    np.testing.assert_allclose(shapely.length(lines), 0.4 * pe.length[edge], rtol=1e-9)
    # time limit beyond the whole ring: all four sides in full
    edge, lo, hi = reached_intervals(cg, times, 3600.0, sources=[origin])
    assert len(edge) == 4 and np.all(lo == 0) and np.all(hi == 1)


def test_not_a_hull_road_free_block_stays_outside():
    cg = compile_graph(ring_graph())
    engine = make_engine(cg, kind="scipy")
    origin = node_snap(cg, 0)
    times, _ = engine.multi_source([origin])
    bands = isochrone_bands(cg, times, [3, 60], sources=[origin])
    whole = bands[-1].cumulative
    centre = shapely.Point(105.22, -5.42)
    assert not whole.contains(centre)  # 2.2 km from every road
    assert whole.contains(shapely.Point(105.22, -5.40))  # on the far road, reached
    assert whole.contains(shapely.Point(105.22, -5.4008))  # ~90 m off it: walking access
    assert not whole.contains(shapely.Point(105.22, -5.4025))  # ~280 m off it
    first = bands[0].band
    assert first.contains(shapely.Point(105.201, -5.40))
    assert not first.contains(shapely.Point(105.235, -5.40))  # 3 min reach ~60 % of a side


def test_demo_bands_nest_and_stay_near_reached_roads(demo_net: Network):
    cg = demo_net.compiled
    origin = demo_net.snapper.snap(105.26, -5.43)
    times, _ = demo_net.engine.multi_source([origin])
    minutes = [10, 20, 30, 60]
    bands = isochrone_bands(cg, times, minutes, sources=[origin])
    assert [b.minutes for b in bands] == minutes
    for i, b in enumerate(bands):
        assert b.band.is_valid and not b.band.is_empty
        if i:
            prev = bands[i - 1].cumulative
            # nested: the previous cumulative polygon lies inside this one
            assert prev.difference(b.cumulative).area < 1e-6 * prev.area
            # not overlapping: the band only touches the previous ones
            assert b.band.intersection(prev).area < 1e-6 * b.band.area
    # every part of the 30 min polygon is within the access distance of a reached road
    pe = projected_edges(cg)
    edge, lo, hi = reached_intervals(cg, times, 30 * 60.0, sources=[origin])
    roads = shapely.union_all(reached_lines(cg, edge, lo, hi))
    to_xy = pyproj.Transformer.from_crs(4326, pe.crs, always_xy=True)
    poly = shapely.transform(
        bands[2].cumulative, lambda xy: np.column_stack(to_xy.transform(*xy.T))
    )
    pts = shapely.points(shapely.get_coordinates(poly))
    assert np.max(shapely.distance(pts, roads)) <= ACCESS_M + 6.0  # + simplification tolerance


def test_isochrones_do_not_cross_the_strait(demo_net: Network):
    cg = demo_net.compiled
    ferry = np.flatnonzero(cg.edge_ferry)
    assert ferry.size
    origin = demo_net.snapper.snap(105.75, -5.85)  # near Bakauheni
    times, _ = demo_net.engine.multi_source([origin])
    band = isochrone_bands(cg, times, [180], sources=[origin])[0].cumulative
    mid = cg.edge_coords(int(ferry[0]))
    sea = shapely.Point(*(mid[len(mid) // 2] if len(mid) > 2 else mid.mean(axis=0)))
    assert np.isfinite(times[cg.edge_head[ferry]]).any()  # Java is reached by ferry
    assert not band.contains(sea)
    assert band.bounds[2] > STRAIT_LON + 0.02  # roads on the Java side are reached
    parts = shapely.get_parts(band)
    # no single polygon spans the strait
    assert not any(
        p.bounds[0] < STRAIT_LON - 0.01 and p.bounds[2] > STRAIT_LON + 0.01 for p in parts
    )


def test_category_service_areas_use_the_to_direction(demo_net, demo_facilities):
    cg = demo_net.compiled
    fac = demo_facilities["rumah_sakit"]
    times, _ = demo_net.engine.multi_source(fac, direction="to_sources")
    bands = isochrone_bands(cg, times, [15, 30], direction="to_sources", sources=fac)
    whole = bands[-1].cumulative
    for f in fac[:5]:
        assert whole.distance(shapely.Point(f.lon, f.lat)) < 1e-6
    assert bands[0].area_km2 > 0 and bands[1].area_km2 > 0


@pytest.mark.parametrize("direction", ["from_sources", "to_sources"])
def test_merged_stretches_do_not_overlap(demo_net, direction):
    cg = demo_net.compiled
    origin = demo_net.snapper.snap(105.26, -5.43)
    times, _ = demo_net.engine.multi_source([origin], direction=direction)
    edge, lo, hi = reached_intervals(cg, times, 900.0, direction=direction, sources=[origin])
    assert np.all((lo >= 0) & (hi <= 1) & (hi > lo))
    order = np.lexsort((lo, edge))
    e, a, b = edge[order], lo[order], hi[order]
    same = e[1:] == e[:-1]
    assert np.all(a[1:][same] > b[:-1][same])
