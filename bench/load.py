"""Load test: 1–128 keep-alive clients against a live ``lampung-geo serve`` on the demo.

Starts a throwaway PostGIS cluster (or uses ``--database-url``), loads the DEMO data,
builds the demo road graphs (or uses ``--graph-dir``), serves the API with
``lampung-geo serve`` in its own process and drives it from this process with asyncio
and httpx: each simulated client is one keep-alive connection that sends its next
request as soon as the previous answer arrived.

Scenarios (each run at every client count of ``--levels`` for ``--duration`` s):

* ``items``   — ``/collections/service_points/items?bbox=<random view>&limit=100``
* ``route``   — ``/route`` between random road positions (pairs checked once beforehand)
* ``nearest`` — ``/nearest?category=puskesmas&k=3`` from random road positions
* ``tiles``   — MVT tiles of service points and admin areas, zoom 8–12
* ``mix``     — 40 % items, 25 % route, 25 % nearest, 10 % tiles
* ``saturated`` — every client on ``items`` (database-bound), plus ``--probes`` extra
  clients on ``/route`` whose latency is reported apart: what a citizen's route
  request meets while the database endpoints are saturated. The probes run in
  processes of their own, so their timings do not include this process's own work
  (parsing the ``items`` answers).

For each step: requests, throughput, p50/p95/p99/max latency, 5xx other than 503,
503 (refused by admission, with ``Retry-After``), connection errors, client timeouts,
requests slower than 10 s ("stalls"), and the server's RSS before and after.
``--long N`` then runs the mix with ``--long-clients`` clients until N requests and
samples the RSS every 10,000 requests (growth is measured from the first sample, after
warm-up). Results go to ``bench/results/load.json``.

Run from the repository root::

    .venv/bin/python bench/load.py                       # all scenarios, 15 s steps
    .venv/bin/python bench/load.py --duration 5 --levels 64,128 --scenarios items,saturated
    .venv/bin/python bench/load.py --scenarios none --long 100000
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://... --graph-dir DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench._common import BenchDatabase, Server, percentile, start_server, stop_all  # noqa: E402

STALL_S = 10.0
# One TLS context for every client: httpx builds a new one (loading the CA bundle, ~0.1 s)
# per client otherwise, which would stall this process for seconds at 128 clients.
TLS = ssl.create_default_context()
SCENARIOS = ("items", "route", "nearest", "tiles", "mix", "saturated")
MIX = (("items", 0.40), ("route", 0.25), ("nearest", 0.25), ("tiles", 0.10))

Path_ = Callable[[random.Random], str]


# -- workload -------------------------------------------------------------------------
@dataclass
class Workload:
    """Request paths per kind, drawn from the demo's road graph."""

    lon: np.ndarray
    lat: np.ndarray
    routes: list[str] = field(default_factory=list)

    def items(self, rng: random.Random) -> str:
        i = rng.randrange(self.lon.shape[0])
        w = rng.uniform(0.1, 0.5)
        x0, y0 = self.lon[i] - w / 2, self.lat[i] - w / 2
        box = f"{x0:.4f},{y0:.4f},{x0 + w:.4f},{y0 + w:.4f}"
        return f"/collections/service_points/items?bbox={box}&limit=100"

    def route(self, rng: random.Random) -> str:
        return rng.choice(self.routes)

    def nearest(self, rng: random.Random) -> str:
        i = rng.randrange(self.lon.shape[0])
        return f"/nearest?lon={self.lon[i]:.6f}&lat={self.lat[i]:.6f}&category=puskesmas&k=3"

    def tiles(self, rng: random.Random) -> str:
        i = rng.randrange(self.lon.shape[0])
        z = rng.randint(8, 12)
        n = 2**z
        x = int((self.lon[i] + 180.0) / 360.0 * n)
        lat = np.radians(self.lat[i])
        y = int((1.0 - np.log(np.tan(lat) + 1.0 / np.cos(lat)) / np.pi) / 2.0 * n)
        coll = rng.choice(("service_points", "admin_areas"))
        return f"/collections/{coll}/tiles/{z}/{x}/{y}"

    def mix(self, rng: random.Random) -> str:
        r = rng.random()
        for kind, share in MIX:
            if r < share:
                return self.path(kind)(rng)
            r -= share
        return self.items(rng)

    def path(self, kind: str) -> Path_:
        fn: Path_ = getattr(self, kind)
        return fn


