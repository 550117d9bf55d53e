"""Benchmark: citizen-report submission latency and ``GET /reports/stats`` on 100,000
reports.

Starts a private PostGIS cluster in a temp folder (or uses ``--database-url``),
migrates it, loads the DEMO data, builds the demo road graphs, adds one office per
agency in every kabupaten/kota (so each submission is routed by travel time), loads
``--reports`` synthetic reports spread over the kecamatan of Lampung (random
categories, statuses, response and resolution times over a year; their
``report_facts`` rows are made by the triggers of migration 0007), serves the API
with uvicorn and times, on one keep-alive connection:

* ``submit``: ``--requests`` ``POST /reports`` without a photo at random points in
  Lampung (point-in-polygon, duplicate check, office by travel time, insert);
* ``stats``: ``GET /reports/stats?level=kecamatan`` over all the reports, each right
  after a new report (so computed afresh: the goal applies to these), then repeated on
  unchanged data (answered from the statistics cache), and ``level=kabupaten``;
* ``hotspots``: ``GET /reports/hotspots?resolution=8`` (for information).

Goals: submission p95 < 150 ms; stats p95 < 300 ms. Prints a table and writes
``bench/results/reports.json``.

Run from the repository root::

    .venv/bin/python bench/reports.py [--reports 100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    BenchDatabase,
    Server,
    start_server,
    stop_all,
    summarise,
    timed_get,
)

SUBMIT_P95_GOAL_MS = 150.0
STATS_P95_GOAL_MS = 300.0
console = Console()

_POINTS = """
SELECT ST_X(p.geom), ST_Y(p.geom), c.id, c.name, k.id, k.code, k.name
FROM admin_areas c
JOIN admin_areas k ON k.id = c.parent_id AND k.code LIKE '18%'
CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(c.geom, :per, 42)) p
WHERE c.level = 'kecamatan'
"""
_STATE = """
INSERT INTO report_state (report_id, status, first_response_at, resolved_at, closed_at,
                          last_event_at)
SELECT id, status, resp, res, CASE WHEN status IN ('selesai', 'ditolak') THEN coalesce(res, resp)
       END, coalesce(res, resp, submitted_at)
