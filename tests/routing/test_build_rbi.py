"""One motorcycle graph from four real BIG RBI folders, checked against independent sums."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod

from routing.report import BuildReport
from tests.conftest import shared_file
from tests.routing.conftest import assert_graph_contract

pytestmark = pytest.mark.shared_data

FOLDERS = ("metro", "pringsewu", "pesawaran", "mesuji")
GEOD = Geod(ellps="WGS84")


def _shp(folder: str, layer: str = "JALAN_LN_50K") -> Path:
    return shared_file("lampung", "rbi", folder, f"{layer}.shp")


@pytest.fixture(scope="module")
def rbi_lines() -> dict[str, gpd.GeoDataFrame]:
    """Each folder's road lines as GDAL reads them (mesuji: geometry only)."""
    return {f: gpd.read_file(_shp(f)) for f in FOLDERS}


@pytest.fixture(scope="module")
def rbi_build(
    rbi_build_motorcycle: tuple[nx.MultiDiGraph, BuildReport],
) -> tuple[nx.MultiDiGraph, BuildReport]:
    return rbi_build_motorcycle


def _endpoints(frame: gpd.GeoDataFrame) -> np.ndarray:
    parts = shapely.force_2d(frame.geometry.explode(index_parts=False).to_numpy())
    return np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(parts, 0)),
            shapely.get_coordinates(shapely.get_point(parts, -1)),
        ]
    )


def _brute_force_joins(rbi_lines: dict[str, gpd.GeoDataFrame]) -> tuple[int, dict[int, int]]:
    """Join points: groups of endpoints of >= 2 files linked by pairs of different files <= 1 m.

    Every endpoint of one file is compared with every endpoint of every other file
    (in blocks, with a local metric approximation, then the exact geodesic distance);
    files whose endpoint boxes are more than ~2 m apart cannot have such pairs.
    """
    ends = [_endpoints(rbi_lines[f]) for f in FOLDERS]
    links = nx.Graph()
    for i in range(len(ends)):
        for j in range(i + 1, len(ends)):
            a, b = ends[i], ends[j]
            pad = 2.0 / 110_574.0 * 2
            if (a.min(0) - pad > b.max(0)).any() or (b.min(0) - pad > a.max(0)).any():
                continue
            for start in range(0, len(a), 2000):
                block = a[start : start + 2000]
                kx = 111_320.0 * np.cos(np.radians(block[:, 1]))[:, None]
                dx = (block[:, None, 0] - b[None, :, 0]) * kx
                dy = (block[:, None, 1] - b[None, :, 1]) * 110_574.0
                rows, cols = np.nonzero(dx * dx + dy * dy <= 2.0**2)
                for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                    pa, pb = block[r], b[c]
                    if GEOD.inv(pa[0], pa[1], pb[0], pb[1])[2] <= 1.0:
                        links.add_edge(
                            (i, round(pa[0], 7), round(pa[1], 7)),
                            (j, round(pb[0], 7), round(pb[1], 7)),
                        )
    groups = list(nx.connected_components(links))
    per_file: dict[int, int] = {}
    for group in groups:
        for f in {node[0] for node in group}:
            per_file[f] = per_file.get(f, 0) + 1
    return len(groups), per_file


def test_per_file_figures(
    rbi_build: tuple[nx.MultiDiGraph, BuildReport], rbi_lines: dict[str, gpd.GeoDataFrame]
) -> None:
    graph, report = rbi_build
    assert [s.label for s in report.sources] == [f"{f}/JALAN_LN_50K.shp" for f in FOLDERS]
    for rec, folder in zip(report.sources, FOLDERS, strict=True):
        frame = rbi_lines[folder]
        km = sum(GEOD.geometry_length(shapely.force_2d(g)) for g in frame.geometry) / 1000
        assert rec.features == len(frame)
        assert rec.km_read == pytest.approx(km, rel=1e-6)
        assert rec.km_kept + rec.km_dropped + rec.km_forbidden == pytest.approx(km, rel=1e-6)
        assert rec.dropped_dims == "Z"
        # kept km from the graph's own geometries, with the test's geodesic lengths
        kept = 0.0
        for _, _, d in graph.edges(data=True):
            if d["source_index"] == rec.index:
                share = 1.0 if d["oneway"] else 0.5
                kept += GEOD.geometry_length(d["geometry"]) * share / 1000
        assert rec.km_kept == pytest.approx(kept, rel=1e-6)
        assert len(rec.largest_dropped) <= 5
        assert [f.km for f in rec.largest_dropped] == sorted(
            (f.km for f in rec.largest_dropped), reverse=True
        )
    # motorcycles may use every RBI class, including Jalan Setapak
    assert report.forbidden_edges == 0
    assert sum("Z coordinates dropped" in n for n in report.notes) == 1


