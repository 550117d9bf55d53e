"""Benchmark of the DEMO data build (run by hand, not in tests).

Usage::

    .venv/bin/python bench/demo.py [--repeat 3] [--graphs]

* **layers**: every demo layer generated from scratch in a fresh process state (the
  road network and the boundaries are cached per process, so the first call pays for
  them; the best of ``--repeat`` runs after clearing the caches is reported);
* **graphs** (``--graphs``): the demo road network compiled for all four profiles, as
  ``./dev demo`` and the test suite's ``demo_graph_dir`` fixture do (the ferry link is
  taken from the demo layers, no database needed).

There is no baseline to beat: the figure to watch is the time the test suite's session
fixtures spend on the demo. Prints a table and writes ``bench/results/demo.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data import demo, demo_roads  # noqa: E402

LAYERS: dict[str, Callable[[], Any]] = {
    "admin_areas": demo.admin_areas,
    "service_points": demo.service_points,
    "farms": demo.farms,
    "markets": demo.markets,
    "ports": demo.ports,
    "ferry_links": demo.ferry_links,
    "roads": demo_roads.roads,
}


def _clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("data."):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


def time_layers(repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` seconds to generate every layer from cold caches."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        _clear_caches()
        total = 0.0
        for name, make in LAYERS.items():
            start = time.perf_counter()
            make()
            took = time.perf_counter() - start
            total += took
            best[name] = min(best.get(name, float("inf")), took)
        best["all layers"] = min(best.get("all layers", float("inf")), total)
    return best


def time_graphs() -> dict[str, float]:
    """Seconds to build and compile the demo graph of each profile (ferry included)."""
    from geo_api.networks import build_network_file
    from routing.ferry import FerryLink
    from routing.profiles import PROFILES

    links = [
        FerryLink(
            link_id=n,
            name=str(row["name"]),
            from_lonlat=row.geometry.coords[0],
            to_lonlat=row.geometry.coords[-1],
            crossing_minutes=float(row["crossing_minutes"]),
            departures_per_day=int(row["departures_per_day"]),
            geometry=row.geometry,
        )
        for n, (_, row) in enumerate(demo.ferry_links().iterrows(), start=1)
    ]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "demo_roads.geojson"
        start = time.perf_counter()
        demo_roads.roads().to_file(src, driver="GeoJSON")
        out["write roads"] = time.perf_counter() - start
        for name in PROFILES:
            start = time.perf_counter()
            build_network_file(src, Path(tmp) / f"{name}.npz", profile=name, ferries=links)
            out[f"graph {name}"] = time.perf_counter() - start
    out["all graphs"] = sum(v for k, v in out.items() if k.startswith("graph "))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--graphs", action="store_true", help="also build the four graphs")
    args = parser.parse_args()
    results: dict[str, Any] = {"layers_s": time_layers(args.repeat)}
    results["roads"] = len(demo_roads.roads())
    if args.graphs:
        results["graphs_s"] = time_graphs()
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    for section in ("layers_s", "graphs_s"):
        for name, seconds in results.get(section, {}).items():
            print(f"{name:<20} {seconds:8.2f} s")
    print(f"{'road lines':<20} {results['roads']:8d}")
    out = REPO / "bench" / "results" / "demo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
