"""``GET /search`` over the demo: typo tolerance, ranking, empty answers, bounds.

Oracles: the demo's kecamatan and kantor camat as the OGC API lists them (another code
path), and distances from pyproj's geodesic.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod

from geo_api import schemas as sc

ORDER = {"exact": 4, "prefix": 3, "word": 2, "similar": 1}


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    sc.PlaceResults.model_validate_json(r.content, strict=True)
    body: dict[str, Any] = r.json()
    return body


def _items(client: TestClient, collection: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"/collections/{collection}/items", params={"limit": 10_000, **params})
    assert r.status_code == 200
    feats: list[dict[str, Any]] = r.json()["features"]
    return feats


def test_a_typo_finds_sukarame(demo_client: TestClient) -> None:
    body = _search(demo_client, q="Sukarme")
    first = body["features"][0]
    props = first["properties"]
    assert (props["name"], props["kind"], props["match"]) == ("Sukarame", "kecamatan", "similar")
    assert props["kabupaten"] == "Kota Bandar Lampung" and props["demo"] is True
    # its point is its kantor camat, as the OGC API lists it
    camat = [
        f
        for f in _items(demo_client, "service_points", category="kantor_camat")
        if f["properties"]["name"] == "Kantor Camat Sukarame (demo)"
    ]
    assert len(camat) == 1
    assert first["geometry"]["coordinates"] == pytest.approx(
        camat[0]["geometry"]["coordinates"], abs=1e-6
    )
    area = next(
        f
        for f in _items(demo_client, "admin_areas", level="kecamatan")
        if f["id"] == props["feature_id"]
    )
    assert area["properties"]["name"] == "Sukarame"
    assert first["id"] == f"admin_areas.{props['feature_id']}"


def test_ranking(demo_client: TestClient) -> None:
    body = _search(demo_client, q="sukarame", limit=20)
    feats = body["features"]
    assert body["numberReturned"] == len(feats) >= 9  # the kecamatan and 8 offices
    assert feats[0]["properties"]["match"] == "exact"
    classes = [ORDER[f["properties"]["match"]] for f in feats]
    assert classes == sorted(classes, reverse=True)
    names = [f["properties"]["name"] for f in feats]
    assert "Puskesmas Sukarame (demo)" in names and "Kantor Camat Sukarame (demo)" in names
    assert body["query"] == "sukarame"


def test_near_orders_equal_matches_by_distance(demo_client: TestClient) -> None:
    pkm = _items(demo_client, "service_points", category="puskesmas")
    target = next(f for f in pkm if f["properties"]["name"] == "Puskesmas Kedaton (demo)")
    lon, lat = target["geometry"]["coordinates"]
    body = _search(demo_client, q="puskesmas", near=f"{lon},{lat}", limit=5)
    first = body["features"][0]["properties"]
    assert first["name"] == "Puskesmas Kedaton (demo)"
    assert first["distance_m"] == pytest.approx(0, abs=0.5)
    geod = Geod(ellps="WGS84")
    for f in body["features"]:
        x, y = f["geometry"]["coordinates"]
        assert f["properties"]["distance_m"] == pytest.approx(geod.inv(lon, lat, x, y)[2], abs=1)
    far = _search(demo_client, q="puskesmas", limit=5)["features"]
    assert all(f["properties"]["distance_m"] is None for f in far)


def test_nothing_found(demo_client: TestClient) -> None:
    body = _search(demo_client, q="qxqzzv")
    assert body == {
        "type": "FeatureCollection",
        "query": "qxqzzv",
        "numberReturned": 0,
        "features": [],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "a"}, "q"),
        ({"q": " a "}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "ab\x00"}, "q"),
        ({"q": "Sukarame", "limit": 21}, "limit"),
        ({"q": "Sukarame", "limit": 0}, "limit"),
        ({"q": "Sukarame", "near": "200,0"}, "near"),
        ({"q": "Sukarame", "near": "105.3"}, "near"),
        ({}, "q"),
    ],
)
def test_bad_requests_name_the_field(
    demo_client: TestClient, params: dict[str, Any], field: str
) -> None:
    r = demo_client.get("/search", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] in ("InvalidParameter", "BadCharacter")
    assert body["field"] == field


def test_documented(demo_client: TestClient) -> None:
    op = demo_client.get("/openapi.json").json()["paths"]["/search"]["get"]
    assert op["operationId"] == "searchPlaces"
    assert set(op["responses"]) >= {"200", "400", "503"}
    assert set(op["responses"]["200"]["content"]) == {"application/geo+json"}
    q = next(p for p in op["parameters"] if p["name"] == "q")["schema"]
    assert (q["minLength"], q["maxLength"]) == (2, 100)
