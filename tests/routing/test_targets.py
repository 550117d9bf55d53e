"""Targets prepared once (:mod:`routing.targets`) answer exactly as plain lists of snaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.dijkstra import ScipyEngine
from routing.network import Network
from routing.snap import Snap
from routing.targets import prepare_targets


@pytest.fixture(scope="module")
def motorcycle(demo_graph_dir: Path) -> Network:
    return Network.load(demo_graph_dir / "motorcycle.npz")  # the CCH engine


def test_prepared_targets_answer_as_lists_and_as_an_exact_search(motorcycle: Network):
    """Two prepared sets used in turn by the same engine (a pool thread keeps its sweep
    pinned on one set, and must re-pin for the other) answer exactly as the same
    targets given as lists, and as scipy's Dijkstra search."""
    net = motorcycle
    cg = net.compiled
    rng = np.random.default_rng(11)

    def snaps(n: int) -> list[Snap]:
        idx = rng.choice(cg.n_nodes, size=n, replace=False)
        return [net.snap(float(cg.node_lon[i]), float(cg.node_lat[i]), field="x") for i in idx]

    sets = [snaps(40), snaps(25)]
    prepared = [prepare_targets(cg, s) for s in sets]
    exact = ScipyEngine(cg)
    for origin in snaps(12):
        for plain, ts in zip(sets, prepared, strict=True):
            got = net.nearest(origin, ts, k=3)
            assert [(h.target, h.duration_s) for h in got] == [
                (h.target, h.duration_s) for h in net.nearest(origin, plain, k=3)
            ]
            want = exact.nearest(origin, plain, k=3)
            assert [h.duration_s for h in got] == pytest.approx(
                [h.duration_s for h in want], abs=1e-6
            )
            assert np.array_equal(
                net.engine.durations([origin], ts), net.engine.durations([origin], plain)
            )
    other = prepare_targets(cg, sets[0])
    other.n_nodes = cg.n_nodes + 1  # as if prepared on another graph
    with pytest.raises(ValueError, match="prepared for a graph"):
        net.nearest(sets[1][0], other, k=1)


def test_a_prepared_set_is_an_immutable_sequence_of_the_snaps(motorcycle: Network):
    cg = motorcycle.compiled
    snaps = [
        motorcycle.snap(float(cg.node_lon[i]), float(cg.node_lat[i]), field="x")
        for i in range(0, cg.n_nodes, max(1, cg.n_nodes // 30))
    ]
    ts = prepare_targets(cg, snaps)
    assert len(ts) == len(snaps) and list(ts) == snaps and ts[3] == snaps[3]
    assert ts.nodes.shape == (len(snaps), 2)
    with pytest.raises(ValueError):
        ts.costs[0, 0] = 1.0  # read-only arrays: shared by every request
    # every finite candidate node is pinned, and pin_index points at it
    finite = np.isfinite(ts.costs)
    assert np.array_equal(ts.pinned[ts.pin_index[finite]], ts.nodes[finite])
