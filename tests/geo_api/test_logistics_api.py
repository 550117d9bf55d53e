"""Logistics API: plans, allocation, figures, auth and shipments (demo data and graphs)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.demo import load_demo

HEADWAY_S = 24 * 3600 / 27
PLAN = {
    "origin": [105.26, -5.43],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 30,
    "vehicle_class": "heavy_truck",
    "departure": "2026-03-02T06:00:00+07:00",
}


def _plan(client: TestClient, **changes) -> dict:
    r = client.post("/logistics/plan", json=PLAN | changes)
    assert r.status_code == 200, r.text
    return r.json()


def test_plan_duration_is_the_legs_plus_the_wait(demo_client: TestClient):
    f = _plan(demo_client)
    p = f["properties"]
    assert f["geometry"]["type"] == "LineString"
    assert [leg["mode"] for leg in p["legs"]] == ["road", "ferry", "road"]
    ferry = p["legs"][1]
    assert ferry["duration_s"] == 120 * 60  # the crossing only; the wait is separate
    assert p["wait_s"] == ferry["wait_s"]
    assert p["duration_s"] == pytest.approx(
        sum(leg["duration_s"] for leg in p["legs"]) + p["wait_s"], abs=0.5
    )
    departure = datetime.fromisoformat(PLAN["departure"])
    eta = datetime.fromisoformat(p["eta"])
    assert (eta - departure).total_seconds() == pytest.approx(p["duration_s"], abs=0.1)
    # the boat leaves on the schedule: k headways after midnight WIB
    sailing = datetime.fromisoformat(ferry["sailing"])
    since_midnight = (sailing - sailing.replace(hour=0, minute=0, second=0)).total_seconds()
    assert since_midnight / HEADWAY_S == pytest.approx(round(since_midnight / HEADWAY_S))
    assert 0 <= ferry["wait_s"] < HEADWAY_S
    for leg in p["legs"]:
        assert leg["geometry"]["type"] == "LineString" and leg["distance_m"] > 0
    # 30 t on 20 t trucks: two vehicles, each paying the VIIB ferry tariff
    assert p["vehicles"] == 2
    cost = p["cost"]
    assert cost["ferry_idr"] == 2 * 2_200_000
    parts = ("fuel_idr", "toll_idr", "ferry_idr", "driver_idr")
    assert sum(cost[k] for k in parts) == pytest.approx(cost["total_idr"], abs=2)
    assert cost["toll_idr"] > 0 and cost["fuel_idr"] > 0
    assert cost["driver_idr"] == pytest.approx(2 * p["duration_s"] / 3600 * 30_000, rel=1e-3)
    assert p["co2_kg"] == pytest.approx(cost["fuel_l"] * 2.68, rel=1e-3)
    keys = {fig["key"] for fig in p["figures"]}
    assert {"fuel_price.solar", "driver_cost_per_hour", "co2_per_litre.diesel"} <= keys
    assert "ferry_tariff.1.VIIB" in keys and all(fig["source"] for fig in p["figures"])


def test_departure_time_moves_the_wait_as_the_schedule_says(demo_client: TestClient):
    base = _plan(demo_client)["properties"]
    w0 = base["wait_s"]
    start = datetime.fromisoformat(PLAN["departure"])
    for shift in (300, 900, 2400, HEADWAY_S):
        later = (start + timedelta(seconds=shift)).isoformat()
        p = _plan(demo_client, departure=later)["properties"]
        assert p["legs"][0]["duration_s"] == base["legs"][0]["duration_s"]
        assert p["wait_s"] == pytest.approx((w0 - shift) % HEADWAY_S, abs=0.2)
        assert p["duration_s"] - p["wait_s"] == pytest.approx(
            base["duration_s"] - base["wait_s"], abs=0.2
        )
    dexlite = _plan(demo_client, fuel="dexlite")["properties"]["cost"]
    assert dexlite["fuel_idr"] == pytest.approx(
        _plan(demo_client)["properties"]["cost"]["fuel_idr"] * 13_000 / 6_800, rel=1e-3
    )


def test_pickup_plans_on_the_car_network(demo_client: TestClient):
    p = _plan(demo_client, vehicle_class="pickup", tonnes=2.5)["properties"]
    assert p["profile"] == "car" and p["vehicles"] == 3
    assert p["cost"]["per_vehicle"]["ferry_idr"] == 450_000


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"market": "pasar-bulan"}, 422, "market"),
        ({"market": 999}, 422, "market"),
        ({"market": False}, 400, "market"),
        ({"commodity": "durian"}, 400, "commodity"),
        ({"tonnes": 0}, 400, "tonnes"),
        ({"tonnes": -5}, 400, "tonnes"),
        ({"departure": "besok pagi"}, 400, "departure"),
        ({"departure": "2026-13-45T25:00"}, 400, "departure"),
        ({"origin": [103.0, -6.8]}, 422, "origin"),
        ({"origin": [200.0, -6.8]}, 400, "origin.0"),
        ({"vehicle_class": "kereta"}, 422, "vehicle_class"),
        ({"fuel": "bensin"}, 400, "fuel"),
    ],
)
def test_bad_plan_input_is_a_clear_4xx(demo_client: TestClient, change, status, field):
    r = demo_client.post("/logistics/plan", json=PLAN | change)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field and body["description"]


def test_allocation_meets_supply_demand_and_ferry(demo_client: TestClient):
    r = demo_client.post("/logistics/allocate", json={"month": 3, "year": 2026})
    assert r.status_code == 200, r.text
    body = r.json()
    s = body["summary"]
    assert s["status"] == "Optimal" and s["days"] == 31
    assert body["features"] and all(f["geometry"]["type"] == "LineString" for f in body["features"])
    by_market: dict[tuple[str, str], float] = {}
    for f in body["features"]:
        p = f["properties"]
        assert p["tonnes"] > 0 and p["cost_idr"] > 0 and p["crosses_ferry"]
        key = (p["market"], p["commodity"])
        by_market[key] = by_market.get(key, 0) + p["tonnes"]
    assert by_market[("Pasar Induk Beras Cipinang", "padi")] <= 60_000 + 1e-3
    assert s["delivered_t"] + s["unmet_t"] == pytest.approx(s["demand_t"], abs=0.01)
    assert s["ferry"][0]["used_t"] <= s["ferry"][0]["capacity_t"]
    # no ferry capacity for freight: nothing reaches Jakarta, all demand is unmet
    none = demo_client.post("/logistics/allocate", json={"month": 3, "ferry_freight_share": 0})
    s0 = none.json()["summary"]
    assert s0["delivered_t"] == 0 and s0["unmet_t"] == pytest.approx(s0["demand_t"])
    # outside the padi harvest (month 5) rice is short
    may = demo_client.post("/logistics/allocate", json={"month": 5, "commodity": "padi"}).json()
    assert may["summary"]["unmet"][0]["tonnes"] == pytest.approx(60_000)
    bad = demo_client.post("/logistics/allocate", json={"month": 13})
    assert bad.status_code == 400 and bad.json()["field"] == "month"


def _km(a: list[float], b: list[float]) -> float:
    """Great-circle distance in km (haversine), written out here."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_flows_follow_the_route_road_ferry_road(demo_client: TestClient):
    body = demo_client.post("/logistics/allocate", json={"month": 3, "year": 2026}).json()
    ports = {
        f["properties"]["name"]: f["geometry"]["coordinates"]
        for f in demo_client.get("/collections/ports/items").json()["features"]
    }
    bakauheni = next(c for n, c in ports.items() if "Bakauheni" in n)
    merak = next(c for n, c in ports.items() if "Merak" in n)
    farms = {
        f["id"]: f["geometry"]["coordinates"]
        for f in demo_client.get("/collections/farms/items", params={"limit": 1000}).json()[
            "features"
        ]
    }
    assert "straight" not in " ".join(body["summary"]["assumptions"])
    for f in body["features"]:
        p = f["properties"]
        legs = p["legs"]
        assert [leg["mode"] for leg in legs] == ["road", "ferry", "road"]
        ferry = legs[1]["geometry"]["coordinates"]
        # the crossing runs Bakauheni -> Merak, the road legs meet it there
        assert _km(ferry[0], bakauheni) < 3 and _km(ferry[-1], merak) < 3
        assert legs[0]["geometry"]["coordinates"][-1] == ferry[0]
        assert legs[2]["geometry"]["coordinates"][0] == ferry[-1]
        # the route starts at the farm (snapped to the nearest road) and is a real route
        line = f["geometry"]["coordinates"]
        assert _km(line[0], farms[p["farm_id"]]) < 5 and len(line) > 10
        # the road legs' length is the allocation's own road distance (trees vs one query)
        road = sum(leg["distance_m"] for leg in legs if leg["mode"] == "road")
        assert road == pytest.approx(p["road_m"], rel=0.01)