def make_workload(graph_dir: Path, base_url: str, *, seed: int, n_routes: int = 300) -> Workload:
    """Road positions of the motorcycle graph, and route pairs the server can answer."""
    from routing.compiled import load_compiled
    from routing.store import is_store

    if is_store(graph_dir):  # a network store (format 3)
        from routing.network import load_store

        cg = load_store(graph_dir, kind="scipy", profiles=["motorcycle"])["motorcycle"].compiled
    else:
        cg = load_compiled(graph_dir / "motorcycle.npz")
    rng = np.random.default_rng(seed)
    nodes = rng.choice(cg.n_nodes, size=min(cg.n_nodes, 2000), replace=False)
    wl = Workload(lon=np.asarray(cg.node_lon[nodes]), lat=np.asarray(cg.node_lat[nodes]))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        tries = 0
        while len(wl.routes) < n_routes and tries < 5 * n_routes:
            tries += 1
            a, b = rng.choice(wl.lon.shape[0], size=2, replace=False)
            path = f"/route?from={wl.lon[a]:.6f},{wl.lat[a]:.6f}&to={wl.lon[b]:.6f},{wl.lat[b]:.6f}"
            if client.get(path).status_code == 200:
                wl.routes.append(path)
    if not wl.routes:
        msg = "no route between the sampled positions could be answered"
        raise RuntimeError(msg)
    return wl


# -- measuring ------------------------------------------------------------------------
@dataclass
class Tally:
    """Outcomes of one group of clients."""

    latencies: list[float] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)

    def add(self, seconds: float, outcome: str) -> None:
        self.latencies.append(seconds)
        self.status[outcome] = self.status.get(outcome, 0) + 1

    def summary(self, duration_s: float) -> dict[str, Any]:
        lat = [s * 1000.0 for s in self.latencies]
        n = len(lat)
        s5xx = sum(v for k, v in self.status.items() if k.startswith("5") and k != "503")
        return {
            "requests": n,
            "rps": round(n / duration_s, 1) if duration_s else None,
            "p50_ms": round(percentile(lat, 50), 1) if n else None,
            "p95_ms": round(percentile(lat, 95), 1) if n else None,
            "p99_ms": round(percentile(lat, 99), 1) if n else None,
            "max_ms": round(max(lat), 1) if n else None,
            "ok": self.status.get("200", 0) + self.status.get("304", 0),
            "4xx": sum(v for k, v in self.status.items() if k.startswith("4")),
            "5xx": s5xx,
            "503": self.status.get("503", 0),
            "conn_errors": self.status.get("connection", 0),
            "timeouts": self.status.get("timeout", 0),
            "stalls": sum(1 for s in self.latencies if s > STALL_S),
            "status": dict(sorted(self.status.items())),
        }


