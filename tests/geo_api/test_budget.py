"""Time budgets: expensive work stops at its checkpoints — past its budget (503) or when
the client disconnects — and no abandoned computation goes on in a thread."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.budget import UNLIMITED, Budget, BudgetExceededError, WorkCancelledError
from geo_api.app import create_app
from geo_api.settings import BudgetSettings, Settings
from routing.allocation import solve_allocation
from routing.dijkstra import ScipyEngine
from routing.isochrones import isochrone_bands
from routing.network import Network
from routing.trees import quantity_matrix
from tests.geo_api.live import LiveServer, live_server, metric_value

HEAVY_ISOCHRONES = "/isochrones?lon=105.26&lat=-5.43&minutes=30,60,90,120,150,180"
# the heaviest demo analysis: every kantor desa on the walking network, six bands (seconds)
HEAVY_AREAS = "/coverage/areas?category=kantor_desa&minutes=30,60,90,120,150,180&profile=walk"


class Ticking:
    """A clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


# -- the primitive ---------------------------------------------------------------------
def test_budget_deadline_cancel_and_unlimited():
    clock = Ticking()
    budget = Budget(3.5, label="the analysis", clock=clock)  # starts at t=1, ends at 4.5
    budget.check()
    budget.check()
    budget.check()
    with pytest.raises(BudgetExceededError) as exc:
        budget.check()
    assert budget.checkpoints == 3
    assert "the analysis took longer than its 3.5 s budget" in exc.value.reason
    assert budget.remaining() == 0.0

    cancelled = Budget(60.0)
    cancelled.check()
    threading.Thread(target=cancelled.cancel, args=("the client disconnected",)).start()
    time.sleep(0.05)
    with pytest.raises(WorkCancelledError, match="the client disconnected"):
        cancelled.check()

    for _ in range(3):
        UNLIMITED.check()
    UNLIMITED.cancel("ignored")
    UNLIMITED.check()
    assert UNLIMITED.remaining() == float("inf")
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            Budget(bad)


# -- checkpoints in the routing code -------------------------------------------------------
@pytest.fixture(scope="module")
def walk(demo_graph_dir: Path) -> Network:
    return Network.load(demo_graph_dir / "walk.npz")


def _times(net: Network) -> tuple[np.ndarray, list]:
    cg = net.compiled
    rng = np.random.default_rng(3)
    nodes = rng.choice(cg.n_nodes, size=300, replace=False)
    sources = [net.snap(float(cg.node_lon[i]), float(cg.node_lat[i]), field="x") for i in nodes]
    times, _ = net.engine.multi_source(sources, limit_s=180 * 60, direction="to_sources")
    return times, sources


