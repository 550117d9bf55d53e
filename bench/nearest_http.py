"""Benchmark: ``GET /nearest`` over HTTP at 8 concurrent clients, on real Jakarta data.

Builds the Jakarta motorcycle graph from ``../shared/data/jakarta/roads_osm_c2012.gpkg``
(build, compile, save and load timed), loads the 560 Jakarta puskesmas into a private
PostGIS cluster, serves the API with ``lampung-geo serve --workers N`` (networks loaded
once, before the workers fork) and sends ``--requests`` nearest-puskesmas queries (k=3)
from random road positions with ``--clients`` threads, each on its own keep-alive
connection. Prints latency (median, p95) and throughput, and writes
``bench/results/nearest_http.json``.

Run from the repository root::

    .venv/bin/python bench/nearest_http.py [--clients 8] [--requests 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench._common import Server, start_server, stop_all, summarise  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "jakarta"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    from layers.db.cluster import PostgresCluster, free_port
    from layers.db.engine import make_engine
    from layers.db.migrate import upgrade
    from layers.ingest import ingest_file
    from layers.writer import SourceInfo
    from routing.build import build_graph
    from routing.network import Network, compile_and_save

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    roads = SHARED / "roads_osm_c2012.gpkg"
    if not roads.exists():
        print(f"missing {roads}: this benchmark needs ../shared/data")
        return 2

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-", dir="/tmp"))
    graphs = folder / "graphs"
    timings: dict[str, float] = {}
    cluster = PostgresCluster(folder / "pg", port=free_port())
    servers: list[Server] = []
    try:
        t = time.perf_counter()
        graph, report = build_graph(roads, profile="motorcycle")
        timings["build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        compile_and_save(graph, graphs / "motorcycle.npz")
        timings["compile_save_s"] = time.perf_counter() - t
        net = Network.load(graphs / "motorcycle.npz")
        timings["load_s (file + CH + snapper)"] = net.load_seconds
        print(report)

        url = cluster.start()
        upgrade(make_engine(url))
        with make_engine(url).connect() as conn:
            ingest_file(
                conn,
                SHARED / "puskesmas.geojson",
                kind="points",
                mapping={"NAMOBJ": "name", "OBJECTID": "source_id"},
                defaults={"category": "puskesmas"},
                source=SourceInfo(id="jakarta-puskesmas", title="Puskesmas DKI"),
            )
        port = free_port()
        # `lampung-geo serve` as deployed: the networks are loaded once, before the
        # workers fork (run through `python -c` so this checkout's code is served)
        cmd = [sys.executable, "-c", "from geo_api.cli import app; app()", "serve"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
        env = {"LAMPUNG_GEO_DATABASE_URL": url, "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graphs)}
        servers.append(
            start_server(
                "ours",
                cmd,
                port=port,
                env=env,
                log=folder / "api.log",
                ready_path="/health",
                timeout_s=180.0,  # a loaded 2-core machine
            )
        )
        base = servers[0].base_url
        rng = np.random.default_rng(args.seed)
        nodes = rng.integers(0, net.compiled.n_nodes, size=args.requests)
        queries = [
            f"/nearest?lon={net.compiled.node_lon[i]:.6f}&lat={net.compiled.node_lat[i]:.6f}"
            "&category=puskesmas&k=3"
            for i in nodes
        ]
        with httpx.Client(base_url=base, timeout=30) as warm:
            for q in queries[:20]:
                warm.get(q).raise_for_status()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        chunks = [queries[i :: args.clients] for i in range(args.clients)]

        def worker(chunk: list[str]) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                for q in chunk:
                    started = time.perf_counter()
                    r = client.get(q)
                    ms = (time.perf_counter() - started) * 1000
                    with lock:
                        latencies.append(ms)
                        if r.status_code != 200 or r.json()["numberReturned"] != 3:
                            errors.append(f"{r.status_code} {q}")

        threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
        started = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - started
        stats = summarise(latencies)
        result: dict[str, Any] = {
            "graph": {"nodes": net.compiled.n_nodes, "edges": net.compiled.n_edges, **timings},
            "clients": args.clients,
            "workers": args.workers,
            "requests": len(latencies),
            "errors": len(errors),
            "qps": len(latencies) / wall,
            **stats,
        }
        print(json.dumps(result, indent=2))
        goal = "MET" if stats["p95_ms"] < 50 else "NOT MET"
        print(f"goal p95 < 50 ms at {args.clients} clients: {goal} ({stats['p95_ms']:.1f} ms)")
        out = ROOT / "bench" / "results" / "nearest_http.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        return 1 if errors else 0
    finally:
        stop_all(servers)
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
