"""Shared fixtures of the coverage tests: the demo network, grid and facilities (no DB reads
beyond the demo graphs' build), and a brute-force per-cell Dijkstra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from data import demo
from layers.population import AreaTable, PopulationGrid, RoadDensity, build_grid
from routing.compiled import CompiledGraph
from routing.coverage import CellAccess, cell_access
from routing.isochrones import projected_edges
from routing.network import Network, load_networks
from routing.paths import destination_candidates, direct_parts, origin_candidates, part_cost
from routing.snap import Snap


def road_weight(cg: CompiledGraph, resolution: int) -> RoadDensity:
    """Road density of a compiled graph (one direction per road, no ferries)."""
    pe = projected_edges(cg)
    edges = np.flatnonzero((pe.canon == np.arange(cg.n_edges)) & ~cg.edge_ferry)
    parts = [cg.edge_coords(int(e)) for e in edges]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
    return RoadDensity(np.concatenate(parts), offsets, resolution=resolution)


def area_table(gdf, *, level: str, names: str, population: str | None) -> AreaTable:
    n = len(gdf)
    pop = gdf[population].astype(float).to_numpy() if population else np.full(n, np.nan)
    return AreaTable(
        level=level,
        ids=list(range(1, n + 1)),
        codes=[None] * n,
        names=[str(x) for x in gdf[names]],
        population=pop,
        geoms=list(gdf.geometry),
        demo=[False] * n,
    )


@pytest.fixture(scope="session", name="demo_net")
def fixture_demo_net(demo_graph_dir: Path) -> Network:
    """The demo motorcycle network (scipy engine)."""
    return load_networks(demo_graph_dir, kind="scipy")["motorcycle"]


@pytest.fixture(scope="session", name="demo_grid")
def fixture_demo_grid(demo_net: Network) -> PopulationGrid:
    """The demo kabupaten population on H3 res 7 cells weighted by demo road length."""
    gdf = demo.admin_areas()
    kab = gdf[gdf["level"] == "kabupaten"].reset_index(drop=True)
    areas = area_table(kab, level="kabupaten", names="name", population="population")
    return build_grid(areas, resolution=7, weight=road_weight(demo_net.compiled, 7))


@pytest.fixture(scope="session", name="demo_access")
def fixture_demo_access(demo_net: Network, demo_grid: PopulationGrid) -> CellAccess:
    snaps = demo_net.snapper.snap_many(demo_grid.lon, demo_grid.lat, max_distance_m=2000)
    return cell_access(demo_net.compiled, snaps)


@pytest.fixture(scope="session", name="demo_facilities")
def fixture_demo_facilities(demo_net: Network) -> dict[str, list[Snap]]:
    """Snapped demo service points per category (Lampung side)."""
    sp = demo.service_points()
    out: dict[str, list[Snap]] = {}
    for cat, grp in sp.groupby("category"):
        snaps = demo_net.snapper.snap_many(grp.geometry.x, grp.geometry.y, max_distance_m=2000)
        out[str(cat)] = [s for s in snaps.to_snaps() if s is not None]
    return out


def brute_force_times(cg: CompiledGraph, cells: list[Snap | None], facilities: list[Snap]):
    """Time from each cell to its nearest facility: one forward Dijkstra *per cell*."""
    dest = [destination_candidates(cg, f) for f in facilities]
    out = np.full(len(cells), np.inf)
    for i, c in enumerate(cells):
        if c is None:
            continue
        best = np.inf
        for cand in origin_candidates(cg, c):
            dist = dijkstra(cg.matrix, indices=cand.node)
            for dc in dest:
                for d in dc:
                    best = min(best, cand.cost + dist[d.node] + d.cost)
        for f in facilities:
            for part in direct_parts(cg, c, f):
                best = min(best, part_cost(cg, part))
        out[i] = best
    return out
