"""Benchmark: the web map and its vector tiles, with tipg's tiles side by side.

Starts a private PostGIS cluster in a temp folder (or uses ``--database-url``), loads
the DEMO data and builds the demo road graphs, adds ``--points`` generated service
points (as ``bench/layers.py`` does), then serves the database with our API and with
tipg and measures:

* ``page``: the time until ``/peta`` has drawn its layers (``body[data-ready]``, i.e.
  roads, boundaries and the capped service points of the view) in headless chromium,
  from navigation start; base-map tile requests are aborted (offline);
* ``search``: ``GET /search`` over HTTP for typed, misspelt and partial names, on the
  demo data and, when ``../shared/data/jakarta`` is there, after loading Jakarta's
  kota, kecamatan, kelurahan and puskesmas into the same database (goal: < 50 ms
  median and p95 per data set);
* ``z10`` / ``z14``: MVT tiles over the points at zoom 10 and 14, every request a newly
  built tile (ours is asked with ``Cache-Control: no-cache`` so that its LRU is skipped)
  vs tipg's ``/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}``;
* ``z10 repeated``: the same tile again (ours from its LRU; tipg has no cache);
* ``z10 304``: the same tile with ``If-None-Match`` (ours only).

Prints a table (``tipg/ours`` > 1 means ours is faster) and writes
``bench/results/web.json``.

Run from the repository root::

    .venv/bin/pip install 'tipg>=1.0,<2'
    .venv/bin/python bench/web.py [--points 100000] [--requests 200] [--page-runs 10]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from bench.layers import (  # noqa: E402
    HEIGHT,
    LAT0,
    LON0,
    WIDTH,
    delete_points,
    generate_points,
    git_revision,
    start_tipg,
    tipg_collection_id,
)
from layers.db.cluster import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GOAL_PAGE_MS = 1000.0
# /peta as it was before issue #10 (main at cbcf4a3: no compression, every layer fetched
# twice on load), measured with this script on the 2-core CI machine.
BASELINE: dict[str, Any] = {
    "what": "main at cbcf4a3 (before issue #10), 10 cold loads per viewport, 2-core machine",
    "desktop": {"median_ms": 1442, "wire_bytes": 973_166, "decoded_bytes": 967_414},
    "phone": {"median_ms": 1268, "wire_bytes": 950_514, "decoded_bytes": 944_762},
}
GOAL_CACHED_MS = 2.0
GOAL_SEARCH_MS = 50.0
JAKARTA = ROOT.parent / "shared" / "data" / "jakarta"
SEARCH_QUERIES: dict[str, list[str]] = {
    "demo": [
        "Sukarame",
        "sukarme",
        "Way Halim",
        "wayhalim",
        "Kedaton",
        "puskesmas kedaton",
        "kantor camat",
        "Metro",
        "Rajabasa",
        "teluk betung",
        "Pringsewu",
        "rsud",
    ],
    "jakarta": [
        "Menteng",
        "mentng",
        "Tanah Abang",
        "Kebayoran Baru",
        "kebayoran",
        "Cilandak",
        "Kelapa Gading",
        "pasar minggu",
        "Senen",
        "puskesmas kecamatan",
        "cengkareng",
        "ciracas",
    ],
}
MVT = "application/vnd.mapbox-vector-tile"

console = Console()


# -- setup -----------------------------------------------------------------------------
def load_demo_platform(url: str, graph_dir: Path) -> None:
    """Migrate, load the DEMO data and build its road graphs."""
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
    finally:
        engine.dispose()


def load_jakarta(url: str) -> dict[str, int]:
    """Jakarta's areas and puskesmas from ../shared/data (read only), through the ingest."""
    from layers.db.engine import make_engine
    from layers.ingest import ingest_file

    files = [
        ("kota.gpkg", "areas", {"KAB_NAME": "name"}, {"level": "kabupaten"}),
        ("kecamatan.gpkg", "areas", {"KEC_NAME": "name"}, {"level": "kecamatan"}),
        ("kelurahan.gpkg", "areas", {"KEL_NAME_1": "name"}, {"level": "desa"}),
        ("puskesmas.geojson", "points", {"NAMOBJ": "name"}, {"category": "puskesmas"}),
    ]
    counts: dict[str, int] = {}
    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        for name, kind, mapping, defaults in files:
            with engine.connect() as conn:
                result = ingest_file(
                    conn,
                    JAKARTA / name,
                    kind=kind,  # type: ignore[arg-type]
                    mapping=mapping,
                    defaults=defaults,
                    on_duplicate="renumber",
                )
            counts[name] = result.rows
    finally:
        engine.dispose()
    return counts


