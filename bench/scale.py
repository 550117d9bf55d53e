"""The single-machine ceiling: build, start-up, RSS and queries from 100k to 3M edges.

Usage::

    .venv/bin/python bench/scale.py [--sizes 100000 1000000 3000000] [--out bench/results/scale]
        [--quick] [--data bench/results/synthetic] [--profile car] [--timeout 2400]

For each size, the synthetic road-like network of ``bench/synthetic.py`` (a GeoPackage of
unsplit lines, cached by size in ``--data``) is measured in two child processes, so that
each one's RSS is its own:

* **build**: what ``lampung-geo graph build <file> --format 3`` does for all four
  profiles (``geo_api.networks.build_network_store`` with the settings' options), wall
  time after imports (timed apart, as in ``bench/build.py``) and peak RSS (imports
  included, about 0.3 GB);
* **serve**: a second process loads the store with all four profiles until every one is
  ready to answer (engines and snappers made): *start-up* wall time (after imports,
  which are timed apart: ``imports_s``), RSS then and peak;
  then, warm, in the same process and on ``--profile``:

  - **route**: p50/p95 of ``engine.route`` between random node pairs (snapped);
  - **matrix**: 100 x 100 ``engine.durations`` (median of 3);
  - **isochrone**: 10/20/30 minutes from the node nearest the network's centre
    (``multi_source`` + ``isochrone_bands``), first run and warm, and the exact union of
    buffers (``method="exact"``, the method before issue 13) once, side by side;
  - **coverage**: H3 cells over the network's bounding box (resolution 9, coarser if
    that would exceed ``--max-cells``), 300 random facilities, thresholds 15/30/60 min:
    cold set-up (cell snapping and access) and warm statistics
    (``facility_cell_times`` + ``area_coverage`` per coarse H3 parent area).

Only public entry points of ``routing`` are called, and each step is guarded: a step
that fails is recorded with its error in the table instead of stopping the run.
Start-up uses ``routing.network.load_networks`` when it loads every profile of the
store; otherwise (``main`` before a store loader exists) it reads the store with
``routing.store.read_store`` and makes one ``CompiledGraph`` view per profile (its
usable arcs) wrapped in ``Network.from_compiled``; the JSON says which (``loader``).

Writes ``<out>/scale.md`` (a markdown table with the store's size on disk, the fitted
growth exponents ``y ~ arcs^k`` from a log-log least-squares fit over the sizes measured,
and the figures extrapolated to 10M arcs) and ``<out>/scale.json``. Sizes are targets in
directed edges of the car graph (``bench/synthetic.py``); the table shows the store's
nodes and arcs (both directions of every road, ~12 % more than the car graph's edges).
``--quick`` measures 100k edges only. ``--engine scipy`` skips the CH preprocessing;
``--in-process`` runs both steps in this process (RSS figures then not clean: for the
smoke test in ``tests/bench`` and for debugging). The machine is shared: the JSON
records the load average before each size. See ``docs/scale.md`` for today's figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._common import fit_power, percentile, rss_now_gb  # noqa: E402

PROFILES = ("motorcycle", "car", "truck", "walk")
DEFAULT_SIZES = (100_000, 1_000_000, 3_000_000)
TARGET = 10_000_000
MINUTES_ISO = (10.0, 20.0, 30.0)
MINUTES_COVERAGE = (15.0, 30.0, 60.0)
#: Approximate area of one H3 cell (km²) by resolution (H3 documentation, averages).
H3_CELL_KM2 = {7: 5.161, 8: 0.737, 9: 0.105}

#: The figures of the table and of the fits: (label, row key, unit).
METRICS: tuple[tuple[str, str, str], ...] = (
    ("build wall", "build_s", "s"),
    ("build peak RSS", "build_peak_gb", "GB"),
    ("store on disk", "store_mb", "MB"),
    ("start-up (4 profiles)", "startup_s", "s"),
    ("RSS after start-up", "startup_rss_gb", "GB"),
    ("route p50", "route_p50_ms", "ms"),
    ("matrix 100x100", "matrix_ms", "ms"),
    ("isochrone 10/20/30 warm", "isochrone_s", "s"),
    ("isochrone, exact union", "isochrone_exact_s", "s"),
    ("coverage set-up (cold)", "coverage_setup_s", "s"),
    ("coverage statistics (warm)", "coverage_ms", "ms"),
)


# ---------------------------------------------------------------------------- build


def build_child(source: Path, folder: Path) -> dict[str, Any]:
    """What ``graph build --format 3`` does for all four profiles, in this process.

    The same call as the CLI (``geo_api.networks.build_network_store`` with the
    settings' build options); imports are done before the clock starts and timed apart.
    """
    import resource

    started = time.perf_counter()
    from geo_api.networks import build_network_store, build_options
    from geo_api.settings import Settings

    imports = time.perf_counter() - started
    started = time.perf_counter()
    options = dict(build_options(Settings().routing))
    build_network_store(source, folder, profiles=list(PROFILES), **options)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    meta = json.loads((folder / "network" / "meta.json").read_text())
    return {
        "build_s": round(wall, 2),
        "build_peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "build_imports_s": round(imports, 2),
        "nodes": int(meta["counts"]["nodes"]),
        "arcs": int(meta["counts"]["arcs"]),
        "derived": {k: v.get("status") for k, v in meta.get("derived", {}).items()},
    }


def build_store(
    source: Path, folder: Path, *, timeout_s: float, in_process: bool = False
) -> dict[str, Any]:
    """Run :func:`build_child` in a child process: wall time and peak RSS are its own."""
    if in_process:
        try:
            return build_child(source, folder)
        except Exception as exc:  # recorded, not raised: the bench goes on
            return {"error": _error(exc)}
    folder.parent.mkdir(parents=True, exist_ok=True)
    log = folder.parent / f"{folder.name}.build.log"
    cmd = [sys.executable, __file__, "--build-child", str(source), str(folder)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        status, usage = _wait(proc, timeout_s)
    text = log.read_text(errors="replace")
    if status != 0:
        return {"error": f"build child exited with {status}: {text[-600:]}"}
    row = dict(json.loads(text.strip().splitlines()[-1]))
    row["build_child_peak_gb"] = round(usage.ru_maxrss / 1e6, 3)  # wait4's view, same child
    return row


def _wait(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, Any]:
    """Wait for ``proc`` (killing it after ``timeout_s``); its exit status and rusage."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return -9, usage
        time.sleep(0.2)


# ---------------------------------------------------------------------------- serve


def load_all(folder: Path, *, engine: str = "auto") -> tuple[dict[str, Any], str]:
    """Load every profile of the store in ``folder`` into ``Network`` objects.

    Returns the networks by profile and the name of the loader used. ``engine`` is
    passed on as ``kind`` only when it is not ``"auto"`` (the loaders' default).
    """
    from routing.network import Network, load_networks
    from routing.store import read_store

    kind: dict[str, Any] = {} if engine == "auto" else {"kind": engine}
    skipped: list[str] = []
    networks: dict[str, Any] = load_networks(
        folder, on_error=lambda p, e: skipped.append(p.name), **kind
    )
    meta = json.loads((folder / "network" / "meta.json").read_text())
    wanted = set(meta.get("profiles", {})) or set(PROFILES)
    if wanted <= set(networks):
        return networks, "routing.network.load_networks"
    store = read_store(folder)
    networks = {
        name: Network.from_compiled(compiled_view(store, name), source=str(folder), **kind)
        for name in sorted(store.profiles)
    }
    return networks, "bench adapter: routing.store.read_store + Network.from_compiled"


def compiled_view(store: Any, profile: str) -> Any:
    """A ``CompiledGraph`` of one store profile: its usable (finite-time) arcs.

    Arcs keep the store's CSR order by tail, re-sorted by (tail, head, time) so that the
    first arc of each (tail, head) run is the fastest, as ``compile_graph`` does.
    """
    import numpy as np

    from routing.compiled import CompiledGraph

    net = store.network
    times = np.asarray(store.profiles[profile].edge_time)
    keep = np.flatnonzero(np.isfinite(times))
    tail = np.asarray(net.edge_tail)[keep].astype(np.int64)
    head = np.asarray(net.edge_head)[keep].astype(np.int64)
    idx = keep[np.lexsort((times[keep], head, tail))]
    tail = np.asarray(net.edge_tail)[idx].astype(np.int64)
    head = np.asarray(net.edge_head)[idx].astype(np.int64)
    n, m = net.n_nodes, idx.shape[0]
    offsets = np.asarray(net.geom_offsets)
    counts = offsets[idx + 1] - offsets[idx]
    new_off = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=new_off[1:])
    gather = np.repeat(offsets[idx] - new_off[:-1], counts) + np.arange(int(new_off[-1]))
    position = np.full(net.n_arcs, -1, dtype=np.int64)
    position[idx] = np.arange(m)
    old_twin = np.asarray(net.edge_twin)[idx]
    twin = np.where(old_twin >= 0, position[np.maximum(old_twin, 0)], -1).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    first = np.ones(m, dtype=np.bool_)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    simple = np.flatnonzero(first).astype(np.int32)
    simple_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail[simple], minlength=n), out=simple_indptr[1:])
    return CompiledGraph(
        profile=profile,
        node_ids=np.asarray(net.node_ids),
        node_lon=np.asarray(net.node_lon),
        node_lat=np.asarray(net.node_lat),
        indptr=indptr,
        edge_tail=tail.astype(np.int32),
        edge_head=head.astype(np.int32),
        edge_time=times[idx],
        edge_length=np.asarray(net.edge_length)[idx],
        edge_ferry=np.asarray(net.edge_ferry)[idx],
        edge_ferry_link=np.asarray(net.edge_ferry_link)[idx],
        edge_name=np.asarray(net.edge_name)[idx],
        names=np.asarray(net.names),
        edge_highway=np.asarray(net.edge_highway)[idx].astype(np.int32),
        highways=np.asarray(net.highways),
        geom_offsets=new_off,
        geom_coords=np.ascontiguousarray(np.asarray(net.geom_coords)[gather]),
        edge_twin=twin,
        simple_indptr=simple_indptr,
        simple_head=head[simple].astype(np.int32),
        simple_edge=simple,
    )


