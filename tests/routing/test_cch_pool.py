"""The CCH engine's query pool: work handed over once, nested calls, no leaked engines."""

from __future__ import annotations

import gc
import threading
import weakref
from concurrent.futures import wait

import numpy as np
import pytest

from routing.cch import _MAX_QUERIES, CCHEngine
from routing.compiled import compile_graph
from routing.engine import make_engine
from routing.snap import node_snap
from tests.routing.test_engine import grid_graph


def test_submitted_work_calls_the_engine_without_a_second_hand_off() -> None:
    cg = compile_graph(grid_graph())
    engine = make_engine(cg, kind="cch")
    assert isinstance(engine, CCHEngine)
    reference = make_engine(cg, kind="scipy")
    rng = np.random.default_rng(5)
    pairs = [tuple(int(x) for x in rng.choice(cg.n_nodes, 2, replace=False)) for _ in range(40)]
    targets = [node_snap(cg, int(n)) for n in rng.choice(cg.n_nodes, 8, replace=False)]
    threads: set[str] = set()

    def work(a: int, b: int) -> tuple[float, float, int]:
        threads.add(threading.current_thread().name)
        o, d = node_snap(cg, a), node_snap(cg, b)
        hits = engine.nearest(o, targets, k=2, with_routes=True)  # nested: runs right here
        matrix = engine.durations([o], targets)
        return engine.route(o, d).duration_s, float(matrix.min()), hits[0].target

    # more jobs than pool threads, all at once: a pool waiting on itself would hang here
    futures = [engine.submit(work, a, b) for a, b in pairs]
    _, pending = wait(futures, timeout=60)
    assert not pending
    assert all(name.startswith("cch") for name in threads) and len(threads) <= _MAX_QUERIES
    for (a, b), future in zip(pairs, futures, strict=True):
        duration, best, first = future.result()
        o = node_snap(cg, a)
        assert duration == reference.route(o, node_snap(cg, b)).duration_s
        row = reference.durations([o], targets)[0]
        assert best == pytest.approx(float(row.min()), abs=1e-3)  # the sweep's integer units
        assert row[first] == row.min()


def test_an_engine_is_collected_with_its_pool() -> None:
    engine = make_engine(compile_graph(grid_graph()), kind="cch")
    engine.submit(engine.route, *(node_snap(engine.compiled, n) for n in (0, 5))).result()
    ref = weakref.ref(engine)
    del engine
    gc.collect()
    assert ref() is None  # the pool's threads do not keep the engine alive