def time_search(base_url: str, queries: list[str], runs: int) -> dict[str, Any]:
    """Each query ``runs`` times over HTTP (keep-alive), after one warm-up round."""
    times: list[float] = []
    per_query: dict[str, list[float]] = {q: [] for q in queries}
    found = 0
    with httpx.Client(base_url=base_url, timeout=30) as c:
        for q in queries:
            c.get("/search", params={"q": q})
        for _ in range(runs):
            for q in queries:
                url = str(httpx.URL("/search", params={"q": q, "limit": 8}))
                ms, r = timed_get(c, url)
                r.raise_for_status()
                found += bool(r.json()["features"])
                times.append(ms)
                per_query[q].append(ms)
    return summarise(times) | {
        "queries": len(queries),
        "with_results": found / runs,
        "median_ms_per_query": {q: round(statistics.median(v), 1) for q, v in per_query.items()},
    }


def run_search(url: str, base_url: str, runs: int) -> dict[str, Any]:
    """Search timings on the demo data, then with Jakarta loaded too (when present)."""
    out: dict[str, Any] = {"demo": time_search(base_url, SEARCH_QUERIES["demo"], runs)}
    if JAKARTA.is_dir():
        out["jakarta_loaded"] = load_jakarta(url)
        out["jakarta"] = time_search(base_url, SEARCH_QUERIES["jakarta"], runs)
    t = Table(title="GET /search over HTTP (typed, misspelt and partial names)")
    for col in ("data", "queries", "with results", "median ms", "p95 ms", "max ms"):
        t.add_column(col, justify="left" if col == "data" else "right")
    for name in ("demo", "jakarta"):
        if name in out:
            v = out[name]
            t.add_row(
                name,
                str(v["queries"]),
                f"{v['with_results']:.0f}",
                f"{v['median_ms']:.1f}",
                f"{v['p95_ms']:.1f}",
                f"{v['max_ms']:.1f}",
            )
    console.print(t)
    return out


def search_goals(search: dict[str, Any]) -> list[dict[str, Any]]:
    """/search answers in < 50 ms (median and p95) on each data set."""
    return [
        {
            "what": f"/search on {name} data < {GOAL_SEARCH_MS:.0f} ms (median and p95)",
            "met": search[name]["median_ms"] < GOAL_SEARCH_MS
            and search[name]["p95_ms"] < GOAL_SEARCH_MS,
        }
        for name in ("demo", "jakarta")
        if name in search
    ]


def start_ours(url: str, port: int, log: Path, graph_dir: Path) -> Server:
    """Our API under uvicorn with the demo graphs.

    Its base-map tiles point at a closed port of 127.0.0.1, so every tile request fails
    at once, as offline (blocking them in the browser instead would switch off
    chromium's HTTP cache, and with it the repeat-visit figures).
    """
    cmd = [sys.executable, "-m", "uvicorn", "geo_api.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {
        "LAMPUNG_GEO_DATABASE_URL": url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graph_dir),
        "LAMPUNG_GEO_WEB_TILE_URL": f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png",
    }
    return start_server("ours", cmd, port=port, env=env, log=log, ready_path="/health")


# -- tiles -----------------------------------------------------------------------------
def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The WebMercatorQuad tile holding a position."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(x, n - 1), min(y, n - 1)


def tiles_in_extent(z: int, rng: random.Random, n: int) -> list[tuple[int, int, int]]:
    """``n`` random tiles of zoom ``z`` inside the generated points' extent."""
    x0, y1 = tile_of(LON0, LAT0, z)
    x1, y0 = tile_of(LON0 + WIDTH, LAT0 + HEIGHT, z)
    return [(z, rng.randint(x0, x1), rng.randint(y0, y1)) for _ in range(n)]


