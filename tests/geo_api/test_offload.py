"""run_on_engine: an async endpoint's CPU work on the engine's threads, cancelled safely."""

from __future__ import annotations

import asyncio
import threading

import pytest

from geo_api.offload import run_on_engine
from routing.cch import _MAX_QUERIES
from routing.compiled import compile_graph
from routing.network import Network
from routing.snap import node_snap
from tests.routing.test_engine import grid_graph


@pytest.fixture(scope="module")
def nets() -> dict[str, Network]:
    cg = compile_graph(grid_graph())
    return {kind: Network.from_compiled(cg, kind=kind) for kind in ("cch", "scipy")}


@pytest.mark.parametrize("kind", ["cch", "scipy"])
def test_result_and_errors_come_back(nets: dict[str, Network], kind: str) -> None:
    net = nets[kind]
    o, d = node_snap(net.compiled, 0), node_snap(net.compiled, 30)

    def work() -> tuple[float, str]:
        return net.engine.route(o, d).duration_s, threading.current_thread().name

    duration, thread = asyncio.run(run_on_engine(net, work))
    assert duration == nets["scipy"].engine.route(o, d).duration_s
    assert thread.startswith("cch") if kind == "cch" else not thread.startswith("cch")

    def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        asyncio.run(run_on_engine(net, fail))


def test_cancel_drops_work_not_started_and_waits_for_running_work(
    nets: dict[str, Network],
) -> None:
    net = nets["cch"]
    release = threading.Event()
    started = threading.Event()
    ran: list[str] = []

    def block() -> None:
        started.set()
        release.wait(10)
        ran.append("blocker")

    def queued() -> None:
        ran.append("queued")

    async def scenario() -> float:
        # every pool thread busy: the next job waits in the queue
        blockers = [asyncio.ensure_future(run_on_engine(net, block)) for _ in range(_MAX_QUERIES)]
        await asyncio.to_thread(started.wait, 10)
        waiting = asyncio.ensure_future(run_on_engine(net, queued))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # a running job: cancelling its caller does not return before the job ends
        blockers[0].cancel()
        threading.Timer(0.3, release.set).start()
        with pytest.raises(asyncio.CancelledError):
            await blockers[0]
        ended_first = "blocker" in ran  # the job had ended when the cancelled call returned
        await asyncio.gather(*blockers[1:])
        return ended_first

    assert asyncio.run(scenario())
    assert ran.count("blocker") == _MAX_QUERIES
    assert "queued" not in ran  # the job that had not started never ran