def test_joins_equal_brute_force(
    rbi_build: tuple[nx.MultiDiGraph, BuildReport], rbi_lines: dict[str, gpd.GeoDataFrame]
) -> None:
    _, report = rbi_build
    joins, per_file = _brute_force_joins(rbi_lines)
    assert report.joins == joins
    assert {s.index: s.joins for s in report.sources if s.joins} == per_file
    pringsewu, pesawaran = report.sources[1], report.sources[2]
    assert pringsewu.joins > 0 and pesawaran.joins > 0
    assert report.sources[0].joins == report.sources[3].joins == 0  # Metro, Mesuji touch no one


def _office(folder: str) -> tuple[float, float]:
    offices = gpd.read_file(_shp(folder, "PEMERINTAHAN_PT_50K"))
    row = offices[offices["NAMOBJ"] == f"Kantor Bupati {folder.capitalize()}"].iloc[0]
    return float(row.geometry.x), float(row.geometry.y)


def _nearest_own_node(graph: nx.MultiDiGraph, source: int, lonlat: tuple[float, float]) -> int:
    """The graph node nearest to lonlat among nodes whose edges all come from one file."""
    best, best_d = -1, np.inf
    for n, d in graph.nodes(data=True):
        touching = {e[3] for e in graph.edges(n, keys=True, data="source_index")}
        touching |= {e[3] for e in graph.in_edges(n, keys=True, data="source_index")}
        if touching != {source}:
            continue
        dist = GEOD.inv(d["x"], d["y"], *lonlat)[2]
        if dist < best_d:
            best, best_d = int(n), dist
    assert best_d < 2000
    return best


def test_route_across_the_pringsewu_pesawaran_border(
    rbi_build: tuple[nx.MultiDiGraph, BuildReport],
) -> None:
    graph, _ = rbi_build
    start = _nearest_own_node(graph, 1, _office("pringsewu"))
    goal = _nearest_own_node(graph, 2, _office("pesawaran"))
    for a, b in ((start, goal), (goal, start)):
        path = nx.shortest_path(graph, a, b, weight="length")
        sources = [
            min(graph.get_edge_data(u, v).values(), key=lambda d: d["length"])["source_index"]
            for u, v in itertools.pairwise(path)
        ]
        assert {1, 2} <= set(sources)
        assert set(sources) <= {1, 2}
        crossing = path[sources.index(2 if a == start else 1)]
        on_border = {e[3] for e in graph.edges(crossing, keys=True, data="source_index")} | {
            e[3] for e in graph.in_edges(crossing, keys=True, data="source_index")
        }
        assert on_border == {1, 2}  # a join point of the two files


def test_separate_kabupaten_all_kept(rbi_build: tuple[nx.MultiDiGraph, BuildReport]) -> None:
    graph, report = rbi_build
    assert_graph_contract(graph)
    metro, pringsewu, pesawaran, mesuji = report.sources
    for rec in (metro, mesuji, pringsewu, pesawaran):
        assert rec.km_kept > 0.9 * rec.km_read, rec.label
    # Metro, Mesuji and Pringsewu+Pesawaran are three separate kept networks
    by_sources = {c.sources for c in report.kept_components if c.km > 400}
    assert by_sources == {(0,), (1, 2), (3,)}
    comps = list(nx.strongly_connected_components(graph))
    assert len(comps) == len(report.kept_components) >= 3
    for comp in comps:
        assert nx.is_strongly_connected(graph.subgraph(comp))
    # no edge joins two kept components
    comp_of = {n: i for i, c in enumerate(comps) for n in c}
    assert all(comp_of[u] == comp_of[v] for u, v in graph.edges())
    # twins of two-way roads (split loops included) carry exactly reversed coordinates
    coords: dict[tuple[int, int], list[tuple[tuple[float, float], ...]]] = {}
    for u, v, d in graph.edges(data=True):
        coords.setdefault((u, v), []).append(tuple(d["geometry"].coords))
    for u, v, d in graph.edges(data=True):
        if not d["oneway"]:
            assert tuple(d["geometry"].coords)[::-1] in coords[(v, u)]
    assert report.self_loops_split > 0
    text = str(report)
    for f in FOLDERS:
        assert f"{f}/JALAN_LN_50K.shp" in text


def test_mesuji_without_dbf_gets_the_default_class(
    rbi_build: tuple[nx.MultiDiGraph, BuildReport],
) -> None:
    graph, report = rbi_build
    mesuji = report.sources[3]
    assert mesuji.missing_dbf == "JALAN_LN_50K.dbf"
    assert mesuji.default_class == "unclassified" and mesuji.preset == "none"
    assert [w for w in report.warnings if "JALAN_LN_50K.dbf is missing" in w] == mesuji.warnings
    assert "mesuji/JALAN_LN_50K.shp" in mesuji.warnings[0]
    classes = {d["highway"] for *_, d in graph.edges(data=True) if d["source_index"] == 3}
    assert classes == {"unclassified"}
    # the other folders keep their RBI classes; Jalan Lain is the class of most lines
    others = gpd.read_file(_shp("pesawaran"))["REMARK"].value_counts()
    assert others.index[0] == "Jalan Lain"
    assert "path" in {d["highway"] for *_, d in graph.edges(data=True) if d["source_index"] == 2}