def mvt_features(data: bytes) -> int:
    """Number of features in all layers of an MVT (a minimal protobuf walk)."""

    def varint(buf: bytes, i: int) -> tuple[int, int]:
        shift = value = 0
        while True:
            b = buf[i]
            i += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value, i
            shift += 7

    def fields(buf: bytes) -> list[tuple[int, bytes | int]]:
        out: list[tuple[int, bytes | int]] = []
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            wire = key & 7
            if wire == 0:
                v, i = varint(buf, i)
                out.append((key >> 3, v))
            elif wire == 2:
                size, i = varint(buf, i)
                out.append((key >> 3, buf[i : i + size]))
                i += size
            else:
                i += 4 if wire == 5 else 8
        return out

    total = 0
    for number, layer in fields(data):
        if number == 3 and isinstance(layer, bytes):
            total += sum(1 for n, _ in fields(layer) if n == 2)
    return total


def time_tiles(
    clients: dict[str, httpx.Client],
    paths: dict[str, str],
    tiles: list[tuple[int, int, int]],
    *,
    headers: dict[str, dict[str, str]],
    expect: int = 200,
) -> dict[str, Any]:
    """Time one request per tile and server, alternating which server goes first."""
    times: dict[str, list[float]] = {s: [] for s in clients}
    sizes: dict[str, list[int]] = {s: [] for s in clients}
    errors = dict.fromkeys(clients, 0)
    order = list(clients)
    for i, (z, x, y) in enumerate(tiles):
        for server in order if i % 2 == 0 else order[::-1]:
            url = paths[server].format(z=z, x=x, y=y)
            started = time.perf_counter()
            r = clients[server].get(url, headers=headers.get(server, {}))
            r.read()
            times[server].append((time.perf_counter() - started) * 1000.0)
            sizes[server].append(len(r.content))
            ok = r.status_code == expect and (
                expect == 304 or r.headers.get("content-type", "").startswith(MVT)
            )
            errors[server] += 0 if ok else 1
    out: dict[str, Any] = {}
    for s in clients:
        out[s] = summarise(times[s]) | {
            "mean_bytes": round(statistics.fmean(sizes[s])),
            "errors": errors[s],
        }
    if "tipg" in out:
        for stat in ("median", "p95", "mean"):
            out[f"ratio_{stat}"] = out["tipg"][f"{stat}_ms"] / out["ours"][f"{stat}_ms"]
    return out


def check_tiles(
    clients: dict[str, httpx.Client], paths: dict[str, str], tiles: list[tuple[int, int, int]]
) -> list[dict[str, Any]]:
    """Both servers give the same features for these tiles (ours adds the buffer's)."""
    checks = []
    for z, x, y in tiles:
        counts = {}
        for s, c in clients.items():
            r = c.get(paths[s].format(z=z, x=x, y=y))
            counts[s] = mvt_features(r.content) if r.status_code == 200 else -r.status_code
        # Ours also keeps the points in the tile's 64/4096 buffer (symbols at the edge
        # are drawn whole); tipg keeps only those inside the tile.
        ok = 0 < counts["tipg"] <= counts["ours"] <= 1.2 * counts["tipg"] + 2
        problems = [] if ok else [str(counts)]
        checks.append({"what": f"tile {z}/{x}/{y}", "features": counts, "problems": problems})
    return checks


# -- page ------------------------------------------------------------------------------
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# When the page set body[data-ready] (performance.now(), ms from navigation start).
_READY_PROBE = """
window.__readyAt = null;
new MutationObserver(function (records, observer) {
  if (document.body && document.body.getAttribute('data-ready') === '1') {
    window.__readyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
"""


