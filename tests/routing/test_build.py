"""Graph building from GIS lines and OSM XML (handmade data) and real data."""

from __future__ import annotations

import bz2
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from routing.build import BuildReport, build_graph, source_format
from routing.errors import GraphBuildError, UnknownProfileError
from routing.lines import read_lines
from tests.routing.conftest import assert_graph_contract

X0, Y0, D = 105.30, -5.10, 0.001  # Kota Metro, ~110 m grid


def p(i: float, j: float) -> tuple[float, float]:
    return (round(X0 + i * D, 7), round(Y0 + j * D, 7))


def node_at(graph: nx.MultiDiGraph, i: float, j: float) -> int | None:
    x, y = p(i, j)
    for n, d in graph.nodes(data=True):
        if abs(d["x"] - x) < 1e-9 and abs(d["y"] - y) < 1e-9:
            return int(n)
    return None


@pytest.fixture
def toy_lines(tmp_path: Path) -> Path:
    """A small road file.

    H runs west-east through (1,0) where V has a vertex too (a junction); B runs
    south-north across H at (0.5,0) *without* a shared vertex (a bridge). O is
    one-way north, R is one-way against its digitising direction, M is a toll
    road shortcut, I is an island far away and D a one-way dead end.
    """
    rows = [
        ("H", "residential", "Jalan H", None, [p(0, 0), p(1, 0), p(2, 0)]),
        ("V", "residential", "Jalan V", "no", [p(1, -1), p(1, 0), p(1, 1)]),
        ("B", "primary", "Jembatan B", None, [p(0.5, -1), p(0.5, 1)]),
        ("C1", "residential", None, None, [p(0.5, 1), p(1, 1)]),
        ("C2", "residential", None, None, [p(0.5, -1), p(1, -1)]),
        ("O", "tertiary", "Satu Arah", "yes", [p(2, 0), p(2, 1)]),
        ("N", "residential", None, None, [p(2, 1), p(1, 1)]),
        ("R", "tertiary", None, "-1", [p(2, -1), p(2, 0)]),
        ("S", "residential", None, None, [p(2, -1), p(1, -1)]),
        ("M", "motorway", "Tol", "yes", [p(0, 0), p(0, -2), p(0.5, -1)]),
        ("I", "residential", "Pulau", None, [p(10, 10), p(11, 10)]),
        ("D", "residential", "Buntu", "yes", [p(0, 0), p(-1, 0)]),
    ]
    frame = gpd.GeoDataFrame(
        {
            "ref": [r[0] for r in rows],
            "highway": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "oneway": [r[3] for r in rows],
        },
        geometry=[LineString(r[4]) for r in rows],
        crs="EPSG:4326",
    )
    path = tmp_path / "toy_roads.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def test_source_format() -> None:
    assert source_format("a.osm.pbf") == "pbf"
    assert source_format("A.OSM.BZ2") == "osm"
    assert source_format("x.xml") == "osm"
    assert source_format("roads.gpkg") == "lines"
    assert source_format("roads.shp") == "lines"
    with pytest.raises(GraphBuildError, match="unsupported"):
        source_format("roads.csv")


def test_bad_arguments(toy_lines: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownProfileError):
        build_graph(toy_lines, profile="bicycle")
    with pytest.raises(GraphBuildError, match="not found"):
        build_graph(tmp_path / "missing.gpkg")
    with pytest.raises(GraphBuildError, match="unknown keys"):
        build_graph(toy_lines, columns={"speed": "x"})
    with pytest.raises(GraphBuildError, match="not found"):
        build_graph(toy_lines, columns={"highway": "KELAS"})
    (tmp_path / "x.osm").write_text("<osm/>")
    with pytest.raises(GraphBuildError, match="only to GIS line"):
        build_graph(tmp_path / "x.osm", layer="roads")


def test_noding_shared_vertex_but_not_crossing(toy_lines: Path) -> None:
    graph, report = build_graph(toy_lines, profile="car")
    assert_graph_contract(graph)
    # H and V share (1,0): split and connected
    junction = node_at(graph, 1, 0)
    assert junction is not None
    assert {node_at(graph, 0, 0), node_at(graph, 2, 0), node_at(graph, 1, 1)} <= set(
        graph.successors(junction)
    )
    # B crosses H at (0.5,0) without a shared vertex: no node there
    assert node_at(graph, 0.5, 0) is None
    a, b = node_at(graph, 0, 0), node_at(graph, 0.5, 1)
    assert a is not None and b is not None
    route = nx.shortest_path(graph, a, b, weight="length")
    assert junction in route  # goes round via (1,0) and (1,1), no jump onto the bridge
    bridge = [d for *_, d in graph.edges(data=True) if d["name"] == "Jembatan B"]
    assert len(bridge) == 2  # one piece, both directions
    assert bridge[0]["length"] == pytest.approx(2 * D * 110_574, rel=0.01)
    assert report.input_format == "lines" and report.preset == "osm"


