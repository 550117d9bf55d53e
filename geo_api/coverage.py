"""Glue for coverage analysis: population grid + routing, cached in memory.

The population grid (:mod:`layers.population`: a population raster if one is set,
else the settlements if loaded, else the road network of the profile, per area with
fallbacks), and the cells' snaps (:mod:`routing.coverage`), are built once per
network, resolution, assumption and raster file, and cached until ``admin_areas`` or
``settlements`` change (fingerprints :func:`layers.population.admin_stamp`,
:func:`layers.population_settlements.settlement_stamp`). Facilities come from
:func:`geo_api.facilities.get_facilities` (cached the same way).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection

from geo_api.errors import register_status
from geo_api.facilities import Facilities, get_facilities
from layers.errors import InvalidParameterError
from layers.points import check_category
from layers.population import (
    DEFAULT_RESOLUTION,
    AreaTable,
    NoAreasError,
    NoPopulationError,
    PopulationGrid,
    RoadDensity,
    admin_stamp,
    areas_at_level,
    assign_areas,
    build_grid,
    finest_areas,
    population_areas,
)
from layers.population_raster import PopulationRasterError, raster_identity, raster_weights
from layers.population_settlements import load_settlements, settlement_stamp, settlement_weights
from layers.population_weights import PairWeights
from routing.coverage import AreaCoverage, CellAccess, area_coverage, cell_access
from routing.coverage import facility_cell_times as _facility_cell_times
from routing.errors import OffNetworkError
from routing.isochrones import ACCESS_M, Band, isochrone_bands, projected_edges
from routing.network import Network
from routing.siting import SitingResult, candidate_nodes, coverage_matrix, solve_mclp
from routing.snap import Snap

register_status(NoPopulationError, 422)
register_status(NoAreasError, 422)
# the configured raster is the server's own file: a broken one is the server's fault
register_status(PopulationRasterError, 500)

MINUTES_MIN, MINUTES_MAX, MINUTES_MAX_COUNT = 1, 180, 6
K_MIN, K_MAX = 1, 50
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
MAX_CANDIDATES = 500
MAX_USER_CANDIDATES = 200
API_MILP_TIME_LIMIT_S = 10.0
CELL_SNAP_MAX_M = 2000.0

_lock = threading.Lock()
_contexts: dict[tuple[Any, ...], CoverageContext] = {}
Stamp = tuple[tuple[int, int, int], tuple[int, int, int]]


@dataclass
class CoverageContext:
    """The population grid of a network, its cells' access, and per-level mappings."""

    stamp: Stamp
    grid: PopulationGrid
    access: CellAccess
    levels: dict[str, tuple[AreaTable, np.ndarray]]


# -- parameters -------------------------------------------------------------------
def parse_minutes(raw: str | None, *, field: str = "minutes", single: bool = False) -> list[float]:
    """Parse ``10,20,30`` (each 1..180, at most 6; ``single``: exactly one)."""
    if raw is None or not raw.strip():
        msg = "give one or more thresholds in minutes, e.g. 15,30,60"
        raise InvalidParameterError(msg, field=field)
    values: list[float] = []
    for part in raw.split(","):
        try:
            v = float(part)
        except ValueError:
            msg = f"minutes must be numbers separated by commas, got {raw!r}"
            raise InvalidParameterError(msg, field=field) from None
        if not (math.isfinite(v) and MINUTES_MIN <= v <= MINUTES_MAX):
            msg = (
                f"every threshold must be between {MINUTES_MIN} and {MINUTES_MAX} minutes, "
                f"got {part.strip()}"
            )
            raise InvalidParameterError(msg, field=field)
        values.append(v)
    if single and len(values) != 1:
        msg = f"give exactly one threshold in minutes, got {raw!r}"
        raise InvalidParameterError(msg, field=field)
    if len(set(values)) > MINUTES_MAX_COUNT:
        msg = f"at most {MINUTES_MAX_COUNT} thresholds, got {len(set(values))}"
        raise InvalidParameterError(msg, field=field)
    return sorted(set(values))


