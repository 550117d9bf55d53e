"""Benchmark: ``POST /logistics/plan`` latency and the allocation's solve time.

Starts a private PostGIS cluster in a temp folder (or uses ``--database-url``),
migrates it, loads the DEMO data, builds the demo road graphs, serves the API with
uvicorn and times, on one keep-alive connection:

* ``plan``: ``--requests`` plans from random demo farms to a random Jakarta market at
  random departure times (heavy trucks; every route crosses Bakauheni–Merak);
* ``allocate (HTTP, demo)``: ``POST /logistics/allocate`` on the demo data (70 farms,
  2 markets);

and in process, on the demo truck graph:

* ``allocate 500 x 10``: ``--farms`` synthetic farms on Lampung roads and
  ``--markets`` markets on Jakarta roads (snapping, trip-quantity trees, cost matrix
  and the HiGHS LP, each timed; ``--repeats`` runs).

Goals: plan p95 < 100 ms; allocation (end to end) < 2 s. Prints a table and writes
``bench/results/logistics.json``.

Run from the repository root::

    .venv/bin/python bench/logistics.py [--requests 300] [--farms 500] [--markets 10]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench._common import BenchDatabase, Server, start_server, stop_all, summarise  # noqa: E402

PLAN_P95_GOAL_MS = 100.0
ALLOCATE_GOAL_S = 2.0
COMMODITIES = ("padi", "jagung", "ubi_kayu", "pisang", "kopi")
console = Console()


def prepare(url: str, graph_dir: Path) -> dict[str, Any]:
    """Migrate, load the demo data, build the demo graphs; return the farms' positions."""
    from sqlalchemy import text

    from geo_api.networks import build_demo_graphs
    from layers.db.engine import make_engine
    from layers.db.migrate import upgrade
    from layers.demo import load_demo

    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            load_demo(conn)
            build_demo_graphs(conn, graph_dir)
            farms = conn.execute(
                text("SELECT ST_X(geom), ST_Y(geom), commodity FROM farms ORDER BY id")
            ).all()
            markets = conn.execute(text("SELECT id, name FROM markets ORDER BY id")).all()
            pg = conn.execute(text("SELECT current_setting('server_version')")).scalar_one()
    finally:
        engine.dispose()
    return {
        "farms": [(float(x), float(y), str(c)) for x, y, c in farms],
        "markets": [(int(i), str(n)) for i, n in markets],
        "postgres": pg,
    }


