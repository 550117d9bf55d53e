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
    add(20, 10, 7.0, "Jalan Fast", [(105.005, -4.999)])  # its twin: the same line backwards
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
    # the twin of the fast 10->20 road is the same line run 20->10; the slow road
    # between the same junctions is one-way: it has no twin and borrows none
    twin = int(cg.edge_twin[best])
    assert cg.edge_time[twin] == 7.0 and int(cg.edge_twin[twin]) == best
    slow = int(np.flatnonzero(cg.edge_time == 10.0)[0])
    assert cg.edge_twin[slow] == -1


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
def test_jakarta_compile_and_load(jakarta_graph_car: nx.MultiDiGraph, tmp_path: Path) -> None:
    cg = compile_graph(jakarta_graph_car)
    assert cg.n_nodes == jakarta_graph_car.number_of_nodes()
    # every edge is kept except exact copies (same ends, same line), counted here directly
    distinct = {
        (u, v, tuple(d["geometry"].coords)) for u, v, d in jakarta_graph_car.edges(data=True)
    }
    assert cg.n_edges == len(distinct) < jakarta_graph_car.number_of_edges()
    path = save_compiled(cg, tmp_path / "jakarta.npz")
    back = load_compiled(path)
    np.testing.assert_array_equal(back.geom_coords, cg.geom_coords)
    np.testing.assert_array_equal(back.edge_twin, cg.edge_twin)


def test_old_format_graphs_are_skipped_with_a_reason(tmp_path: Path) -> None:
    from routing.network import load_networks

    cg = compile_graph(_graph())
    path = save_compiled(cg, tmp_path / "car.npz")
    save_compiled(cg, tmp_path / "walk.npz")
    with np.load(path) as z:
        arrays = dict(z)
    arrays["format_version"] = np.array(FORMAT_VERSION - 1)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    skipped: list[tuple[Path, str]] = []
    nets = load_networks(tmp_path, on_error=lambda p, e: skipped.append((p, str(e))))
    assert sorted(nets) == ["walk"]
    assert skipped and skipped[0][0] == path and "format" in skipped[0][1]
    with pytest.raises(CompiledGraphError, match="format"):
        load_networks(tmp_path)
    # a file that is not even an .npz (truncated, foreign) is skipped the same way
    (tmp_path / "truck.npz").write_bytes(b"not a zip file at all")
    skipped.clear()
    nets = load_networks(tmp_path, on_error=lambda p, e: skipped.append((p, str(e))))
    assert sorted(nets) == ["walk"]
    assert {p.name for p, _ in skipped} == {"car.npz", "truck.npz"}


def test_twins_pair_only_mirrored_lines_and_copies_collapse() -> None:
    """Twins need exactly reversed coordinates; identical copies are one (fastest) road."""
    from routing.compiled import distinct_roads, twin_edges

    a, b, m1, m2 = (0.0, 0.0), (1.0, 0.0), (0.5, 0.1), (0.5, -0.1)
    lines = [
        (0, 1, [a, m1, b]),  # 0: road P forwards
        (1, 0, [b, m1, a]),  # 1: road P backwards -> twin of 0
        (0, 1, [a, m2, b]),  # 2: road Q (another line between the same junctions), one-way
        (1, 0, [b, a]),  # 3: road R backwards only (straight), no twin
        (0, 1, [a, m1, b]),  # 4: a copy of road P forwards
        (1, 0, [b, m1, a]),  # 5: a copy of road P backwards
    ]
    tail = np.array([t for t, _, _ in lines])
    head = np.array([h for _, h, _ in lines])
    coords = np.array([c for *_, cs in lines for c in cs])
    offsets = np.concatenate([[0], np.cumsum([len(cs) for *_, cs in lines])])
    twin = twin_edges(tail, head, offsets, coords)
    assert twin[2] == -1 and twin[3] == -1
    assert {(0, int(twin[0])), (4, int(twin[4]))} == {(0, 1), (4, 5)} or {
        (0, int(twin[0])),
        (4, int(twin[4])),
    } == {(0, 5), (4, 1)}
    assert all(twin[twin[e]] == e for e in (0, 1, 4, 5))
    assert distinct_roads(tail, head, offsets, coords).tolist() == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