def new_client(base_url: str, timeout_s: float) -> httpx.AsyncClient:
    """One simulated user: one keep-alive connection."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits, verify=TLS)


async def _client(
    client: httpx.AsyncClient,
    make: Path_,
    tally: Tally,
    *,
    seed: int,
    until: float,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    rng = random.Random(seed)
    async with client:
        while time.monotonic() < until and not stop():
            path = make(rng)
            started = time.monotonic()
            try:
                response = await client.get(path)
                outcome = str(response.status_code)
            except httpx.TimeoutException:
                outcome = "timeout"
            except httpx.TransportError:
                outcome = "connection"
            tally.add(time.monotonic() - started, outcome)


def rss_kb(pid: int) -> int:
    """Memory of a server (kB), from /proc: the RSS of one process, or with ``serve
    --workers N`` the proportional set size (PSS) of the parent and its workers, which
    counts the pages they share once."""
    from bench._common import tree_memory_kb

    mem = tree_memory_kb(pid)
    return mem["pss_kb"] if mem["processes"] > 1 else mem["rss_kb"]


def probe_main(base_url: str, paths_file: str, duration_s: float) -> None:
    """``--probe-url``: request the paths of ``paths_file`` one after another for
    ``duration_s`` seconds; print ``[[seconds, outcome], ...]`` as JSON."""
    paths = Path(paths_file).read_text().split()
    rng = random.Random(len(paths))
    out: list[tuple[float, str]] = []
    until = time.monotonic() + duration_s
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                outcome = str(client.get(rng.choice(paths)).status_code)
            except httpx.TimeoutException:
                outcome = "timeout"
            except httpx.TransportError:
                outcome = "connection"
            out.append((time.monotonic() - started, outcome))
    print(json.dumps(out))


def _start_probes(
    base_url: str, paths: list[str], n: int, duration_s: float, *, folder: Path
) -> list[subprocess.Popen[str]]:
    paths_file = folder / "probe-paths.txt"
    paths_file.write_text("\n".join(paths))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--probe-url", base_url]
    cmd += ["--probe-paths", str(paths_file), "--duration", str(duration_s)]
    return [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(n)]


def _collect_probes(procs: list[subprocess.Popen[str]]) -> Tally:
    tally = Tally()
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        for seconds, outcome in json.loads(out or "[]"):
            tally.add(float(seconds), str(outcome))
    return tally


async def run_step(
    server: Server,
    wl: Workload,
    scenario: str,
    clients: int,
    *,
    duration_s: float,
    probes: int,
    timeout_s: float,
    seed: int,
    folder: Path,
) -> dict[str, Any]:
    """One scenario at one client count."""
    kind = "items" if scenario == "saturated" else scenario
    main = Tally()
    users = [new_client(server.base_url, timeout_s) for _ in range(clients)]
    rss_before = rss_kb(server.process.pid)
    started = time.monotonic()
    until = started + duration_s
    procs = (
        _start_probes(server.base_url, wl.routes, probes, duration_s, folder=folder)
        if scenario == "saturated"
        else []
    )
    await asyncio.gather(
        *[_client(c, wl.path(kind), main, seed=seed + i, until=until) for i, c in enumerate(users)]
    )
    probe = _collect_probes(procs)
    elapsed = time.monotonic() - started
    result = {
        "scenario": scenario,
        "clients": clients,
        "duration_s": round(elapsed, 1),
        **main.summary(elapsed),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_after_mb": round(rss_kb(server.process.pid) / 1024, 1),
    }
    if scenario == "saturated":
        result["route_probe"] = probe.summary(elapsed)
    return result


async def run_long(
    server: Server,
    wl: Workload,
    *,
    total: int,
    clients: int,
    timeout_s: float,
    seed: int,
    sample_every: int = 10_000,
) -> dict[str, Any]:
    """The mix until ``total`` requests, with the server's RSS every ``sample_every``."""
    tally = Tally()
    samples: list[tuple[int, float]] = []
    done = asyncio.Event()

    async def sampler() -> None:
        next_at = sample_every
        while not done.is_set():
            n = len(tally.latencies)
            if n >= next_at:
                samples.append((n, rss_kb(server.process.pid) / 1024))
                print(f"  {n:>7,} requests, server RSS {samples[-1][1]:.1f} MB", flush=True)
                next_at += sample_every
            await asyncio.sleep(0.2)

    users = [new_client(server.base_url, timeout_s) for _ in range(clients)]
    started = time.monotonic()
    before = rss_kb(server.process.pid) / 1024
    sampling = asyncio.create_task(sampler())
    await asyncio.gather(
        *[
            _client(
                c,
                wl.mix,
                tally,
                seed=seed + i,
                until=started + 24 * 3600,
                stop=lambda: len(tally.latencies) >= total,
            )
            for i, c in enumerate(users)
        ]
    )
    done.set()
    await sampling
    elapsed = time.monotonic() - started
    after = rss_kb(server.process.pid) / 1024
    first = samples[0][1] if samples else before
    return {
        "scenario": "long mix",
        "clients": clients,
        "duration_s": round(elapsed, 1),
        **tally.summary(elapsed),
        "rss_start_mb": round(before, 1),
        "rss_first_sample_mb": round(first, 1),
        "rss_end_mb": round(after, 1),
        "rss_growth_pct": round(100.0 * (after - first) / first, 2) if first else None,
        "rss_samples": [(n, round(mb, 1)) for n, mb in samples],
    }


# -- output ---------------------------------------------------------------------------
def _row(r: dict[str, Any]) -> str:
    return (
        f"{r['scenario']:<10} {r['clients']:>4} {r['requests']:>7} {r['rps']:>7} "
        f"{r['p50_ms']!s:>8} {r['p95_ms']!s:>8} {r['p99_ms']!s:>8} {r['max_ms']!s:>8} "
        f"{r['5xx']:>4} {r['503']:>4} {r['conn_errors']:>4} {r['timeouts']:>4} "
        f"{r['stalls']:>4} {r['rss_before_mb']:>7} {r['rss_after_mb']:>7}"
        + (
            f"   route p50/p99/max {r['route_probe']['p50_ms']}/{r['route_probe']['p99_ms']}/"
            f"{r['route_probe']['max_ms']} ms ({r['route_probe']['requests']} req, "
            f"{r['route_probe']['5xx'] + r['route_probe']['503']} 5xx)"
            if "route_probe" in r
            else ""
        )
    )


HEADER = (
    f"{'scenario':<10} {'cli':>4} {'req':>7} {'rps':>7} {'p50ms':>8} {'p95ms':>8} "
    f"{'p99ms':>8} {'maxms':>8} {'5xx':>4} {'503':>4} {'conn':>4} {'tout':>4} {'>10s':>4} "
    f"{'rssMB0':>7} {'rssMB1':>7}"
)


def _parse_levels(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip()]