def check_count(k: int, *, field: str = "count") -> int:
    """Raise unless ``1 <= k <= 50``."""
    if not K_MIN <= k <= K_MAX:
        msg = f"the number of new sites must be between {K_MIN} and {K_MAX}, got {k}"
        raise InvalidParameterError(msg, field=field)
    return k


def check_level(level: str) -> str:
    """Raise unless ``level`` is an admin level (``kabupaten`` accepts ``kota`` too)."""
    level = {"kota": "kabupaten", "kelurahan": "desa"}.get(level, level)
    if level not in LEVELS:
        msg = f"unknown level {level!r}; levels: {list(LEVELS)}"
        raise InvalidParameterError(msg, field="level")
    return level


# -- cached grid ------------------------------------------------------------------
def road_density(net: Network, resolution: int) -> RoadDensity:
    """Road length per H3 cell from the network's (one-direction, non-ferry) edges."""
    cg = net.compiled
    pe = projected_edges(cg)
    edges = np.flatnonzero((pe.canon == np.arange(cg.n_edges)) & ~cg.edge_ferry)
    off = cg.geom_offsets
    n_v = off[edges + 1] - off[edges]
    idx = np.repeat(off[edges] - np.cumsum(n_v) + n_v, n_v) + np.arange(int(n_v.sum()))
    offsets = np.concatenate([[0], np.cumsum(n_v)]).astype(np.int64)
    return RoadDensity(cg.geom_coords[idx], offsets, resolution=resolution)


def get_context(
    conn: Connection,
    net: Network,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
) -> CoverageContext:
    """The population grid and cell access of ``net``.

    Rebuilt when admin areas or settlements change; the raster file (path, mtime,
    size) is part of the key.
    """
    stamp: Stamp = (admin_stamp(conn), settlement_stamp(conn))
    raster_key = None if population_raster is None else raster_identity(population_raster)
    key = (id(net), resolution, assumed_total, raster_key)
    with _lock:
        hit = _contexts.get(key)
    if hit is not None and hit.stamp == stamp:
        return hit
    grid = population_grid(
        conn,
        net,
        resolution=resolution,
        assumed_total=assumed_total,
        population_raster=population_raster,
    )
    snaps = net.snapper.snap_many(grid.lon, grid.lat, max_distance_m=CELL_SNAP_MAX_M)
    ctx = CoverageContext(
        stamp=stamp, grid=grid, access=cell_access(net.compiled, snaps), levels={}
    )
    with _lock:
        _contexts[key] = ctx
    return ctx


def population_grid(
    conn: Connection,
    net: Network,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
) -> PopulationGrid:
    """The population grid: raster (if given), then settlements (if loaded), road length.

    Each area takes the first of these with a positive weight inside it (see
    :func:`layers.population.build_grid`); a raster's counts fill areas without a figure.
    """
    if assumed_total is not None:
        areas = _areas_for_assumption(conn)
    elif population_raster is not None:
        try:
            areas = population_areas(conn)
        except NoPopulationError:
            areas = finest_areas(conn)  # the raster's own counts fill them
    else:
        areas = population_areas(conn)
    pairs: list[PairWeights] = []
    if population_raster is not None:
        pairs.append(raster_weights(population_raster, areas, resolution=resolution))
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(areas.geoms, dtype=object))
    layer = load_settlements(conn, bounds=(float(x0), float(y0), float(x1), float(y1)))
    if layer is not None:
        pairs.append(settlement_weights(areas, layer, resolution=resolution))
    return build_grid(
        areas,
        resolution=resolution,
        weight=road_density(net, resolution),
        assumed_total=assumed_total,
        pairs=pairs,
    )


def _areas_for_assumption(conn: Connection) -> AreaTable:
    """The finest level holding areas at all (an assumed total fills missing figures)."""
    return finest_areas(conn)


def level_areas(conn: Connection, ctx: CoverageContext, level: str) -> tuple[AreaTable, np.ndarray]:
    """The areas of a reporting level and each grid row's area index in them."""
    hit = ctx.levels.get(level)
    if hit is not None:
        return hit
    if level == ctx.grid.areas.level:
        result = (ctx.grid.areas, ctx.grid.area)
    else:
        table = areas_at_level(conn, level)
        result = (table, assign_areas(ctx.grid.lon, ctx.grid.lat, table.geoms))
        if not np.any(result[1] >= 0):
            msg = f"no populated cell lies inside any {level} area"
            raise NoPopulationError(msg, field="level")
    ctx.levels[level] = result
    return result


