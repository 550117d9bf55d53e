"""The network store (format 3): what is written, read back memory-mapped, and replaced.

Oracles: the format-2 compiled graph of today's build (``build_graph`` +
``compile_graph``, per profile) for the stored arcs, times and twins; plain Python
checks of the files for the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from routing.build import build_graph
from routing.compiled import compile_graph, load_compiled, save_compiled
from routing.store import (
    NETWORK_DIR,
    DerivedIndex,
    StoreError,
    read_network,
    read_profile,
    read_store,
    register_derived,
    unregister_derived,
    write_store,
)
from routing.stream_build import NetworkBuild, build_network
from tests.routing.stream_compare import assert_matches_format2
from tests.routing.test_build_multi import p, write


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Streets with a one-way line, a road digitised twice (two classes) and a loop."""
    return write(
        tmp_path / "src" / "roads.geojson",
        [
            ("residential", [p(0, 0), p(1, 0), p(2, 0)]),
            ("residential", [p(0, 0), p(0, 1), p(1, 1), p(2, 1), p(2, 0)]),
            ("tertiary", [p(1, 0), p(1, 0.5), p(1, 1)]),
            ("footway", [p(1, 0), p(1, 0.5), p(1, 1)]),  # the same line again
            ("residential", [p(2, 1), p(2.4, 1.5), p(2, 1.9), p(1.6, 1.5), p(2, 1)]),
            ("residential", [p(0, 1), p(-1, 1)]),
        ],
        oneway=[None, "yes", None, None, None, None],
    )


@pytest.fixture
def small_build(small: Path) -> NetworkBuild:
    return build_network(small, profiles=("car", "walk"), min_component_km=0)


def test_round_trip_and_layout(tmp_path: Path, small_build: NetworkBuild) -> None:
    folder = write_store(tmp_path / "graphs", small_build.base, small_build.profiles, meta={"x": 1})
    assert sorted(f.name for f in folder.iterdir()) == ["car.npz", "network", "walk.npz"]
    store = read_store(folder)
    net = store.network
    assert isinstance(net.edge_tail, np.memmap) and isinstance(net.geom_coords, np.memmap)
    n, m = net.n_nodes, net.n_arcs
    tail, head = np.asarray(net.edge_tail), np.asarray(net.edge_head)
    # CSR by tail, then head
    assert np.all(np.diff(tail) >= 0)
    assert np.array_equal(np.asarray(net.indptr), np.searchsorted(tail, np.arange(n + 1)))
    same = tail[1:] == tail[:-1]
    assert np.all(head[1:][same] >= head[:-1][same])
    # every line runs between its nodes; twins are exact reverses, both ways
    off, xy = np.asarray(net.geom_offsets), np.asarray(net.geom_coords)
    twin = np.asarray(net.edge_twin)
    for e in range(m):
        line = xy[off[e] : off[e + 1]]
        assert tuple(line[0]) == (net.node_lon[tail[e]], net.node_lat[tail[e]])
        assert tuple(line[-1]) == (net.node_lon[head[e]], net.node_lat[head[e]])
        t = int(twin[e])
        assert t >= 0  # both directions of every road are stored
        assert twin[t] == e and np.array_equal(xy[off[t] : off[t + 1]], line[::-1])
    # the road digitised twice is one arc per direction now
    keys = {(int(tail[e]), int(head[e]), xy[off[e] : off[e + 1]].tobytes()) for e in range(m)}
    assert len(keys) == m
    meta = json.loads((folder / NETWORK_DIR / "meta.json").read_text())
    assert meta["format_version"] == 3 and meta["build"] == {"x": 1}
    assert meta["counts"]["copies_collapsed"] == 4  # 2 pieces (noded at p(1, 0.5)) x 2 ways
    assert set(meta["derived"]) == {"cch_order", "snap"}
    assert {v["status"] for v in meta["derived"].values()} == {"built"}  # builders exist
    assert meta["profiles"]["car"]["report"]["profile"] == "car"
    assert store.profiles["walk"].settings["name"] == "walk"
    assert store.profiles["car"].edge_time.shape == (m,)


@pytest.mark.parametrize("profile", ["car", "walk"])
def test_profiles_equal_format2(
    tmp_path: Path, small: Path, small_build: NetworkBuild, profile: str
) -> None:
    folder = write_store(tmp_path / "graphs", small_build.base, small_build.profiles, meta={})
    graph, _ = build_graph(small, profile=profile, min_component_km=0)
    assert_matches_format2(folder, profile, graph)
    # the twice-digitised road: the fastest copy's time (tertiary for cars, 5 km/h walking)
    net, times = read_network(folder), read_profile(folder, profile).edge_time
    names = list(net.highways)
    both = np.flatnonzero(np.isin(np.asarray(net.edge_highway), [names.index("tertiary")]))
    assert len(both) == 4 and np.all(np.isfinite(times[both]))


@pytest.mark.shared_data
def test_jakarta_car_equal_format2(
    tmp_path: Path, jakarta_roads_path: Path, jakarta_graph_car: nx.MultiDiGraph
) -> None:
    built = build_network(jakarta_roads_path, profiles=("car",))
    folder = write_store(tmp_path / "graphs", built.base, built.profiles, meta={})
    assert_matches_format2(folder, "car", jakarta_graph_car)


