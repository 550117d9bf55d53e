"""Benchmark: OGC API – Features items of lampung-geo vs tipg, on the same table.

Starts a private PostGIS cluster in a temp folder (or uses ``--database-url``),
migrates it, generates ``--points`` service points with SQL, then serves the
``service_points`` table with both our API and tipg (developmentseed) and times, on
one keep-alive connection per server, interleaving the two request by request:

* ``bbox``: ``/items?bbox=…&limit=1000`` over fixed-seed 0.5° boxes (~4,500 points each);
* ``offset``: ``/items?limit=1000&offset=5000`` without a bbox;
* ``item``: ``/items/{fid}`` for random feature ids.

Both servers are checked to return the same features before timing. Prints a table
(``tipg/ours`` > 1 means ours is faster) and writes ``bench/results/layers.json``.

Run from the repository root::

    .venv/bin/pip install 'tipg>=1.0,<2'
    .venv/bin/python bench/layers.py [--points 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    # Run as a script, this folder comes first on sys.path and this file would shadow
    # the project's ``layers`` package: put the repository root there instead.
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

# Extent of the generated points (lon/lat, WGS 84) and size of the query boxes.
LON0, LAT0, WIDTH, HEIGHT = 103.6, -6.0, 2.4, 2.3
BOX = 0.5
LIMIT = 1000
OFFSET = 5000
CATEGORIES = ("puskesmas", "rumah_sakit", "dukcapil", "samsat", "mpp", "polisi", "kantor_camat")
SOURCE = "bench"
GOAL = 1.5  # ours must be at least this much faster than tipg on bbox items

console = Console()


# -- database ------------------------------------------------------------------------
def generate_points(url: str, n: int) -> dict[str, Any]:
    """Migrate the database and (re)create ``n`` bench service points."""
    from sqlalchemy import text

    from layers.db.engine import make_engine
    from layers.db.migrate import upgrade

    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service_points WHERE source = :s"), {"s": SOURCE})
            conn.execute(
                text(
                    "INSERT INTO sources(id, title, is_demo) "
                    "VALUES (:s, 'bench points (generated)', true) ON CONFLICT (id) DO NOTHING"
                ),
                {"s": SOURCE},
            )
            conn.execute(text("SELECT setseed(0.42)"))
            conn.execute(
                text(
                    "INSERT INTO service_points"
                    "(category, name, source, source_id, attributes, geom) "
                    "SELECT (CAST(:cats AS text[]))[1 + (g % 7)], 'Titik ' || g, :s, g::text, "
                    "'{}'::jsonb, ST_SetSRID(ST_MakePoint(:x0 + random() * :w, "
                    ":y0 + random() * :h), 4326) FROM generate_series(1, :n) g"
                ),
                {
                    "cats": list(CATEGORIES),
                    "s": SOURCE,
                    "x0": LON0,
                    "y0": LAT0,
                    "w": WIDTH,
                    "h": HEIGHT,
                    "n": n,
                },
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE service_points"))
            ids = list(
                conn.execute(
                    text("SELECT id FROM service_points WHERE source = :s ORDER BY id"),
                    {"s": SOURCE},
                ).scalars()
            )
            total = conn.execute(text("SELECT count(*) FROM service_points")).scalar_one()
            pg, postgis = conn.execute(
                text("SELECT current_setting('server_version'), postgis_lib_version()")
            ).one()
    finally:
        engine.dispose()
    return {"ids": ids, "rows_in_table": int(total), "postgres": pg, "postgis": postgis}


def delete_points(url: str) -> None:
    """Remove the bench rows again (used on a database the bench did not create)."""
    from sqlalchemy import text

    from layers.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service_points WHERE source = :s"), {"s": SOURCE})
            conn.execute(text("DELETE FROM sources WHERE id = :s"), {"s": SOURCE})
    finally:
        engine.dispose()


# -- servers ---------------------------------------------------------------------------
def start_ours(url: str, port: int, log: Path, source: Path = ROOT) -> Server:
    """Our API under uvicorn, imported from the source tree ``source``."""
    cmd = [sys.executable, "-m", "uvicorn", "geo_api.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {"LAMPUNG_GEO_DATABASE_URL": url}
    return start_server("ours", cmd, port=port, env=env, log=log, ready_path="/health", cwd=source)


def start_tipg(url: str, port: int, log: Path, cwd: Path) -> Server:
    """tipg under uvicorn, publishing only ``public.service_points``."""
    cmd = [sys.executable, "-m", "uvicorn", "tipg.main:app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {
        "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://", 1),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.service_points"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        "TIPG_DEFAULT_FEATURES_LIMIT": "10",
        "TIPG_CATALOG_TTL": "0",  # no catalog refresh in the middle of the timings
    }
    # cwd outside the repository: tipg's settings also read a ``.env`` there.
    return start_server("tipg", cmd, port=port, env=env, log=log, ready_path="/healthz", cwd=cwd)


def tipg_collection_id(server: Server) -> str:
    """The id under which tipg publishes the service_points table."""
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        response = client.get("/collections")
        response.raise_for_status()
        ids = [c["id"] for c in response.json()["collections"]]
    matches = [i for i in ids if i.split(".")[-1] == "service_points"]
    if len(matches) != 1:
        msg = f"tipg does not publish service_points exactly once: {ids}"
        raise RuntimeError(msg)
    return matches[0]


# -- workload --------------------------------------------------------------------------
def make_boxes(rng: random.Random, n: int) -> list[str]:
    """``n`` bbox parameters, each a BOX×BOX square inside the data extent."""
    boxes = []
    for _ in range(n):
        x = LON0 + rng.random() * (WIDTH - BOX)
        y = LAT0 + rng.random() * (HEIGHT - BOX)
        boxes.append(f"{x:.5f},{y:.5f},{x + BOX:.5f},{y + BOX:.5f}")
    return boxes


def _is_geojson(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").split(";")[0] == "application/geo+json"


def _coords_close(a: Any, b: Any, tol: float = 1e-6) -> bool:
    xa, ya = a["coordinates"]
    xb, yb = b["coordinates"]
    return a["type"] == b["type"] and math.hypot(xa - xb, ya - yb) <= tol


def compare_collections(ours: httpx.Response, tipg: httpx.Response, *, expect: int) -> list[str]:
    """Differences between two items responses (empty list: equivalent)."""
    problems = []
    for name, r in (("ours", ours), ("tipg", tipg)):
        if r.status_code != 200:
            problems.append(f"{name}: HTTP {r.status_code}")
        if not _is_geojson(r):
            problems.append(f"{name}: content-type {r.headers.get('content-type')!r}")
    if problems:
        return problems
    a, b = ours.json(), tipg.json()
    if a.get("numberMatched") != b.get("numberMatched"):
        problems.append(f"numberMatched {a.get('numberMatched')} != {b.get('numberMatched')}")
    fa, fb = a["features"], b["features"]
    for name, doc, feats in (("ours", a, fa), ("tipg", b, fb)):
        if len(feats) != expect or doc.get("numberReturned") != expect:
            problems.append(
                f"{name}: {len(feats)} features, numberReturned "
                f"{doc.get('numberReturned')}, expected {expect}"
            )
    ids_a, ids_b = [f["id"] for f in fa], [f["id"] for f in fb]
    if ids_a != ids_b:
        same_set = set(ids_a) == set(ids_b)
        problems.append(f"feature ids differ ({'same set, other order' if same_set else 'sets'})")
    else:
        for x, y in zip(fa, fb, strict=True):
            if not _coords_close(x["geometry"], y["geometry"]):
                problems.append(f"geometry of {x['id']} differs")
                break
            if any(x["properties"].get(k) != y["properties"].get(k) for k in ("name", "category")):
                problems.append(f"properties of {x['id']} differ")
                break
    return problems


def compare_items(ours: httpx.Response, tipg: httpx.Response) -> list[str]:
    """Differences between two single-feature responses."""
    problems = []
    for name, r in (("ours", ours), ("tipg", tipg)):
        if r.status_code != 200:
            problems.append(f"{name}: HTTP {r.status_code}")
        if not _is_geojson(r):
            problems.append(f"{name}: content-type {r.headers.get('content-type')!r}")
    if problems:
        return problems
    a, b = ours.json(), tipg.json()
    if str(a["id"]) != str(b["id"]):
        problems.append(f"id {a['id']} != {b['id']}")
    if not _coords_close(a["geometry"], b["geometry"]):
        problems.append("geometry differs")
    return problems


Path_ = Callable[[int], str]  # request index -> path and query of the request


def run_scenario(
    name: str,
    clients: dict[str, httpx.Client],
    paths: dict[str, Path_],
    *,
    n: int,
    warmup: int,
) -> dict[str, Any]:
    """Warm up, then time ``n`` requests per server, alternating which goes first."""
    for i in range(warmup):
        for server in clients:
            clients[server].get(paths[server](-1 - i)).read()
    times: dict[str, list[float]] = {s: [] for s in clients}
    sizes: dict[str, list[int]] = {s: [] for s in clients}
    errors: dict[str, int] = dict.fromkeys(clients, 0)
    order = list(clients)
    for i in range(n):
        for server in order if i % 2 == 0 else order[::-1]:
            ms, response = timed_get(clients[server], paths[server](i))
            times[server].append(ms)
            sizes[server].append(len(response.content))
            if response.status_code != 200 or not _is_geojson(response):
                errors[server] += 1
    result: dict[str, Any] = {"scenario": name}
    for server in clients:
        result[server] = summarise(times[server]) | {
            "mean_bytes": round(sum(sizes[server]) / len(sizes[server])),
            "errors": errors[server],
        }
    for stat in ("median_ms", "p95_ms", "mean_ms"):
        result[f"ratio_{stat.removesuffix('_ms')}"] = result["tipg"][stat] / result["ours"][stat]
    return result


# -- report ----------------------------------------------------------------------------
def print_report(meta: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """The results as a rich table: per scenario, ours, tipg and tipg/ours."""
    table = Table(
        title=f"OGC API – Features items: lampung-geo vs tipg {meta['tipg_version']}",
        caption=(
            f"{meta['points']:,} points, {meta['requests']} timed requests per server and "
            f"scenario; tipg/ours > 1 means ours is faster"
        ),
    )
    for col in ("scenario", "server", "median ms", "p95 ms", "mean ms", "KB", "errors"):
        table.add_column(col, justify="left" if col in ("scenario", "server") else "right")
    for r in results:
        for server in ("ours", "tipg"):
            s = r[server]
            table.add_row(
                r["scenario"] if server == "ours" else "",
                server,
                f"{s['median_ms']:.1f}",
                f"{s['p95_ms']:.1f}",
                f"{s['mean_ms']:.1f}",
                f"{s['mean_bytes'] / 1024:.0f}",
                str(s["errors"]),
            )
        table.add_row(
            "",
            "[bold]tipg/ours[/]",
            *(f"[bold]{r[f'ratio_{k}']:.2f}×[/]" for k in ("median", "p95", "mean")),
            "",
            "",
            end_section=True,
        )
    console.print(table)
    console.print(
        f"PostgreSQL {meta['postgres']}, PostGIS {meta['postgis']}, Python "
        f"{meta['python']}, {meta['cpus']} CPUs, lampung-geo {meta['git']}; "
        f"tipg collection {meta['tipg_collection']!r}"
    )
    if meta["api_dir"] != str(ROOT):
        console.print(f"[yellow]our API served from {meta['api_dir']}, not this repository[/]")
    for check in meta["checks"]:
        style = "green" if not check["problems"] else "red"
        text = "same features" if not check["problems"] else "; ".join(check["problems"])
        console.print(f"[{style}]check {check['what']}: {text}[/{style}]")
    bbox = next(r for r in results if r["scenario"].startswith("bbox"))
    met = bbox["ratio_median"] >= GOAL
    console.print(
        f"[{'green' if met else 'red'}]goal (bbox items, median): ours ≥ {GOAL}× faster than "
        f"tipg — {'MET' if met else 'NOT MET'} ({bbox['ratio_median']:.2f}×)[/]"
    )


def git_revision() -> str:
    """Short commit of the working tree, ``+dirty`` when it has changes."""
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (rev or "unknown") + ("+dirty" if dirty else "")


# -- main ------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=100_000, help="points to generate")
    p.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    p.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    p.add_argument("--checks", type=int, default=5, help="bboxes compared between servers")
    p.add_argument("--seed", type=int, default=42, help="seed of the workload")
    p.add_argument(
        "--database-url",
        help="use this PostGIS database (postgresql+psycopg://…) instead of a private cluster; "
        "it is migrated, and the bench rows (source 'bench') are deleted afterwards",
    )
    p.add_argument(
        "--api-dir",
        type=Path,
        default=ROOT,
        help="source tree of our API to serve (default: this repository); e.g. a scratch "
        "copy with an experimental change",
    )
    p.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results" / "layers.json", help="JSON"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code (1 if a check failed)."""
    from layers.db.cluster import free_port

    args = parse_args(argv)
    import tipg

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-", dir="/tmp"))
    database = BenchDatabase(args.database_url, folder)
    servers: list[Server] = []
    try:
        url = database.start()
        console.print(f"generating {args.points:,} points …")
        db = generate_points(url, args.points)

        console.print("starting our API and tipg …")
        servers.append(start_ours(url, free_port(), folder / "ours.log", args.api_dir))
        servers.append(start_tipg(url, free_port(), folder / "tipg.log", folder))
        ours, tipg_server = servers
        tipg_id = tipg_collection_id(tipg_server)
        items = {
            "ours": "/collections/service_points/items",
            "tipg": f"/collections/{tipg_id}/items",
        }

        rng = random.Random(args.seed)
        boxes = make_boxes(rng, args.requests)
        warm_boxes = make_boxes(rng, args.warmup)
        fids = rng.sample(db["ids"], min(args.requests + args.warmup, len(db["ids"])))

        def box(i: int) -> str:
            return boxes[i] if i >= 0 else warm_boxes[-1 - i]

        def fid(i: int) -> int:
            return fids[i % len(fids)] if i >= 0 else fids[-1 - i + args.requests]

        headers = {"Accept-Encoding": "identity"}  # tipg would gzip; ours does not
        with (
            httpx.Client(base_url=ours.base_url, headers=headers, timeout=60.0) as c_ours,
            httpx.Client(base_url=tipg_server.base_url, headers=headers, timeout=60.0) as c_tipg,
        ):
            clients = {"ours": c_ours, "tipg": c_tipg}

            checks: list[dict[str, Any]] = []
            for i in range(min(args.checks, len(boxes))):
                q = f"?bbox={box(i)}&limit={LIMIT}"
                a, b = c_ours.get(items["ours"] + q), c_tipg.get(items["tipg"] + q)
                matched = a.json().get("numberMatched", 0) if a.status_code == 200 else 0
                problems = compare_collections(a, b, expect=min(LIMIT, matched))
                if matched < LIMIT:
                    problems.append(f"only {matched} points in the box")
                checks.append({"what": f"bbox {box(i)}", "matched": matched, "problems": problems})
            q = f"?limit={LIMIT}&offset={OFFSET}"
            a, b = c_ours.get(items["ours"] + q), c_tipg.get(items["tipg"] + q)
            expect = max(0, min(LIMIT, db["rows_in_table"] - OFFSET))
            checks.append({"what": q, "problems": compare_collections(a, b, expect=expect)})
            a, b = c_ours.get(f"{items['ours']}/{fid(0)}"), c_tipg.get(f"{items['tipg']}/{fid(0)}")
            checks.append({"what": f"item {fid(0)}", "problems": compare_items(a, b)})

            scenarios: list[tuple[str, dict[str, Path_]]] = [
                (
                    f"bbox {BOX}° limit={LIMIT}",
                    {
                        s: (lambda i, p=p: f"{p}?bbox={box(i)}&limit={LIMIT}")
                        for s, p in items.items()
                    },
                ),
                (
                    f"offset={OFFSET} limit={LIMIT}",
                    {
                        s: (lambda i, p=p: f"{p}?limit={LIMIT}&offset={OFFSET}")
                        for s, p in items.items()
                    },
                ),
                ("item by id", {s: (lambda i, p=p: f"{p}/{fid(i)}") for s, p in items.items()}),
            ]
            results = []
            for name, paths in scenarios:
                console.print(f"timing {name} …")
                results.append(
                    run_scenario(name, clients, paths, n=args.requests, warmup=args.warmup)
                )

        meta = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "tipg_version": tipg.__version__,
            "tipg_collection": tipg_id,
            "git": git_revision(),
            "api_dir": str(args.api_dir.resolve()),
            "points": args.points,
            "rows_in_table": db["rows_in_table"],
            "requests": args.requests,
            "warmup": args.warmup,
            "seed": args.seed,
            "box_degrees": BOX,
            "limit": LIMIT,
            "postgres": db["postgres"],
            "postgis": db["postgis"],
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": "external" if args.database_url else "private cluster",
            "mean_matched_in_checked_boxes": (
                sum(c.get("matched", 0) for c in checks[: args.checks]) / max(1, args.checks)
            ),
            "checks": checks,
        }
        print_report(meta, results)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
        console.print(f"wrote {args.output}")
        return 1 if any(c["problems"] for c in checks) else 0
    finally:
        stop_all(servers)
        if database.is_private:
            database.close()
        else:
            delete_points(args.database_url)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
