"""No freeze under load: 64 keep-alive clients against a real server (issue #12, item 1).

The old design took a worker thread per request *before* waiting for one of the pool's
20 connections: with 64 clients on the database endpoints every thread waited for the
pool while the requests holding connections waited for a thread, so every endpoint
stopped for 30 s and ~40 requests got a 500. This test fails that way on the old code
(run against it: 39 errors, requests of ~31 s, ``/route`` stalled) and passes when
requests wait for admission without a thread.

No latency threshold is asserted beyond the stall bound: this is a freeze check, the
figures are in ``bench/load.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from routing.compiled import load_compiled
from tests.geo_api.live import LiveServer, live_server

CLIENTS = 64
DURATION_S = 5.0
STALL_S = 10.0
TLS = ssl.create_default_context()


@pytest.fixture(scope="module")
def server(demo_url: str, demo_graph_dir: Path, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("load") / "server.log"
    with live_server(database_url=demo_url, graph_dir=demo_graph_dir, log=log) as srv:
        yield srv


@dataclass
class Outcomes:
    results: list[tuple[str, float, str]] = field(default_factory=list)  # path kind, s, outcome
    finished_at: list[float] = field(default_factory=list)

    def add(self, kind: str, seconds: float, outcome: str) -> None:
        self.results.append((kind, seconds, outcome))
        self.finished_at.append(time.monotonic())


def _new(base: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # one shared TLS context: httpx would build one per client (~0.1 s each), stalling
    # this process rather than the server
    return httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits, verify=TLS)


async def _client(
    client: httpx.AsyncClient, paths: list[str], out: Outcomes, until: float, seed: int
) -> None:
    rng = random.Random(seed)
    async with client:
        while time.monotonic() < until:
            path = rng.choice(paths)
            started = time.monotonic()
            try:
                outcome = str((await client.get(path)).status_code)
            except httpx.TimeoutException:
                outcome = "timeout"
            except httpx.TransportError as exc:
                outcome = f"connection: {type(exc).__name__}"
            out.add(path.split("?")[0], time.monotonic() - started, outcome)


async def _probe(client: httpx.AsyncClient, route: str, out: Outcomes, until: float) -> None:
    async with client:
        while time.monotonic() < until:
            for path in (route, "/health/live"):
                started = time.monotonic()
                try:
                    outcome = str((await client.get(path)).status_code)
                except httpx.TransportError as exc:
                    outcome = f"connection: {type(exc).__name__}"
                out.add(path.split("?")[0], time.monotonic() - started, outcome)


def test_64_clients_on_the_database_endpoints_do_not_freeze(
    server: LiveServer, demo_graph_dir: Path
):
    cg = load_compiled(demo_graph_dir / "motorcycle.npz")
    rng = random.Random(64)
    nodes = [rng.randrange(cg.n_nodes) for _ in range(200)]
    paths = []
    for i in nodes:
        lon, lat = float(cg.node_lon[i]), float(cg.node_lat[i])
        box = f"{lon - 0.15:.4f},{lat - 0.15:.4f},{lon + 0.15:.4f},{lat + 0.15:.4f}"
        paths.append(f"/collections/service_points/items?bbox={box}&limit=100")
        paths.append(f"/nearest?lon={lon:.6f}&lat={lat:.6f}&category=puskesmas&k=3")
    route = (
        f"/route?from={cg.node_lon[nodes[0]]:.6f},{cg.node_lat[nodes[0]]:.6f}"
        f"&to={cg.node_lon[nodes[1]]:.6f},{cg.node_lat[nodes[1]]:.6f}"
    )
    assert httpx.get(server.base_url + route, timeout=30).status_code == 200
    load, probes = Outcomes(), Outcomes()

    async def run() -> tuple[float, float]:
        users = [_new(server.base_url) for _ in range(CLIENTS)]
        prober = _new(server.base_url)
        start = time.monotonic()
        until = start + DURATION_S
        await asyncio.gather(
            _probe(prober, route, probes, until),
            *[_client(c, paths, load, until, seed=s) for s, c in enumerate(users)],
        )
        return start, time.monotonic()

    start, end = asyncio.run(run())

    bad = [r for r in load.results if r[2] != "200"]
    assert not bad, f"{len(bad)} of {len(load.results)} failed, e.g. {bad[:5]}"
    slowest = max(load.results, key=lambda r: r[1])
    assert slowest[1] < STALL_S, f"a request took {slowest[1]:.1f} s: {slowest}"
    kinds = {r[0] for r in load.results}
    assert kinds == {"/collections/service_points/items", "/nearest"}
    # /route and /health/live kept answering during the whole load
    assert {r[2] for r in probes.results} == {"200"}, probes.results[:10]
    assert {r[0] for r in probes.results} == {"/route", "/health/live"}
    marks = [start, *sorted(probes.finished_at), end]
    gaps = [b - a for a, b in itertools.pairwise(marks)]
    assert max(gaps) < STALL_S, f"the probe stalled for {max(gaps):.1f} s"
    # the gate kept the pool's promise: nothing waited for a connection outside admission
    assert server.metric("lampung_geo_db_checkouts_unadmitted_total") == 0
    assert server.metric("lampung_geo_admission_in_use", gate="db") == 0
