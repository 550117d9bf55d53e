"""Points far outside the network's area get a 422 naming the field, never a 500.

In UTM zone 48S (the demo's), longitudes around 6–24°E or 156–174°W at the equator
project to infinity; such points used to index uninitialised memory in the snapper.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

FAR = [(15.0, 0.0), (-165.0, 0.0), (179.9, 89.9), (105.3, 60.0), (0.0, 0.0)]
NEAR = (105.26, -5.43)  # Bandar Lampung


@pytest.mark.parametrize("lon,lat", FAR)
def test_every_routing_endpoint_refuses_far_points(
    demo_client: TestClient, lon: float, lat: float
) -> None:
    far, near = f"{lon},{lat}", f"{NEAR[0]},{NEAR[1]}"
    calls = [
        ("get", "/route", {"params": {"from": far, "to": near}}, "from"),
        ("get", "/route", {"params": {"from": near, "to": far}}, "to"),
        (
            "get",
            "/nearest",
            {"params": {"lon": lon, "lat": lat, "category": "puskesmas"}},
            "lon",
        ),
        ("get", "/isochrones", {"params": {"lon": lon, "lat": lat, "minutes": "10"}}, "lon"),
        (
            "post",
            "/matrix",
            {"json": {"sources": [[lon, lat]], "targets": [list(NEAR)]}},
            "sources.0",
        ),
        (
            "post",
            "/logistics/plan",
            {
                "json": {
                    "origin": [lon, lat],
                    "market": "cipinang",
                    "commodity": "padi",
                    "tonnes": 5,
                    "vehicle_class": "light_truck",
                    "departure": "2026-03-02T06:00:00+07:00",
                }
            },
            "origin",
        ),
        (
            "post",
            "/plan/sites",
            {
                "json": {
                    "category": "puskesmas",
                    "count": 1,
                    "minutes": 30,
                    "candidates": [[lon, lat]],
                }
            },
            "candidates.0",
        ),
    ]
    for method, path, kwargs, field in calls:
        r = getattr(demo_client, method)(path, **kwargs)
        assert r.status_code == 422, (path, r.status_code, r.text)
        body = r.json()
        assert body["field"] == field, (path, body)
        assert "Traceback" not in r.text


def test_snapper_never_reads_garbage() -> None:
    import numpy as np

    from routing.compiled import compile_graph
    from routing.snap import Snapper
    from tests.routing.test_engine import grid_graph

    snapper = Snapper(compile_graph(grid_graph()))
    lon = np.array([15.0, -165.0, np.nan, 105.205, np.inf])
    lat = np.array([0.0, 0.0, -5.4, -5.405, 0.0])
    res = snapper.snap_many(lon, lat)
    assert res.off_network.tolist() == [True, True, True, False, True]
    assert np.isinf(res.distance_m[[0, 1, 2, 4]]).all()
    assert res.edge[3] >= 0 and res.distance_m[3] < 200
