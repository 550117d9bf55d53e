"""Graphs from several road files (hand-made files): joins, components, loops, missing .dbf."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString

from geo_api.networks import build_network_file
from routing.build import build_graph
from routing.compiled import load_compiled
from routing.errors import GraphBuildError
from tests.routing.conftest import assert_graph_contract

X0, Y0, D = 105.30, -5.10, 0.001  # ~110 m grid near Kota Metro
M = 1.0 / 110_574.0  # about one metre of latitude, in degrees, here
GEOD = Geod(ellps="WGS84")


def p(i: float, j: float, north_m: float = 0.0) -> tuple[float, float]:
    return (round(X0 + i * D, 7), round(Y0 + j * D + north_m * M, 7))


def write(path: Path, rows: list[tuple[str, list[tuple[float, float]]]], **cols: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"highway": [r[0] for r in rows], **cols},
        geometry=[LineString(r[1]) for r in rows],
        crs="EPSG:4326",
    )
    frame.to_file(path, driver="GeoJSON" if path.suffix == ".geojson" else "ESRI Shapefile")
    return path


def node_at(graph: nx.MultiDiGraph, xy: tuple[float, float]) -> int | None:
    for n, d in graph.nodes(data=True):
        if abs(d["x"] - xy[0]) < 1e-9 and abs(d["y"] - xy[1]) < 1e-9:
            return int(n)
    return None


def connected(graph: nx.MultiDiGraph, a: tuple[float, float], b: tuple[float, float]) -> bool:
    u, v = node_at(graph, a), node_at(graph, b)
    return u is not None and v is not None and nx.has_path(graph, u, v)


@pytest.fixture
def two_files(tmp_path: Path) -> list[Path]:
    """Two files named alike; each row of the grid tests one rule.

    row 0: A ends at (1,0), B starts 0.5 m north of it         -> joined
    row 1: A ends at (1,1), B starts 3 m north of it           -> not joined (1 m default)
    row 2: two lines of A, ends 0.5 m apart                    -> never joined (same file)
    row 3: A runs west-east, B crosses it south-north at (1,3) -> never joined (crossing)
    all of B is tied together by a north-south line at x=2 (rows 0..3), A by x=0.
    """
    a = write(
        tmp_path / "a" / "roads.geojson",
        [
            ("residential", [p(0, 0), p(1, 0)]),
            ("residential", [p(0, 1), p(1, 1)]),
            ("residential", [p(0, 2), p(0.5, 2), p(1, 2)]),
            ("residential", [p(1, 2, 0.5), p(1.5, 2, 0.5)]),
            ("residential", [p(0, 3), p(1, 3), p(2, 3)]),
            ("residential", [p(0, 0), p(0, 1), p(0, 2), p(0, 3)]),
        ],
    )
    b = write(
        tmp_path / "b" / "roads.geojson",
        [
            ("residential", [p(1, 0, 0.5), p(2, 0)]),
            ("residential", [p(1, 1, 3.0), p(2, 1)]),
            ("residential", [p(1, 2.5), p(1, 3.5)]),
            ("residential", [p(1, 3.5), p(2, 3.5)]),
            ("residential", [p(1, 2.5), p(2, 2.5)]),
            ("residential", [p(2, 0), p(2, 1), p(2, 2.5), p(2, 3.5)]),
        ],
    )
    return [a, b]


def test_join_rules(two_files: list[Path]) -> None:
    graph, report = build_graph(two_files, profile="car", min_component_km=0)
    assert_graph_contract(graph)
    assert report.joins == 1
    assert [s.joins for s in report.sources] == [1, 1]
    assert [s.label for s in report.sources] == ["a/roads.geojson", "b/roads.geojson"]
    assert graph.graph["sources"] == ["a/roads.geojson", "b/roads.geojson"]
    # row 0 joined at A's end (the first file keeps its coordinates exactly)
    joint = node_at(graph, p(1, 0))
    assert joint is not None and node_at(graph, p(1, 0, 0.5)) is None
    assert {graph.edges[e]["source_index"] for e in graph.in_edges(joint, keys=True)} == {0, 1}
    # row 1: 3 m apart, not joined, but reported as a near miss
    assert node_at(graph, p(1, 1)) is not None and node_at(graph, p(1, 1, 3.0)) is not None
    assert any("not joined" in n and "3.0 m" in n for n in report.notes)
    # row 2: same-file ends 0.5 m apart stay apart
    assert node_at(graph, p(1, 2)) is not None and node_at(graph, p(1, 2, 0.5)) is not None
    # row 3: the crossing is no node; each crossing line stays one edge per direction
    assert node_at(graph, p(1, 3)) is None
    west, east = node_at(graph, p(0, 3)), node_at(graph, p(2, 3))
    south, north = node_at(graph, p(1, 2.5)), node_at(graph, p(1, 3.5))
    assert graph.has_edge(west, east) and graph.has_edge(east, west)
    assert graph.has_edge(south, north) and graph.has_edge(north, south)
    # the two files are one network only through row 0
    assert connected(graph, p(0, 3), p(2, 3.5))
    cut = graph.copy()
    cut.remove_node(joint)
    assert not connected(cut, p(0, 3), p(2, 3.5))
    # every kept component is strongly connected on its own and no edge links two
    comps = list(nx.strongly_connected_components(graph))
    assert len(comps) == len(report.kept_components)


def test_join_tolerance_option(two_files: list[Path]) -> None:
    _, wide = build_graph(two_files, profile="car", join_tolerance_m=5.0, min_component_km=0)
    assert wide.joins == 2  # row 1 (3 m) joins too; row 2 (same file) never
    _, exact = build_graph(two_files, profile="car", join_tolerance_m=0.0, min_component_km=0)
    assert exact.joins == 0
    with pytest.raises(GraphBuildError, match="join_tolerance_m"):
        build_graph(two_files, join_tolerance_m=-1.0)


def test_labels_and_bad_inputs(two_files: list[Path], tmp_path: Path) -> None:
    _, report = build_graph(two_files, labels=["Kab. A", "Kab. B"], min_component_km=0)
    assert [s.label for s in report.sources] == ["Kab. A", "Kab. B"]
    assert report.source == "Kab. A, Kab. B"
    text = str(report)
    assert "Kab. A" in text and "km read" in text and "joins" in text
    with pytest.raises(GraphBuildError, match="one per file"):
        build_graph(two_files, labels=["only one"])
    with pytest.raises(GraphBuildError, match="unique"):
        build_graph(two_files, labels=["x", "x"])
    with pytest.raises(GraphBuildError, match="twice"):
        build_graph([two_files[0], two_files[0]])
    with pytest.raises(GraphBuildError, match="no road file"):
        build_graph([])
    osm = tmp_path / "x.osm"
    osm.write_text("<osm/>")
    with pytest.raises(GraphBuildError, match="one file at a time"):
        build_graph([two_files[0], osm])
    with pytest.raises(GraphBuildError, match="preset: 1 given for 2"):
        build_graph(two_files, preset=["osm"])


def test_components_kept_and_dropped(tmp_path: Path) -> None:
    """Two separate networks (~1 km and ~0.2 km) and a 100 m island."""
    big = [p(i, 0) for i in range(10)]
    rows = [
        ("residential", big),
        ("residential", [p(20, 0), p(21, 0), p(21, 1)]),
        ("residential", [p(40, 0), p(40, 1)]),
    ]
    path = write(tmp_path / "roads.geojson", rows)
    length_km = [GEOD.geometry_length(LineString(r[1])) / 1000 for r in rows]
    _, report = build_graph(path, profile="car", min_component_km=0.15)
    assert len(report.kept_components) == 2
    assert [c.km for c in report.kept_components] == pytest.approx(length_km[:2], rel=1e-9)
    assert report.dropped_components == 1
    rec = report.sources[0]
    assert rec.km_read == pytest.approx(sum(length_km), rel=1e-9)
    assert rec.km_kept == pytest.approx(sum(length_km[:2]), rel=1e-9)
    assert rec.km_dropped == pytest.approx(length_km[2], rel=1e-9)
    assert len(rec.largest_dropped) == 1
    frag = rec.largest_dropped[0]
    assert frag.km == pytest.approx(length_km[2], rel=1e-9)
    assert shapely.Point(frag.lon, frag.lat).distance(LineString(rows[2][1])) < 1e-9
    # 0.11 of 1.42 km outside: under the 10 % warning; the largest is always kept
    assert not rec.warnings
    _, strict = build_graph(path, profile="car", min_component_km=100)
    assert len(strict.kept_components) == 1
    assert strict.kept_components[0].km == pytest.approx(length_km[0], rel=1e-9)
    assert strict.sources[0].outside_share > 0.1
    assert any("outside the kept network" in w for w in strict.warnings)


def _mirrored(graph: nx.MultiDiGraph, u: int, v: int) -> None:
    """Every u->v edge has a v->u edge with exactly the reversed coordinates."""
    forward = [list(d["geometry"].coords) for d in graph.get_edge_data(u, v).values()]
    back = [list(d["geometry"].coords)[::-1] for d in graph.get_edge_data(v, u).values()]
    assert sorted(forward) == sorted(back)


def test_loop_road_split_and_mirrored(tmp_path: Path) -> None:
    """A closed road touching a street at one vertex (both ways), and a one-way loop."""
    ring = [p(3, 0), p(3.5, 0.5), p(3, 1.2), p(2.5, 0.5), p(3, 0)]
    one_way_ring = [p(6, 0), p(6.3, -0.4), p(5.7, -0.4), p(6, 0)]
    path = write(
        tmp_path / "roads.geojson",
        [
            ("residential", [p(0, 0), p(3, 0), p(6, 0)]),
            ("residential", ring),
            ("residential", one_way_ring),
        ],
        oneway=[None, None, "yes"],
    )
    graph, report = build_graph(path, profile="motorcycle", min_component_km=0)
    assert_graph_contract(graph)
    assert report.self_loops_split == 3  # both directions of the ring, one of the one-way loop
    assert not any(u == v for u, v in graph.edges())
    hub, far = node_at(graph, p(3, 0)), node_at(graph, p(3, 1.2))  # farthest vertex
    assert hub is not None and far is not None
    assert graph.number_of_edges(hub, far) == graph.number_of_edges(far, hub) == 2
    _mirrored(graph, hub, far)
    ring_km = GEOD.geometry_length(LineString(ring)) / 1000
    halves = [d["length"] for d in graph.get_edge_data(hub, far).values()]
    assert sum(halves) == pytest.approx(ring_km * 1000, rel=1e-9)
    # a house on the loop can be reached and left
    assert nx.has_path(graph, node_at(graph, p(0, 0)), far)
    assert nx.has_path(graph, far, node_at(graph, p(0, 0)))
    # one-way loop: split at its farthest vertex, one direction only
    hub2 = node_at(graph, p(6, 0))
    far2 = node_at(graph, p(5.7, -0.4))  # ties with (6.3,-0.4): the smaller lon wins
    assert graph.has_edge(hub2, far2) and graph.has_edge(far2, hub2)
    assert all(d["oneway"] for d in graph.get_edge_data(hub2, far2).values())
    assert graph.number_of_edges(hub2, far2) == 1 == graph.number_of_edges(far2, hub2)
    # the compiled graph keeps all of it (no self-loop left to drop)
    out = tmp_path / "motorcycle.npz"
    report2, compiled, _ = build_network_file(path, out, profile="motorcycle", min_component_km=0)
    assert compiled.n_edges == graph.number_of_edges() == load_compiled(out).n_edges
    assert report2.self_loops_split == 3


def test_twins_are_exact_reverses(two_files: list[Path]) -> None:
    graph, _ = build_graph(two_files, profile="motorcycle", min_component_km=0)
    for u, v, d in graph.edges(data=True):
        if not d["oneway"]:
            back = [list(e["geometry"].coords)[::-1] for e in graph.get_edge_data(v, u).values()]
            assert list(d["geometry"].coords) in back


def test_shapefile_without_dbf(tmp_path: Path) -> None:
    rows = [
        ("Jalan Lain", [p(0, 0), p(1, 0), p(2, 0)]),
        ("Jalan Lokal", [p(1, 0), p(1, 1)]),
    ]
    folder = tmp_path / "mesuji"
    shp = write(folder / "JALAN_LN_50K.shp", rows, REMARK=[r[0] for r in rows])
    dbf = (folder / "JALAN_LN_50K.dbf").read_bytes()
    (folder / "JALAN_LN_50K.dbf").unlink()
    assert sorted(f.suffix for f in folder.iterdir()) == [".cpg", ".prj", ".shp", ".shx"]
    graph, report = build_graph(shp, profile="car", min_component_km=0)
    assert {h for *_, h in graph.edges(data="highway")} == {"unclassified"}
    rec = report.sources[0]
    assert rec.missing_dbf == "JALAN_LN_50K.dbf" and rec.default_class == "unclassified"
    assert rec.preset == "none" and rec.features == 2
    assert len(report.warnings) == 1
    assert "JALAN_LN_50K.dbf" in report.warnings[0] and "'unclassified'" in report.warnings[0]
    assert "WARNING" in str(report)
    track, _ = build_graph(shp, profile="car", default_class="track", min_component_km=0)
    assert {h for *_, h in track.edges(data="highway")} == {"track"}
    with pytest.raises(GraphBuildError, match=r"JALAN_LN_50K\.dbf is missing") as info:
        build_graph(shp, default_class=None)
    assert "\n" not in str(info.value)
    with pytest.raises(GraphBuildError, match="not a routable"):
        build_graph(shp, default_class="construction")
    # the sibling is found case-insensitively (old DOS deliveries: .DBF) and read
    (folder / "JALAN_LN_50K.DBF").write_bytes(dbf)
    found, found_report = build_graph(shp, profile="car", default_class=None, min_component_km=0)
    assert {h for *_, h in found.edges(data="highway")} == {"unclassified", "tertiary"}
    assert found_report.sources[0].preset == "rbi" and not found_report.warnings


def test_z_coordinates_dropped(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"REMARK": ["Jalan Lain", "Jalan Setapak"]},
        geometry=[
            LineString([(*p(0, 0), 12.0), (*p(1, 0), 14.0)]),
            LineString([(*p(1, 0), 14.0), (*p(1, 1), 0.0)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "JALAN_LN_50K.shp"
    frame.to_file(path)
    graph, report = build_graph(path, profile="motorcycle", min_component_km=0)
    assert report.sources[0].dropped_dims == "Z"
    assert sum("Z coordinates dropped" in n for n in report.notes) == 1
    assert all(not d["geometry"].has_z for *_, d in graph.edges(data=True))
    # Jalan Setapak: motorcycles at the profile's path speed, cars and trucks never
    setapak = [d for *_, d in graph.edges(data=True) if d["highway"] == "path"]
    assert len(setapak) == 2 and {d["speed_kph"] for d in setapak} == {10.0}
    for name in ("car", "truck"):
        other, _ = build_graph(path, profile=name, min_component_km=0)
        assert "path" not in {h for *_, h in other.edges(data="highway")}
    out = tmp_path / "m.npz"
    lain, setapak_m = (GEOD.geometry_length(shapely.force_2d(g)) for g in frame.geometry)
    _, fast, _ = build_network_file(
        path, out, profile="motorcycle", min_component_km=0, motorcycle_path_speed_kph=14.0
    )
    # both roads two-way: unclassified at 30 km/h, setapak at the 14 km/h asked for
    expected = 2 * (lain / (30 / 3.6) + setapak_m / (14 / 3.6))
    assert float(fast.edge_time.sum()) == pytest.approx(expected, rel=1e-9)
    barred_report, barred, _ = build_network_file(
        path, out, profile="motorcycle", min_component_km=0, motorcycle_path_speed_kph=0
    )
    assert barred.n_edges == 2
    assert barred_report.sources[0].km_forbidden == pytest.approx(setapak_m / 1000, rel=1e-9)
    # the option never opens paths to cars
    car_report, car, _ = build_network_file(
        path, out, profile="car", min_component_km=0, motorcycle_path_speed_kph=14.0
    )
    assert car.n_edges == 2 and car_report.sources[0].km_forbidden > 0
