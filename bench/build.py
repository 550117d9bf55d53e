"""Graph build at scale: today's build vs the streaming build, on synthetic networks.

Usage::

    .venv/bin/python bench/build.py [--sizes 100000 1000000 3000000] [--today-max 3000000]
        [--formats gpkg pbf] [--data bench/results/synthetic]

For each size, the synthetic road-like network of ``bench/synthetic.py`` (GeoPackage of
unsplit lines, and the same network as ``.osm.pbf``) is built, each run in its own
process so that its peak RSS is its own:

* ``today``: what ``lampung-geo graph build`` does today for one profile (car):
  ``build_graph`` (networkx; pyrosm for PBF) + ``compile_graph`` + save (format 2);
* ``stream``: the streaming build for the same profile + ``write_store`` (format 3);
* ``stream x4``: the streaming build of all four profiles at once + ``write_store``.

It prints wall time and peak RSS side by side, the growth exponent fitted over the
sizes measured from 1M edges up (time ~ edges^k; below that the fixed cost of imports
dominates), the figures extrapolated to 10M edges where they were not measured, and
writes ``bench/results/build.json`` (``--append`` keeps the rows of other sizes and
modes). "edges" are the directed edges of the built car graph. Sizes above
``--today-max`` skip today's build (3M takes about 7 minutes and 8 GB; 10M would need
about 25 GB).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results" / "build.json"
PROFILES = ("motorcycle", "car", "truck", "walk")
TARGET = 10_000_000


def _child(mode: str, path: Path, out: Path) -> dict[str, Any]:
    """Run one build in this process and report its figures (called in a subprocess).

    Imports are done before the clock starts (a fixed ~3 s for both builds).
    """
    from routing.build import build_graph
    from routing.network import compile_and_save
    from routing.store import write_store
    from routing.stream_build import build_network

    if path.name.endswith(".pbf"):
        import osmium  # noqa: F401
        import pyrosm  # noqa: F401

    started = time.perf_counter()
    if mode == "today":
        graph, report = build_graph(path, profile="car")
        built = time.perf_counter() - started
        compiled = compile_and_save(graph, out / "car.npz")
        edges, arcs = report.edges, compiled.n_edges
    else:
        profiles = PROFILES if mode == "stream4" else ("car",)
        network = build_network(path, profiles=profiles)
        built = time.perf_counter() - started
        write_store(out / "graphs", network.base, network.profiles, meta=network.meta)
        edges, arcs = network.reports["car"].edges, network.base.n_arcs
    return {
        "mode": mode,
        "seconds": round(time.perf_counter() - started, 2),
        "build_seconds": round(built, 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "edges": int(edges),
        "arcs": int(arcs),
    }


def _run(mode: str, path: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        cmd = [sys.executable, __file__, "--child", mode, str(path), tmp]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"mode": mode, "error": (done.stderr or done.stdout)[-800:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares fit of log(y) = a + k log(x): (k, a)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    k = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return k, my - k * mx


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--today-max", type=int, default=3_000_000)
    parser.add_argument("--formats", nargs="+", default=["gpkg", "pbf"])
    parser.add_argument("--modes", nargs="+", default=["today", "stream", "stream4"])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "results" / "synthetic")
    parser.add_argument(
        "--append", action="store_true", help="keep the other rows of bench/results/build.json"
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path, out = args.child
        print(json.dumps(_child(mode, Path(path), Path(out))))
        return
    from bench.synthetic import make_files

    rows: list[dict[str, Any]] = []
    if args.append and RESULTS.exists():
        done = {(s, f, m) for s in args.sizes for f in args.formats for m in args.modes}
        old = json.loads(RESULTS.read_text())["rows"]
        rows = [r for r in old if (r["size"], r["format"], r["mode"]) not in done]
    for size in args.sizes:
        started = time.perf_counter()
        files = make_files(size, args.data, formats=args.formats)
        print(
            f"synthetic {size:,}: ready in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )
        for fmt, path in files.items():
            for mode in args.modes:
                if mode == "today" and size > args.today_max:
                    continue
                row = {"size": size, "format": fmt, **_run(mode, path)}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    report = _table(rows)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": f"{platform.node()} {platform.machine()}", "rows": rows, "table": report},
            indent=1,
        )
    )


def _table(rows: list[dict[str, Any]]) -> str:
    """Side-by-side table, fitted exponents and the 10M extrapolation."""
    lines = [
        f"{'input':<6} {'edges':>11} | {'today s':>8} {'GB':>6} | {'stream s':>8} {'GB':>6} | "
        f"{'stream x4 s':>11} {'GB':>6}"
    ]
    ok = [r for r in rows if "error" not in r]
    for fmt in sorted({r["format"] for r in ok}):
        for size in sorted({r["size"] for r in ok if r["format"] == fmt}):
            cells = {r["mode"]: r for r in ok if r["format"] == fmt and r["size"] == size}
            edges = next(iter(cells.values()))["edges"]

            def cell(mode: str, width: int, cells: dict[str, Any] = cells) -> str:
                r = cells.get(mode)
                return (
                    f"{r['seconds']:>{width}.1f} {r['peak_rss_gb']:>6.2f}"
                    if r
                    else f"{'-':>{width}} {'-':>6}"
                )

            row = f"{cell('today', 8)} | {cell('stream', 8)} | {cell('stream4', 11)}"
            lines.append(f"{fmt:<6} {edges:>11,} | {row}")
        for mode in ("today", "stream", "stream4"):
            pts = [r for r in ok if r["format"] == fmt and r["mode"] == mode]
            big = [r for r in pts if r["edges"] >= 500_000]
            pts = big if len(big) >= 2 else pts  # a fixed ~0.3 GB of imports flattens the fit
            t_fit = _fit([(r["edges"], r["seconds"]) for r in pts])
            m_fit = _fit([(r["edges"], r["peak_rss_gb"]) for r in pts])
            if not (t_fit and m_fit):
                continue
            t10 = math.exp(t_fit[1]) * TARGET ** t_fit[0]
            m10 = math.exp(m_fit[1]) * TARGET ** m_fit[0]
            measured = [r for r in pts if r["edges"] >= 0.9 * TARGET]
            note = "measured" if measured else "extrapolated"
            lines.append(
                f"  {fmt} {mode}: time ~ edges^{t_fit[0]:.2f}, RSS ~ edges^{m_fit[0]:.2f}; "
                f"10M edges: {t10:,.0f} s, {m10:.1f} GB ({note} fit)"
            )
    errors = [r for r in rows if "error" in r]
    lines.extend(
        f"  ERROR {r['format']} {r['size']:,} {r['mode']}: {r['error'][-200:]}" for r in errors
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
