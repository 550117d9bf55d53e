"""/route, /nearest and /matrix on the demo platform (demo roads, demo points, ferry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo_api.app import create_app
from geo_api.networks import network_for
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.ingest import ingest_file
from routing.network import Network

BANDAR_LAMPUNG = (105.26, -5.43)
CIPINANG = (106.885, -6.213)


def _ll(p: tuple[float, float]) -> str:
    return f"{p[0]},{p[1]}"


def test_route_farm_to_jakarta_crosses_the_ferry(demo_client: TestClient):
    r = demo_client.get(
        "/route", params={"from": _ll(BANDAR_LAMPUNG), "to": _ll(CIPINANG), "profile": "truck"}
    )
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["type"] == "Feature" and f["geometry"]["type"] == "LineString"
    p = f["properties"]
    modes = [leg["mode"] for leg in p["legs"]]
    assert modes == ["road", "ferry", "road"]
    assert sum(leg["duration_s"] for leg in p["legs"]) == pytest.approx(p["duration_s"], abs=0.5)
    assert sum(leg["distance_m"] for leg in p["legs"]) == pytest.approx(p["distance_m"], abs=1)
    ferry = p["legs"][1]
    # 120 min crossing + half the headway of 27 departures a day
    assert ferry["duration_s"] == pytest.approx((120 + 24 * 60 / 27 / 2) * 60, rel=1e-3)
    assert any("Trans-Sumatera" in n for n in p["street_names"])
    first, last = f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][-1]
    assert first == pytest.approx([p["snap"]["from"]["lon"], p["snap"]["from"]["lat"]])
    assert last == pytest.approx([p["snap"]["to"]["lon"], p["snap"]["to"]["lat"]])


def test_motorcycles_avoid_toll_roads(demo_client: TestClient):
    moto = demo_client.get(
        "/route", params={"from": _ll(BANDAR_LAMPUNG), "to": _ll(CIPINANG), "profile": "motorcycle"}
    ).json()["properties"]
    assert not any(n.startswith("Jalan Tol") for n in moto["street_names"])
    assert [leg["mode"] for leg in moto["legs"]] == ["road", "ferry", "road"]


def test_nearest_matches_brute_force(demo_client: TestClient, demo_url: str):
    origin = (105.30, -5.40)
    body = demo_client.get(
        "/nearest", params={"lon": origin[0], "lat": origin[1], "category": "puskesmas", "k": 5}
    ).json()
    assert body["numberReturned"] == 5
    durations = [f["properties"]["duration_s"] for f in body["features"]]
    assert durations == sorted(durations)
    # brute force: a route to every puskesmas
    engine = create_engine(demo_url.replace("+psycopg", "+psycopg"))
    with engine.connect() as conn:
        pts = conn.execute(
            text(
                "SELECT id, ST_X(geom), ST_Y(geom) FROM service_points WHERE category = 'puskesmas'"
            )
        ).all()
    engine.dispose()
    times = []
    for pid, x, y in pts:
        r = demo_client.get("/route", params={"from": _ll(origin), "to": f"{x},{y}"})
        if r.status_code == 200:
            times.append((r.json()["properties"]["duration_s"], pid))
    times.sort()
    assert [t for t, _ in times[:5]] == pytest.approx(durations, abs=0.2)
    assert {f["id"] for f in body["features"]} == {pid for _, pid in times[:5]}
    top = body["features"][0]["properties"]
    assert {"name", "address", "opening_hours", "route", "distance_m", "demo"} <= set(top)
    assert top["route"]["type"] == "LineString"


def test_nearest_note_when_no_point_is_on_the_network(
    scratch_url: str, clean_engine, demo_graph_dir: Path, tmp_path: Path
):
    path = tmp_path / "far.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Pos Papua", "category": "polisi"},
                        "geometry": {"type": "Point", "coordinates": [138.0, -4.0]},
                    }
                ],
            }
        )
    )
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="points")
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    with TestClient(create_app(settings)) as client:
        body = client.get(
            "/nearest", params={"lon": 105.3, "lat": -5.4, "category": "polisi"}
        ).json()
        empty = client.get(
            "/nearest", params={"lon": 105.3, "lat": -5.4, "category": "samsat"}
        ).json()
    assert body["numberReturned"] == 0 and body["off_network_points"] == 1
    assert "within 2000 m of a road" in body["note"]
    assert empty["numberReturned"] == 0 and "no samsat points" in empty["note"]


def test_matrix(demo_client: TestClient):
    pts = [[105.26, -5.43], [105.31, -5.11], [106.885, -6.213]]
    r = demo_client.post("/matrix", json={"sources": pts, "targets": pts, "profile": "car"})
    assert r.status_code == 200, r.text
    m = r.json()["durations_s"]
    assert len(m) == 3 and all(len(row) == 3 for row in m)
    assert all(m[i][i] == pytest.approx(0, abs=1) for i in range(3))
    one = demo_client.get(
        "/route", params={"from": "105.26,-5.43", "to": "106.885,-6.213", "profile": "car"}
    ).json()["properties"]["duration_s"]
    assert m[0][2] == pytest.approx(one, abs=0.2)


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        (
            "/route",
            {"from": "105.26,-5.43", "to": "106.885,-6.213", "profile": "horse"},
            400,
            "profile",
        ),
        ("/route", {"from": "105.26", "to": "106.885,-6.213"}, 400, "from"),
        ("/route", {"from": "abc,def", "to": "106.885,-6.213"}, 400, "from"),
        ("/route", {"from": "105.26,-95", "to": "106.885,-6.213"}, 400, "from"),
        ("/route", {"from": "100.0,-1.0", "to": "106.885,-6.213"}, 422, "from"),
        ("/route", {"from": "105.26,-5.43"}, 400, "to"),
        ("/nearest", {"lon": 105.3, "lat": -5.4, "category": "puskesmas", "k": 0}, 400, "k"),
        ("/nearest", {"lon": 105.3, "lat": -5.4, "category": "puskesmas", "k": 51}, 400, "k"),
        ("/nearest", {"lon": 105.3, "lat": -5.4, "category": "puskesmas", "k": "x"}, 400, "k"),
        ("/nearest", {"lon": 105.3, "lat": -5.4, "category": "bakery"}, 400, "category"),
        ("/nearest", {"lon": "abc", "lat": -5.4, "category": "puskesmas"}, 400, "lon"),
        ("/nearest", {"lon": 97.0, "lat": 2.0, "category": "puskesmas"}, 422, "lon"),
    ],
)
def test_bad_routing_input(demo_client: TestClient, path, params, status, field):
    r = demo_client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert "Traceback" not in r.text


def test_off_network_message_has_distance(demo_client: TestClient):
    body = demo_client.get("/route", params={"from": "100.0,-1.0", "to": "106.885,-6.213"}).json()
    assert "m" in body["description"] and "2000" in body["description"]


def test_matrix_cap_and_bad_body(demo_client: TestClient):
    many = [[105.26, -5.43]] * 101
    r = demo_client.post("/matrix", json={"sources": many, "targets": many})
    assert r.status_code == 400 and r.json()["field"] == "targets"
    assert "cap" in r.json()["description"]
    r = demo_client.post("/matrix", json={"sources": [[1, 2, 3]], "targets": [[105.26, -5.43]]})
    assert r.status_code == 400 and r.json()["field"].startswith("sources")
    r = demo_client.post("/matrix", json={"sources": [], "targets": [[105.26, -5.43]]})
    assert r.status_code == 400
    r = demo_client.post("/matrix", json={"sources": [[105.26, -95]], "targets": [[105.26, -5.43]]})
    assert r.status_code == 400 and r.json()["field"] == "sources.0.1"


def test_unbuilt_profile_is_503(demo_settings, demo_client: TestClient):
    networks: dict[str, Network] = demo_client.app.state.networks  # type: ignore[attr-defined]
    saved = networks.pop("walk")
    try:
        r = demo_client.get(
            "/route", params={"from": "105.26,-5.43", "to": "105.3,-5.4", "profile": "walk"}
        )
        assert r.status_code == 503 and "lampung-geo graph build" in r.json()["description"]
    finally:
        networks["walk"] = saved
    assert network_for(networks, "walk") is saved