def test_isochrones_stop_between_bounded_steps(walk: Network):
    times, sources = _times(walk)
    minutes = [60, 180]
    full = isochrone_bands(walk.compiled, times, minutes, direction="to_sources", sources=sources)
    counted = Budget(3600.0)
    again = isochrone_bands(
        walk.compiled, times, minutes, direction="to_sources", sources=sources, budget=counted
    )
    # a budget that does not run out changes nothing (the oracle: the unbudgeted call)
    for a, b in zip(full, again, strict=True):
        assert a.band.symmetric_difference(b.band).area <= 1e-9 * a.band.area
    # many checkpoints (bands and chunks of roads), so work stops soon after the deadline
    assert counted.checkpoints > 3 * len(minutes)
    for stop_after in (1, 5, counted.checkpoints // 2):
        clock = Ticking()
        budget = Budget(stop_after + 0.5, clock=clock)
        with pytest.raises(BudgetExceededError):
            isochrone_bands(
                walk.compiled,
                times,
                minutes,
                direction="to_sources",
                sources=sources,
                budget=budget,
            )
        assert budget.checkpoints == stop_after  # stopped at the first check past it
    gone = Budget(60.0)
    gone.cancel("the client disconnected")
    with pytest.raises(WorkCancelledError):
        isochrone_bands(walk.compiled, times, minutes, sources=sources, budget=gone)


def test_matrix_nearest_trees_and_solver_take_the_budget(walk: Network):
    cg = walk.compiled
    rng = np.random.default_rng(5)
    pts = [
        walk.snap(float(cg.node_lon[i]), float(cg.node_lat[i]), field="x")
        for i in rng.choice(cg.n_nodes, size=300, replace=False)
    ]
    engine = ScipyEngine(cg)  # one search per origin, in chunks of 128
    counted = Budget(3600.0)
    assert np.array_equal(
        engine.durations(pts, pts, budget=counted), engine.durations(pts, pts), equal_nan=True
    )
    assert counted.checkpoints == 3  # 300 origins: three chunks
    expired = Budget(1.5, clock=Ticking())  # the second check is past the deadline
    with pytest.raises(BudgetExceededError):
        engine.durations(pts, pts, budget=expired)
    assert expired.checkpoints == 1  # stopped before the second chunk
    for call in (
        lambda b: walk.engine.durations(pts, pts, budget=b),
        lambda b: walk.nearest(pts[0], pts[1:], k=3, budget=b),
        lambda b: quantity_matrix(cg, pts[:20], pts[20:22], budget=b),
        lambda b: solve_allocation([1.0], ["padi"], [{"padi": 1.0}], np.ones((1, 1)), budget=b),
    ):
        over = Budget(1.5, clock=Ticking())
        over.check()  # t=2 > 1.5 + 1: the next check raises
        with pytest.raises(BudgetExceededError):
            call(over)


# -- through the API ---------------------------------------------------------------------
def _busy_in_analysis() -> list[str]:
    """Threads whose stack is inside routing or coverage code right now."""
    busy = []
    for ident, frame in sys._current_frames().items():
        f = frame
        while f is not None:
            name = f.f_code.co_filename
            if "/routing/" in name or name.endswith("geo_api/coverage.py"):
                busy.append(f"{ident}: {name}:{f.f_lineno}")
                break
            f = f.f_back
    return busy


@pytest.fixture
def tight(demo_settings: Settings) -> Iterator[TestClient]:
    budgets = BudgetSettings(isochrones_s=0.05, coverage_s=0.05, nearest_s=5, matrix_s=5)
    settings = Settings(
        database=demo_settings.database, routing=demo_settings.routing, budgets=budgets
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_past_its_budget_an_analysis_answers_503_and_its_thread_is_free(
    tight: TestClient, demo_client: TestClient
):
    assert demo_client.get(HEAVY_ISOCHRONES).status_code == 200  # the default budget: fine
    for path in (HEAVY_ISOCHRONES, HEAVY_AREAS):
        r = tight.get(path)
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"]
        body = r.json()
        assert body["code"] == "BudgetExceeded"
        assert "took longer than its 0.05 s budget" in body["description"]
        # the work stopped before the answer: no thread is still computing it
        assert _busy_in_analysis() == []
        first = tight.get("/metrics").text
        time.sleep(0.3)
        second = tight.get("/metrics").text
        for text in (first, second):
            assert metric_value(text, "lampung_geo_work_in_progress", gate="analysis") == 0
            assert metric_value(text, "lampung_geo_admission_in_use", gate="analysis") == 0
        assert metric_value(first, "lampung_geo_work_checkpoints_total") == metric_value(
            second, "lampung_geo_work_checkpoints_total"
        )
    stopped = metric_value(
        tight.get("/metrics").text,
        "lampung_geo_work_stopped_total",
        gate="analysis",
        reason="BudgetExceeded",
    )
    assert stopped == 2
    # other requests are answered as usual afterwards
    assert tight.get("/route?from=105.26,-5.43&to=105.3,-5.4").status_code == 200


@pytest.fixture(scope="module")
def server(demo_url: str, demo_graph_dir: Path, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("budget") / "server.log"
    # a large budget: only the client's departure can stop the work
    env = {"LAMPUNG_GEO_BUDGET_COVERAGE_S": "600"}
    with live_server(database_url=demo_url, graph_dir=demo_graph_dir, log=log, env=env) as srv:
        yield srv


def _wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_departed_clients_computation_stops(server: LiveServer):
    url = urlsplit(server.base_url)
    sock = socket.create_connection((url.hostname, url.port))
    request_id = "gone-client-1"
    sock.sendall(
        f"GET {HEAVY_AREAS} HTTP/1.1\r\nHost: x\r\nX-Request-ID: {request_id}\r\n\r\n".encode()
    )
    running = _wait_for(lambda: server.metric("lampung_geo_work_in_progress", gate="analysis") == 1)
    assert running, "the analysis did not start"
    before = server.metric("lampung_geo_work_checkpoints_total")
    sock.close()  # the client leaves while the analysis runs
    assert _wait_for(
        lambda: server.metric("lampung_geo_work_in_progress", gate="analysis") == 0, 120
    )
    stopped = server.metric(
        "lampung_geo_work_stopped_total", gate="analysis", reason="WorkCancelled"
    )
    assert stopped == 1, "the work finished instead of stopping when the client left"
    after = server.metric("lampung_geo_work_checkpoints_total")
    time.sleep(0.5)
    assert server.metric("lampung_geo_work_checkpoints_total") == after  # nothing runs on
    assert after >= before
    lines = [r for r in server.log_lines() if r.get("request_id") == request_id]
    assert len(lines) == 1 and lines[0]["status"] == 499, lines
    assert lines[0]["route"] == "/coverage/areas"
    # the slot is free again: the same analysis can be asked and answered
    assert server.metric("lampung_geo_admission_in_use", gate="analysis") == 0