class _Wire:
    """Bytes and requests of one page load, from the DevTools protocol's Network events."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.requests: dict[str, dict[str, Any]] = {}

    def attach(self, cdp: Any) -> None:
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, e: dict[str, Any]) -> None:
        self.requests[e["requestId"]] = {
            "url": e["request"]["url"],
            "type": e.get("type", "Other"),
            "decoded": 0,
            "wire": 0,
            "status": None,
            "encoding": "",
            "done": False,
        }

    def _response(self, e: dict[str, Any]) -> None:
        r = self.requests.get(e["requestId"])
        if r is not None:
            headers = {k.lower(): v for k, v in e["response"].get("headers", {}).items()}
            r["status"] = e["response"].get("status")
            r["encoding"] = headers.get("content-encoding", "")
            r["cached"] = bool(e["response"].get("fromDiskCache")) or r["status"] == 304

    def _data(self, e: dict[str, Any]) -> None:
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["decoded"] += int(e.get("dataLength", 0))

    def _finished(self, e: dict[str, Any]) -> None:
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["wire"] = int(e.get("encodedDataLength", 0))
            r["done"] = True

    def ours(self) -> list[dict[str, Any]]:
        """Finished requests to our server (aborted base-map tiles are left out)."""
        return [
            r for r in self.requests.values() if r["done"] and r["url"].startswith(self.base_url)
        ]


def _path(url: str) -> str:
    return urlsplit(url).path


def load_page(
    browser: Any, base_url: str, path: str, viewport: dict[str, int], *, repeat: bool = False
) -> dict[str, Any]:
    """Open ``path`` in a fresh browser context and measure it (the server's base-map
    tiles fail, see :func:`start_ours`).

    With ``repeat`` the page is opened twice in the same context and the second visit
    is measured (the browser's HTTP cache, ETag revalidation).
    """
    context = browser.new_context(viewport=viewport)
    context.add_init_script(_READY_PROBE)
    page = context.new_page()
    try:
        if repeat:
            page.goto(base_url + path)
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30_000)
            page.wait_for_timeout(500)
        wire = _Wire(base_url)
        wire.attach(context.new_cdp_session(page))
        page.goto(base_url + path)
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30_000)
        ready_ms = float(page.evaluate("window.__readyAt"))
        page.wait_for_timeout(1000)  # requests made after data-ready (repeated ones) count too
        elements = int(page.evaluate("document.querySelectorAll('.leaflet-interactive').length"))
    finally:
        context.close()
    ours = wire.ours()
    api = [r for r in ours if r["type"] in ("Fetch", "XHR")]
    per_path: dict[str, int] = {}
    for r in api:
        per_path[_path(r["url"])] = per_path.get(_path(r["url"]), 0) + 1
    by_type: dict[str, int] = {}
    for r in ours:
        by_type[r["type"]] = by_type.get(r["type"], 0) + r["wire"]
    return {
        "ready_ms": ready_ms,
        "wire_bytes": sum(r["wire"] for r in ours),
        "decoded_bytes": sum(r["decoded"] for r in ours),
        "requests": len(ours),
        "api_requests": len(api),
        "repeated_api_paths": {p: n for p, n in per_path.items() if n > 1},
        "wire_by_type": by_type,
        "compressed": sum(1 for r in ours if r["encoding"]),
        "elements": elements,
    }


def time_page(base_url: str, runs: int, *, path: str = "/peta") -> dict[str, Any]:
    """Per viewport: time to ``data-ready``, bytes over the wire and page weight."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            load_page(browser, base_url, path, VIEWPORTS["desktop"])  # warms the server
            for name, viewport in VIEWPORTS.items():
                loads = [load_page(browser, base_url, path, viewport) for _ in range(runs)]
                again = load_page(browser, base_url, path, viewport, repeat=True)
                out[name] = summarise([x["ready_ms"] for x in loads]) | {
                    "wire_bytes": statistics.median(x["wire_bytes"] for x in loads),
                    "decoded_bytes": statistics.median(x["decoded_bytes"] for x in loads),
                    "requests": statistics.median(x["requests"] for x in loads),
                    "api_requests": statistics.median(x["api_requests"] for x in loads),
                    "repeated_api_paths": loads[-1]["repeated_api_paths"],
                    "wire_by_type": loads[-1]["wire_by_type"],
                    "compressed_responses": loads[-1]["compressed"],
                    "drawn_elements": statistics.median(x["elements"] for x in loads),
                    "repeat_visit_wire_bytes": again["wire_bytes"],
                    "repeat_visit_ready_ms": again["ready_ms"],
                }
        finally:
            browser.close()
    with httpx.Client(base_url=base_url) as c:
        out["html_bytes"] = len(c.get(path).content)
    return out


# -- report ---------------------------------------------------------------------------
def print_page_report(page: dict[str, Any]) -> None:
    """The page table: time to data-ready and bytes, per viewport, against the baseline."""
    t = Table(
        title="/peta in headless chromium (base-map tiles blocked, cold cache)",
        caption=f"baseline: {BASELINE['what']}",
    )
    for col in (
        "viewport",
        "median ms",
        "p95 ms",
        "over the wire KB",
        "baseline KB",
        "page weight KB",
        "requests",
        "paths fetched twice",
        "repeat visit KB",
    ):
        t.add_column(col, justify="left" if col == "viewport" else "right")
    for name in VIEWPORTS:
        v = page[name]
        base = BASELINE.get(name, {})
        t.add_row(
            name,
            f"{v['median_ms']:.0f}",
            f"{v['p95_ms']:.0f}",
            f"{v['wire_bytes'] / 1024:.1f}",
            f"{base['wire_bytes'] / 1024:.1f}" if base else "–",
            f"{v['decoded_bytes'] / 1024:.1f}",
            f"{v['requests']:.0f}",
            str(len(v["repeated_api_paths"])),
            f"{v['repeat_visit_wire_bytes'] / 1024:.1f}",
        )
    console.print(t)


def print_tiles_report(meta: dict[str, Any], tiles: dict[str, Any]) -> None:
    """The tile timings, ours against tipg."""
    table = Table(
        title=f"MVT tiles: lampung-geo vs tipg {meta['tipg_version']}",
        caption=f"{meta['points']:,} points; tipg/ours > 1 means ours is faster",
    )
    for col in ("scenario", "server", "median ms", "p95 ms", "mean ms", "KB", "errors"):
        table.add_column(col, justify="left" if col in ("scenario", "server") else "right")
    for name, r in tiles.items():
        servers = [s for s in ("ours", "tipg") if s in r]
        for s in servers:
            v = r[s]
            table.add_row(
                name if s == servers[0] else "",
                s,
                f"{v['median_ms']:.2f}",
                f"{v['p95_ms']:.2f}",
                f"{v['mean_ms']:.2f}",
                f"{v['mean_bytes'] / 1024:.1f}",
                str(v["errors"]),
                end_section="ratio_median" not in r,
            )
        if "ratio_median" in r:
            table.add_row(
                "",
                "[bold]tipg/ours[/]",
                *(f"[bold]{r[f'ratio_{k}']:.2f}×[/]" for k in ("median", "p95", "mean")),
                "",
                "",
                end_section=True,
            )
    console.print(table)
    for check in meta["checks"]:
        style = "green" if not check["problems"] else "red"
        console.print(f"[{style}]check {check['what']}: features {check['features']}[/{style}]")


def page_goals(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's goals: drawn in < 1 s (median) and at most half of the baseline's bytes."""
    goals = []
    for name in VIEWPORTS:
        v = page[name]
        goals.append(
            {
                "what": f"/peta ({name}) drawn in < {GOAL_PAGE_MS:.0f} ms (median)",
                "met": v["median_ms"] < GOAL_PAGE_MS,
            }
        )
        base = BASELINE.get(name)
        if base:
            goals.append(
                {
                    "what": f"/peta ({name}) bytes over the wire <= half of the baseline's "
                    f"{base['wire_bytes'] / 1024:.0f} KB",
                    "met": v["wire_bytes"] <= base["wire_bytes"] / 2,
                }
            )
        goals.append(
            {
                "what": f"/peta ({name}) fetches each layer once",
                "met": not v["repeated_api_paths"],
            }
        )
    goals.append({"what": "/peta HTML < 1 MB", "met": page["html_bytes"] < 1_000_000})
    return goals


# -- tiles run -------------------------------------------------------------------------
def run_tiles(url: str, ours: Server, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate points, start tipg and time the tiles; returns (meta, results)."""
    import tipg

    console.print(f"generating {args.points:,} points …")
    db = generate_points(url, args.points)
    tipg_server = start_tipg(url, free_port(), folder / "tipg.log", folder)
    try:
        tipg_id = tipg_collection_id(tipg_server)
        paths = {
            "ours": "/collections/service_points/tiles/{z}/{x}/{y}",
            "tipg": f"/collections/{tipg_id}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
        }
        rng = random.Random(args.seed)
        z10 = tiles_in_extent(10, rng, args.requests)
        z14 = tiles_in_extent(14, rng, args.requests)
        headers = {"Accept-Encoding": "identity"}
        with (
            httpx.Client(base_url=ours.base_url, headers=headers, timeout=60.0) as c_ours,
            httpx.Client(base_url=tipg_server.base_url, headers=headers, timeout=60.0) as c_tipg,
        ):
            clients = {"ours": c_ours, "tipg": c_tipg}
            checks = check_tiles(clients, paths, z10[:3] + z14[:3])
            fresh = {"ours": {"Cache-Control": "no-cache"}}
            warm = tiles_in_extent(10, rng, 10)
            time_tiles(clients, paths, warm, headers=fresh)
            results: dict[str, Any] = {}
            console.print("timing z10 tiles …")
            results["z10 (built)"] = time_tiles(clients, paths, z10, headers=fresh)
            console.print("timing z14 tiles …")
            results["z14 (built)"] = time_tiles(clients, paths, z14, headers=fresh)
            same = [z10[0]] * args.requests
            results["z10 repeated"] = time_tiles(clients, paths, same, headers={})
            etag = c_ours.get(paths["ours"].format(z=z10[0][0], x=z10[0][1], y=z10[0][2]))
            results["z10 If-None-Match"] = time_tiles(
                {"ours": c_ours},
                {"ours": paths["ours"]},
                same,
                headers={"ours": {"If-None-Match": etag.headers["etag"]}},
                expect=304,
            )
    finally:
        tipg_server.stop()
    goals = [
        {
            "what": "built tiles no slower than tipg (median, z10 and z14)",
            "met": all(results[k]["ratio_median"] >= 1.0 for k in ("z10 (built)", "z14 (built)")),
        },
        {
            "what": f"repeated tile < {GOAL_CACHED_MS} ms (median, LRU and 304)",
            "met": max(
                results["z10 repeated"]["ours"]["median_ms"],
                results["z10 If-None-Match"]["ours"]["median_ms"],
            )
            < GOAL_CACHED_MS,
        },
    ]
    meta = {
        "tipg_version": tipg.__version__,
        "tipg_collection": tipg_id,
        "points": args.points,
        "rows_in_table": db["rows_in_table"],
        "requests": args.requests,
        "postgres": db["postgres"],
        "postgis": db["postgis"],
        "checks": checks,
        "goals": goals,
    }
    return {"meta": meta, "results": results}


# -- main ------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--only",
        choices=("all", "page", "search", "tiles"),
        default="all",
        help="page: /peta in chromium only (no tipg, no generated points)",
    )
    p.add_argument("--points", type=int, default=100_000, help="points to generate")
    p.add_argument("--requests", type=int, default=200, help="timed tiles per scenario")
    p.add_argument("--page-runs", type=int, default=10, help="timed loads of /peta per viewport")
    p.add_argument("--seed", type=int, default=42, help="seed of the workload")
    p.add_argument("--search-runs", type=int, default=20, help="rounds of the search queries")
    p.add_argument("--database-url", help="use this PostGIS database instead of a private one")
    p.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results" / "web.json", help="JSON"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code (1 if a check failed)."""
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-bench-web-", dir="/tmp"))
    database = BenchDatabase(args.database_url, folder)
    servers: list[Server] = []
    out: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "git": git_revision(),
            "page_runs": args.page_runs,
            "seed": args.seed,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        }
    }
    goals: list[dict[str, Any]] = []
    try:
        url = database.start()
        console.print("loading the demo data and building the demo road graphs …")
        load_demo_platform(url, folder / "graphs")
        servers.append(start_ours(url, free_port(), folder / "ours.log", folder / "graphs"))
        ours = servers[0]
        if args.only in ("all", "page"):
            console.print("timing /peta in chromium …")
            out["page"] = time_page(ours.base_url, args.page_runs)
            print_page_report(out["page"])
            goals += page_goals(out["page"])
        if args.only in ("all", "search"):
            console.print("timing /search …")
            out["search"] = run_search(url, ours.base_url, args.search_runs)
            goals += search_goals(out["search"])
        if args.only in ("all", "tiles"):
            tiles = run_tiles(url, ours, folder, args)
            out["tiles"] = tiles["results"]
            out["meta"] |= tiles["meta"]
            print_tiles_report(tiles["meta"], tiles["results"])
            goals += tiles["meta"]["goals"]
        out["meta"]["goals"] = goals
        for goal in goals:
            style = "green" if goal["met"] else "red"
            console.print(
                f"[{style}]goal: {goal['what']} — {'MET' if goal['met'] else 'NOT MET'}[/]"
            )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(out, indent=2) + "\n")
        console.print(f"wrote {args.output}")
        checks = out["meta"].get("checks", [])
        return 1 if any(c["problems"] for c in checks) else 0
    finally:
        stop_all(servers)
        if database.is_private:
            database.close()
        elif args.only in ("all", "tiles"):
            delete_points(args.database_url)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
