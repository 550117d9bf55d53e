"""Compiled graph arrays: layout, parallel edges, geometry, save/load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from routing.compiled import (
    FORMAT_VERSION,
    CompiledGraph,
    compile_graph,
    load_compiled,
    save_compiled,
)
from routing.errors import CompiledGraphError

NODES = {10: (105.0, -5.0), 20: (105.01, -5.0), 30: (105.01, -5.01)}


def _graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", profile="motorcycle")
    for n, (x, y) in NODES.items():
        G.add_node(n, x=x, y=y)

    def add(u: int, v: int, tt: float, name: str, mid: list[tuple[float, float]] | None = None):
        coords = [NODES[u], *(mid or []), NODES[v]]
        G.add_edge(
            u,
            v,
            length=tt * 10,
            travel_time=tt,
            speed_kph=36.0,
            highway="primary",
            name=name,
            ferry=False,
            oneway=False,
            geometry=LineString(coords),
        )

    add(10, 20, 10.0, "Jalan Slow")
    add(10, 20, 5.0, "Jalan Fast", [(105.005, -4.999)])  # parallel, faster, 3 vertices
    add(20, 10, 7.0, "Jalan Fast")
    add(20, 30, 3.0, "")
    add(30, 10, 4.0, "Jalan Kembali", [(105.004, -5.006), (105.002, -5.003)])
    G.edges[30, 10, 0]["ferry"] = True
    G.edges[30, 10, 0]["ferry_link_id"] = 4
    return G


@pytest.fixture(scope="module")
def cg() -> CompiledGraph:
    return compile_graph(_graph())


def test_layout(cg: CompiledGraph) -> None:
    assert cg.profile == "motorcycle"
    assert cg.node_ids.tolist() == [10, 20, 30]
    assert cg.n_edges == 5  # parallel edges are all kept
    assert cg.indptr.tolist() == [0, 2, 4, 5]
    assert np.all(np.diff(cg.edge_tail) >= 0)
    assert cg.node_lon.dtype == np.float64 and cg.edge_head.dtype == np.int32
    assert cg.node_index([30, 10]).tolist() == [2, 0]
    with pytest.raises(KeyError):
        cg.node_index([99])


def test_parallel_edges_min_time_wins(cg: CompiledGraph) -> None:
    m = cg.matrix.toarray()
    assert m[0, 1] == 5.0  # not 15.0: duplicates are not summed
    best = int(cg.best_edges([0], [1])[0])
    assert cg.edge_time[best] == 5.0
    assert cg.names[cg.edge_name[best]] == "Jalan Fast"
    assert cg.best_edges([1], [2]).tolist() != [-1]
    assert cg.best_edges([2], [1]).tolist() == [-1]
    assert cg.matrix.nnz == 4
    rev = cg.matrix_reversed.toarray()
    assert rev[1, 0] == 5.0 and rev[0, 2] == 4.0
    # reverse of the fast 10->20 edge is 20->10
    assert cg.edge_time[cg.edge_reverse[best]] == 7.0


def test_geometry_offsets(cg: CompiledGraph) -> None:
    assert cg.geom_offsets[0] == 0 and cg.geom_offsets[-1] == cg.geom_coords.shape[0]
    G = _graph()
    for e in range(cg.n_edges):
        u, v = int(cg.node_ids[cg.edge_tail[e]]), int(cg.node_ids[cg.edge_head[e]])
        expected = {
            tuple(map(tuple, d["geometry"].coords))
            for d in G.get_edge_data(u, v).values()
            if d["travel_time"] == cg.edge_time[e]
        }
        coords = tuple(map(tuple, cg.edge_coords(e).tolist()))
        assert coords in expected
        assert coords[0] == NODES[u] and coords[-1] == NODES[v]
    ferry = np.flatnonzero(cg.edge_ferry)
    assert ferry.tolist() == [4] and cg.edge_ferry_link[4] == 4
    assert cg.edge_coords(4).shape == (4, 2)
    assert set(cg.edge_ferry_link.tolist()) == {-1, 4}


def test_round_trip(cg: CompiledGraph, tmp_path: Path) -> None:
    path = save_compiled(cg, tmp_path / "g.lgraph")
    assert path == tmp_path / "g.lgraph" and path.exists()
    back = load_compiled(path)
    assert back.profile == cg.profile
    for f in dataclasses.fields(CompiledGraph):
        a, b = getattr(cg, f.name), getattr(back, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, f.name
            np.testing.assert_array_equal(a, b, err_msg=f.name)
    assert (back.matrix != cg.matrix).nnz == 0


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    with bad.open("wb") as fh:
        np.savez(fh, a=np.arange(3))
    with pytest.raises(CompiledGraphError, match="not a lampung-geo compiled graph"):
        load_compiled(bad)
    cg = compile_graph(_graph())
    path = save_compiled(cg, tmp_path / "old.npz")
    with np.load(path) as z:
        arrays = dict(z)
    arrays["format_version"] = np.array(FORMAT_VERSION + 1)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(CompiledGraphError, match="format"):
        load_compiled(path)


def test_compile_validates() -> None:
    G = nx.MultiDiGraph()
    with pytest.raises(CompiledGraphError, match="empty"):
        compile_graph(G)
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=1.0, y=0.0)
    G.add_edge(1, 2, length=1.0, travel_time=0.0)
    with pytest.raises(CompiledGraphError, match="travel_time"):
        compile_graph(G)
    G = nx.MultiDiGraph()
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=1.0, y=0.0)
    G.add_edge(1, 2, length=1.0)
    with pytest.raises(CompiledGraphError, match="travel_time"):
        compile_graph(G)


def test_missing_geometry_is_straight() -> None:
    G = nx.MultiDiGraph()
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=1.0, y=2.0)
    G.add_edge(1, 2, length=1.0, travel_time=1.0)
    cg = compile_graph(G)
    assert cg.edge_coords(0).tolist() == [[0.0, 0.0], [1.0, 2.0]]
    assert cg.names.tolist() == [""] and cg.profile == ""


@pytest.mark.shared_data
def test_jakarta_compile_and_load_fast(jakarta_graph_car: nx.MultiDiGraph, tmp_path: Path) -> None:
    import time

    cg = compile_graph(jakarta_graph_car)
    assert cg.n_nodes == jakarta_graph_car.number_of_nodes()
    assert cg.n_edges == jakarta_graph_car.number_of_edges()
    path = save_compiled(cg, tmp_path / "jakarta.npz")
    start = time.perf_counter()
    back = load_compiled(path)
    assert time.perf_counter() - start < 0.5
    np.testing.assert_array_equal(back.geom_coords, cg.geom_coords)
