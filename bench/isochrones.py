"""Isochrones and coverage statistics: the raster isochrones against the old exact union.

Usage::

    .venv/bin/python bench/isochrones.py [--repeat 3] [--synthetic-edges 100000]
        [--facilities 300] [--cells 200000]

* **Jakarta** (``../shared/data/jakarta/roads_osm_c2012.gpkg``, motorcycle): 10/20/30
  min from Monas, warm (search and band building timed together, as ``/isochrones``
  does), new (:func:`routing.isochrones.isochrone_bands`) and old (the oracle kept in
  ``tests/routing/isochrone_oracle.py``) side by side, with the ratio and the symmetric
  difference of the cumulative polygons in % of the old area.
* **synthetic** (``bench/synthetic.py``, ``--synthetic-edges``): the same from the
  centre of the network, then coverage statistics: ``--facilities`` random facilities,
  ``--cells`` random cells snapped once (cold, reported apart), 3 thresholds, one
  multi-source search + per-cell times + aggregation over 100 areas, warm.

Figures depend on the load of the machine: say so when quoting them. Writes
``bench/results/isochrones.json``.
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

import shapely  # noqa: E402

from routing.build import build_graph  # noqa: E402
from routing.compiled import CompiledGraph, compile_graph  # noqa: E402
from routing.coverage import area_coverage, cell_access, facility_cell_times  # noqa: E402
from routing.isochrones import isochrone_bands, projected_edges  # noqa: E402
from routing.network import Network  # noqa: E402
from tests.routing import isochrone_oracle as oracle  # noqa: E402

JAKARTA = REPO.parent / "shared" / "data" / "jakarta" / "roads_osm_c2012.gpkg"
RESULTS = REPO / "bench" / "results" / "isochrones.json"
MINUTES = (10.0, 20.0, 30.0)


def _timed(fn: Any, repeat: int) -> tuple[float, Any]:
    fn()  # warm
    runs, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), out


def _isochrones(net: Network, lon: float, lat: float, repeat: int) -> dict[str, Any]:
    cg = net.compiled
    origin = net.snapper.snap(lon, lat)
    projected_edges(cg)
    oracle.projected_edges(cg)

    def new() -> Any:
        times, _ = net.engine.multi_source([origin], limit_s=max(MINUTES) * 60.0)
        return isochrone_bands(cg, times, MINUTES, sources=[origin])

    def old() -> Any:
        times, _ = net.engine.multi_source([origin], limit_s=max(MINUTES) * 60.0)
        return oracle.isochrone_bands(cg, times, MINUTES, sources=[origin])

    t_new, bands = _timed(new, repeat)
    t_old, ref = _timed(old, 1)
    sym = [
        100.0 * shapely.symmetric_difference(a.cumulative, b.cumulative).area / b.cumulative.area
        for a, b in zip(bands, ref, strict=True)
    ]
    return {
        "nodes": cg.n_nodes,
        "edges": cg.n_edges,
        "new_s": t_new,
        "old_s": t_old,
        "ratio_old_over_new": t_old / t_new,
        "symdiff_percent_of_old": sym,
        "band_km2_new": [round(b.area_km2, 2) for b in bands],
        "band_km2_old": [round(b.area_km2, 2) for b in ref],
    }


def _coverage(net: Network, n_fac: int, n_cells: int, repeat: int) -> dict[str, Any]:
    cg: CompiledGraph = net.compiled
    rng = np.random.default_rng(13)
    lon0, lon1 = np.percentile(cg.node_lon, [1, 99])
    lat0, lat1 = np.percentile(cg.node_lat, [1, 99])
    t0 = time.perf_counter()
    snaps = net.snapper.snap_many(
        rng.uniform(lon0, lon1, n_cells), rng.uniform(lat0, lat1, n_cells), max_distance_m=2000
    )
    access = cell_access(cg, snaps)
    nodes = rng.choice(cg.n_nodes, size=n_fac, replace=False)
    fac_arr = net.snapper.snap_many(cg.node_lon[nodes], cg.node_lat[nodes], max_distance_m=2000)
    facilities = [s for s in fac_arr.to_snaps() if s is not None]
    cold = time.perf_counter() - t0
    population = rng.uniform(0, 500, n_cells)
    area = rng.integers(0, 100, n_cells)

    def stats() -> Any:
        times = facility_cell_times(net.engine, access, facilities)
        return area_coverage(times, population, area, 100, (15.0, 30.0, 60.0))

    warm, cov = _timed(stats, repeat)
    return {
        "facilities": len(facilities),
        "cells": n_cells,
        "cells_on_network": int(access.on_network.sum()),
        "snap_cold_s": cold,
        "stats_warm_s": warm,
        "percent": cov.totals()["percent"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic-edges", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=300)
    parser.add_argument("--cells", type=int, default=200_000)
    parser.add_argument("--synthetic-dir", type=Path, default=Path("/tmp/lampung-geo-synthetic"))
    args = parser.parse_args()
    out: dict[str, Any] = {"machine": platform.platform(), "python": platform.python_version()}
    rows = []
    if JAKARTA.is_file():
        graph, _ = build_graph(JAKARTA, profile="motorcycle")
        net = Network.from_compiled(compile_graph(graph), kind="scipy")
        out["jakarta"] = _isochrones(net, 106.8272, -6.1754, args.repeat)
        rows.append(("Jakarta, Monas", out["jakarta"]))
    if args.synthetic_edges:
        from bench.synthetic import make_files

        gpkg = make_files(args.synthetic_edges, args.synthetic_dir, formats=("gpkg",))["gpkg"]
        graph, _ = build_graph(gpkg, profile="motorcycle")
        net = Network.from_compiled(compile_graph(graph), kind="scipy")
        del graph
        cg = net.compiled
        lon, lat = float(np.median(cg.node_lon)), float(np.median(cg.node_lat))
        key = f"synthetic_{args.synthetic_edges}"
        out[key] = _isochrones(net, lon, lat, args.repeat)
        out[key]["coverage"] = _coverage(net, args.facilities, args.cells, args.repeat)
        rows.append((f"synthetic {args.synthetic_edges:,} edges", out[key]))
    print(f"{'isochrones 10/20/30 min (warm)':<34}{'edges':>10}{'new':>10}{'old':>10}{'ratio':>8}")
    for label, r in rows:
        print(
            f"{label:<34}{r['edges']:>10,}{r['new_s'] * 1e3:>8.0f}ms{r['old_s']:>9.2f}s"
            f"{r['ratio_old_over_new']:>7.1f}x  symdiff %: "
            + ", ".join(f"{s:.2f}" for s in r["symdiff_percent_of_old"])
        )
    for label, r in rows:
        if "coverage" in r:
            c = r["coverage"]
            print(
                f"coverage {label}: {c['facilities']} facilities, {c['cells']:,} cells, "
                f"3 thresholds: {c['stats_warm_s'] * 1e3:.0f} ms warm "
                f"(snapping cold {c['snap_cold_s']:.1f} s)"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, default=float))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