def test_oneway_and_forbidden(toy_lines: Path) -> None:
    moto, moto_report = build_graph(toy_lines, profile="motorcycle")
    walk, _ = build_graph(toy_lines, profile="walk")
    car, _ = build_graph(toy_lines, profile="car")
    for graph in (moto, walk, car):
        assert_graph_contract(graph)
    s, n = node_at(moto, 2, 0), node_at(moto, 2, 1)
    assert moto.has_edge(s, n) and not moto.has_edge(n, s)  # O: yes
    assert moto.edges[s, n, 0]["oneway"] is True
    r0, r1 = node_at(moto, 2, -1), node_at(moto, 2, 0)
    assert moto.has_edge(r1, r0) and not moto.has_edge(r0, r1)  # R: -1
    geom = moto.edges[r1, r0, 0]["geometry"]
    assert geom.coords[0] == p(2, 0)
    assert walk.has_edge(s, n) and walk.has_edge(n, s)
    assert walk.has_edge(r0, r1) and walk.has_edge(r1, r0)
    assert not any(d["oneway"] for *_, d in walk.edges(data=True))
    assert walk.edges[n, s, 0]["geometry"].coords[0] == p(2, 1)
    # toll road: cars yes, motorcycles and pedestrians no
    assert any(d["highway"] == "motorway" for *_, d in car.edges(data=True))
    assert not any(d["highway"] == "motorway" for *_, d in moto.edges(data=True))
    assert not any(d["highway"] == "motorway" for *_, d in walk.edges(data=True))
    assert moto_report.forbidden_edges == 1  # M is one-way: one directed edge


def test_largest_scc_and_report(toy_lines: Path) -> None:
    graph, report = build_graph(toy_lines, profile="car")
    assert node_at(graph, 10, 10) is None  # the island
    assert node_at(graph, -1, 0) is None  # one-way dead end: no way back
    # the island (2 nodes, 2 edges) and the dead end (1 node, 1 edge); the one-way toll
    # road M is one edge (its bend (0,-2) is no junction) that rejoins the network
    assert report.dropped_components == 2
    assert report.dropped_nodes == 3
    assert report.dropped_edges == 3
    assert any(d["highway"] == "motorway" for *_, d in graph.edges(data=True))
    assert report.raw_nodes == graph.number_of_nodes() + report.dropped_nodes
    assert (report.nodes, report.edges) == (graph.number_of_nodes(), graph.number_of_edges())
    assert graph.graph["source"] == "toy_roads.geojson"
    assert graph.graph["profile"] == "car"
    assert nx.is_strongly_connected(graph)
    text = str(report)
    assert "toy_roads.geojson" in text and "profile car" in text and "dropped" in text
    for _, _, d in graph.edges(data=True):
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6))
    assert isinstance(report, BuildReport) and report.seconds > 0
    assert set(report.stage_seconds) == {"read", "profile", "ferries", "directions", "components"}