def test_figures_say_what_they_price_and_which_are_assumptions(demo_client: TestClient):
    figures = {f["key"]: f for f in _plan(demo_client)["properties"]["figures"]}
    assert (
        figures["fuel_price.solar"] | {"component": "fuel", "assumption": False}
        == (figures["fuel_price.solar"])
    )
    assert figures["driver_cost_per_hour"]["assumption"] is True  # "ASSUMPTION: about Rp …"
    assert figures["driver_cost_per_hour"]["component"] == "driver"
    assert figures["co2_per_litre.diesel"]["assumption"] is False  # IPCC default
    ferry = next(f for k, f in figures.items() if k.startswith("ferry_tariff."))
    assert ferry["component"] == "ferry" and ferry["assumption"] is True  # approximate
    tolls = [f for k, f in figures.items() if k.startswith("toll_per_km.")]
    assert tolls and all(f["component"] == "toll" and f["assumption"] for f in tolls)


def test_parameters_and_vehicle_classes(demo_client: TestClient):
    params = demo_client.get("/logistics/parameters").json()
    keys = {p["key"]: p for p in params["parameters"]}
    assert (
        keys["fuel_price.solar"]["value"] == 6800
        and "Pertamina" in keys["fuel_price.solar"]["source"]
    )
    assert keys["co2_per_litre.diesel"]["value"] == 2.68
    assert params["ferry_links"][0]["tariffs"]["VIIB"] == 2_200_000
    classes = demo_client.get("/logistics/vehicle-classes").json()["vehicle_classes"]
    assert [c["code"] for c in classes] == ["pickup", "light_truck", "medium_truck", "heavy_truck"]


