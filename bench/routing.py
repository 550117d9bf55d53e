"""Benchmark of the routing engines on the Jakarta car graph (run by hand, not in tests).

The CCH engine (RoutingKit, the default) and pandana's CH engine side by side: set-up
(order + CCH + customization vs CH preprocessing), routes, 100x100 matrices, nearest;
the ``ratios`` block gives pandana / CCH for each.

Usage::

    .venv/bin/python bench/routing.py [--queries 1000] [--nx-queries 100]
        [--database-url postgresql://...]   # else a throwaway private cluster for pgRouting
        [--no-pgrouting]

Prints a table (median / p95 per query, ratio of networkx's median to each) and
writes ``bench/results/routing.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.compiled import compile_graph, load_compiled, save_compiled  # noqa: E402
from routing.engine import make_engine  # noqa: E402
from routing.snap import Snap, Snapper, node_snap  # noqa: E402

ROADS = REPO.parent / "shared" / "data" / "jakarta" / "roads_osm_c2012.gpkg"
RESULTS = REPO / "bench" / "results" / "routing.json"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _latencies(fn: Callable[[Any], Any], items: list[Any]) -> dict[str, float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    arr = np.asarray(times) * 1e3
    return {
        "median_ms": float(np.median(arr)),
        "p95_ms": float(np.percentile(arr, 95)),
        "n": len(items),
    }


def _pgrouting(url: str, cg: Any, pairs: np.ndarray, ours: np.ndarray) -> dict[str, Any]:
    import psycopg

    se = cg.simple_edge
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)  # SQLAlchemy → libpq
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
        conn.execute("DROP TABLE IF EXISTS bench_edges")
        conn.execute(
            "CREATE TABLE bench_edges (id bigint PRIMARY KEY, source bigint, target bigint,"
            " cost double precision, reverse_cost double precision)"
        )
        buf = io.StringIO()
        for i, (s, t, c) in enumerate(
            zip(cg.edge_tail[se], cg.edge_head[se], cg.edge_time[se], strict=True)
        ):
            buf.write(f"{i + 1}\t{int(s) + 1}\t{int(t) + 1}\t{float(c)!r}\t-1\n")
        with conn.cursor() as cur, cur.copy("COPY bench_edges FROM STDIN") as copy:
            copy.write(buf.getvalue())
        conn.execute("ANALYZE bench_edges")
        sql = (
            "SELECT max(agg_cost + cost) FROM pgr_dijkstra("
            "'SELECT id, source, target, cost FROM bench_edges', %s, %s, directed := true)"
        )
        got = []

        def query(pair: tuple[int, int]) -> None:
            row = conn.execute(sql, (int(pair[0]) + 1, int(pair[1]) + 1)).fetchone()
            got.append(np.inf if row is None or row[0] is None else float(row[0]))

        stats = _latencies(query, [tuple(p) for p in pairs])
        conn.execute("DROP TABLE bench_edges")
    got_arr = np.asarray(got)
    rel = np.abs(got_arr - ours) / np.maximum(ours, 1e-12)
    stats["max_rel_diff_vs_engine"] = float(np.max(rel))
    return stats


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--nx-queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--database-url", default=os.environ.get("LAMPUNG_GEO_DATABASE_URL"), help="pgRouting"
    )
    parser.add_argument("--no-pgrouting", action="store_true", help="skip pgRouting")
    args = parser.parse_args(argv)

    import networkx as nx
    import osmnx as ox
    from scipy.sparse.csgraph import dijkstra

    from routing.build import build_graph

    res: dict[str, Any] = {"machine": platform.platform(), "cpus": os.cpu_count()}
    build_s, (graph, _) = _timed(lambda: build_graph(ROADS, profile="car"))
    res["graph"] = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    compile_s, cg = _timed(lambda: compile_graph(graph))
    with tempfile.TemporaryDirectory() as tmp:
        save_s, path = _timed(lambda: save_compiled(cg, Path(tmp) / "jakarta.npz"))
        load_s, cg = _timed(lambda: load_compiled(path))
        size = path.stat().st_size
    ch_s, ch = _timed(lambda: make_engine(cg, kind="ch"))
    cch_s, cch = _timed(lambda: make_engine(cg, kind="cch"))
    from routing.cch import CCHEngine, SharedCCH

    order_s, shared = _timed(lambda: SharedCCH.for_graph(cg))
    assert isinstance(cch, CCHEngine)
    custom_s, _ = _timed(lambda: CCHEngine(cg, shared=shared, scale=cch.scale))
    sc_s, sc = _timed(lambda: make_engine(cg, kind="scipy"))
    snap_s, snapper = _timed(lambda: Snapper(cg))
    res["setup_s"] = {
        "build_graph": build_s,
        "compile": compile_s,
        "save": save_s,
        "load": load_s,
        "file_mb": size / 1e6,
        "ch_engine": ch_s,
        "cch_engine": cch_s,
        "cch_order_and_cch": order_s,
        "cch_customization": custom_s,
        "scipy_engine": sc_s,
        "snapper": snap_s,
    }

    rng = np.random.default_rng(args.seed)
    pairs = rng.integers(cg.n_nodes, size=(args.queries, 2))
    snaps = [(node_snap(cg, int(a)), node_snap(cg, int(b))) for a, b in pairs]
    nx_pairs = pairs[: args.nx_queries]
    ids = cg.node_ids
    lat = {}
    lat["engine_duration"] = _latencies(lambda p: ch.duration(*p), snaps)
    lat["engine_route_full"] = _latencies(lambda p: ch.route(*p), snaps)
    lat["cch_duration"] = _latencies(lambda p: cch.duration(*p), snaps)
    lat["cch_route_full"] = _latencies(lambda p: cch.route(*p), snaps)
    lat["scipy_engine_route_full"] = _latencies(lambda p: sc.route(*p), snaps[: args.nx_queries])
    lat["networkx_osmnx_shortest_path"] = _latencies(
        lambda p: ox.routing.shortest_path(
            graph, int(ids[p[0]]), int(ids[p[1]]), weight="travel_time"
        ),
        list(nx_pairs),
    )
    raw = ch._network  # pandana.Network
    lat["pandana_raw_shortest_path"] = _latencies(
        lambda p: raw.net.shortest_path(int(p[0]), int(p[1]), 0), list(pairs)
    )
    lat["pandana_raw_distance"] = _latencies(
        lambda p: raw.net.shortest_path_distance(int(p[0]), int(p[1]), 0), list(pairs)
    )
    lat["scipy_single_source"] = _latencies(
        lambda p: dijkstra(cg.matrix, indices=int(p[0])), list(nx_pairs)
    )
    lons = rng.uniform(106.70, 106.95, args.queries)
    lats = rng.uniform(-6.35, -6.10, args.queries)
    lat["snap"] = _latencies(
        lambda p: snapper.snap(*p, max_distance_m=1e9), list(zip(lons, lats, strict=True))
    )
    points = [snapper.snap(x, y, max_distance_m=1e9) for x, y in zip(lons, lats, strict=True)]
    lat["engine_route_snapped"] = _latencies(
        lambda i: ch.route(points[i], points[-1 - i]), list(range(args.queries))
    )
    lat["cch_route_snapped"] = _latencies(
        lambda i: cch.route(points[i], points[-1 - i]), list(range(args.queries))
    )

    # correctness against networkx on the nx sample
    ref = np.asarray(
        [
            nx.shortest_path_length(graph, int(ids[a]), int(ids[b]), weight="travel_time")
            for a, b in nx_pairs
        ]
    )
    ours = np.asarray([ch.duration(*snaps[i]) for i in range(len(nx_pairs))])
    res["max_rel_err_vs_networkx"] = float(np.max(np.abs(ours - ref) / np.maximum(ref, 1e-12)))
    ours_cch = np.asarray([cch.duration(*snaps[i]) for i in range(len(nx_pairs))])
    res["cch_max_rel_err_vs_networkx"] = float(
        np.max(np.abs(ours_cch - ref) / np.maximum(ref, 1e-12))
    )

    # matrices, nearest, multi-source
    m_nodes = [node_snap(cg, int(a)) for a in rng.integers(cg.n_nodes, size=200)]
    m_pts: list[Snap] = points[:200]
    batch: dict[str, float] = {}
    for name, engine in (("cch", cch), ("ch", ch), ("scipy", sc)):
        batch[f"matrix_100x100_nodes_{name}_ms"] = 1e3 * min(
            _timed(lambda e=engine: e.durations(m_nodes[:100], m_nodes[100:]))[0] for _ in range(3)
        )
        batch[f"matrix_100x100_snapped_{name}_ms"] = 1e3 * min(
            _timed(lambda e=engine: e.durations(m_pts[:100], m_pts[100:]))[0] for _ in range(3)
        )
    facilities = rng.choice(cg.n_nodes, size=490, replace=False)
    fac_snaps = [node_snap(cg, int(f)) for f in facilities]
    batch["multi_source_490_nodes_ms"] = 1e3 * statistics.median(
        _timed(lambda: ch.multi_source(facilities, direction="to_sources"))[0] for _ in range(5)
    )
    batch["multi_source_490_snaps_ms"] = 1e3 * statistics.median(
        _timed(lambda: ch.multi_source(fac_snaps, direction="to_sources"))[0] for _ in range(5)
    )
    lat["nearest_k5_of_490"] = _latencies(
        lambda i: ch.nearest(points[i], fac_snaps, k=5), list(range(min(100, args.queries)))
    )
    lat["nearest_k5_of_490_within_15min"] = _latencies(
        lambda i: ch.nearest(points[i], fac_snaps, k=5, max_duration_s=900.0),
        list(range(min(100, args.queries))),
    )
    lat["cch_nearest_k5_of_490"] = _latencies(
        lambda i: cch.nearest(points[i], fac_snaps, k=5), list(range(min(100, args.queries)))
    )
    m_cch = cch.durations(m_pts[:100], m_pts[100:])
    m_ch = ch.durations(m_pts[:100], m_pts[100:])
    fin = np.isfinite(m_ch)
    batch["matrix_cch_vs_ch_max_abs_diff_s"] = float(np.max(np.abs(m_cch[fin] - m_ch[fin])))
    batch["matrix_cch_vs_ch_same_unreachable"] = float(np.array_equal(fin, np.isfinite(m_cch)))
    res["batch"] = batch

    if args.database_url:
        lat["pgrouting_pgr_dijkstra"] = _pgrouting(
            args.database_url, cg, pairs[: args.nx_queries], ours
        )
    elif not args.no_pgrouting:
        # a throwaway private cluster, so pgRouting is compared in the same run
        from layers.db.cluster import PostgresCluster, free_port

        folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-", dir="/tmp"))
        cluster = PostgresCluster(folder / "pg", port=free_port())
        try:
            lat["pgrouting_pgr_dijkstra"] = _pgrouting(
                cluster.start(), cg, pairs[: args.nx_queries], ours
            )
        finally:
            cluster.destroy()
            shutil.rmtree(folder, ignore_errors=True)
    res["latency"] = lat
    res["ratios_pandana_over_cch"] = {
        "route_full": lat["engine_route_full"]["median_ms"] / lat["cch_route_full"]["median_ms"],
        "route_snapped": lat["engine_route_snapped"]["median_ms"]
        / lat["cch_route_snapped"]["median_ms"],
        "matrix_100x100_snapped": batch["matrix_100x100_snapped_ch_ms"]
        / batch["matrix_100x100_snapped_cch_ms"],
        "nearest_k5_of_490": lat["nearest_k5_of_490"]["median_ms"]
        / lat["cch_nearest_k5_of_490"]["median_ms"],
        "engine_setup": ch_s / cch_s,
    }

    base = lat["networkx_osmnx_shortest_path"]["median_ms"]
    print(f"Jakarta car graph: {res['graph']['nodes']:,} nodes, {res['graph']['edges']:,} edges")
    for key, val in res["setup_s"].items():
        unit = "MB" if key == "file_mb" else "s"
        print(f"  {key:<14} {val:8.3f} {unit}")
    print(f"\n{'query':<34} {'median ms':>10} {'p95 ms':>9} {'n':>6} {'x faster than nx':>17}")
    for key, st in lat.items():
        ratio = base / st["median_ms"] if st["median_ms"] > 0 else float("inf")
        print(f"{key:<34} {st['median_ms']:10.3f} {st['p95_ms']:9.3f} {st['n']:6d} {ratio:17.1f}")
    print()
    for key, val in batch.items():
        print(f"{key:<34} {val:10.2f}")
    print(f"\nmax relative error vs networkx: {res['max_rel_err_vs_networkx']:.2e}")
    print(f"CCH max relative error vs networkx: {res['cch_max_rel_err_vs_networkx']:.2e}")
    print("\npandana CH / CCH (> 1: CCH faster)")
    for key, val in res["ratios_pandana_over_cch"].items():
        print(f"  {key:<32} {val:8.2f}")
    if "pgrouting_pgr_dijkstra" in lat:
        diff = lat["pgrouting_pgr_dijkstra"]["max_rel_diff_vs_engine"]
        print(f"max relative difference pgRouting vs engine: {diff:.2e}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2))
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
