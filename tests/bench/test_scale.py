"""Smoke test of ``bench/scale.py`` on a tiny synthetic network, so the bench does not rot.

Runs the whole code path of ``bench/scale.py`` (generation, the ``graph build --format
3`` build, loading every profile of the store, route, matrix, isochrone and coverage,
fits, the markdown and JSON report) in this process on about 5k edges, with the scipy
engine to keep it short. No timing asserts: only that every step ran and its answers
are consistent; the bench adapter from the store to a per-profile graph is checked
against the store's own arrays and against networkx.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from bench._common import fit_power
from bench.scale import METRICS, compiled_view, h3_cells, main

SIZE = 5_000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("scale")
    argv = ["--sizes", str(SIZE), "--out", str(out), "--data", str(out / "data")]
    argv += ["--in-process", "--engine", "scipy", "--keep-graphs", "--isochrone-runs", "1"]
    argv += ["--routes", "20", "--matrix", "6", "--facilities", "12", "--max-cells", "4000"]
    doc = main(argv)
    return doc, out


def test_every_step_ran_and_reported(run: tuple[dict[str, Any], Path]) -> None:
    doc, out = run
    (row,) = doc["rows"]
    errors = {k: v for k, v in row.items() if k.endswith("_error")}
    assert errors == {}
    for _, key, _unit in METRICS:
        assert key in row
        assert math.isfinite(row[key])
        assert row[key] >= 0
    assert row["profiles_loaded"] == ["car", "motorcycle", "truck", "walk"]
    assert 0 < row["profile_edges"] <= row["arcs"]
    assert 0 <= row["route_unreachable"] <= row["route_pairs"] == 20
    assert 0 < row["matrix_finite"] <= 36
    assert row["coverage_facilities"] == 12
    assert 0 < row["coverage_cells_on_network"] <= row["coverage_cells"]
    share = row["coverage_share"]
    assert len(share) == 3
    assert all(0.0 <= s <= 1.0 for s in share)
    assert share == sorted(share)  # 15 <= 30 <= 60 minutes
    areas = row["isochrone_km2"]
    assert len(areas) == 3
    assert areas[0] > 0
    saved = json.loads((out / "scale.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(doc["rows"]))
    table = (out / "scale.md").read_text()
    assert f"{row['nodes']:,} nodes / {row['arcs']:,} arcs" in table
    assert "route p50" in table
    assert "ERROR" not in table


def test_a_failing_step_is_recorded_not_raised(tmp_path: Path) -> None:
    from bench.scale import serve_child

    row = serve_child(tmp_path / "no-store", {"profile": "car"})
    assert set(row) == {"imports_s", "startup_error"}
    assert "StoreError" in row["startup_error"] or "meta.json" in row["startup_error"]


def _store(out: Path) -> Any:
    from routing.store import read_store

    return read_store(out / "graphs" / f"synthetic_{SIZE}")


def test_compiled_view_holds_exactly_the_usable_arcs(run: tuple[dict[str, Any], Path]) -> None:
    store = _store(run[1])
    net = store.network
    for profile, prof in store.profiles.items():
        cg = compiled_view(store, profile)
        times = np.asarray(prof.edge_time)
        finite = np.flatnonzero(np.isfinite(times))
        want = sorted(
            (int(net.edge_tail[i]), int(net.edge_head[i]), float(times[i]), _coords(net, int(i)))
            for i in finite
        )
        got = sorted(
            (
                int(cg.edge_tail[j]),
                int(cg.edge_head[j]),
                float(cg.edge_time[j]),
                tuple(map(tuple, cg.edge_coords(j).tolist())),
            )
            for j in range(cg.n_edges)
        )
        assert got == want, profile
        # CSR: the out-arcs of node i are indptr[i]:indptr[i+1]
        for i in range(0, cg.n_nodes, 97):
            assert set(cg.edge_tail[cg.indptr[i] : cg.indptr[i + 1]].tolist()) <= {i}
        # simple graph: one arc per (tail, head), the fastest
        best: dict[tuple[int, int], float] = {}
        for t, h, s, _ in want:
            best[(t, h)] = min(best.get((t, h), math.inf), s)
        simple = {
            (int(cg.edge_tail[e]), int(cg.edge_head[e])): float(cg.edge_time[e])
            for e in cg.simple_edge
        }
        assert simple == best, profile


def _coords(net: Any, i: int) -> tuple[tuple[float, float], ...]:
    lo, hi = int(net.geom_offsets[i]), int(net.geom_offsets[i + 1])
    return tuple(map(tuple, np.asarray(net.geom_coords[lo:hi]).tolist()))


def test_routes_on_the_view_match_networkx(run: tuple[dict[str, Any], Path]) -> None:
    from routing.network import Network

    store = _store(run[1])
    net = store.network
    times = np.asarray(store.profiles["car"].edge_time)
    graph = nx.DiGraph()
    for i in np.flatnonzero(np.isfinite(times)):
        u, v, t = int(net.edge_tail[i]), int(net.edge_head[i]), float(times[i])
        if not graph.has_edge(u, v) or graph[u][v]["t"] > t:
            graph.add_edge(u, v, t=t)
    network = Network.from_compiled(compiled_view(store, "car"), kind="scipy")
    rng = np.random.default_rng(7)
    for a in rng.choice(np.array(sorted(graph.nodes)), size=5, replace=False):
        want = nx.single_source_dijkstra_path_length(graph, int(a), weight="t")
        got, _ = network.engine.multi_source(np.array([a]))
        reached = np.flatnonzero(np.isfinite(got))
        assert set(reached.tolist()) == set(want)
        assert len(want) > 1
        for node, t in want.items():
            assert got[node] == pytest.approx(t, rel=1e-9, abs=1e-6)


def test_fit_power_recovers_a_power_law() -> None:
    # y = 3 x^1.5 exactly: k = 1.5, a = ln 3 (by hand)
    fit = fit_power([(10.0, 3 * 10**1.5), (100.0, 3 * 100**1.5), (1000.0, 3 * 1000**1.5)])
    assert fit is not None
    assert fit[0] == pytest.approx(1.5)
    assert fit[1] == pytest.approx(math.log(3))
    assert fit_power([(10.0, 1.0)]) is None
    assert fit_power([(10.0, 1.0), (10.0, 2.0)]) is None
    assert fit_power([(0.0, 1.0), (10.0, -2.0)]) is None


def test_h3_cells_cover_the_box() -> None:
    import h3

    # a 0.1 x 0.1 degree box at Bandar Lampung: ~122 km², res 9 cells ~0.105 km² each
    cells, res = h3_cells(105.2, -5.5, 105.3, -5.4, max_cells=10_000)
    assert res == 9
    total = sum(h3.cell_area(c, unit="km^2") for c in cells)
    box = 0.1 * 111.32 * math.cos(math.radians(-5.45)) * 0.1 * 111.32
    assert total == pytest.approx(box, rel=0.05)
    # too many cells at res 9 and 8 for the cap: coarser
    _, coarse = h3_cells(105.2, -5.5, 105.3, -5.4, max_cells=100)
    assert coarse == 7