def test_rbi_gpkg_preset_projected_multilines(tmp_path: Path) -> None:
    utm = "EPSG:32748"  # UTM 48S, Lampung
    pts = gpd.GeoSeries(shapely.points([p(0, 0), p(1, 0), p(1, 1), p(0, 1)]), crs="EPSG:4326")
    a, b, c, d = (tuple(map(float, q.coords[0])) for q in pts.to_crs(utm))
    frame = gpd.GeoDataFrame(
        {
            "REMARK": ["Jalan Lokal", "Jalan Lain", "Jalan Setapak", "Jalan Kolektor"],
            "LCODE": ["CA0080"] * 4,
        },
        geometry=[
            MultiLineString([[a, b]]),
            MultiLineString([[b, c]]),
            MultiLineString([[c, d]]),
            MultiLineString([[d, a]]),
        ],
        crs=utm,
    )
    path = tmp_path / "rbi.gpkg"
    frame.to_file(path, layer="jalan", driver="GPKG")
    walk, walk_report = build_graph(path, profile="walk", layer="jalan")
    moto, moto_report = build_graph(path, profile="motorcycle")
    assert walk_report.preset == moto_report.preset == "rbi"
    assert_graph_contract(walk)
    assert {d["highway"] for *_, d in walk.edges(data=True)} == {
        "tertiary",
        "unclassified",
        "path",
        "secondary",
    }
    # Jalan Setapak: ridden by motorcycles at the profile's path speed, barred for cars
    car, _ = build_graph(path, profile="car")
    assert {d["speed_kph"] for *_, d in moto.edges(data=True) if d["highway"] == "path"} == {10.0}
    assert "path" not in {d["highway"] for *_, d in car.edges(data=True)}
    assert walk.number_of_edges() == moto.number_of_edges() == 8 and car.number_of_edges() == 6
    assert node_at(walk, 1, 1) is not None  # reprojected back to lon/lat
    # an explicit mapping overrides the detected preset
    _, plain = build_graph(path, profile="walk", preset="rbi", columns={"highway": "REMARK"})
    assert plain.preset == "rbi"


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="handwritten">
  <node id="1" lat="-5.870" lon="105.750"/>
  <node id="2" lat="-5.870" lon="105.752"/>
  <node id="3" lat="-5.870" lon="105.754"><tag k="amenity" v="ferry_terminal"/></node>
  <node id="4" lat="-5.872" lon="105.752"/>
  <node id="11" lat="-5.930" lon="105.990"/>
  <node id="12" lat="-5.930" lon="105.992"/>
  <node id="13" lat="-5.930" lon="105.994"/>
  <node id="20" lat="-5.900" lon="105.870"/>
  <node id="21" lat="-5.8705" lon="105.7495"/>
  <node id="22" lat="-5.9305" lon="105.9925"/>
  <node id="23" lat="-5.900" lon="105.880"/>
  <node id="30" lat="-5.871" lon="105.751"/>
  <node id="31" lat="-5.871" lon="105.7512"/>
  <node id="32" lat="-5.8712" lon="105.7512"/>
  <way id="100">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="name" v="Jalan Lintas Sumatera"/>
    <tag k="maxspeed" v="40"/>
  </way>
  <way id="101">
    <nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/>
  </way>
  <way id="102">
    <nd ref="4"/><nd ref="3"/>
    <tag k="highway" v="residential"/>
  </way>
  <way id="110">
    <nd ref="11"/><nd ref="12"/>
    <tag k="highway" v="secondary"/><tag k="name" v="Jalan Merak"/>
  </way>
  <way id="111">
    <nd ref="12"/><nd ref="13"/>
    <tag k="highway" v="motorway"/><tag k="name" v="Tol Tangerang-Merak"/>
  </way>
  <way id="200">
    <nd ref="3"/><nd ref="20"/><nd ref="11"/>
    <tag k="route" v="ferry"/><tag k="name" v="Bakauheni-Merak"/>
    <tag k="duration" v="02:00"/><tag k="motor_vehicle" v="yes"/>
  </way>
  <way id="201">
    <nd ref="21"/><nd ref="23"/><nd ref="22"/>
    <tag k="route" v="ferry"/><tag k="name" v="Kapal Cepat"/>
  </way>
  <way id="300">
    <nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="30"/>
    <tag k="building" v="yes"/>
  </way>
  <way id="301">
    <nd ref="30"/><nd ref="31"/>
    <tag k="highway" v="construction"/>
  </way>