def serve_child(folder: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Start-up and warm queries, in this (child) process."""
    import resource

    out: dict[str, Any] = {}
    started = time.perf_counter()
    import routing.network  # imports are a fixed cost, timed apart
    import routing.store  # noqa: F401

    out["imports_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    try:
        networks, loader = load_all(folder, engine=options.get("engine", "auto"))
    except Exception as exc:  # recorded, not raised: the bench goes on
        return {**out, "startup_error": _error(exc)}
    out["startup_s"] = round(time.perf_counter() - started, 2)
    out["startup_rss_gb"] = round(rss_now_gb(), 3)
    out["loader"] = loader
    out["profiles_loaded"] = sorted(networks)
    net = networks.get(options["profile"])
    if net is None:
        out["query_error"] = f"profile {options['profile']!r} not loaded"
        return out
    out["profile_edges"] = int(net.compiled.n_edges)
    steps: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
        "route": _route,
        "matrix": _matrix,
        "isochrone": _isochrone,
        "coverage": _coverage,
    }
    for name, step in steps.items():
        try:
            out.update(step(net, options))
        except Exception as exc:  # recorded, not raised: the bench goes on
            out[f"{name}_error"] = _error(exc)
    out["serve_peak_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)
    return out


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:400]


def _random_snaps(net: Any, count: int, seed: int, field: str) -> list[Any]:
    """Snaps at random nodes that the profile can leave (an out-arc)."""
    import numpy as np

    cg = net.compiled
    rng = np.random.default_rng(seed)
    usable = np.flatnonzero(np.diff(cg.indptr) > 0)
    nodes = rng.choice(usable, size=count, replace=usable.shape[0] < count)
    return [net.snap(float(cg.node_lon[i]), float(cg.node_lat[i]), field=field) for i in nodes]


def _route(net: Any, options: dict[str, Any]) -> dict[str, Any]:
    from routing.errors import UnreachableError

    pairs = options["routes"]
    origins = _random_snaps(net, pairs, 1, "from")
    targets = _random_snaps(net, pairs, 2, "to")
    times: list[float] = []
    unreachable = 0
    for a, b in zip(origins, targets, strict=True):
        started = time.perf_counter()
        try:
            net.engine.route(a, b)
        except UnreachableError:
            unreachable += 1
        times.append((time.perf_counter() - started) * 1e3)
    return {
        "route_p50_ms": round(percentile(times, 50), 3),
        "route_p95_ms": round(percentile(times, 95), 3),
        "route_pairs": pairs,
        "route_unreachable": unreachable,
    }


def _matrix(net: Any, options: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    size = options["matrix"]
    origins = _random_snaps(net, size, 3, "sources")
    targets = _random_snaps(net, size, 4, "destinations")
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = net.engine.durations(origins, targets)
        runs.append((time.perf_counter() - started) * 1e3)
    return {
        "matrix_ms": round(percentile(runs, 50), 2),
        "matrix_size": size,
        "matrix_finite": int(np.isfinite(np.asarray(result)).sum()),
    }


def _isochrone(net: Any, options: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from routing.isochrones import isochrone_bands

    cg = net.compiled
    usable = np.flatnonzero(np.diff(cg.indptr) > 0)
    lon, lat = np.asarray(cg.node_lon)[usable], np.asarray(cg.node_lat)[usable]
    centre = usable[np.argmin(np.hypot(lon - np.median(lon), lat - np.median(lat)))]
    origin = net.snap(float(cg.node_lon[centre]), float(cg.node_lat[centre]), field="origin")
    out: dict[str, Any] = {}
    # the product's method (grid where it fits) and the exact union, one after the other
    for method, key in (("auto", "isochrone"), ("exact", "isochrone_exact")):
        runs = []
        bands: list[Any] = []
        for _ in range(options["isochrone_runs"] if method == "auto" else 1):
            started = time.perf_counter()
            node_times, _ = net.engine.multi_source([origin], limit_s=max(MINUTES_ISO) * 60.0)
            bands = isochrone_bands(
                cg, node_times, list(MINUTES_ISO), sources=[origin], method=method
            )
            runs.append(time.perf_counter() - started)
        out[f"{key}_first_s"] = round(runs[0], 3)
        out[f"{key}_s"] = round(min(runs[1:] or runs), 3)
        out[f"{key}_km2"] = [round(float(b.area_km2), 1) for b in bands]
    out["isochrone_exact_over_grid"] = round(out["isochrone_exact_s"] / out["isochrone_s"], 1)
    return out


def h3_cells(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float, *, max_cells: int
) -> tuple[list[str], int]:
    """H3 cells filling a bounding box: resolution 9, or coarser to stay under ``max_cells``."""
    import h3

    km2 = (
        (lon_max - lon_min)
        * 111.32
        * math.cos(math.radians((lat_min + lat_max) / 2))
        * (lat_max - lat_min)
        * 111.32
    )
    res = next((r for r in (9, 8) if km2 / H3_CELL_KM2[r] <= max_cells), 7)
    ring = [(lat_min, lon_min), (lat_min, lon_max), (lat_max, lon_max), (lat_max, lon_min)]
    return list(h3.polygon_to_cells(h3.LatLngPoly(ring), res)), res


def _coverage(net: Any, options: dict[str, Any]) -> dict[str, Any]:
    import h3
    import numpy as np

    from routing.coverage import area_coverage, cell_access, facility_cell_times

    cg = net.compiled
    started = time.perf_counter()
    lon, lat = np.asarray(cg.node_lon), np.asarray(cg.node_lat)
    cells, res = h3_cells(
        float(lon.min()),
        float(lat.min()),
        float(lon.max()),
        float(lat.max()),
        max_cells=options["max_cells"],
    )
    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=np.float64).reshape(-1, 2)
    parents = [h3.cell_to_parent(c, max(res - 3, 0)) for c in cells]
    _, area = np.unique(np.asarray(parents), return_inverse=True)
    area = area.ravel().astype(np.int64)
    n_areas = int(area.max()) + 1 if area.size else 0
    snaps = net.snap_many(centres[:, 1], centres[:, 0])
    access = cell_access(cg, snaps)
    facilities = _random_snaps(net, options["facilities"], 5, "facilities")
    setup = time.perf_counter() - started
    population = np.ones(len(cells), dtype=np.float64)
    runs = []
    cov: Any = None
    for _ in range(3):
        started = time.perf_counter()
        times = facility_cell_times(net.engine, access, facilities)
        cov = area_coverage(times, population, area, n_areas, MINUTES_COVERAGE)
        runs.append((time.perf_counter() - started) * 1e3)
    covered = cov.covered.sum(axis=0) / max(float(cov.population.sum()), 1.0) if cov else []
    return {
        "coverage_setup_s": round(setup, 2),
        "coverage_ms": round(percentile(runs, 50), 1),
        "coverage_cells": len(cells),
        "coverage_h3_res": res,
        "coverage_cells_on_network": int(np.count_nonzero(~np.asarray(snaps.off_network))),
        "coverage_areas": n_areas,
        "coverage_facilities": len(facilities),
        "coverage_share": [round(float(c), 3) for c in covered],
    }


def run_serve(folder: Path, options: dict[str, Any], *, timeout_s: float) -> dict[str, Any]:
    """Run :func:`serve_child` in a child process."""
    cmd = [sys.executable, __file__, "--serve-child", str(folder), json.dumps(options)]
    try:
        done = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return {"startup_error": f"serve child timed out after {timeout_s:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"startup_error": f"serve child exited with {done.returncode}: {done.stderr[-600:]}"}
    return dict(json.loads(lines[-1]))


# ---------------------------------------------------------------------------- report


def measure_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Generate (cached), build and serve one size; every step guarded."""
    from bench.synthetic import make_files

    row: dict[str, Any] = {"size": size, "load_avg": [round(x, 2) for x in os.getloadavg()]}
    try:
        started = time.perf_counter()
        source = make_files(size, args.data, seed=args.seed, formats=["gpkg"])["gpkg"]
        row["synthetic_s"] = round(time.perf_counter() - started, 1)
    except Exception as exc:  # recorded, not raised: the bench goes on
        row["synthetic_error"] = _error(exc)
        return row
    folder = args.out / "graphs" / f"synthetic_{size}"
    built = build_store(source, folder, timeout_s=args.timeout, in_process=args.in_process)
    row.update(built if "error" not in built else {"build_error": built["error"]})
    if "build_error" in row:
        return row
    row["store_mb"] = round(
        sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1
    )
    options = {
        "profile": args.profile,
        "routes": args.routes,
        "matrix": args.matrix,
        "facilities": args.facilities,
        "max_cells": args.max_cells,
        "isochrone_runs": args.isochrone_runs,
        "engine": args.engine,
    }
    if args.in_process:
        row.update(serve_child(folder, options))
    else:
        row.update(run_serve(folder, options, timeout_s=args.timeout))
    if not args.keep_graphs:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return row


def fits(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Growth exponent of every metric over the sizes measured: y ~ arcs^k."""
    out: dict[str, dict[str, float]] = {}
    for _, key, _unit in METRICS:
        points = [(float(r["arcs"]), float(r[key])) for r in rows if "arcs" in r and key in r]
        fit = fit_power(points)
        if fit is None:
            continue
        k, a = fit
        out[key] = {"k": round(k, 3), "a": a, "at_10M": math.exp(a) * TARGET**k}
    return out


def table(rows: Sequence[dict[str, Any]], fitted: dict[str, dict[str, float]]) -> str:
    """The markdown report: one column per size, fits and 10M extrapolation."""
    ok = sorted(rows, key=lambda r: r["size"])
    head = "| what | " + " | ".join(_size_label(r) for r in ok) + " | fit k | at 10M arcs |"
    lines = [head, "|---" * (len(ok) + 3) + "|"]
    for label, key, unit in METRICS:
        cells = [_cell(r, key) for r in ok]
        fit = fitted.get(key)
        fk = f"{fit['k']:.2f}" if fit else "-"
        at = f"{_fmt(fit['at_10M'])} {unit}" if fit else "-"
        lines.append(f"| {label} ({unit}) | " + " | ".join(cells) + f" | {fk} | {at} |")
    lines.append("")
    for r in ok:
        errors = {k: v for k, v in r.items() if k.endswith("_error")}
        for k, v in errors.items():
            lines.append(f"- ERROR at {r['size']:,} ({k}): {str(v)[:300]}")
        if "loader" in r:
            lines.append(
                f"- {r['size']:,}: loader {r['loader']}; load average {r['load_avg']}; "
                f"coverage {r.get('coverage_cells', '-')} H3 cells "
                f"(res {r.get('coverage_h3_res', '-')}), isochrone km² {r.get('isochrone_km2')}"
            )
    return "\n".join(lines)


def _size_label(row: dict[str, Any]) -> str:
    if "arcs" in row:
        return f"{row['nodes']:,} nodes / {row['arcs']:,} arcs"
    return f"{row['size']:,} (target)"


def _cell(row: dict[str, Any], key: str) -> str:
    if key in row:
        return _fmt(float(row[key]))
    step = key.split("_")[0]
    for name in (f"{step}_error", "startup_error", "build_error", "synthetic_error"):
        if name in row:
            return "error"
    return "-"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark (see the module docstring); returns what it wrote."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true", help="100k edges only")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "scale")
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "results" / "synthetic")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="car", choices=PROFILES)
    parser.add_argument("--routes", type=int, default=200, help="random route pairs")
    parser.add_argument("--matrix", type=int, default=100, help="matrix side")
    parser.add_argument("--facilities", type=int, default=300)
    parser.add_argument("--max-cells", type=int, default=250_000)
    parser.add_argument("--isochrone-runs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=2400.0, help="per child, seconds")
    parser.add_argument("--keep-graphs", action="store_true")
    parser.add_argument(
        "--engine", default="auto", choices=("auto", "ch", "scipy"), help="routing engine kind"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the steps in this process (RSS not clean; for smoke tests and debugging)",
    )
    parser.add_argument("--build-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--serve-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_child:
        print(json.dumps(build_child(Path(args.build_child[0]), Path(args.build_child[1]))))
        return {}
    if args.serve_child:
        folder, options = args.serve_child
        print(json.dumps(serve_child(Path(folder), json.loads(options))))
        return {}
    sizes = [100_000] if args.quick else args.sizes
    rows = []
    for size in sizes:
        row = measure_size(size, args)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    fitted = fits(rows)
    report = table(rows, fitted)
    doc = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "rows": rows,
        "fits": fitted,
        "table": report,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(doc, indent=1))
    (args.out / "scale.md").write_text(report + "\n")
    print(report)
    return doc


if __name__ == "__main__":
    main()
