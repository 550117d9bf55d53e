"""Benchmark of coverage analysis on the Jakarta motorcycle graph (run by hand, not in tests).

Usage::

    .venv/bin/python bench/coverage.py [--naive-facilities 40] [--repeat 20]

* **ours**: the population grid (261 kelurahan, DKI census 2020 total spread over H3
  res 9 cells by road length) and the cells' snaps are built once (cold, reported
  separately); then the full statistics for 15/30/60 min — one multi-source search for
  all puskesmas, per-cell times, per-kelurahan and per-kecamatan aggregation with
  weighted median and p90 — are timed warm.
* **naive baseline**: one ``networkx.ego_graph`` per facility and threshold on the
  reversed graph, union of the covered nodes, cells covered through their nearest node.
  Only ``--naive-facilities`` facilities are timed; the full loop is *extrapolated*
  (time per facility x number of facilities) and labelled as such.
* **siting**: ``k = 5`` new puskesmas (300 road-node candidates), greedy + MILP; time and
  optimality gap at 5 and 15 minutes.

Prints a table with ratios and writes ``bench/results/coverage.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import geopandas as gpd  # noqa: E402
import networkx as nx  # noqa: E402

from layers.population import (  # noqa: E402
    DKI_CENSUS_2020,
    AreaTable,
    RoadDensity,
    assign_areas,
    build_grid,
)
from routing.build import build_graph  # noqa: E402
from routing.compiled import compile_graph  # noqa: E402
from routing.coverage import area_coverage, cell_access, facility_cell_times  # noqa: E402
from routing.isochrones import isochrone_bands, projected_edges  # noqa: E402
from routing.network import Network  # noqa: E402
from routing.siting import candidate_nodes, coverage_matrix, solve_mclp  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "jakarta"
RESULTS = REPO / "bench" / "results" / "coverage.json"
MINUTES = (15.0, 30.0, 60.0)
RESOLUTION = 9


def _road_density(net: Network) -> RoadDensity:
    cg = net.compiled
    pe = projected_edges(cg)
    edges = np.flatnonzero((pe.canon == np.arange(cg.n_edges)) & ~cg.edge_ferry)
    off = cg.geom_offsets
    n_v = off[edges + 1] - off[edges]
    idx = np.repeat(off[edges] - np.cumsum(n_v) + n_v, n_v) + np.arange(int(n_v.sum()))
    offsets = np.concatenate([[0], np.cumsum(n_v)]).astype(np.int64)
    return RoadDensity(cg.geom_coords[idx], offsets, resolution=RESOLUTION)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--naive-facilities", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    out: dict[str, Any] = {"machine": platform.platform(), "python": platform.python_version()}

    t0 = time.perf_counter()
    graph, _ = build_graph(DATA / "roads_osm_c2012.gpkg", profile="motorcycle")
    net = Network.from_compiled(compile_graph(graph), kind="scipy")
    cg = net.compiled
    out["graph"] = {
        "nodes": cg.n_nodes,
        "edges": cg.n_edges,
        "build_s": round(time.perf_counter() - t0, 2),
    }

    kel = gpd.read_file(DATA / "kelurahan.gpkg")
    kec = gpd.read_file(DATA / "kecamatan.gpkg")
    pkm = gpd.read_file(DATA / "puskesmas.geojson")
    areas = AreaTable(
        level="desa",
        ids=list(range(len(kel))),
        codes=[None] * len(kel),
        names=[str(x) for x in kel["KEL_NAME_1"]],
        population=np.full(len(kel), np.nan),
        geoms=list(kel.geometry),
        demo=[False] * len(kel),
    )
    t0 = time.perf_counter()
    grid = build_grid(
        areas, resolution=RESOLUTION, weight=_road_density(net), assumed_total=DKI_CENSUS_2020
    )
    snaps = net.snapper.snap_many(grid.lon, grid.lat, max_distance_m=2000)
    access = cell_access(cg, snaps)
    kec_area = assign_areas(grid.lon, grid.lat, list(kec.geometry))
    fac_arr = net.snapper.snap_many(pkm.geometry.x, pkm.geometry.y, max_distance_m=2000)
    facilities = [s for s in fac_arr.to_snaps() if s is not None]
    cold = time.perf_counter() - t0
    out["setup"] = {
        "kelurahan": len(kel),
        "kecamatan": len(kec),
        "puskesmas": len(pkm),
        "puskesmas_on_network": len(facilities),
        "h3_resolution": RESOLUTION,
        "cells": len(grid),
        "population": grid.total,
        "grid_snaps_cold_s": round(cold, 3),
    }

    def stats() -> tuple[Any, Any]:
        times = facility_cell_times(net.engine, access, facilities)
        a = area_coverage(times, grid.population, grid.area, len(areas), MINUTES)
        b = area_coverage(times, grid.population, kec_area, len(kec), MINUTES)
        return a, b

    stats()
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        by_kel, _by_kec = stats()
        runs.append(time.perf_counter() - t0)
    ours = statistics.median(runs)
    tot = by_kel.totals()
    out["ours"] = {
        "median_s": ours,
        "min_s": min(runs),
        "repeat": args.repeat,
        "percent_covered": dict(zip([f"{m:g}" for m in MINUTES], tot["percent"], strict=True)),  # type: ignore[call-overload]
    }

    # naive: ego_graph per facility and threshold on the reversed graph
    rev = graph.reverse(copy=False)
    node_ids = cg.node_ids
    fac_nodes = [int(node_ids[cg.edge_tail[s.edge]]) for s in facilities]
    sample = fac_nodes[: args.naive_facilities]
    per_threshold: dict[str, float] = {}
    for m in MINUTES:
        t0 = time.perf_counter()
        covered: set[int] = set()
        for n in sample:
            covered.update(nx.ego_graph(rev, n, radius=m * 60.0, distance="travel_time"))
        per_threshold[f"{m:g}"] = (time.perf_counter() - t0) / len(sample) * len(facilities)
    naive_full = sum(per_threshold.values())
    naive_15 = per_threshold["15"]
    out["naive"] = {
        "method": "networkx.ego_graph per facility and threshold (reversed graph)",
        "timed_facilities": len(sample),
        "extrapolated_full_s_per_threshold": per_threshold,
        "extrapolated_full_s": naive_full,
        "extrapolated": True,
        "reference_from_issue_s": 56.0,
    }
    out["ratio_naive_over_ours"] = naive_full / ours
    out["ratio_naive15_over_ours"] = naive_15 / ours
    out["ratio_issue_reference_over_ours"] = 56.0 / ours

    # isochrones of one point, for reference
    origin = net.snapper.snap(106.8272, -6.1754)  # Monas
    t0 = time.perf_counter()
    nt, _ = net.engine.multi_source([origin], limit_s=30 * 60.0)
    bands = isochrone_bands(cg, nt, [10, 20, 30], sources=[origin])
    out["isochrone_10_20_30_s"] = time.perf_counter() - t0
    out["isochrone_km2"] = [round(b.area_km2, 1) for b in bands]

    siting = {}
    for m in (5.0, 15.0):
        t0 = time.perf_counter()
        times = facility_cell_times(net.engine, access, facilities)
        unc = times > m * 60.0
        cells = np.flatnonzero(unc & (grid.population > 0) & access.on_network)
        nodes = candidate_nodes(access, grid.population, unc, limit=300)
        a = coverage_matrix(net.engine, access, cells, m * 60.0, nodes=nodes)
        res = solve_mclp(a, grid.population[cells], 5, time_limit_s=60.0)
        siting[f"{m:g}"] = {
            "seconds": time.perf_counter() - t0,
            "uncovered_cells": int(cells.shape[0]),
            "candidates": int(a.shape[1]),
            "greedy": res.greedy_objective,
            "milp": res.milp_objective,
            "milp_status": res.milp_status,
            "bound": res.bound,
            "gap": res.gap,
            "greedy_gap": res.greedy_gap,
            "method": res.method,
        }
    out["siting_k5"] = siting

    print(f"Jakarta motorcycle graph: {cg.n_nodes:,} nodes, {cg.n_edges:,} edges")
    print(
        f"{len(facilities)} of {len(pkm)} puskesmas on the network; {len(grid):,} H3 res "
        f"{RESOLUTION} cells in {len(kel)} kelurahan; grid + snaps cold {cold:.2f} s"
    )
    print(f"{'method':<58}{'time':>12}{'ratio':>10}")
    ours_label = "ours: full stats 15/30/60, kelurahan + kecamatan (median)"
    print(f"{ours_label:<58}{ours * 1e3:>10.1f}ms{1:>10.0f}")
    n_f, n_s = len(facilities), len(sample)
    rows = [
        (f"naive ego_graph 15 min x {n_f} fac. (extrapolated from {n_s})", naive_15),
        (f"naive ego_graph 15+30+60 min x {n_f} fac. (extrapolated)", naive_full),
        ("naive loop as measured in the issue (490 fac., 56 s)", 56.0),
    ]
    for label, secs in rows:
        print(f"{label:<58}{secs:>11.1f}s{secs / ours:>10.0f}")
    print(f"isochrone 10/20/30 min from Monas: {out['isochrone_10_20_30_s']:.2f} s")
    for m, s in siting.items():
        print(
            f"siting k=5 at {m} min: {s['seconds']:.2f} s, greedy {s['greedy']:,.0f}, MILP "
            f"{s['milp']}, gap of greedy {100 * s['greedy_gap']:.3f}% ({s['milp_status']})"
        )
    print("percent covered:", {k: round(v, 2) for k, v in out["ours"]["percent_covered"].items()})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, default=float))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
