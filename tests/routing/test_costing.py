"""Trip quantities and cost: one route vs the many-to-few trees, on the demo truck graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.costing import (
    CostingError,
    CostRates,
    TripQuantities,
    VehicleSpec,
    route_quantities,
    trip_cost,
    vehicles_needed,
)
from routing.network import Network, graph_path
from routing.trees import cost_matrix, quantity_matrix

HEAVY = VehicleSpec("heavy_truck", 20.0, 0.30, "III", "VIIB")
RATES = CostRates(
    fuel_idr_per_l=6800.0,
    driver_idr_per_hour=30000.0,
    co2_kg_per_l=2.68,
    toll_idr_per_km={"trans_sumatera": {"III": 1350.0}, "jakarta_merak": {"III": 1300.0}},
    ferry_tariffs={1: {"VIIB": 2_200_000.0}},
)
ORIGINS = [(105.26, -5.43), (105.31, -5.11), (105.21, -4.97), (104.97, -5.36), (105.75, -5.86)]
TARGETS = [(106.884, -6.213), (106.8665, -6.279), (105.3, -5.12)]


@pytest.fixture(scope="module")
def truck(demo_graph_dir: Path) -> Network:
    return Network.load(graph_path(demo_graph_dir, "truck"))


def test_trip_cost_arithmetic():
    q = TripQuantities(
        duration_s=36_000.0,
        road_m=200_000.0,
        toll_m={"trans_sumatera": 100_000.0, "jakarta_merak": 50_000.0},
        ferry_crossings={1: 1},
    )
    c = trip_cost(q, HEAVY, RATES)
    assert c.fuel_l == pytest.approx(60.0)
    assert c.fuel_idr == pytest.approx(60 * 6800)
    assert c.toll_idr == pytest.approx(100 * 1350 + 50 * 1300)
    assert c.ferry_idr == 2_200_000
    assert c.driver_idr == pytest.approx(10 * 30000)
    assert c.co2_kg == pytest.approx(60 * 2.68)
    assert c.total_idr == pytest.approx(c.fuel_idr + c.toll_idr + c.ferry_idr + c.driver_idr)
    three = c.times(3)
    assert three.total_idr == pytest.approx(3 * c.total_idr) and three.vehicles == 3
    assert [vehicles_needed(t, 20.0) for t in (0.5, 20.0, 20.01, 60.0)] == [1, 1, 2, 3]
    with pytest.raises(CostingError, match="golongan"):
        trip_cost(q, VehicleSpec("x", 1, 0.1, "III", "IX"), RATES)


def test_trees_match_single_routes(truck: Network):
    origins = [truck.snapper.snap(*p) for p in ORIGINS]
    targets = [truck.snapper.snap(*p) for p in TARGETS]
    qm = quantity_matrix(truck.compiled, origins, targets)
    durations = truck.engine.durations(origins, targets)
    np.testing.assert_allclose(qm.duration_s, durations, rtol=1e-6)
    costs = cost_matrix(qm, HEAVY, RATES)
    for i, o in enumerate(origins):
        for j, t in enumerate(targets):
            route = truck.engine.route(o, t)
            q = route_quantities(truck.compiled, route, o, t, duration_s=route.duration_s)
            tree = qm.trip(i, j)
            assert tree.road_m == pytest.approx(q.road_m, rel=1e-6, abs=1.0)
            for region, metres in q.toll_m.items():
                assert tree.toll_m[region] == pytest.approx(metres, rel=1e-6, abs=1.0)
            assert {k: v for k, v in tree.ferry_crossings.items() if v} == q.ferry_crossings
            assert costs[i, j] == pytest.approx(trip_cost(q, HEAVY, RATES).total_idr, rel=1e-6)
    # Lampung → Jakarta crosses the ferry and uses toll roads on both sides
    assert qm.ferry[0, 0, 0] == 1 and qm.ferry[0, 0, 2] == 0
    assert qm.toll_m[0, 1, 0] > 50_000 and qm.toll_m[1, 1, 0] > 50_000