def time_plans(
    client: httpx.Client, data: dict[str, Any], *, n: int, warmup: int, seed: int
) -> tuple[dict[str, float], int]:
    """Time ``n`` plan requests; return the summary and the number of non-200 answers."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)

    def body() -> dict[str, Any]:
        lon, lat, commodity = rng.choice(data["farms"])
        market = rng.choice(data["markets"])[0]
        when = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        return {
            "origin": [lon, lat],
            "market": market,
            "commodity": commodity,
            "tonnes": round(rng.uniform(1, 100), 1),
            "vehicle_class": "heavy_truck",
            "departure": when.isoformat(),
        }

    for _ in range(warmup):
        client.post("/logistics/plan", json=body()).read()
    times, errors = [], 0
    for _ in range(n):
        payload = body()
        t = time.perf_counter()
        r = client.post("/logistics/plan", json=payload)
        r.read()
        times.append((time.perf_counter() - t) * 1000.0)
        errors += r.status_code != 200
    return summarise(times), errors


def time_http_allocate(client: httpx.Client, *, n: int) -> tuple[dict[str, float], Any]:
    """Time ``POST /logistics/allocate`` on the demo data."""
    times, last = [], None
    for i in range(n + 1):
        t = time.perf_counter()
        r = client.post("/logistics/allocate", json={"month": 3, "year": 2026})
        r.raise_for_status()
        if i:  # the first one warms up
            times.append((time.perf_counter() - t) * 1000.0)
        last = r.json()["summary"]
    return summarise(times), last


def synthetic_allocation(
    graph_dir: Path, *, farms: int, markets: int, repeats: int, seed: int
) -> dict[str, Any]:
    """Allocate ``farms`` synthetic farms to ``markets`` synthetic markets in process."""
    from data.costs import COST_PARAMETERS
    from geo_api.logistics import allocate, cost_rates
    from routing.allocation import solve_allocation
    from routing.costing import VehicleSpec
    from routing.network import Network, graph_path
    from routing.trees import cost_matrix, quantity_matrix

    net = Network.load(graph_path(graph_dir, "truck"))
    cg = net.compiled
    rng = np.random.default_rng(seed)
    lampung = np.flatnonzero((cg.node_lon < 105.8) & (cg.node_lat > -5.9))
    jakarta = np.flatnonzero(cg.node_lon > 106.6)
    f_nodes = rng.choice(lampung, farms, replace=len(lampung) < farms)
    m_nodes = rng.choice(jakarta, markets, replace=len(jakarta) < markets)
    jitter = rng.normal(0, 0.002, (farms, 2))
    farm_rows = [
        {
            "id": i,
            "name": f"Farm {i}",
            "commodity": COMMODITIES[i % len(COMMODITIES)],
            "lon": float(cg.node_lon[n] + jitter[i, 0]),
            "lat": float(cg.node_lat[n] + jitter[i, 1]),
            "supply_t": float(rng.uniform(50, 3000)),
        }
        for i, n in enumerate(f_nodes)
    ]
    total_supply = sum(f["supply_t"] for f in farm_rows)
    market_rows = [
        {
            "id": j,
            "name": f"Market {j}",
            "lon": float(cg.node_lon[n]),
            "lat": float(cg.node_lat[n]),
            "demand_t_per_month": {
                c: float(rng.uniform(0.5, 1.5) * total_supply / markets / len(COMMODITIES))
                for c in COMMODITIES
            },
        }
        for j, n in enumerate(m_nodes)
    ]
    params = {p.key: p.value for p in COST_PARAMETERS}
    links = [
        {
            "id": k,
            "daily_capacity_vehicles": 4000,
            "tariffs": {"VIIB": 2_200_000},
        }
        for k in sorted({int(x) for x in cg.edge_ferry_link[cg.edge_ferry]})
    ]
    rates = cost_rates(params, links, fuel="solar")
    vehicle = VehicleSpec("heavy_truck", 20.0, 0.30, "III", "VIIB")
    runs: list[dict[str, float]] = []
    summary: dict[str, Any] = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        f_snaps = net.snapper.snap_many(
            [f["lon"] for f in farm_rows], [f["lat"] for f in farm_rows]
        ).to_snaps()
        m_snaps = net.snapper.snap_many(
            [m["lon"] for m in market_rows], [m["lat"] for m in market_rows]
        ).to_snaps()
        t1 = time.perf_counter()
        qm = quantity_matrix(
            cg, [s for s in f_snaps if s is not None], [s for s in m_snaps if s is not None]
        )
        t2 = time.perf_counter()
        per_t = cost_matrix(qm, vehicle, rates) / vehicle.payload_t
        t3 = time.perf_counter()
        fs = [f for f, s in zip(farm_rows, f_snaps, strict=True) if s is not None]
        ms = [m for m, s in zip(market_rows, m_snaps, strict=True) if s is not None]
        result = solve_allocation(
            [f["supply_t"] for f in fs],
            [f["commodity"] for f in fs],
            [m["demand_t_per_month"] for m in ms],
            per_t,
            ferry_use=np.minimum(qm.ferry, 1.0),
            ferry_capacity_t=[4000 * 0.5 * 31 * 20.0] * len(qm.ferry_link_ids),
        )
        t4 = time.perf_counter()
        body = allocate(
            net,
            farms=farm_rows,
            markets=market_rows,
            links=links,
            rates=rates,
            vehicle=vehicle,
            days=31,
            ferry_share=0.5,
            snap_max_m=2000.0,
        )
        t5 = time.perf_counter()
        runs.append(
            {
                "snap_s": t1 - t0,
                "trees_s": t2 - t1,
                "cost_matrix_s": t3 - t2,
                "lp_solve_s": result.solve_seconds,
                "lp_build_and_solve_s": t4 - t3,
                "end_to_end_s": t5 - t4,
            }
        )
        summary = {
            "farms_on_network": len(fs),
            "markets_on_network": len(ms),
            "variables": result.variables,
            "constraints": result.constraints,
            "flows": len(result.flows),
            "unmet_t": round(sum(result.unmet.values()), 1),
            "status": result.status,
            "same_total_as_end_to_end": abs(
                body["summary"]["total_cost_idr"] - result.total_cost_idr
            )
            <= 1e-6 * max(1.0, result.total_cost_idr) + 1,
        }
    med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    return {"median": med, "runs": runs, "problem": summary, "graph_nodes": cg.n_nodes}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 1 if a goal is missed or a request failed."""
    from layers.db.cluster import free_port

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=300, help="timed plan requests")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--farms", type=int, default=500)
    p.add_argument("--markets", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5, help="allocation runs")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--database-url", help="use this database (it gets the demo data)")
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "logistics.json")
    args = p.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-", dir="/tmp"))
    graphs = folder / "graphs"
    database = BenchDatabase(args.database_url, folder)
    servers: list[Server] = []
    try:
        url = database.start()
        console.print("loading the demo data and building the demo graphs …")
        data = prepare(url, graphs)
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "geo_api.app:create_app", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        env = {"LAMPUNG_GEO_DATABASE_URL": url, "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graphs)}
        servers.append(
            start_server(
                "api", cmd, port=port, env=env, log=folder / "api.log", ready_path="/health"
            )
        )
        with httpx.Client(base_url=servers[0].base_url, timeout=60.0) as client:
            console.print(f"timing {args.requests} plans …")
            plan, plan_errors = time_plans(
                client, data, n=args.requests, warmup=args.warmup, seed=args.seed
            )
            console.print("timing the demo allocation over HTTP …")
            http_alloc, demo_summary = time_http_allocate(client, n=10)
        console.print(f"allocating {args.farms} farms x {args.markets} markets …")
        synth = synthetic_allocation(
            graphs,
            farms=args.farms,
            markets=args.markets,
            repeats=args.repeats,
            seed=args.seed,
        )
    finally:
        stop_all(servers)
        database.close()
        shutil.rmtree(folder, ignore_errors=True)

    med = synth["median"]
    plan_ok = plan["p95_ms"] < PLAN_P95_GOAL_MS and plan_errors == 0
    alloc_ok = med["end_to_end_s"] < ALLOCATE_GOAL_S
    table = Table(title="lampung-geo logistics benchmark (demo road network)")
    for col in ("what", "n", "median", "p95", "goal"):
        table.add_column(col, justify="left" if col == "what" else "right")
    table.add_row(
        "POST /logistics/plan",
        str(plan["n"]),
        f"{plan['median_ms']:.1f} ms",
        f"{plan['p95_ms']:.1f} ms",
        f"p95 < {PLAN_P95_GOAL_MS:.0f} ms: {'MET' if plan_ok else 'NOT MET'}",
    )
    table.add_row(
        "POST /logistics/allocate (demo 70 x 2)",
        str(http_alloc["n"]),
        f"{http_alloc['median_ms']:.1f} ms",
        f"{http_alloc['p95_ms']:.1f} ms",
        "",
    )
    for key in ("snap_s", "trees_s", "cost_matrix_s", "lp_solve_s", "end_to_end_s"):
        label = f"allocate {args.farms} x {args.markets}: {key.removesuffix('_s')}"
        vals = [r[key] for r in synth["runs"]]
        goal = ""
        if key == "end_to_end_s":
            goal = f"< {ALLOCATE_GOAL_S:.0f} s: {'MET' if alloc_ok else 'NOT MET'}"
        table.add_row(
            label, str(len(vals)), f"{med[key] * 1000:.1f} ms", f"{max(vals) * 1000:.1f} ms", goal
        )
    console.print(table)
    console.print(
        f"plan errors: {plan_errors}; LP {synth['problem']['variables']} variables x "
        f"{synth['problem']['constraints']} constraints, {synth['problem']['flows']} flows, "
        f"{synth['problem']['status']}; graph {synth['graph_nodes']:,} nodes "
        "(p95 column of the allocation rows is the max)"
    )
    result = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "postgres": data["postgres"],
            "cpus": os.cpu_count(),
            "requests": args.requests,
            "farms": args.farms,
            "markets": args.markets,
            "seed": args.seed,
        },
        "plan_http": plan | {"errors": plan_errors, "goal_p95_ms": PLAN_P95_GOAL_MS},
        "allocate_http_demo": http_alloc | {"summary": demo_summary},
        "allocate_synthetic": synth | {"goal_s": ALLOCATE_GOAL_S},
        "goals_met": {"plan_p95": plan_ok, "allocate": alloc_ok},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    console.print(f"wrote {args.output}")
    return 0 if plan_ok and alloc_ok else 1


if __name__ == "__main__":
    sys.exit(main())
