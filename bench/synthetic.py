"""Synthetic road-like networks of a chosen size, as a GeoPackage and as an ``.osm.pbf``.

Used by ``bench/build.py`` (and ``bench/scale.py``) to measure builds and engines from
100k to 10M edges. The network is made to look like a province, not a grid:

* **towns**: dense local street grids (about 100 m blocks, streets with a wiggle
  vertex or two), some one-way streets (both directions of digitising), main
  streets (tertiary), footpaths across some blocks, closed cul-de-sac loops hanging
  off one junction, and a few missing street segments;
* **a hierarchy of roads between towns**: trunk/primary/secondary/unclassified roads
  to neighbouring towns (long curved lines), a toll motorway that passes *over*
  everything it crosses (no shared vertex, so no junction) and joins towns by links;
* **gaps**: rivers that cut streets and roads except at bridges, a coast with no
  towns beyond it, and small island towns without a road to the rest;
* lines are **not split at junctions** (a street is one line across its town; they
  share the exact junction vertices), as government road files come.

Sizes are in *directed edges of the built graph* (two per two-way street segment),
the unit of issue #13's figures; the generator stops adding towns when its estimate
reaches the target (the built graph is within a few percent of it).

Usage::

    .venv/bin/python bench/synthetic.py --edges 1000000 --out /tmp/synth   # writes both files

The files are cached by size and seed (``synthetic_<edges>_<seed>.gpkg/.osm.pbf``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["SyntheticNetwork", "generate", "make_files", "write_gpkg", "write_pbf"]

#: Metres per degree of latitude (and of longitude at the equator, scaled by cos).
_M_PER_DEG = 111_320.0
#: Block size of town grids (metres).
_BLOCK_M = 110.0


@dataclass
class SyntheticNetwork:
    """Road lines of a synthetic network (lon/lat rounded to 1e-7 degrees)."""

    lines: list[NDArray[np.float64]] = field(default_factory=list)
    highway: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    oneway: list[str] = field(default_factory=list)
    maxspeed: list[str] = field(default_factory=list)
    estimate: int = 0

    def add(
        self,
        coords: NDArray[np.float64],
        highway: str,
        name: str,
        oneway: str = "",
        maxspeed: str = "",
    ) -> None:
        """Add one line (at least two points)."""
        self.lines.append(np.round(np.asarray(coords, dtype=np.float64), 7))
        self.highway.append(highway)
        self.name.append(name)
        self.oneway.append(oneway)
        self.maxspeed.append(maxspeed)


@dataclass
class _Town:
    ix: int
    iy: int
    x0: float  # metres, south-west corner
    y0: float
    n: int  # junctions per side
    name: str
    gx: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    gy: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))


class _Frame:
    """Metres to lon/lat around an origin (a local equirectangular frame)."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = _M_PER_DEG * math.cos(math.radians(lat0))

    def lonlat(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack([self.lon0 + xy[:, 0] / self.kx, self.lat0 + xy[:, 1] / _M_PER_DEG])


def _wiggle(
    rng: np.random.Generator, a: NDArray[np.float64], b: NDArray[np.float64], k: int, amp: float
) -> NDArray[np.float64]:
    """``k`` interior points between a and b, pushed sideways by up to ``amp`` metres."""
    t = np.linspace(0.0, 1.0, k + 2)[1:-1]
    pts = a + (b - a) * t[:, None]
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-9)
    return pts + normal * rng.uniform(-amp, amp, size=(k, 1))


