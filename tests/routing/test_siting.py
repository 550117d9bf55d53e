"""Siting (MCLP): greedy <= MILP optimum <= bound; enumeration on tiny instances; demo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse

from layers.population import PopulationGrid
from routing.coverage import CellAccess, facility_cell_times
from routing.network import Network
from routing.siting import candidate_nodes, coverage_matrix, greedy, solve_mclp
from routing.snap import Snap, node_snap
from tests.routing.coverage_fixtures import (  # noqa: F401 - fixtures
    fixture_demo_access,
    fixture_demo_facilities,
    fixture_demo_grid,
    fixture_demo_net,
)


def _covered(a: sparse.csc_matrix, w: np.ndarray, cols: list[int]) -> float:
    if not cols:
        return 0.0
    hit = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


@pytest.mark.parametrize("seed", range(6))
def test_milp_is_the_enumerated_optimum_and_greedy_is_below(seed: int):
    rng = np.random.default_rng(seed)
    m, n, k = 40, 9, 3
    a = sparse.csc_matrix(rng.random((m, n)) < 0.18)
    w = rng.integers(1, 100, m).astype(float)
    best = max(_covered(a, w, list(c)) for c in itertools.combinations(range(n), k))
    res = solve_mclp(a, w, k)
    assert res.milp_objective == pytest.approx(best)
    assert res.objective == pytest.approx(best)
    assert res.greedy_objective <= best + 1e-9
    assert res.greedy_objective >= (1 - 1 / np.e) * best - 1e-9
    assert _covered(a, w, res.chosen) == pytest.approx(res.objective)
    assert res.gap == pytest.approx(0.0, abs=1e-6)
    assert res.greedy_gap == pytest.approx((best - res.greedy_objective) / best)


def test_greedy_trap_is_fixed_by_the_milp():
    # greedy takes the big middle set first; two side sets together cover more
    a = sparse.csc_matrix(
        np.array(
            [
                [1, 1, 0],
                [1, 1, 0],
                [1, 0, 1],
                [1, 0, 1],
                [0, 1, 0],
                [0, 0, 1],
            ],
            dtype=bool,
        )
    )
    w = np.array([1.0, 1.0, 1.0, 1.0, 1.5, 1.5])
    chosen, gains = greedy(a, w, 2)
    assert chosen[0] == 0 and sum(gains) == pytest.approx(5.5)
    res = solve_mclp(a, w, 2)
    assert res.method == "milp" and res.objective == pytest.approx(7.0)
    assert sorted(res.chosen) == [1, 2]
    assert res.greedy_gap == pytest.approx(1.5 / 7.0)


def test_large_instances_skip_the_milp_but_state_a_bound():
    rng = np.random.default_rng(0)
    a = sparse.csc_matrix(rng.random((400, 60)) < 0.2)
    w = rng.uniform(1, 10, 400)
    res = solve_mclp(a, w, 5, max_nonzeros=100)
    assert res.milp_objective is None and res.milp_status.startswith("skipped")
    assert res.objective <= res.bound and 0 <= res.gap < 1 - 1 / np.e + 1e-9


def test_demo_siting_greedy_below_milp_and_sites_really_cover(
    demo_net: Network,
    demo_grid: PopulationGrid,
    demo_access: CellAccess,
    demo_facilities: dict[str, list[Snap]],
):
    limit = 30 * 60.0
    existing = demo_facilities["rumah_sakit"]
    times = facility_cell_times(demo_net.engine, demo_access, existing)
    pop = demo_grid.population
    uncovered = times > limit
    cells = np.flatnonzero(uncovered & (pop > 0) & demo_access.on_network)
    nodes = candidate_nodes(demo_access, pop, uncovered, limit=150)
    a = coverage_matrix(demo_net.engine, demo_access, cells, limit, nodes=nodes)
    res = solve_mclp(a, pop[cells], 5)
    assert res.milp_objective is not None, res.milp_status
    assert res.greedy_objective <= res.milp_objective + 1e-6
    assert res.milp_objective <= res.bound + 1e-6
    assert res.objective >= res.greedy_objective
    # adding the chosen sites as facilities raises coverage by exactly the objective
    new = [node_snap(demo_net.compiled, int(nodes[j])) for j in res.chosen]
    after = facility_cell_times(demo_net.engine, demo_access, [*existing, *new])
    before_cov = pop[times <= limit].sum()
    after_cov = pop[after <= limit].sum()
    assert after_cov - before_cov == pytest.approx(res.objective, rel=1e-6)
    # one facility more never lowers coverage
    assert np.all(after <= times + 1e-9)