FROM (
    SELECT r.id, r.submitted_at, s.status,
           CASE WHEN s.status <> 'diterima'
                THEN r.submitted_at + (random() * 12) * interval '1 hour' END AS resp,
           CASE WHEN s.status = 'selesai'
                THEN r.submitted_at + (12 + random() * 200) * interval '1 hour' END AS res
    FROM reports r
    CROSS JOIN LATERAL (SELECT (ARRAY['diterima', 'diverifikasi', 'diteruskan',
        'ditindaklanjuti', 'selesai', 'selesai', 'selesai', 'ditolak'])[
        1 + (r.id % 8)] AS status) s
    WHERE r.source = 'bench'
) x
"""


def prepare(url: str, graph_dir: Path, *, reports: int, seed: int) -> dict[str, Any]:
    """Demo data, graphs, offices and ``reports`` synthetic reports; return points."""
    import h3.api.basic_int as h3i
    from sqlalchemy import text

    from data.reference import AGENCIES, REPORT_CATEGORIES
    from geo_api.networks import build_demo_graphs
    from layers.db.engine import make_engine
    from layers.db.migrate import upgrade
    from layers.demo import load_demo
    from layers.reports_offices import upsert_offices
    from layers.writer import SourceInfo

    rng = random.Random(seed)
    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            load_demo(conn)
            build_demo_graphs(conn, graph_dir)
        with engine.begin() as conn:
            kabs = conn.execute(
                text(
                    "SELECT code, name, ST_X(ST_PointOnSurface(geom)), "
                    "ST_Y(ST_PointOnSurface(geom)) FROM admin_areas "
                    "WHERE level = 'kabupaten' AND code LIKE '18%'"
                )
            ).all()
            offices = [
                {"source_id": f"{a.code}-{k[0]}", "agency": a.code, "level": "kabupaten",
                 "name": f"{a.name_id} {k[1]}", "lon": float(k[2]), "lat": float(k[3])}
                for a in AGENCIES for k in kabs
            ]  # fmt: skip
            upsert_offices(conn, SourceInfo("bench-offices", "benchmark offices"), offices)
            n_kec = conn.execute(
                text(
                    "SELECT count(*) FROM admin_areas c JOIN admin_areas k ON k.id = c.parent_id "
                    "WHERE c.level = 'kecamatan' AND k.code LIKE '18%'"
                )
            ).scalar_one()
            per = max(1, reports // max(1, int(n_kec)) + 1)
            points = conn.execute(text(_POINTS), {"per": per}).all()
            rng.shuffle(points)
            points = points[:reports]
            conn.execute(
                text(
                    "INSERT INTO sources (id, title, is_demo) VALUES ('bench', "
                    "'benchmark reports', true) ON CONFLICT (id) DO NOTHING"
                )
            )
            cats = [c.code for c in REPORT_CATEGORIES]
            rows = []
            for i, (x, y, kec_id, kec, kab_id, kab_code, kab) in enumerate(points):
                rows.append(
                    {"code": f"LPR-BNCH-{i:08d}", "cat": cats[i % len(cats)],
                     "x": x, "y": y, "kec_id": kec_id, "kec": kec, "kab_id": kab_id,
                     "kab_code": kab_code, "kab": kab, "h3": h3i.latlng_to_cell(y, x, 9),
                     "days": rng.uniform(0, 365)}
                )  # fmt: skip
            for start in range(0, len(rows), 10_000):
                conn.execute(
                    text(
                        "INSERT INTO reports (code, source, category, description, geom, "
                        "geom_public, location_source, kabupaten_id, kabupaten_code, "
                        "kabupaten_name, kecamatan_id, kecamatan_name, agency, h3_9, "
                        "submitted_at) VALUES (:code, 'bench', :cat, "
                        "'Laporan uji beban (benchmark)', ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
                        "ST_SnapToGrid(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 0.001), 'map', "
                        ":kab_id, :kab_code, :kab, :kec_id, :kec, "
                        "(SELECT agency FROM report_routing WHERE category = :cat "
                        "AND level = 'kabupaten'), :h3, now() - :days * interval '1 day')"
                    ),
                    rows[start : start + 10_000],
                )
            conn.execute(text(_STATE))
            conn.execute(text("ANALYZE reports; ANALYZE report_state; ANALYZE report_facts"))
            pg = conn.execute(text("SELECT current_setting('server_version')")).scalar_one()
    finally:
        engine.dispose()
    return {"points": [(float(p[0]), float(p[1])) for p in points[:5000]], "postgres": pg}


def time_submissions(
    client: httpx.Client, points: list[tuple[float, float]], *, n: int, warmup: int, seed: int
) -> tuple[dict[str, float], int]:
    """Time ``n`` submissions without a photo; return the summary and the failures."""
    from data.reference import REPORT_CATEGORIES

    rng = random.Random(seed)
    cats = [c.code for c in REPORT_CATEGORIES]

    def body() -> dict[str, Any]:
        x, y = rng.choice(points)
        return {
            "category": rng.choice(cats),
            "description": "Jalan berlubang di depan pasar, mohon segera diperbaiki.",
            "lon": f"{x + rng.uniform(-1e-4, 1e-4):.6f}",
            "lat": f"{y + rng.uniform(-1e-4, 1e-4):.6f}",
        }

    for _ in range(warmup):
        client.post("/reports", data=body()).read()
    times, errors = [], 0
    for _ in range(n):
        payload = body()
        t = time.perf_counter()
        r = client.post("/reports", data=payload)
        r.read()
        times.append((time.perf_counter() - t) * 1000.0)
        errors += r.status_code != 201
    return summarise(times), errors


def time_gets(client: httpx.Client, url: str, *, n: int) -> tuple[dict[str, float], Any]:
    """Time ``n`` GETs of ``url`` after one warm-up; return the summary and a body."""
    _, first = timed_get(client, url)
    first.raise_for_status()
    times = [timed_get(client, url)[0] for _ in range(n)]
    return summarise(times), first.json()


def time_cold_stats(
    client: httpx.Client, url: str, points: list[tuple[float, float]], *, n: int
) -> dict[str, float]:
    """Time ``n`` GETs of ``url``, each right after a new report (untimed), so that
    none is answered from the statistics cache."""
    rng = random.Random(7)
    times = []
    for _ in range(n):
        x, y = rng.choice(points)
        data = {"category": "sampah", "description": "Sampah menumpuk di pinggir jalan.",
                "lon": f"{x:.6f}", "lat": f"{y:.6f}"}  # fmt: skip
        client.post("/reports", data=data).raise_for_status()
        times.append(timed_get(client, url)[0])
    return summarise(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 1 if a goal is missed or a request failed."""
    from layers.db.cluster import free_port

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reports", type=int, default=100_000, help="reports in the database")
    p.add_argument("--requests", type=int, default=300, help="timed submissions")
    p.add_argument("--stats-requests", type=int, default=20)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--database-url", help="use this database (it gets the demo data)")
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "reports.json")
    args = p.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-", dir="/tmp"))
    graphs = folder / "graphs"
    database = BenchDatabase(args.database_url, folder)
    servers: list[Server] = []
    try:
        url = database.start()
        console.print(f"loading the demo data, graphs and {args.reports:,} reports …")
        t0 = time.perf_counter()
        data = prepare(url, graphs, reports=args.reports, seed=args.seed)
        load_s = time.perf_counter() - t0
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "geo_api.app:create_app", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        env = {
            "LAMPUNG_GEO_DATABASE_URL": url,
            "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graphs),
            "LAMPUNG_GEO_REPORTS_RATE_LIMIT_PER_HOUR": "10000",
            "LAMPUNG_GEO_REPORTS_PHOTO_DIR": str(folder / "photos"),
        }
        servers.append(
            start_server(
                "api", cmd, port=port, env=env, log=folder / "api.log", ready_path="/health"
            )
        )
        with httpx.Client(base_url=servers[0].base_url, timeout=60.0) as client:
            console.print(f"timing {args.requests} submissions …")
            submit, submit_errors = time_submissions(
                client, data["points"], n=args.requests, warmup=args.warmup, seed=args.seed
            )
            console.print("timing the statistics …")
            n = args.stats_requests
            kec_url = "/reports/stats?level=kecamatan"
            stats_cold = time_cold_stats(client, kec_url, data["points"], n=n)
            stats_kec, body = time_gets(client, kec_url, n=n)
            stats_kab, _ = time_gets(client, "/reports/stats?level=kabupaten", n=n)
            hot, _ = time_gets(client, "/reports/hotspots?resolution=8", n=n)
    finally:
        stop_all(servers)
        database.close()
        shutil.rmtree(folder, ignore_errors=True)

    counted = body["totals"]["count"]
    submit_ok = submit["p95_ms"] < SUBMIT_P95_GOAL_MS and submit_errors == 0
    stats_ok = stats_cold["p95_ms"] < STATS_P95_GOAL_MS
    table = Table(title=f"lampung-geo reports benchmark ({counted:,} reports counted)")
    for col in ("what", "n", "median", "p95", "goal"):
        table.add_column(col, justify="left" if col == "what" else "right")
    rows = (
        ("POST /reports (no photo)", submit, SUBMIT_P95_GOAL_MS, submit_ok),
        ("stats kecamatan, after a new report", stats_cold, STATS_P95_GOAL_MS, stats_ok),
        ("stats kecamatan, unchanged data (cached)", stats_kec, None, None),
        ("GET /reports/stats?level=kabupaten", stats_kab, None, None),
        ("GET /reports/hotspots?resolution=8", hot, None, None),
    )
    for label, s, goal, ok in rows:
        goal_text = "" if goal is None else f"p95 < {goal:.0f} ms: {'MET' if ok else 'NOT MET'}"
        table.add_row(
            label, str(s["n"]), f"{s['median_ms']:.1f} ms", f"{s['p95_ms']:.1f} ms", goal_text
        )
    console.print(table)
    console.print(f"submission errors: {submit_errors}; data loaded in {load_s:.0f} s")
    result = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "postgres": data["postgres"],
            "cpus": os.cpu_count(),
            "reports": args.reports,
            "counted": counted,
            "requests": args.requests,
            "seed": args.seed,
        },
        "submit_http": submit | {"errors": submit_errors, "goal_p95_ms": SUBMIT_P95_GOAL_MS},
        "stats_kecamatan_cold": stats_cold | {"goal_p95_ms": STATS_P95_GOAL_MS},
        "stats_kecamatan_cached": stats_kec,
        "stats_kabupaten": stats_kab,
        "hotspots_res8": hot,
        "goals_met": {"submit_p95": submit_ok, "stats_p95": stats_ok},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    console.print(f"wrote {args.output}")
    return 0 if submit_ok and stats_ok else 1


if __name__ == "__main__":
    sys.exit(main())