def facilities_of(conn: Connection, net: Network, category: str, *, max_m: float) -> Facilities:
    """The snapped service points of a checked category."""
    check_category(conn, category)
    return get_facilities(conn, net, category, max_m=max_m)


# -- analyses ---------------------------------------------------------------------
@dataclass
class CoverageResult:
    """Per-area coverage and everything needed to show or download it."""

    category: str
    profile: str
    level: str
    minutes: list[float]
    areas: AreaTable
    coverage: AreaCoverage
    cell_times: np.ndarray
    cell_area: np.ndarray
    grid: PopulationGrid
    facilities: Facilities
    rank_minutes: float

    @property
    def demo(self) -> bool:
        """True when areas or facilities are DEMO data."""
        return self.grid.demo or any(r["properties"].get("demo") for r in self.facilities.rows)

    def ranking(self) -> np.ndarray:
        """Area indices, most uncovered people first (at ``rank_minutes``)."""
        return self.coverage.underserved(threshold=self.minutes.index(self.rank_minutes))


def coverage_stats(
    conn: Connection,
    net: Network,
    *,
    category: str,
    minutes: list[float],
    level: str,
    max_m: float,
    rank_minutes: float | None = None,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
) -> CoverageResult:
    """Coverage of a category per area of ``level``: one search for all thresholds."""
    fac = facilities_of(conn, net, category, max_m=max_m)
    ctx = get_context(
        conn,
        net,
        resolution=resolution,
        assumed_total=assumed_total,
        population_raster=population_raster,
    )
    table, cell_area = level_areas(conn, ctx, level)
    times = _facility_cell_times(net.engine, ctx.access, fac.snaps)
    cov = area_coverage(times, ctx.grid.population, cell_area, len(table), minutes)
    rank = minutes[0] if rank_minutes is None else rank_minutes
    if rank not in minutes:
        msg = f"rank_minutes must be one of the thresholds {minutes}, got {rank}"
        raise InvalidParameterError(msg, field="rank_minutes")
    return CoverageResult(
        category=category,
        profile=net.profile,
        level=level,
        minutes=minutes,
        areas=table,
        coverage=cov,
        cell_times=times,
        cell_area=cell_area,
        grid=ctx.grid,
        facilities=fac,
        rank_minutes=rank,
    )


def _num(v: float, digits: int = 1) -> float | None:
    return round(float(v), digits) if math.isfinite(v) else None


def _key(m: float) -> str:
    return f"{m:g}"


def area_rows(result: CoverageResult) -> list[dict[str, Any]]:
    """One flat record per area (also the CSV columns), in area order."""
    cov, t = result.coverage, result.areas
    rank = np.empty(len(t), dtype=np.int64)
    rank[result.ranking()] = np.arange(1, len(t) + 1)
    pct = cov.percent
    rows = []
    for i in range(len(t)):
        row: dict[str, Any] = {
            "id": t.ids[i],
            "code": t.codes[i],
            "name": t.names[i],
            "level": t.level,
            "population": round(float(cov.population[i])),
        }
        for j, m in enumerate(result.minutes):
            row[f"covered_{_key(m)}min"] = round(float(cov.covered[i, j]))
            row[f"percent_{_key(m)}min"] = _num(pct[i, j], 2)
            row[f"uncovered_{_key(m)}min"] = round(float(cov.uncovered[i, j]))
        row["median_min"] = _num(cov.median_s[i] / 60.0)
        row["p90_min"] = _num(cov.p90_s[i] / 60.0)
        row["underserved_rank"] = int(rank[i])
        rows.append(row)
    return rows


