"""Real data: Jakarta puskesmas coverage per kecamatan over the Jakarta road graph."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest

from layers.population import DKI_CENSUS_2020, assign_areas, build_grid
from routing.compiled import compile_graph
from routing.coverage import area_coverage, cell_access, facility_cell_times
from routing.network import Network
from routing.siting import candidate_nodes, coverage_matrix, solve_mclp
from tests.conftest import shared_file
from tests.routing.coverage_fixtures import area_table, brute_force_times, road_weight

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def jakarta(jakarta_graph_motorcycle: nx.MultiDiGraph):
    net = Network.from_compiled(compile_graph(jakarta_graph_motorcycle), kind="scipy")
    kel = gpd.read_file(shared_file("jakarta", "kelurahan.gpkg"))
    kec = gpd.read_file(shared_file("jakarta", "kecamatan.gpkg"))
    pkm = gpd.read_file(shared_file("jakarta", "puskesmas.geojson"))
    areas = area_table(kel, level="desa", names="KEL_NAME_1", population=None)
    grid = build_grid(
        areas,
        resolution=9,
        weight=road_weight(net.compiled, 9),
        assumed_total=DKI_CENSUS_2020,
    )
    snaps = net.snapper.snap_many(grid.lon, grid.lat, max_distance_m=2000)
    access = cell_access(net.compiled, snaps)
    fac = net.snapper.snap_many(pkm.geometry.x, pkm.geometry.y, max_distance_m=2000)
    facilities = [s for s in fac.to_snaps() if s is not None]
    return net, grid, snaps, access, facilities, kec


def test_jakarta_puskesmas_coverage_by_kecamatan(jakarta):
    net, grid, snaps, access, facilities, kec = jakarta
    assert grid.total == pytest.approx(DKI_CENSUS_2020)
    assert any("assumed total" in a for a in grid.assumptions)
    assert 400 < len(facilities) < 560  # the Kepulauan Seribu points are off the road network
    times = facility_cell_times(net.engine, access, facilities)
    area = assign_areas(grid.lon, grid.lat, list(kec.geometry))
    assert np.mean(area >= 0) > 0.97
    cov = area_coverage(times, grid.population, area, len(kec), [15, 30, 60])
    assert len(cov.population) == 42 and np.all(cov.population > 0)
    pct = cov.percent
    assert np.all(np.diff(pct, axis=1) >= -1e-9)
    tot = cov.totals()
    # Jakarta has a puskesmas in every kelurahan: almost everyone within 15 min by motorcycle
    assert tot["percent"][0] > 95  # type: ignore[index]
    assert np.nanmax(cov.median_s) < 15 * 60
    # brute force (one Dijkstra per cell) on a sample of cells
    rng = np.random.default_rng(7)
    pick = rng.choice(len(grid), 25, replace=False)
    all_snaps = snaps.to_snaps()
    slow = brute_force_times(net.compiled, [all_snaps[i] for i in pick], facilities)
    np.testing.assert_allclose(times[pick], slow, rtol=1e-9)


def test_jakarta_siting_greedy_below_milp(jakarta):
    net, grid, _snaps, access, facilities, _kec = jakarta
    limit = 5 * 60.0
    times = facility_cell_times(net.engine, access, facilities)
    uncovered = times > limit
    cells = np.flatnonzero(uncovered & (grid.population > 0) & access.on_network)
    nodes = candidate_nodes(access, grid.population, uncovered, limit=200)
    a = coverage_matrix(net.engine, access, cells, limit, nodes=nodes)
    res = solve_mclp(a, grid.population[cells], 5)
    assert res.milp_objective is not None
    assert res.greedy_objective <= res.milp_objective + 1e-6 <= res.bound + 1e-3
    assert res.objective > 0