def _parse_scenarios(raw: str) -> list[str]:
    if raw.strip() in ("", "none"):
        return []
    names = [x.strip() for x in raw.split(",") if x.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        msg = f"unknown scenarios {unknown}; known: {list(SCENARIOS)}"
        raise SystemExit(msg)
    return names


def prepare(args: argparse.Namespace, folder: Path) -> tuple[BenchDatabase, str, Path]:
    """The database URL with the demo loaded, and the folder of the demo graphs."""
    from geo_api.networks import build_demo_graphs
    from layers.db.engine import make_engine
    from layers.db.migrate import upgrade
    from layers.demo import load_demo

    db = BenchDatabase(args.database_url, folder)
    url = db.start()
    engine = make_engine(url, statement_timeout_ms=600_000)
    if db.is_private:
        upgrade(engine)
        with engine.connect() as conn:
            load_demo(conn)
    graph_dir = Path(args.graph_dir) if args.graph_dir else folder / "graphs"
    if not args.graph_dir:
        with engine.connect() as conn:
            build_demo_graphs(conn, graph_dir)
    engine.dispose()
    return db, url, graph_dir


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load test."""
    from layers.db.cluster import free_port

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=15.0, help="seconds per step")
    p.add_argument("--levels", default="1,8,32,64,128", help="client counts")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="or 'none'")
    p.add_argument("--probes", type=int, default=2, help="/route clients in 'saturated'")
    p.add_argument("--long", type=int, default=0, help="requests of the long mix (0: skip)")
    p.add_argument("--long-clients", type=int, default=32)
    p.add_argument("--timeout", type=float, default=30.0, help="client timeout (s)")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--database-url", help="a database with the demo loaded (default: private)")
    p.add_argument("--graph-dir", help="demo graphs already built (default: build them)")
    p.add_argument(
        "--env", action="append", default=[], help="server setting KEY=VALUE (repeatable)"
    )
    p.add_argument("--ready-path", default="/health/ready")
    p.add_argument("--workers", type=int, default=1, help="serve --workers N")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.json"))
    p.add_argument("--server-log", help="keep the server's JSON log here (default: dropped)")
    p.add_argument("--probe-url", help=argparse.SUPPRESS)
    p.add_argument("--probe-paths", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.probe_url:
        probe_main(args.probe_url, args.probe_paths, args.duration)
        return 0
    levels = _parse_levels(args.levels)
    scenarios = _parse_scenarios(args.scenarios)

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-load-", dir="/tmp"))
    servers: list[Server] = []
    db: BenchDatabase | None = None
    results: dict[str, Any] = {"steps": [], "settings": args.env}
    try:
        db, url, graph_dir = prepare(args, folder)
        port = free_port()
        env = {
            "LAMPUNG_GEO_DATABASE_URL": url,
            "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graph_dir),
            "LAMPUNG_GEO_HOST": "127.0.0.1",
            "LAMPUNG_GEO_PORT": str(port),
        }
        env |= dict(kv.split("=", 1) for kv in args.env)
        cmd = [sys.executable, "-m", "geo_api.cli", "serve", "--workers", str(args.workers)]
        log = Path(args.server_log) if args.server_log else folder / "api.log"
        server = start_server("api", cmd, port=port, env=env, log=log, ready_path=args.ready_path)
        servers.append(server)
        wl = make_workload(graph_dir, server.base_url, seed=args.seed)
        print(f"server pid {server.process.pid}, log {server.log}; {len(wl.routes)} route pairs")
        print(HEADER)
        for scenario in scenarios:
            for clients in levels:
                r = asyncio.run(
                    run_step(
                        server,
                        wl,
                        scenario,
                        clients,
                        duration_s=args.duration,
                        probes=args.probes,
                        timeout_s=args.timeout,
                        seed=args.seed * 1000 + clients,
                        folder=folder,
                    )
                )
                results["steps"].append(r)
                print(_row(r), flush=True)
        if args.long:
            print(f"long mix: {args.long:,} requests with {args.long_clients} clients")
            r = asyncio.run(
                run_long(
                    server,
                    wl,
                    total=args.long,
                    clients=args.long_clients,
                    timeout_s=args.timeout,
                    seed=args.seed,
                )
            )
            results["long"] = r
            print(
                f"long mix: {r['requests']:,} requests in {r['duration_s']} s, "
                f"p50/p99/max {r['p50_ms']}/{r['p99_ms']}/{r['max_ms']} ms, "
                f"5xx {r['5xx']}, 503 {r['503']}, conn {r['conn_errors']}, "
                f"timeouts {r['timeouts']}; RSS {r['rss_first_sample_mb']} -> "
                f"{r['rss_end_mb']} MB ({r['rss_growth_pct']} %)"
            )
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
        print(f"results: {out}")
    finally:
        stop_all(servers)
        if db is not None:
            db.close()
        shutil.rmtree(folder, ignore_errors=True)
    failed = [
        r for r in results["steps"] if r["5xx"] or r["conn_errors"] or r["timeouts"] or r["stalls"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
