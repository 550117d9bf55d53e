"""DEMO local roads: kecamatan centres and generated villages with their roads.

* **Kecamatan centres.** A kecamatan whose outline holds a town of :mod:`data.facts` uses
  the town nearest to its centre; any other gets a cross of two streets at its centre (the
  RBI Kantor Camat, see :mod:`data.boundaries`) and a kecamatan road (``tertiary``) to
  its nearest one or two already connected towns, on land. A centre that no land road
  can reach (an island kecamatan) gets no road and is listed in ``unreached``.
* **Villages.** Every kecamatan gets generated villages (*desa*), one per
  ``facts.VILLAGE_PATTERN`` km² of its land (at least 1, at most :data:`MAX_VILLAGES`),
  at seeded random points on the part of the kecamatan that holds its centre. Each hangs
  off the nearest already connected node of its kecamatan (the centre's grid, an
  earlier village or a vertex of a main road, which then becomes a junction) by a
  village road of the kabupaten's class. Population is spread
  along roads by the coverage model, so these roads decide where the people are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from data import demo_areas, facts
from data.demo_geometry import (
    Coord,
    LandRouter,
    RoadSegment,
    densify_path,
    distance_m,
    grid,
    grid_segments,
    pt,
)

SEED = 1877
CENTRE_GRID_HALF = 1
MAX_VILLAGES = 14
MAX_LINK_M = 40_000.0
SECOND_LINK_FACTOR = 1.6
SECOND_LINK_MAX_M = 25_000.0
VILLAGE_SPACING = 0.45  # minimum spacing as a share of sqrt(km² per village)


@dataclass(frozen=True, slots=True)
class Village:
    """A generated village: its name, kecamatan code and road-end node."""

    name: str
    kecamatan_code: str
    at: Coord


@dataclass(frozen=True, slots=True)
class LocalRoads:
    """Kecamatan roads and village roads, with the anchor key of each kecamatan."""

    segments: tuple[RoadSegment, ...]
    centres: dict[str, str]
    villages: tuple[Village, ...]
    unreached: tuple[str, ...]
    splits: frozenset[Coord]


def _short(name: str) -> str:
    return name.removesuffix(demo_areas.GENERATED_SUFFIX)


def _centre_anchors(
    anchors: dict[str, Coord],
) -> tuple[dict[str, str], list[demo_areas.DemoKecamatan]]:
    """Kecamatan → existing town anchor key; and the kecamatan needing a new centre."""
    towns = [k.capital for k in facts.KABUPATEN] + [t.name for t in facts.TOWNS]
    centres: dict[str, str] = {}
    new: list[demo_areas.DemoKecamatan] = []
    xs = [anchors[t][0] for t in towns]
    ys = [anchors[t][1] for t in towns]
    for kec in demo_areas.kecamatan():
        hit = shapely.contains_xy(kec.geometry, xs, ys)
        inside = [t for t, ok in zip(towns, hit, strict=True) if ok]
        if inside:
            centres[kec.code] = min(inside, key=lambda t: math.dist(anchors[t], kec.centre))
        else:
            new.append(kec)
    return centres, new


def _link_centres(
    new: list[demo_areas.DemoKecamatan],
    anchors: dict[str, Coord],
    connected: dict[str, Coord],
    router: LandRouter,
) -> tuple[list[RoadSegment], dict[str, str], list[str], dict[str, dict[tuple[int, int], Coord]]]:
    """Kecamatan roads from each new centre to its nearest connected towns."""
    segments: list[RoadSegment] = []
    centres: dict[str, str] = {}
    unreached: list[str] = []
    grids: dict[str, dict[tuple[int, int], Coord]] = {}
    todo = sorted(
        new, key=lambda k: (min(distance_m(k.centre, c) for c in connected.values()), k.code)
    )
    for kec in todo:
        at = pt(*kec.centre)
        label = _short(kec.name)
        key = f"kec:{kec.code}"
        ranked = sorted(connected.items(), key=lambda kv: (distance_m(at, kv[1]), kv[0]))[:6]
        links: list[tuple[str, list[Coord]]] = []
        d0 = 0.0
        for name, there in ranked:
            d = distance_m(at, there)
            if d > MAX_LINK_M or (links and d > min(SECOND_LINK_MAX_M, SECOND_LINK_FACTOR * d0)):
                break
            if router.on_land([at, there]):
                links.append((name, [at, there]))
                d0 = d0 or d
            if len(links) == 2:
                break
        if not links and ranked:
            path = router.path(at, ranked[0][1])
            if path is not None and distance_m(at, ranked[0][1]) <= MAX_LINK_M:
                links.append((ranked[0][0], path))
        if not links:
            unreached.append(kec.code)
            continue
        road = "unclassified" if kec.kabupaten_code in {"1811", "1813"} else "tertiary"
        for _, path in links:
            segments.append(
                RoadSegment(road, f"Jalan Kecamatan {label} (demo)", None, 2, densify_path(path))
            )
        grids[key] = grid(at, half=CENTRE_GRID_HALF, land_dir=(0, 0), clip=router, cross=True)
        segments += grid_segments(label, grids[key], is_port=False, half=CENTRE_GRID_HALF)
        anchors[key] = at
        connected[key] = at
        centres[kec.code] = key
    return segments, centres, unreached, grids


def _sample_villages(
    kec: demo_areas.DemoKecamatan, rng: np.random.Generator, avoid: BaseGeometry
) -> list[Coord]:
    """Seeded random village sites on the kecamatan part holding its centre, off ``avoid``."""
    km2_each, _ = facts.VILLAGE_PATTERN.get(kec.kabupaten_code, facts.VILLAGE_PATTERN_DEFAULT)
    parts = [p for p in shapely.get_parts(kec.geometry) if isinstance(p, Polygon)]
    home = next(
        (p for p in parts if p.contains(Point(kec.centre))), max(parts, key=lambda p: p.area)
    )
    share = demo_areas.area_km2(home)
    n = max(1, min(MAX_VILLAGES, round(share / km2_each)))
    spacing = VILLAGE_SPACING * math.sqrt(share / n) * 1_000.0
    shapely.prepare(home)
    minx, miny, maxx, maxy = home.bounds
    xs = rng.uniform(minx, maxx, 40 * n)
    ys = rng.uniform(miny, maxy, 40 * n)
    ok = shapely.contains_xy(home, xs, ys) & ~shapely.contains_xy(avoid, xs, ys)
    out: list[Coord] = []
    for x, y in zip(xs[ok], ys[ok], strict=True):
        c = pt(float(x), float(y))
        if distance_m(c, kec.centre) < spacing or any(distance_m(c, o) < spacing for o in out):
            continue
        out.append(c)
        if len(out) == n:
            break
    return out


def build_local_roads(
    anchors: dict[str, Coord],
    grids: dict[str, dict[tuple[int, int], Coord]],
    router: LandRouter,
    *,
    avoid: BaseGeometry,
    main_vertices: list[Coord],
) -> LocalRoads:
    """Kecamatan centres, kecamatan roads, villages and village roads (deterministic).

    Parameters
    ----------
    anchors : dict
        Named junctions of the main network; new centres are added (``"kec:<code>"``).
    grids : dict
        Street grids of the anchors; the new centres' grids are added.
    router : LandRouter
        Keeps every road on land.
    avoid : shapely geometry
        Where no village may be (around toll roads, which motorcycles may not use).
    main_vertices : list
        Inner vertices of the main roads (no toll roads) a village road may join; the
        ones used are returned in ``splits``, where the caller must split those roads.

    Returns
    -------
    LocalRoads
        The new segments, each kecamatan's anchor key, the villages, the kecamatan no
        road reaches and the main-road vertices that became junctions.
    """
    centres, new = _centre_anchors(anchors)
    towns = {k: anchors[k] for k in (*centres.values(),)}
    towns |= {k.capital: anchors[k.capital] for k in facts.KABUPATEN}
    towns |= {t.name: anchors[t.name] for t in facts.TOWNS}
    segments, more, unreached, new_grids = _link_centres(
        new, anchors, dict(sorted(towns.items())), router
    )
    centres |= more
    grids |= new_grids
    rng = np.random.default_rng(SEED)
    villages: list[Village] = []
    splits: set[Coord] = set()
    mx = [c[0] for c in main_vertices]
    my = [c[1] for c in main_vertices]
    for kec in demo_areas.kecamatan():
        if kec.code not in centres:
            continue
        _, road = facts.VILLAGE_PATTERN.get(kec.kabupaten_code, facts.VILLAGE_PATTERN_DEFAULT)
        label = _short(kec.name)
        on_main = shapely.contains_xy(kec.geometry, mx, my)
        main_here = {c for c, ok in zip(main_vertices, on_main, strict=True) if ok}
        nodes = list(grids[centres[kec.code]].values()) + sorted(main_here)
        sites = sorted(_sample_villages(kec, rng, avoid), key=lambda c: distance_m(c, kec.centre))
        for n, site in enumerate(sites, start=1):
            name = f"Desa {label} {n}"
            for there in sorted(nodes, key=lambda c: distance_m(site, c))[:4]:
                if router.on_land([there, site]):
                    maxspeed = "30" if road == "residential" else None
                    segments.append(
                        RoadSegment(
                            road,
                            f"Jalan {name} (demo)",
                            maxspeed,
                            None,
                            densify_path([there, site]),
                        )
                    )
                    villages.append(Village(name, kec.code, site))
                    nodes.append(site)
                    if there in main_here:
                        splits.add(there)
                    break
    return LocalRoads(
        tuple(segments), centres, tuple(villages), tuple(unreached), frozenset(splits)
    )