def test_replacing_keeps_format2_files_and_drops_the_old_store(
    tmp_path: Path, small: Path, small_build: NetworkBuild
) -> None:
    folder = tmp_path / "graphs"
    folder.mkdir()
    moto, _ = build_graph(small, profile="motorcycle", min_component_km=0)
    save_compiled(compile_graph(moto), folder / "motorcycle.npz")
    (folder / "motorcycle.stamp").write_text("s")
    (folder / "walk.stamp").write_text("s")
    (folder / "catatan.txt").write_text("kept")
    old = build_network(small, profiles=("truck",), min_component_km=0)
    write_store(folder, old.base, old.profiles, meta={})
    assert (folder / "truck.npz").exists()
    reader = read_network(folder)  # a reader still mapping the old files
    old_coords = np.array(reader.geom_coords)
    write_store(folder, small_build.base, small_build.profiles, meta={})
    names = sorted(f.name for f in folder.iterdir())
    # format-2 files and other files carried over; the old store's truck profile and
    # the stamp of the rebuilt walk profile are gone
    assert names == [
        "car.npz",
        "catatan.txt",
        "motorcycle.npz",
        "motorcycle.stamp",
        "network",
        "walk.npz",
    ]
    assert load_compiled(folder / "motorcycle.npz").n_edges == moto.number_of_edges()
    assert np.array_equal(np.asarray(reader.geom_coords), old_coords)  # still readable
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".graphs")]  # no temp left


def test_bad_arrays_write_nothing(tmp_path: Path, small_build: NetworkBuild) -> None:
    import dataclasses

    folder = tmp_path / "graphs"
    write_store(folder, small_build.base, small_build.profiles, meta={})
    before = {f.name: f.stat().st_mtime_ns for f in (folder / NETWORK_DIR).iterdir()}
    base = small_build.base
    shifted = base.geom_coords.copy()
    shifted[0, 0] += 1e-6
    cases = [
        (
            dataclasses.replace(base, geom_coords=shifted),
            small_build.profiles,
            "does not start and end",
        ),
        (
            dataclasses.replace(base, node_ids=base.node_ids[::-1].copy()),
            small_build.profiles,
            "ascending",
        ),
        (
            base,
            [dataclasses.replace(small_build.profiles[0], edge_time=np.zeros(base.n_arcs))],
            "> 0",
        ),
        (base, [small_build.profiles[0], small_build.profiles[0]], "unique"),
        (base, [dataclasses.replace(small_build.profiles[0], profile="../x")], "profile name"),
    ]
    for b, profiles, message in cases:
        with pytest.raises(StoreError, match=message):
            write_store(folder, b, profiles, meta={})
    assert {f.name: f.stat().st_mtime_ns for f in (folder / NETWORK_DIR).iterdir()} == before
    a_file = tmp_path / "graphs.npz"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        write_store(a_file, base, small_build.profiles, meta={})
    assert a_file.read_text() == "x"


def test_derived_index_hooks(tmp_path: Path, small_build: NetworkBuild) -> None:
    seen = {}

    def order(network, profiles):  # type: ignore[no-untyped-def]
        seen["profiles"] = [p.profile for p in profiles]
        return DerivedIndex(
            {"cch_order": np.arange(network.n_nodes, dtype=np.int32)}, {"note": "test"}
        )

    register_derived("cch_order", order)
    try:
        folder = write_store(tmp_path / "g", small_build.base, small_build.profiles, meta={})
        net = read_network(folder)
        assert np.array_equal(net.derived["cch_order"], np.arange(net.n_nodes))
        facts = net.meta["derived"]
        assert facts["cch_order"]["status"] == "built" and facts["cch_order"]["note"] == "test"
        assert facts["snap"]["status"] == "built"
        assert seen["profiles"] == ["car", "walk"]

        def wrong(network, profiles):  # type: ignore[no-untyped-def]
            return DerivedIndex({"order": np.zeros(3)})

        register_derived("cch_order", wrong)
        with pytest.raises(StoreError, match="returned arrays"):
            write_store(tmp_path / "h", small_build.base, small_build.profiles, meta={})
        assert not (tmp_path / "h").exists()
        with pytest.raises(StoreError, match="unknown derived index"):
            register_derived("ch", order)
    finally:
        unregister_derived("cch_order")
    assert _builder_status(tmp_path, small_build) == "built"


def _builder_status(tmp_path: Path, built: NetworkBuild) -> str:
    folder = write_store(tmp_path / "again", built.base, built.profiles, meta={})
    return str(read_network(folder).meta["derived"]["cch_order"]["status"])


def test_reader_refuses_other_formats(tmp_path: Path, small_build: NetworkBuild) -> None:
    a = write_store(tmp_path / "a", small_build.base, small_build.profiles, meta={})
    b = write_store(tmp_path / "b", small_build.base, small_build.profiles, meta={})
    with pytest.raises(StoreError, match="no network store"):
        read_network(tmp_path)
    (b / "car.npz").replace(a / "car.npz")
    with pytest.raises(StoreError, match="another network store"):
        read_profile(a, "car")
    with pytest.raises(StoreError, match="missing"):
        read_profile(a, "truck")
    meta_path = a / NETWORK_DIR / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["format_version"] = 4
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="format 4; this code reads 3"):
        read_store(a)
    # today's loader skips a format-3 profile file with a clear reason
    from routing.errors import CompiledGraphError

    with pytest.raises(CompiledGraphError, match="not a lampung-geo compiled graph"):
        load_compiled(a / "walk.npz")
