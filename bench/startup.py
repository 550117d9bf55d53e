"""Start-up of ``lampung-geo serve`` on a network store, and what extra workers cost.

For each ``--workers`` count: start ``lampung-geo serve --workers N`` on the graph
folder (a network store written by ``graph build --format 3``, e.g. the 1M-edge
synthetic network with all four profiles), time it until ``/health/ready`` answers
200, then read the memory of the server's process tree from /proc: RSS (shared pages
counted once per process), PSS (shared pages split between the processes: the memory
the tree really uses) and USS. The ratio of interest is what a second worker adds:
``PSS(workers=2) / PSS(workers=1) - 1``.

Usage::

    .venv/bin/lampung-geo graph build bench/results/synthetic/synthetic_1000000_0.gpkg \\
        --format 3 --out /tmp/s1m --profile motorcycle --profile car --profile truck \\
        --profile walk
    .venv/bin/python bench/startup.py --graph-dir /tmp/s1m [--workers 1,2,4]

Results go to ``bench/results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench._common import BenchDatabase, start_server, stop_all, tree_memory_kb  # noqa: E402


def measure(graph_dir: Path, url: str, workers: int, folder: Path) -> dict[str, Any]:
    """Start a server with ``workers`` workers, time it to ready, read its memory."""
    from layers.db.cluster import free_port

    port = free_port()
    env = {
        "LAMPUNG_GEO_DATABASE_URL": url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graph_dir),
        "LAMPUNG_GEO_HOST": "127.0.0.1",
        "LAMPUNG_GEO_PORT": str(port),
    }
    cmd = [sys.executable, "-m", "geo_api.cli", "serve", "--workers", str(workers)]
    started = time.perf_counter()
    server = start_server(
        f"api-{workers}",
        cmd,
        port=port,
        env=env,
        log=folder / f"api-{workers}.log",
        ready_path="/health/ready",
        timeout_s=300.0,
    )
    ready_s = time.perf_counter() - started
    try:
        time.sleep(2.0)  # every worker up (ready answered by the first)
        mem = tree_memory_kb(server.process.pid)
    finally:
        stop_all([server])
    return {
        "workers": workers,
        "ready_s": round(ready_s, 2),
        "processes": mem["processes"],
        "rss_mb": round(mem["rss_kb"] / 1024, 1),
        "pss_mb": round(mem["pss_kb"] / 1024, 1),
        "uss_mb": round(mem["uss_kb"] / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the start-up measurements and write the JSON results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph-dir", type=Path, required=True, help="a network store folder")
    p.add_argument("--workers", default="1,2", help="worker counts to measure")
    p.add_argument("--database-url", help="an existing database (default: private cluster)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = p.parse_args(argv)
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-startup-", dir="/tmp"))
    db = BenchDatabase(args.database_url, folder)
    rows = []
    try:
        url = db.start()
        if db.is_private:
            from layers.db.engine import make_engine
            from layers.db.migrate import upgrade

            engine = make_engine(url, statement_timeout_ms=600_000)
            upgrade(engine)
            engine.dispose()
        meta = json.loads((args.graph_dir / "network" / "meta.json").read_text())
        print(
            f"store: {meta['counts']['nodes']:,} nodes, {meta['counts']['arcs']:,} arcs, "
            f"profiles {sorted(meta['profiles'])}"
        )
        print(
            f"{'workers':>7} {'ready s':>8} {'procs':>5} {'RSS MB':>8} {'PSS MB':>8} {'USS MB':>8}"
        )
        for n in counts:
            r = measure(args.graph_dir, url, n, folder)
            rows.append(r)
            print(
                f"{r['workers']:>7} {r['ready_s']:>8} {r['processes']:>5} {r['rss_mb']:>8} "
                f"{r['pss_mb']:>8} {r['uss_mb']:>8}",
                flush=True,
            )
    finally:
        db.close()
        shutil.rmtree(folder, ignore_errors=True)
    by = {r["workers"]: r for r in rows}
    result: dict[str, Any] = {"store": str(args.graph_dir), "runs": rows}
    if 1 in by and 2 in by:
        result["second_worker_adds_pct"] = round(
            100.0 * (by[2]["pss_mb"] / by[1]["pss_mb"] - 1.0), 1
        )
        print(f"a second worker adds {result['second_worker_adds_pct']} % (PSS of the tree)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