# -- writes: the scratch database with the demo data, and the demo graphs ---------------
@pytest.fixture
def writable(scratch_url: str, clean_engine: Engine, demo_graph_dir: Path) -> Iterator[tuple]:
    with clean_engine.connect() as conn:
        load_demo(conn)
    with clean_engine.begin() as conn:
        keys = {role: create_key(conn, role=role)[0] for role in ("viewer", "planner", "admin")}
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, keys


def test_writes_need_a_key_with_a_big_enough_role(writable):
    client, keys = writable
    for headers, status in (
        ({}, 401),
        ({"X-API-Key": "lgk_000000000000_nope"}, 401),
        ({"X-API-Key": keys["viewer"]}, 403),
    ):
        r = client.post("/shipments", json=PLAN, headers=headers)
        assert r.status_code == status, r.text
        assert r.json()["field"] == "X-API-Key"
        assert (
            client.post("/logistics/plan", json=PLAN | {"save": True}, headers=headers).status_code
            == status
        )
    put = client.put(
        "/logistics/parameters/fuel_price.solar",
        json={"value": 7000, "source": "Pertamina, Maret 2026"},
        headers={"X-API-Key": keys["planner"]},
    )
    assert put.status_code == 200 and put.json()["updated_by"]
    p = client.post("/logistics/plan", json=PLAN).json()["properties"]
    assert p["cost"]["fuel_idr"] == pytest.approx(p["cost"]["fuel_l"] * 7000, rel=1e-3)
    missing = client.put(
        "/logistics/parameters/nope",
        json={"value": 1, "source": "x y"},
        headers={"X-API-Key": keys["admin"]},
    )
    assert missing.status_code == 404
    assert "X-API-Key" in str(client.get("/openapi.json").json()["components"]["securitySchemes"])


