"""Coverage: one multi-source search per category equals a per-cell brute force."""

from __future__ import annotations

import numpy as np
import pytest

from layers.population import PopulationGrid
from routing.compiled import compile_graph
from routing.coverage import (
    CellAccess,
    area_coverage,
    cell_access,
    facility_cell_times,
    weighted_quantiles,
)
from routing.engine import make_engine
from routing.network import Network
from routing.snap import Snap, Snapper
from tests.routing.coverage_fixtures import (  # noqa: F401 - fixtures
    brute_force_times,
    fixture_demo_access,
    fixture_demo_facilities,
    fixture_demo_grid,
    fixture_demo_net,
)
from tests.routing.test_engine import grid_graph


@pytest.mark.parametrize("kind", ["scipy", "ch", "cch"])
def test_coverage_equals_brute_force_on_a_small_graph(kind: str):
    cg = compile_graph(grid_graph(size=8, seed=11))
    engine = make_engine(cg, kind=kind)  # type: ignore[arg-type]
    snapper = Snapper(cg)
    rng = np.random.default_rng(5)
    lon0, lat0 = cg.node_lon.min(), cg.node_lat.min()
    w, h = np.ptp(cg.node_lon), np.ptp(cg.node_lat)
    n = 300
    lons = lon0 + rng.uniform(-0.2, 1.2, n) * w
    lats = lat0 + rng.uniform(-0.2, 1.2, n) * h
    pop = rng.integers(0, 500, n).astype(float)
    area = rng.integers(0, 4, n)
    snaps = snapper.snap_many(lons, lats, max_distance_m=80)  # some cells off the network
    access = cell_access(cg, snaps)
    assert 0 < int((~access.on_network).sum()) < n
    fac = list(snapper.snap_many(lons[:4] + 1e-4, lats[:4], max_distance_m=5000).to_snaps())
    facilities = [f for f in fac if f is not None]
    # put one facility on a cell's own road too (same-road direct trips)
    facilities.append(Snap(edge=int(snaps.edge[access.on_network][0]), t=0.9, lon=0.0, lat=0.0))
    fast = facility_cell_times(engine, access, facilities)
    slow = brute_force_times(cg, snaps.to_snaps(), facilities)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9)
    minutes = [0.5, 1.0, 2.0]
    cov = area_coverage(fast, pop, area, 4, minutes)
    for a in range(4):
        mine = area == a
        for j, m in enumerate(minutes):
            expected = 100 * pop[mine & (slow <= m * 60)].sum() / pop[mine].sum()
            assert cov.percent[a, j] == pytest.approx(expected, abs=1e-9)


def test_weighted_quantiles_match_numpy_with_unit_weights():
    rng = np.random.default_rng(1)
    v = rng.uniform(0, 100, 501)
    g = rng.integers(0, 3, 501)
    q = weighted_quantiles(v, np.ones(501), g, 4, (0.5, 0.9))
    for k in range(3):
        exp = np.quantile(v[g == k], [0.5, 0.9], method="inverted_cdf")
        np.testing.assert_allclose(q[k], exp)
    assert np.all(np.isnan(q[3]))  # empty group
    # weights count: one heavy value decides the median
    q = weighted_quantiles(
        np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0, 1.0]), np.zeros(3, int), 1, (0.5,)
    )
    assert q[0, 0] == 2.0


def test_demo_grid_keeps_area_totals(demo_grid: PopulationGrid):
    pop = np.bincount(demo_grid.area, weights=demo_grid.population, minlength=len(demo_grid.areas))
    np.testing.assert_allclose(pop, demo_grid.areas.population, rtol=1e-9)
    assert demo_grid.weighting != "uniform"


def test_adding_a_facility_never_lowers_coverage(
    demo_net: Network,
    demo_grid: PopulationGrid,
    demo_access: CellAccess,
    demo_facilities: dict[str, list[Snap]],
):
    base = list(demo_facilities["rumah_sakit"])
    extra = demo_facilities["puskesmas"][::7]
    n_areas = len(demo_grid.areas)
    minutes = [15, 30, 60]
    times = facility_cell_times(demo_net.engine, demo_access, base)
    before = area_coverage(times, demo_grid.population, demo_grid.area, n_areas, minutes)
    current = list(base)
    for f in extra:
        current.append(f)
        t2 = facility_cell_times(demo_net.engine, demo_access, current)
        assert np.all(t2 <= times + 1e-9)
        after = area_coverage(t2, demo_grid.population, demo_grid.area, n_areas, minutes)
        assert np.all(after.covered >= before.covered - 1e-6)
        times, before = t2, after


def test_demo_coverage_equals_brute_force_on_sampled_cells(
    demo_net: Network,
    demo_grid: PopulationGrid,
    demo_facilities: dict[str, list[Snap]],
):
    cg = demo_net.compiled
    rng = np.random.default_rng(3)
    pick = rng.choice(len(demo_grid), 40, replace=False)
    snaps = demo_net.snapper.snap_many(
        demo_grid.lon[pick], demo_grid.lat[pick], max_distance_m=2000
    )
    access = cell_access(cg, snaps)
    facilities = demo_facilities["rumah_sakit"]
    fast = facility_cell_times(demo_net.engine, access, facilities)
    slow = brute_force_times(cg, snaps.to_snaps(), facilities)
    np.testing.assert_allclose(fast, slow, rtol=1e-9)
    # and the engine's own matrix agrees
    on = [i for i, s in enumerate(snaps.to_snaps()) if s is not None]
    matrix = demo_net.engine.durations([snaps.to_snaps()[i] for i in on], facilities)  # type: ignore[misc]
    np.testing.assert_allclose(fast[on], matrix.min(axis=1), rtol=1e-9)


def test_demo_stats_are_sane(
    demo_net: Network,
    demo_grid: PopulationGrid,
    demo_access: CellAccess,
    demo_facilities: dict[str, list[Snap]],
):
    times = facility_cell_times(demo_net.engine, demo_access, demo_facilities["puskesmas"])
    cov = area_coverage(
        times, demo_grid.population, demo_grid.area, len(demo_grid.areas), [15, 30, 60]
    )
    assert np.all(np.diff(cov.covered, axis=1) >= -1e-6)
    assert np.all(cov.covered <= cov.population[:, None] + 1e-6)
    finite = np.isfinite(cov.p90_s)
    assert np.all(cov.median_s[finite] <= cov.p90_s[finite])
    rank = cov.underserved(threshold=0)
    unc = cov.uncovered[rank, 0]
    assert np.all(np.diff(unc) <= 1e-9)
    tot = cov.totals()
    assert 0 < tot["percent"][0] <= tot["percent"][2] <= 100  # type: ignore[index, operator]
