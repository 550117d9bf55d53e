"""Coverage analysis: population grid + routing, returning typed results.

The JSON, GeoJSON and CSV forms of these results are made in
:mod:`geo_api.coverage_output`; the routers and the CLI only call both.

The population grid (:mod:`layers.population`: a population raster if one is set,
else the settlements if loaded, else the road network of the profile, per area with
fallbacks), and the cells' snaps (:mod:`routing.coverage`), are built once per
network, resolution, assumption and raster file, and cached until ``admin_areas`` or
``settlements`` change (fingerprints :func:`layers.population.admin_stamp`,
:func:`layers.population_settlements.settlement_stamp`). Facilities come from
:func:`geo_api.facilities.get_facilities` (cached the same way). Both caches are the
app's (:class:`geo_api.caches.Caches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Connection

from data.budget import UNLIMITED, Budget
from geo_api.caches import Caches
from geo_api.facilities import Facilities, get_facilities
from layers.errors import InvalidParameterError
from layers.population import (
    DEFAULT_RESOLUTION,
    AreaTable,
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
from layers.population_raster import raster_identity, raster_weights
from layers.population_settlements import load_settlements, settlement_stamp, settlement_weights
from layers.population_weights import PairWeights
from routing.coverage import AreaCoverage, CellAccess, area_coverage, cell_access
from routing.coverage import facility_cell_times as _facility_cell_times
from routing.isochrones import Band, isochrone_bands, projected_edges
from routing.network import Network
from routing.siting import SitingResult, candidate_nodes, coverage_matrix, solve_mclp
from routing.snap import Snap

MAX_CANDIDATES = 500
MAX_USER_CANDIDATES = 200
API_MILP_TIME_LIMIT_S = 10.0
CELL_SNAP_MAX_M = 2000.0

Stamp = tuple[tuple[int, int, int], tuple[int, int, int]]


@dataclass
class CoverageContext:
    """The population grid of a network, its cells' access, and per-level mappings."""

    stamp: Stamp
    grid: PopulationGrid
    access: CellAccess
    levels: dict[str, tuple[AreaTable, np.ndarray]]


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
    caches: Caches,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
    budget: Budget = UNLIMITED,
) -> CoverageContext:
    """The population grid and cell access of ``net``.

    Rebuilt when admin areas or settlements change; the raster file (path, mtime,
    size) is part of the key. ``budget`` is checked between the steps of a rebuild
    (the grid, the cells' snapping); a grid built is cached even when the budget ran
    out meanwhile, so the next request finds it.
    """
    stamp: Stamp = (admin_stamp(conn), settlement_stamp(conn))
    raster_key = None if population_raster is None else raster_identity(population_raster)
    key = (net.key, resolution, assumed_total, raster_key)
    hit = caches.coverage.get(key)
    if hit is not None and hit.stamp == stamp:
        context: CoverageContext = hit
        return context
    budget.check()
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
    caches.coverage.put(key, ctx)
    budget.check()
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
        return self.grid.demo or self.facilities.demo

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
    caches: Caches,
    rank_minutes: float | None = None,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
    budget: Budget = UNLIMITED,
) -> CoverageResult:
    """Coverage of a category per area of ``level``: one search for all thresholds."""
    fac = get_facilities(conn, net, category, caches=caches)
    ctx = get_context(
        conn,
        net,
        caches=caches,
        resolution=resolution,
        assumed_total=assumed_total,
        population_raster=population_raster,
        budget=budget,
    )
    table, cell_area = level_areas(conn, ctx, level)
    budget.check()
    times = _facility_cell_times(net.engine, ctx.access, fac.snaps, budget=budget)
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


def point_isochrones(
    net: Network, origin: Snap, minutes: list[float], *, budget: Budget = UNLIMITED
) -> list[Band]:
    """Bands travelled *from* a point (one search, limited to the largest threshold)."""
    times, _ = net.engine.multi_source(
        [origin], limit_s=max(minutes) * 60.0, direction="from_sources"
    )
    return isochrone_bands(net.compiled, times, minutes, sources=[origin], budget=budget)


def category_isochrones(
    net: Network, fac: Facilities, minutes: list[float], *, budget: Budget = UNLIMITED
) -> list[Band]:
    """Bands from which the nearest facility of a category is reached (one search)."""
    times, _ = net.engine.multi_source(
        fac.snaps, limit_s=max(minutes) * 60.0, direction="to_sources"
    )
    return isochrone_bands(
        net.compiled, times, minutes, direction="to_sources", sources=fac.snaps, budget=budget
    )


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
    caches: Caches,
    candidates: list[tuple[float, float]] | None = None,
    max_candidates: int = 300,
    resolution: int = DEFAULT_RESOLUTION,
    assumed_total: float | None = None,
    population_raster: Path | None = None,
    milp_time_limit_s: float = API_MILP_TIME_LIMIT_S,
    budget: Budget = UNLIMITED,
) -> SitingAnswer:
    """Propose ``k`` new sites that newly cover the most people within ``minutes``."""
    fac = get_facilities(conn, net, category, caches=caches)
    ctx = get_context(
        conn,
        net,
        caches=caches,
        resolution=resolution,
        assumed_total=assumed_total,
        population_raster=population_raster,
        budget=budget,
    )
    limit = minutes * 60.0
    times = _facility_cell_times(net.engine, ctx.access, fac.snaps, budget=budget)
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
            points.append(net.snap(x, y, field=f"candidates.{i}"))
            lons.append(x)
            lats.append(y)
            kind.append("given")
    else:
        nodes = candidate_nodes(ctx.access, pop, uncovered, limit=max_candidates)
        lons = [float(v) for v in cg.node_lon[nodes]]
        lats = [float(v) for v in cg.node_lat[nodes]]
        kind = ["road node"] * len(lons)
    a = coverage_matrix(
        net.engine, ctx.access, cells, limit, nodes=nodes, points=points, budget=budget
    )
    result = solve_mclp(a, pop[cells], k, time_limit_s=milp_time_limit_s, budget=budget)
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