def stats_body(result: CoverageResult, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON answer of ``/coverage/stats``."""
    totals = result.coverage.totals()
    return {
        "category": result.category,
        "profile": result.profile,
        "level": result.level,
        "minutes": result.minutes,
        "demo": result.demo,
        "population_model": population_model(result.grid),
        "facilities": len(result.facilities.snaps),
        "facilities_off_network": result.facilities.off_network,
        "totals": {
            "population": round(float(totals["population"])),  # type: ignore[arg-type]
            **{
                f"percent_{_key(m)}min": _num(p, 2) if p is not None else None
                for m, p in zip(result.minutes, totals["percent"], strict=True)  # type: ignore[call-overload]
            },
        },
        "underserved_ranked_by": f"uncovered population within {_key(result.rank_minutes)} min",
        "areas": rows,
    }


_HOW = {
    "settlements": "over the settlement area (RBI PEMUKIMAN) inside it: each cell gets the "
    "share of the area's settlement m² that lies in the cell",
    "raster": "in proportion to the population raster's people in each cell (official "
    "totals kept); areas without a figure take the raster's own counts",
    "road_length": "in proportion to the road length in each cell (road density as a "
    "settlement proxy)",
    "uniform": "in equal shares over its cells",
}


def population_model(grid: PopulationGrid) -> dict[str, Any]:
    """How the population was spread, for every answer that uses it.

    ``method`` is the best weighting used (``settlements``, ``raster``, ``road_length``
    or ``uniform``), ``data`` what each weighting used, ``fallbacks`` the populated areas
    that had to use a lesser one.
    """
    by_method: dict[str, int] = {}
    for m in grid.area_method:
        by_method[m] = by_method.get(m, 0) + 1
    return {
        "method": grid.method,
        "description": (
            f"each {grid.areas.level}'s population is spread "
            f"{_HOW.get(grid.method, 'by ' + grid.weighting)}; H3 res "
            f"{grid.resolution} cells cut by an area boundary hold one row per area, so "
            "every area's cells sum to its figure"
        ),
        "source_level": grid.areas.level,
        "cells": "H3",
        "h3_resolution": grid.resolution,
        "n_cells": len(set(grid.cells)),
        "n_rows": len(grid),
        "weighting": grid.weighting,
        "population": round(grid.total),
        "data": grid.data,
        "areas_by_method": by_method,
        "fallbacks": grid.fallbacks,
        "assumptions": grid.assumptions,
        "cell_snap_max_m": CELL_SNAP_MAX_M,
    }


def area_geojson(result: CoverageResult, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Areas with their coverage as a GeoJSON FeatureCollection."""
    feats = [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": shapely.geometry.mapping(geom),
            "properties": row,
        }
        for row, geom in zip(rows, result.areas.geoms, strict=True)
    ]
    body = stats_body(result, [])
    body.pop("areas")
    return {"type": "FeatureCollection", **body, "features": feats}


def band_features(bands: list[Band], **props: Any) -> list[dict[str, Any]]:
    """Isochrone bands as GeoJSON features."""
    return [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(b.band),
            "properties": {
                **props,
                "minutes": b.minutes,
                "from_minutes": b.from_minutes,
                "area_km2": round(b.area_km2, 3),
                "road_km_within": round(b.road_km, 2),
                "access_m": ACCESS_M,
            },
        }
        for b in bands
    ]


def point_isochrones(net: Network, origin: Snap, minutes: list[float]) -> list[Band]:
    """Bands travelled *from* a point (one search, limited to the largest threshold)."""
    times, _ = net.engine.multi_source(
        [origin], limit_s=max(minutes) * 60.0, direction="from_sources"
    )
    return isochrone_bands(net.compiled, times, minutes, sources=[origin])


def category_isochrones(net: Network, fac: Facilities, minutes: list[float]) -> list[Band]:
    """Bands from which the nearest facility of a category is reached (one search)."""
    times, _ = net.engine.multi_source(
        fac.snaps, limit_s=max(minutes) * 60.0, direction="to_sources"
    )
    return isochrone_bands(net.compiled, times, minutes, direction="to_sources", sources=fac.snaps)


# -- siting -----------------------------------------------------------------------
@dataclass
class SitingAnswer:
    """The MCLP result with its candidates' positions and coverage before/after."""

    result: SitingResult
    lons: list[float]
    lats: list[float]
    kind: list[str]
    population: float
    covered_before: float
    n_candidates: int
    grid: PopulationGrid
    facilities: Facilities


