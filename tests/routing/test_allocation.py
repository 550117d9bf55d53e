"""The allocation LP: constraints hold, and it matches a brute-force search on tiny cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from routing.allocation import AllocationError, solve_allocation

PENALTY = 1_000.0


def _brute_force(
    supply: list[int],
    demand: list[int],
    cost: np.ndarray,
    ferry_to: set[int],
    cap: int,
) -> float:
    """Cheapest integer flow (one commodity), unmet demand at PENALTY per tonne."""
    n_f, n_m = cost.shape
    best = np.inf
    ranges = [range(supply[f] + 1) for f in range(n_f) for _ in range(n_m)]
    for flat in itertools.product(*ranges):
        x = np.array(flat, dtype=float).reshape(n_f, n_m)
        if np.any(x.sum(axis=1) > supply):
            continue
        got = x.sum(axis=0)
        if np.any(got > demand):
            continue
        if sum(x[:, m].sum() for m in ferry_to) > cap:
            continue
        total = float((x * cost).sum() + PENALTY * (np.array(demand) - got).sum())
        best = min(best, total)
    return best


@pytest.mark.parametrize(
    ("supply", "demand", "cap"),
    [([3, 2], [2, 3], 5), ([3, 2], [2, 3], 1), ([1, 1], [3, 2], 9), ([4, 0], [1, 2], 2)],
)
def test_matches_brute_force_on_tiny_cases(supply, demand, cap):
    cost = np.array([[4.0, 7.0], [6.0, 3.0]])
    ferry = np.zeros((1, 2, 2))
    ferry[0, :, 1] = 1.0  # everything bound for market 1 crosses the ferry
    result = solve_allocation(
        supply,
        ["padi", "padi"],
        [{"padi": float(d)} for d in demand],
        cost,
        ferry_use=ferry,
        ferry_capacity_t=[cap],
        penalty_idr_per_t=PENALTY,
    )
    lp = result.total_cost_idr + PENALTY * sum(result.unmet.values())
    assert lp == pytest.approx(_brute_force(supply, demand, cost, {1}, cap), abs=1e-6)


def test_random_cases_meet_supply_demand_and_ferry_constraints():
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_f, n_m = int(rng.integers(2, 8)), int(rng.integers(1, 4))
        supply = rng.uniform(0, 50, n_f)
        comms = [str(rng.choice(["padi", "jagung"])) for _ in range(n_f)]
        demand = [
            {"padi": float(rng.uniform(0, 80)), "jagung": float(rng.uniform(0, 40))}
            for _ in range(n_m)
        ]
        cost = rng.uniform(10, 100, (n_f, n_m))
        ferry = (rng.random((1, n_f, n_m)) < 0.5).astype(float)
        cap = float(rng.uniform(0, 60))
        r = solve_allocation(supply, comms, demand, cost, ferry_use=ferry, ferry_capacity_t=[cap])
        x = np.zeros((n_f, n_m))
        for fl in r.flows:
            assert fl.tonnes > 0
            assert fl.cost_idr == pytest.approx(fl.tonnes * cost[fl.farm, fl.market])
            x[fl.farm, fl.market] = fl.tonnes
        assert np.all(x.sum(axis=1) <= supply + 1e-6)
        for m in range(n_m):
            for c in ("padi", "jagung"):
                got = sum(x[f, m] for f in range(n_f) if comms[f] == c)
                assert got + r.unmet[(m, c)] == pytest.approx(demand[m][c], abs=1e-6)
        assert (ferry[0] * x).sum() <= cap + 1e-6
        assert r.ferry_used_t[0] == pytest.approx((ferry[0] * x).sum(), abs=1e-6)
        # unmet demand only where nothing more could be sent
        for m in range(n_m):
            for c in ("padi", "jagung"):
                if r.unmet[(m, c)] > 1e-6:
                    spare = [
                        f
                        for f in range(n_f)
                        if comms[f] == c
                        and x[f].sum() < supply[f] - 1e-6
                        and (ferry[0, f, m] == 0 or (ferry[0] * x).sum() < cap - 1e-6)
                    ]
                    assert not spare


def test_unreachable_pairs_get_no_flow_and_demand_goes_unmet():
    cost = np.array([[np.inf], [5.0]])
    r = solve_allocation([10, 2], ["padi", "padi"], [{"padi": 6.0}], cost)
    assert [(f.farm, f.tonnes) for f in r.flows] == [(1, 2.0)]
    assert r.unmet[(0, "padi")] == pytest.approx(4.0)


def test_commodities_do_not_mix():
    r = solve_allocation([10], ["kopi"], [{"padi": 6.0}], np.array([[1.0]]))
    assert r.flows == [] and r.unmet[(0, "padi")] == 6.0


def test_bad_input_is_rejected():
    with pytest.raises(AllocationError, match="supply"):
        solve_allocation([-1], ["padi"], [{"padi": 1.0}], np.array([[1.0]]))
    with pytest.raises(AllocationError, match="farms x markets"):
        solve_allocation([1, 2], ["padi"], [{"padi": 1.0}], np.array([[1.0]]))
