"""The ``vehicle_classes`` collection: a lookup table without geometry, keyed by code."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from data.reference import VEHICLE_CLASSES

URL = "/collections/vehicle_classes"


def test_collection_document_has_no_extent(scratch_client: TestClient):
    body = scratch_client.get(URL).json()
    assert body["geometryType"] is None
    assert "extent" not in body
    assert body["numberOfFeatures"] == len(VEHICLE_CLASSES)
    assert body["demo"] is False and body["sources"] == []
    listed = {c["id"]: c for c in scratch_client.get("/collections").json()["collections"]}
    assert "extent" not in listed["vehicle_classes"]


def test_items_have_null_geometry_and_code_ids(scratch_client: TestClient):
    r = scratch_client.get(f"{URL}/items")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    ids = [f["id"] for f in body["features"]]
    assert ids == sorted(v.code for v in VEHICLE_CLASSES)
    assert body["numberMatched"] == len(VEHICLE_CLASSES)
    heavy = next(f for f in body["features"] if f["id"] == "heavy_truck")
    assert heavy["geometry"] is None
    assert heavy["properties"]["payload_t"] == 20.0
    assert heavy["properties"]["ferry_class"] == "VIIB"
    assert "source" not in heavy["properties"]
    paged = scratch_client.get(f"{URL}/items", params={"limit": 1, "offset": 1}).json()
    assert [f["id"] for f in paged["features"]] == ids[1:2]
    filtered = scratch_client.get(f"{URL}/items", params={"toll_group": "I"}).json()
    assert {f["id"] for f in filtered["features"]} == {
        v.code for v in VEHICLE_CLASSES if v.toll_group == "I"
    }


def test_item_by_code(scratch_client: TestClient, clean_engine: Engine):
    r = scratch_client.get(f"{URL}/items/light_truck")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "light_truck" and body["geometry"] is None
    assert body["properties"]["name_en"] == "Light truck"
    assert {link["rel"] for link in body["links"]} == {"self", "collection"}
    for fid in ("nope", "1", "'; DROP TABLE vehicle_classes; --"):
        missing = scratch_client.get(f"{URL}/items/{fid}")
        assert missing.status_code == 404, fid
        assert missing.json()["field"] == "featureId"
    nul = scratch_client.get(f"{URL}/items/%00")  # refused at the door
    assert nul.status_code == 400 and nul.json()["field"] == "path"
    with clean_engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM vehicle_classes")).scalar_one()
    assert n == len(VEHICLE_CLASSES)


def test_bbox_and_tiles_are_rejected(scratch_client: TestClient):
    r = scratch_client.get(f"{URL}/items", params={"bbox": "105,-6,106,-5"})
    assert r.status_code == 400
    assert r.json()["field"] == "bbox"
    assert "collection has no geometry" in r.json()["description"]
    tile = scratch_client.get(f"{URL}/tiles/0/0/0")
    assert tile.status_code == 400
    assert tile.json()["field"] == "collectionId"