def plan_sites(
    conn: Connection,
    net: Network,
    *,
    category: str,
    k: int,
    minutes: float,
    max_m: float,
    candidates: list[tuple[float, float]] | None = None,
    max_candidates: int = 300,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
    milp_time_limit_s: float = API_MILP_TIME_LIMIT_S,
) -> SitingAnswer:
    """Propose ``k`` new sites that newly cover the most people within ``minutes``."""
    fac = facilities_of(conn, net, category, max_m=max_m)
    ctx = get_context(
        conn,
        net,
        resolution=resolution,
        assumed_total=assumed_total,
        population_raster=population_raster,
    )
    limit = minutes * 60.0
    times = _facility_cell_times(net.engine, ctx.access, fac.snaps)
    pop = ctx.grid.population
    uncovered = times > limit
    cells = np.flatnonzero(uncovered & (pop > 0) & ctx.access.on_network)
    cg = net.compiled
    lons: list[float] = []
    lats: list[float] = []
    kind: list[str] = []
    nodes = np.empty(0, dtype=np.int64)
    points: list[Snap] = []
    if candidates:
        for i, (x, y) in enumerate(candidates):
            snap = net.snapper.snap_many([x], [y], max_distance_m=max_m).to_snaps()[0]
            if snap is None:
                msg = f"candidate {i} ({x}, {y}) is farther than {max_m:.0f} m from any road"
                raise OffNetworkError(msg, field=f"candidates.{i}")
            points.append(snap)
            lons.append(x)
            lats.append(y)
            kind.append("given")
    else:
        nodes = candidate_nodes(ctx.access, pop, uncovered, limit=max_candidates)
        lons = [float(v) for v in cg.node_lon[nodes]]
        lats = [float(v) for v in cg.node_lat[nodes]]
        kind = ["road node"] * len(lons)
    a = coverage_matrix(net.engine, ctx.access, cells, limit, nodes=nodes, points=points)
    result = solve_mclp(a, pop[cells], k, time_limit_s=milp_time_limit_s)
    if a.shape[1] < k:
        result.notes.append(f"only {a.shape[1]} candidate(s) for {k} site(s)")
    return SitingAnswer(
        result=result,
        lons=lons,
        lats=lats,
        kind=kind,
        population=float(pop.sum()),
        covered_before=float(pop[~uncovered].sum()),
        n_candidates=int(a.shape[1]),
        grid=ctx.grid,
        facilities=fac,
    )


def sites_body(
    ans: SitingAnswer, *, category: str, profile: str, minutes: float, k: int
) -> dict[str, Any]:
    """The answer of ``POST /plan/sites``: the sites as GeoJSON plus the solution's quality."""
    r = ans.result
    total = ans.population
    after = ans.covered_before + r.objective
    feats = []
    for rank, (j, gain) in enumerate(zip(r.chosen, r.gains, strict=True), start=1):
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [ans.lons[j], ans.lats[j]]},
                "properties": {
                    "rank": rank,
                    "candidate": j,
                    "candidate_kind": ans.kind[j],
                    "newly_covered_population": round(gain),
                },
            }
        )

    def pct(v: float) -> float | None:
        return round(100.0 * v / total, 2) if total > 0 else None

    demo = ans.grid.demo or any(x["properties"].get("demo") for x in ans.facilities.rows)
    return {
        "type": "FeatureCollection",
        "category": category,
        "profile": profile,
        "minutes": minutes,
        "count": k,
        "demo": demo,
        "population": round(total),
        "covered_before": round(ans.covered_before),
        "percent_before": pct(ans.covered_before),
        "covered_after": round(after),
        "percent_after": pct(after),
        "newly_covered": round(r.objective),
        "candidates": ans.n_candidates,
        "solution": {
            "method": r.method,
            "objective": round(r.objective),
            "greedy_objective": round(r.greedy_objective),
            "milp_objective": None if r.milp_objective is None else round(r.milp_objective),
            "milp_status": r.milp_status,
            "bound": round(r.bound),
            "gap": round(r.gap, 6),
            "greedy_gap": round(r.greedy_gap, 6),
            "seconds": round(r.seconds, 3),
            "capacity_aware": False,
            "notes": r.notes,
        },
        "population_model": population_model(ans.grid),
        "features": feats,
    }