</osm>
"""


@pytest.fixture
def toy_osm(tmp_path: Path) -> Path:
    path = tmp_path / "selat_sunda.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def test_osm_xml_with_ferries(toy_osm: Path) -> None:
    graph, report = build_graph(toy_osm, profile="motorcycle")
    assert_graph_contract(graph)
    assert report.input_format == "osm"
    assert report.ferry_ways_parsed == 2
    ferries = [(u, v, d) for u, v, d in graph.edges(data=True) if d["ferry"]]
    assert len(ferries) == 4 == report.ferry_edges  # two ways, both directions
    assert all(d["highway"] == "ferry" for *_, d in ferries)
    main = [(u, v, d) for u, v, d in ferries if d["name"] == "Bakauheni-Merak"]
    assert {(u, v) for u, v, _ in main} == {(3, 11), (11, 3)}
    assert all(d["travel_time"] == pytest.approx(7200.0) for *_, d in main)  # duration tag
    # way 201 ends near, not on, roads: connected by short connectors
    assert report.ferry_connectors == 4
    assert graph.has_edge(21, 1) and graph.has_edge(1, 21)
    assert graph.has_edge(22, 12) and graph.has_edge(12, 22)
    fast = [d for *_, d in ferries if d["name"] == "Kapal Cepat"]
    assert fast[0]["speed_kph"] == pytest.approx(15.0)
    # Merak side only reachable by ferry, but kept in the SCC
    assert 11 in graph and 12 in graph
    assert nx.is_strongly_connected(graph)
    # oneway, toll road, buildings and construction
    assert graph.has_edge(2, 4) and not graph.has_edge(4, 2)
    assert 13 not in graph
    assert not ({30, 31, 32} & set(graph.nodes))
    # maxspeed lowers the class speed; name joined, highway a str
    primary = graph.edges[1, 2, 0] if graph.has_edge(1, 2) else graph.edges[1, 3, 0]
    assert primary["speed_kph"] == 40.0
    assert primary["name"] == "Jalan Lintas Sumatera"


def test_osm_xml_walk_and_bz2(toy_osm: Path, tmp_path: Path) -> None:
    packed = tmp_path / "selat_sunda.osm.bz2"
    packed.write_bytes(bz2.compress(toy_osm.read_bytes()))
    walk, report = build_graph(packed, profile="walk")
    assert_graph_contract(walk)
    assert walk.has_edge(2, 4) and walk.has_edge(4, 2)
    assert report.ferry_edges == 4
    car, _ = build_graph(toy_osm, profile="car")
    assert 13 in car  # toll road open to cars


def test_osm_xml_without_roads(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_text('<osm version="0.6"><node id="1" lat="0" lon="0"/></osm>')
    with pytest.raises(GraphBuildError, match="no routable ways"):
        build_graph(path)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way")
    with pytest.raises(GraphBuildError, match="cannot read"):
        build_graph(broken)


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
@pytest.mark.parametrize("fixture", ["jakarta_build_car", "jakarta_build_motorcycle"])
def test_jakarta_real_roads(fixture: str, request: pytest.FixtureRequest) -> None:
    graph, report = request.getfixturevalue(fixture)
    assert 25_000 <= graph.number_of_nodes() <= 36_000
    assert 30_000 <= report.raw_nodes <= 36_000  # ~34k after noding at shared vertices
    assert report.seconds < 60
    assert nx.is_strongly_connected(graph)
    assert report.dropped_components > 0
    highways = {d for *_, d in graph.edges(data="highway")}
    if report.profile == "motorcycle":
        assert not highways & {"motorway", "motorway_link", "footway"}
    else:
        assert "motorway" in highways
    sample = graph.edge_subgraph(list(graph.edges(keys=True))[:3000]).copy()
    sample.graph.update(graph.graph)
    assert_graph_contract(sample)


@pytest.mark.shared_data
def test_jakarta_bridges_are_not_noded(
    jakarta_roads_path: Path, jakarta_graph_car: nx.MultiDiGraph
) -> None:
    lines = gpd.read_file(jakarta_roads_path).geometry.to_numpy()
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="crosses")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    assert len(left) > 1000  # the data has >1,300 crossings without a shared vertex
    keys = {(round(d["x"], 7), round(d["y"], 7)) for _, d in jakarta_graph_car.nodes(data=True)}
    checked = 0
    for i, j in zip(left, right, strict=True):
        point = shapely.intersection(lines[i], lines[j])
        if point.geom_type != "Point":
            continue
        vertices = np.round(shapely.get_coordinates(lines[[i, j]]), 7)
        x, y = round(point.x, 7), round(point.y, 7)
        if np.any(np.all(vertices == (x, y), axis=1)):
            continue  # crossing at a vertex of one line: not a pure bridge
        assert (x, y) not in keys, f"lines {i} and {j} were joined where they only cross"
        checked += 1
    assert checked > 1000


@pytest.mark.shared_data
def test_lampung_rbi_roads(rbi_roads_path: Path) -> None:
    moto, moto_report = build_graph(rbi_roads_path, profile="motorcycle")
    walk, walk_report = build_graph(rbi_roads_path, profile="walk")
    _, car_report = build_graph(rbi_roads_path, profile="car")
    assert moto_report.preset == walk_report.preset == "rbi"
    assert_graph_contract(moto)
    assert moto.number_of_nodes() > 2000
    # Jalan Setapak (path) is open to walkers and motorcycles and closed to cars, so the
    # car build removes exactly the setapak edges and the others none.
    raw, _ = read_lines(rbi_roads_path)
    setapak = sum(1 for *_, h in raw.edges(data="highway") if h == "path")
    assert setapak > 0
    assert car_report.forbidden_edges == setapak
    assert moto_report.forbidden_edges == walk_report.forbidden_edges == 0
    assert {"primary", "secondary", "tertiary", "unclassified"} <= {
        h for *_, h in walk.edges(data="highway")
    }


@pytest.mark.shared_data
def test_helsinki_pbf(helsinki_pbf_path: Path) -> None:
    car, report = build_graph(helsinki_pbf_path, profile="car")
    assert_graph_contract(car)
    assert report.input_format == "pbf"
    assert car.number_of_nodes() > 500
    assert nx.is_strongly_connected(car)
    # The extract's one route=ferry way (JT-Line to Suomenlinna) is parsed, but the clip
    # of the extract leaves it a single point, so it cannot become an edge.
    assert report.ferry_ways_parsed >= 1
    if report.ferry_ways_skipped == report.ferry_ways_parsed:
        assert report.ferry_edges == 0
    walk, walk_report = build_graph(helsinki_pbf_path, profile="walk")
    assert walk.number_of_nodes() > car.number_of_nodes()
    assert "footway" in {h for *_, h in walk.edges(data="highway")}
    assert "footway" not in {h for *_, h in car.edges(data="highway")}
    assert walk_report.seconds < 30