def test_shipment_lifecycle_over_http(writable):
    client, keys = writable
    auth = {"X-API-Key": keys["planner"]}
    r = client.post("/shipments", json=PLAN | {"code": "CPN-001"}, headers=auth)
    assert r.status_code == 201, r.text
    shp = r.json()
    sid = shp["id"]
    assert shp["properties"]["status"] == "planned" and shp["geometry"]["type"] == "LineString"
    assert shp["properties"]["eta"] and shp["properties"]["cost"]["total_idr"] > 0
    assert (
        client.post("/shipments", json=PLAN | {"code": "CPN-001"}, headers=auth).status_code == 409
    )
    saved = client.post("/logistics/plan", json=PLAN | {"save": True}, headers=auth).json()
    assert saved["properties"]["shipment"]["properties"]["status"] == "planned"

    def patch(body: dict, key: str | None, **headers):
        h = auth | headers | ({"Idempotency-Key": key} if key else {})
        return client.patch(f"/shipments/{sid}", json=body, headers=h)

    assert patch({"status": "loading"}, None).json()["field"] == "Idempotency-Key"
    jump = patch({"status": "on_ferry"}, "j1")
    assert jump.status_code == 409 and jump.json()["field"] == "status"
    first = patch({"status": "loading", "position": [105.26, -5.43]}, "e1")
    assert first.status_code == 200 and first.headers["Idempotent-Replayed"] == "false"
    again = patch({"status": "loading", "position": [105.26, -5.43]}, "e1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["event"]["id"] == first.json()["event"]["id"]
    assert patch({"status": "cancelled"}, "e1").status_code == 422
    version = first.json()["shipment"]["properties"]["version"]
    assert patch({"status": "in_transit"}, "e2", **{"If-Match": "1"}).status_code == 412
    assert patch({"status": "in_transit"}, "e2", **{"If-Match": str(version)}).status_code == 200
    assert patch({"position": [105.7, -5.8], "note": "antre"}, "e3").status_code == 200
    viewer = client.patch(
        f"/shipments/{sid}",
        json={"status": "at_port"},
        headers={"X-API-Key": keys["viewer"], "Idempotency-Key": "v"},
    )
    assert viewer.status_code == 403
    one = client.get(f"/shipments/{sid}").json()
    assert one["properties"]["status"] == "in_transit"
    events = client.get(f"/shipments/{sid}/events").json()["events"]
    assert [e["to_status"] for e in events] == ["planned", "loading", "in_transit", "in_transit"]
    assert events == one["properties"]["events"]
    assert events[-1]["position"]["coordinates"] == [105.7, -5.8]
    assert client.get("/shipments/99999").status_code == 404

    listed = client.get("/shipments", params={"status": "in_transit"}).json()
    assert [f["id"] for f in listed["features"]] == [sid]
    assert client.get("/shipments", params={"market": "cipinang"}).json()["numberMatched"] == 2
    assert client.get("/shipments", params={"commodity": "jagung"}).json()["numberMatched"] == 0
    assert (
        client.get("/shipments", params={"from": "2026-03-02", "to": "2026-03-02"}).json()[
            "numberMatched"
        ]
        == 2
    )
    assert client.get("/shipments", params={"from": "2026-03-03"}).json()["numberMatched"] == 0
    assert client.get("/shipments", params={"status": "lost"}).json()["field"] == "status"
    assert client.get("/shipments", params={"to": "kemarin"}).json()["field"] == "to"
    ogc = client.get("/collections/shipments/items", params={"status": "in_transit"}).json()
    assert [f["properties"]["code"] for f in ogc["features"]] == ["CPN-001"]
    meta = client.get("/collections/shipments")
    assert meta.status_code == 200, meta.text


# The lifecycle as the README draws it, written out by hand.
LIFECYCLE = {
    "planned": ["loading", "cancelled"],
    "loading": ["in_transit", "cancelled"],
    "in_transit": ["at_port", "arrived", "cancelled"],
    "at_port": ["on_ferry", "cancelled"],
    "on_ferry": ["arrived"],
    "arrived": ["delivered"],
    "delivered": [],
    "cancelled": [],
}


def test_shipments_offer_exactly_their_allowed_next_steps(writable):
    client, keys = writable
    auth = {"X-API-Key": keys["planner"]}
    sid = client.post("/shipments", json=PLAN, headers=auth).json()["id"]
    path = ["planned", "loading", "in_transit", "at_port", "on_ferry", "arrived", "delivered"]
    for i, status in enumerate(path):
        shp = client.get(f"/shipments/{sid}").json()
        assert shp["properties"]["status"] == status
        offered = shp["properties"]["next_statuses"]
        assert offered == LIFECYCLE[status]
        # every status not offered is refused with 409 (brute force over all of them)
        for other in LIFECYCLE:
            if other not in offered:
                r = client.patch(
                    f"/shipments/{sid}",
                    json={"status": other},
                    headers=auth | {"Idempotency-Key": f"x-{status}-{other}"},
                )
                assert r.status_code == 409, (status, other, r.text)
        if i + 1 < len(path):
            r = client.patch(
                f"/shipments/{sid}",
                json={"status": path[i + 1]},
                headers=auth | {"Idempotency-Key": f"step-{i}"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["shipment"]["properties"]["next_statuses"] == LIFECYCLE[path[i + 1]]
    listed = client.get("/shipments").json()["features"]
    assert all(
        f["properties"]["next_statuses"] == LIFECYCLE[f["properties"]["status"]] for f in listed
    )


def test_key_info_says_the_role_and_never_the_key(writable):
    client, keys = writable
    assert client.get("/logistics/key").status_code == 401
    bad = client.get("/logistics/key", headers={"X-API-Key": "lgk_000000000000_nope"})
    assert bad.status_code == 401 and bad.json()["field"] == "X-API-Key"
    for role in ("viewer", "planner", "admin"):
        r = client.get("/logistics/key", headers={"X-API-Key": keys[role]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["role"] == role and body["can_write"] is (role != "viewer")
        assert keys[role] not in r.text and keys[role].startswith(f"lgk_{body['prefix']}_")