def _town(
    net: SyntheticNetwork,
    frame: _Frame,
    town: _Town,
    rng: np.random.Generator,
    rivers: NDArray[np.float64],
) -> None:
    """A street grid; lines run across the town and share the junction vertices."""
    n = town.n
    jx = town.x0 + np.arange(n) * _BLOCK_M
    jy = town.y0 + np.arange(n) * _BLOCK_M
    gx, gy = np.meshgrid(jx, jy)  # [row, col]
    gx = gx + rng.uniform(-8, 8, size=gx.shape)
    gy = gy + rng.uniform(-8, 8, size=gy.shape)
    town.gx, town.gy = gx, gy
    # wiggle points: one (sometimes two) per block side, fixed per segment
    river_cols = [c for c in range(n - 1) if np.any((rivers > jx[c]) & (rivers < jx[c + 1]))]

    def street(points: NDArray[np.float64], horizontal: bool, k: int, idx: int) -> None:
        # cut into runs at removed segments (missing links, rivers without bridge)
        keep = rng.random(len(points) - 1) > 0.03
        if horizontal:
            for c in river_cols:
                keep[c] = idx % 6 == 0  # a bridge every sixth street
        runs: list[list[NDArray[np.float64]]] = []
        current: list[NDArray[np.float64]] = [points[0]]
        for s in range(len(points) - 1):
            if not keep[s]:
                if len(current) > 1:
                    runs.append(current)
                current = [points[s + 1]]
                continue
            extra = 1 + int(rng.random() < 0.3)
            current.extend(_wiggle(rng, points[s], points[s + 1], extra, 6.0))
            current.append(points[s + 1])
        if len(current) > 1:
            runs.append(current)
        main = idx % 7 == 3
        one = "" if main or idx % 4 != 1 else ("yes" if idx % 8 == 1 else "-1")
        cls = "tertiary" if main else ("service" if idx % 11 == 5 else "residential")
        label = f"Jalan {town.name} {'Raya ' if main else ''}{idx}"
        for run in runs:
            net.add(frame.lonlat(np.array(run)), cls, label, one, "40" if main else "")
        net.estimate += (1 if one else 2) * int(np.count_nonzero(keep))

    for r in range(n):
        street(np.column_stack([gx[r], gy[r]]), True, 1, r)
    for c in range(n):
        street(np.column_stack([gx[:, c], gy[:, c]]), False, 1, n + c)
    # footpaths across some blocks (walking only), cul-de-sac loops at some junctions
    for _ in range(max(1, n // 4)):
        r, c = rng.integers(0, n - 1, size=2)
        a, b = np.array([gx[r, c], gy[r, c]]), np.array([gx[r + 1, c + 1], gy[r + 1, c + 1]])
        net.add(frame.lonlat(np.vstack([a, _wiggle(rng, a, b, 1, 5.0), b])), "footway", "")
    for _ in range(max(1, n // 6)):
        r, c = rng.integers(0, n, size=2)
        a = np.array([gx[r, c], gy[r, c]])
        ang = rng.uniform(0, 2 * math.pi) + np.linspace(-0.5, 0.5, 4)
        ring = a + 60.0 * np.column_stack([np.cos(ang), np.sin(ang)])
        net.add(frame.lonlat(np.vstack([a, ring, a])), "residential", f"Gang {town.name} {r}-{c}")
    net.estimate += 2 * (n // 4) + 4 * (n // 6)


def _link(
    net: SyntheticNetwork,
    frame: _Frame,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    rng: np.random.Generator,
    cls: str,
    name: str,
    speed: str,
) -> None:
    dist = float(np.hypot(*(b - a)))
    k = max(1, int(dist / 400.0))
    net.add(frame.lonlat(np.vstack([a, _wiggle(rng, a, b, k, 150.0), b])), cls, name, "", speed)
    net.estimate += 2


def generate(
    edges: int, *, seed: int = 0, lon0: float = 104.0, lat0: float = -5.5
) -> SyntheticNetwork:
    """
    A synthetic province of about ``edges`` directed edges (see the module docstring).

    Parameters
    ----------
    edges
        Target size in directed edges of the built graph.
    seed
        Random seed (same seed, same network).
    lon0, lat0
        South-west corner.

    Returns
    -------
    SyntheticNetwork
        The lines and their tags.
    """
    rng = np.random.default_rng(seed)
    net = SyntheticNetwork()
    frame = _Frame(lon0, lat0)
    mean_edges = 4 * 40 * 39 + 40
    cells = max(4, math.ceil(edges / mean_edges * 1.15))
    side = math.ceil(math.sqrt(cells))
    spacing = 9_000.0
    coast = rng.uniform(0.3, 0.6) * side  # no towns beyond x + y > coast + side
    rivers = np.sort(rng.uniform(0, side * spacing, size=max(1, side // 4)))
    towns: dict[tuple[int, int], _Town] = {}
    for iy in range(side):
        for ix in range(side):
            if net.estimate >= edges:
                break
            if ix + iy > coast + side:
                continue  # the sea
            n = int(np.clip(rng.normal(40, 12), 12, 72))
            if len(towns) % 37 == 36:
                n = 14  # a small island town, no roads to it
            remaining = edges - net.estimate
            if 3.5 * n * n > remaining:  # the last town: just big enough
                n = max(6, int(math.sqrt(remaining / 3.5)))
            x0 = ix * spacing + rng.uniform(0, spacing - n * _BLOCK_M - 200)
            y0 = iy * spacing + rng.uniform(0, spacing - n * _BLOCK_M - 200)
            town = _Town(ix, iy, x0, y0, n, f"T{ix}-{iy}")
            _town(net, frame, town, rng, rivers)
            towns[(ix, iy)] = town
    island = {k for i, k in enumerate(towns) if i % 37 == 36}
    # roads to the east and north neighbours; a river crossing needs a bridge
    classes = ("trunk", "primary", "secondary", "unclassified")
    for (ix, iy), town in towns.items():
        for dx, dy in ((1, 0), (0, 1)):
            other = towns.get((ix + dx, iy + dy))
            if other is None or (ix, iy) in island or (ix + dx, iy + dy) in island:
                continue
            a = _edge_node(town, dx, dy, rng)
            b = _edge_node(other, -dx, -dy, rng)
            lo, hi = sorted((a[0], b[0]))
            if np.any((rivers > lo) & (rivers < hi)) and rng.random() > 0.35:
                continue  # no bridge here
            level = (ix % 4 == 0) + (iy % 4 == 0)
            cls = classes[2 - level] if rng.random() > 0.2 else "unclassified"
            speed = {"trunk": "80", "primary": "60"}.get(cls, "")
            _link(net, frame, a, b, rng, cls, f"Jalan {cls} {ix}-{iy}-{dx}{dy}", speed)
    # a toll motorway along every 5th row of towns: crosses everything without junctions
    for iy in range(0, side, 5):
        row = [
            towns[(ix, iy)] for ix in range(side) if (ix, iy) in towns and (ix, iy) not in island
        ]
        for t1, t2 in zip(row[::3], row[3::3], strict=False):
            a = np.array([t1.x0 - 150.0, t1.y0 + t1.n * _BLOCK_M / 2])
            b = np.array([t2.x0 - 150.0, t2.y0 + t2.n * _BLOCK_M / 2])
            net.add(
                frame.lonlat(
                    np.vstack(
                        [a, _wiggle(rng, a, b, max(1, int(np.hypot(*(b - a)) / 600)), 40.0), b]
                    )
                ),
                "motorway",
                f"Tol {iy}",
                "",
                "100",
            )
            for t, p in ((t1, a), (t2, b)):
                net.add(frame.lonlat(np.vstack([p, _west_junction(t)])), "motorway_link", "")
            net.estimate += 6
    return net


def _edge_node(town: _Town, dx: int, dy: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """A junction on the town's side towards (dx, dy) (the road starts exactly there)."""
    n = town.n
    k = int(rng.integers(0, n))
    if dx:
        col = n - 1 if dx > 0 else 0
        return np.array([town.gx[k, col], town.gy[k, col]])
    row = n - 1 if dy > 0 else 0
    return np.array([town.gx[row, k], town.gy[row, k]])


def _west_junction(town: _Town) -> NDArray[np.float64]:
    """The middle junction of the town's west side."""
    k = town.n // 2
    return np.array([town.gx[k, 0], town.gy[k, 0]])


def write_gpkg(net: SyntheticNetwork, path: Path) -> Path:
    """Write the lines as a GeoPackage with OSM-named columns (preset ``osm``)."""
    import geopandas as gpd
    import pyogrio
    import shapely

    counts = np.array([len(c) for c in net.lines], dtype=np.int64)
    coords = np.concatenate(net.lines)
    geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(len(counts)), counts))

    def text(values: Sequence[str]) -> list[str | None]:
        return [v or None for v in values]

    frame = gpd.GeoDataFrame(
        {
            "highway": net.highway,
            "name": text(net.name),
            "oneway": text(net.oneway),
            "maxspeed": text(net.maxspeed),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, path, layer="roads", driver="GPKG")
    return path


def write_pbf(net: SyntheticNetwork, path: Path) -> Path:
    """Write the lines as OSM ways over shared nodes (one node per distinct vertex)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    counts = np.array([len(c) for c in net.lines], dtype=np.int64)
    coords = np.concatenate(net.lines)
    keys = np.round(coords * 1e7).astype(np.int64)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    refs = inverse.ravel() + 1
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    try:
        lon = (uniq[:, 0] / 1e7).tolist()
        lat = (uniq[:, 1] / 1e7).tolist()
        for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
            writer.add_node(Node(id=i + 1, location=(x, y)))
        start = 0
        for w, n in enumerate(counts.tolist()):
            tags = {"highway": net.highway[w]}
            for key, value in (
                ("name", net.name[w]),
                ("oneway", net.oneway[w]),
                ("maxspeed", net.maxspeed[w]),
            ):
                if value:
                    tags[key] = value
            writer.add_way(Way(id=w + 1, nodes=refs[start : start + n].tolist(), tags=tags))
            start += n
    finally:
        writer.close()
    return path


def make_files(
    edges: int, folder: Path, *, seed: int = 0, formats: Sequence[str] = ("gpkg", "pbf")
) -> dict[str, Path]:
    """
    The synthetic network of ``edges`` directed edges as files in ``folder`` (cached).

    Parameters
    ----------
    edges
        Target size (directed edges).
    folder
        Where the files go; existing files of the same size and seed are reused.
    seed
        Random seed.
    formats
        ``gpkg`` and/or ``pbf``.

    Returns
    -------
    dict
        Format to path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = {
        "gpkg": folder / f"synthetic_{edges}_{seed}.gpkg",
        "pbf": folder / f"synthetic_{edges}_{seed}.osm.pbf",
    }
    wanted = {k: v for k, v in out.items() if k in formats}
    if all(p.exists() for p in wanted.values()):
        return wanted
    net = generate(edges, seed=seed)
    if "gpkg" in wanted and not wanted["gpkg"].exists():
        write_gpkg(net, wanted["gpkg"])
    if "pbf" in wanted and not wanted["pbf"].exists():
        write_pbf(net, wanted["pbf"])
    return wanted


def main(argv: Sequence[str] | None = None) -> None:
    """Write synthetic networks of the given sizes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench/results/synthetic"))
    parser.add_argument("--formats", nargs="+", default=["gpkg", "pbf"])
    args = parser.parse_args(argv)
    for edges in args.edges:
        started = time.perf_counter()
        paths = make_files(edges, args.out, seed=args.seed, formats=args.formats)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in paths.values())
        print(f"{edges:,} edges: {sizes} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
