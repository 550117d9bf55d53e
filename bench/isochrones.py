"""Benchmark: 10/20/30-minute isochrones on the real Jakarta graph, grid vs exact union.

Builds the Jakarta motorcycle graph from ``../shared/data/jakarta/roads_osm_c2012.gpkg``
and, from Monas and from ``--origins`` random road nodes (seeded), times
``isochrone_bands`` (one multi-source search included, as ``GET /isochrones`` does):

* **grid**: the product's method (``routing/isochrone_raster.py``), warm: the median of
  ``--runs`` runs after one first run;
* **exact**: the union of every buffered stretch (``method="exact"``, the method before
  issue 13), one run, in the same minutes.

Also prints the symmetric difference of the two cumulative polygons (share of the exact
area) and the ratio exact / grid per origin. Goal (issue 13): < 300 ms warm from
central Jakarta. Writes ``bench/results/isochrones.json``.

Run from the repository root::

    .venv/bin/python bench/isochrones.py [--origins 4] [--runs 5]
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
import pyproj
import shapely

REPO = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
    sys.path.insert(0, str(REPO))

from routing.build import build_graph  # noqa: E402
from routing.compiled import compile_graph  # noqa: E402
from routing.isochrones import isochrone_bands, projected_edges  # noqa: E402
from routing.network import Network  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "jakarta" / "roads_osm_c2012.gpkg"
RESULTS = REPO / "bench" / "results" / "isochrones.json"
MINUTES = [10.0, 20.0, 30.0]
GOAL_S = 0.3


def _time(net: Network, node: int, method: str, runs: int) -> tuple[list[float], Any]:
    cg = net.compiled
    origin = net.snap(float(cg.node_lon[node]), float(cg.node_lat[node]), field="origin")
    times, bands = [], None
    for _ in range(runs):
        started = time.perf_counter()
        node_times, _ = net.engine.multi_source([origin], limit_s=max(MINUTES) * 60.0)
        bands = isochrone_bands(cg, node_times, MINUTES, sources=[origin], method=method)
        times.append(time.perf_counter() - started)
    return times, bands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--origins", type=int, default=4, help="random origins besides Monas")
    parser.add_argument("--runs", type=int, default=5, help="warm runs of the grid method")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is missing", file=sys.stderr)
        return 2
    graph, _ = build_graph(DATA, profile="motorcycle")
    net = Network.from_compiled(compile_graph(graph), kind="auto")
    cg = net.compiled
    pe = projected_edges(cg)
    fwd = pyproj.Transformer.from_crs(4326, pe.crs, always_xy=True)

    def to_xy(geom: Any) -> Any:
        return shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(*xy.T)))

    monas = net.snap(106.8272, -6.1754, field="origin")
    rng = np.random.default_rng(args.seed)
    usable = np.unique(cg.edge_tail[~cg.edge_ferry])
    nodes = [int(cg.edge_tail[monas.edge])]
    nodes += [int(x) for x in rng.choice(usable, size=args.origins, replace=False)]
    rows = []
    for k, node in enumerate(nodes):
        first, _ = _time(net, node, "grid", 1)
        warm, grid = _time(net, node, "grid", args.runs)
        exact_t, exact = _time(net, node, "exact", 1)
        sym = max(
            float(
                shapely.symmetric_difference(to_xy(a.cumulative), to_xy(b.cumulative)).area
                / max(to_xy(b.cumulative).area, 1e-9)
            )
            for a, b in zip(grid, exact, strict=True)
        )
        row = {
            "origin": "Monas" if k == 0 else f"node {node}",
            "grid_first_s": round(first[0], 3),
            "grid_warm_median_s": round(statistics.median(warm), 3),
            "grid_warm_min_s": round(min(warm), 3),
            "exact_s": round(exact_t[0], 3),
            "exact_over_grid": round(exact_t[0] / statistics.median(warm), 1),
            "km2": [round(b.area_km2, 1) for b in grid],
            "max_symmetric_difference": round(sym, 4),
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(f"{'origin':<14}{'grid warm':>11}{'exact':>9}{'exact/grid':>12}{'symdiff':>9}  km²")
    for r in rows:
        sym = 100 * r["max_symmetric_difference"]
        print(
            f"{r['origin']:<14}{r['grid_warm_median_s']:>10.3f}s{r['exact_s']:>8.2f}s"
            f"{r['exact_over_grid']:>11.1f}x{sym:>8.2f}%  {r['km2']}"
        )
    monas_s = rows[0]["grid_warm_median_s"]
    print(f"goal: < {GOAL_S * 1000:.0f} ms from central Jakarta (Monas): {monas_s * 1000:.0f} ms")
    out = {
        "machine": platform.platform(),
        "graph": {"nodes": cg.n_nodes, "edges": cg.n_edges, "engine": type(net.engine).__name__},
        "minutes": MINUTES,
        "rows": rows,
        "goal_s": GOAL_S,
        "goal_met": monas_s < GOAL_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
