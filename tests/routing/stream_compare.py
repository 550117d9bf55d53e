"""Compare a streaming build (arrays) with a graph from :func:`routing.build.build_graph`.

The graph is the oracle: an independent implementation (networkx, a Python dict and
a LineString per edge) of the same rules.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely

from routing.compiled import CompiledGraph, compile_graph
from routing.report import BuildReport
from routing.store import BaseArrays, ProfileTimes, read_network, read_profile

#: Relative tolerance of times and lengths (the two compute lengths in another order).
RTOL = 1e-9

Arc = tuple[int, int, bytes, float, float, str, str, bool, int]


def graph_arcs(graph: nx.MultiDiGraph) -> list[Arc]:
    """Every edge: (u id, v id, line bytes, time, length, highway, name, ferry, source)."""
    rows = []
    for u, v, d in graph.edges(data=True):
        line = shapely.get_coordinates(d["geometry"]).tobytes()
        rows.append(
            (
                int(u), int(v), line, float(d["travel_time"]), float(d["length"]),
                str(d["highway"]), str(d["name"]), bool(d["ferry"]),
                int(d.get("source_index", -1)),
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[5], r[6]))


def stream_arcs(base: BaseArrays, times: ProfileTimes) -> list[Arc]:
    """The arcs with a finite time, in the same form."""
    rows = []
    ids, off = base.node_ids, base.geom_offsets
    for e in np.flatnonzero(np.isfinite(times.edge_time)).tolist():
        rows.append(
            (
                int(ids[base.edge_tail[e]]), int(ids[base.edge_head[e]]),
                base.geom_coords[off[e] : off[e + 1]].tobytes(),
                float(times.edge_time[e]), float(base.edge_length[e]),
                str(base.highways[base.edge_highway[e]]), str(base.names[base.edge_name[e]]),
                bool(base.edge_ferry[e]), int(base.edge_source[e]),
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[5], r[6]))


def assert_same_network(graph: nx.MultiDiGraph, base: BaseArrays, times: ProfileTimes) -> None:
    """Same nodes (ids, exact coordinates), same arcs (ends, exact lines), same times."""
    index = {int(n): i for i, n in enumerate(base.node_ids.tolist())}
    for node, data in graph.nodes(data=True):
        i = index[int(node)]
        assert (base.node_lon[i], base.node_lat[i]) == (data["x"], data["y"]), node
    expected, got = graph_arcs(graph), stream_arcs(base, times)
    assert len(got) == len(expected)
    # a node left without any edge (a kept one-node component) has no arc either
    used = {n for r in got for n in r[:2]}
    assert used == {int(n) for n in graph.nodes if graph.degree(n) > 0}
    for a, b in zip(expected, got, strict=True):
        assert a[:3] == b[:3]
        assert math.isclose(a[3], b[3], rel_tol=RTOL), (a[:2], a[3], b[3])
        assert math.isclose(a[4], b[4], rel_tol=RTOL), (a[:2], a[4], b[4])
        assert a[5:] == b[5:]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return bool(a == b)


def report_differences(expected: BuildReport, got: BuildReport) -> list[str]:
    """Fields of two reports that differ (times of the stages apart)."""
    a, b = dataclasses.asdict(expected), dataclasses.asdict(got)
    return [k for k in a if k not in {"seconds", "stage_seconds"} and not _close(a[k], b[k])]


def _keys(cg: CompiledGraph, e: np.ndarray) -> list[tuple[int, int, bytes]]:
    off = cg.geom_offsets
    return [
        (
            int(cg.node_ids[cg.edge_tail[i]]),
            int(cg.node_ids[cg.edge_head[i]]),
            cg.geom_coords[off[i] : off[i + 1]].tobytes(),
        )
        for i in e.tolist()
    ]


def assert_matches_format2(folder: Path, profile: str, graph: nx.MultiDiGraph) -> None:
    """The stored profile's usable arcs are the format-2 compiled graph's edges."""
    cg = compile_graph(graph)
    net = read_network(folder)
    prof = read_profile(folder, profile)
    finite = np.flatnonzero(np.isfinite(prof.edge_time))
    stored = {
        (int(net.node_ids[net.edge_tail[e]]), int(net.node_ids[net.edge_head[e]]),
         np.asarray(net.geom_coords[net.geom_offsets[e] : net.geom_offsets[e + 1]]).tobytes()): e
        for e in finite.tolist()
    }  # fmt: skip
    compiled = dict(zip(_keys(cg, np.arange(cg.n_edges)), range(cg.n_edges), strict=True))
    assert stored.keys() == compiled.keys()
    s = np.array([stored[k] for k in compiled])
    c = np.array(list(compiled.values()))
    np.testing.assert_allclose(prof.edge_time[s], cg.edge_time[c], rtol=1e-9)
    np.testing.assert_allclose(net.edge_length[s], cg.edge_length[c], rtol=1e-9)
    assert np.array_equal(net.edge_ferry[s], cg.edge_ferry[c])
    assert np.array_equal(net.edge_ferry_link[s], cg.edge_ferry_link[c])
    # twins: the stored twin if the profile may use it, else none (as compiled per profile)
    twin = np.asarray(net.edge_twin)[s]
    usable = (twin >= 0) & np.isfinite(prof.edge_time[np.maximum(twin, 0)])
    back = {v: k for k, v in stored.items()}
    want = [
        compiled[back[t]] if ok else -1
        for t, ok in zip(twin.tolist(), usable.tolist(), strict=True)
    ]
    assert np.array_equal(np.array(want), cg.edge_twin[c])
