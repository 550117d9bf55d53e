"""OGC API – Features endpoints over a real PostGIS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from layers.ingest import ingest_file

GEOJSON = "application/geo+json"


@pytest.fixture
def loaded(scratch_client: TestClient, clean_engine: Engine, tmp_path: Path) -> TestClient:
    """25 points on a 5x5 grid (0.01° apart) around Bandar Lampung, two categories."""
    feats = []
    for i in range(5):
        for j in range(5):
            cat = "puskesmas" if (i + j) % 2 == 0 else "polisi"
            feats.append(
                {
                    "type": "Feature",
                    "properties": {
                        "name": f"P{i}{j}",
                        "category": cat,
                        "id": f"{i}{j}",
                        "capacity": i * 10,
                    },
                    "geometry": {
                        "type": "Point",
                        "coordinates": [105.20 + i * 0.01, -5.40 - j * 0.01],
                    },
                }
            )
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="points")
    return scratch_client


def test_landing_page_links(scratch_client: TestClient):
    body = scratch_client.get("/").json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"].endswith("/openapi.json")
    assert scratch_client.get("/openapi.json").status_code == 200
    docs = scratch_client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]


def test_conformance(scratch_client: TestClient):
    classes = scratch_client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_collections_list_and_one(loaded: TestClient):
    body = loaded.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == [
        "service_points",
        "admin_areas",
        "farms",
        "markets",
        "ports",
        "ferry_links",
        "shipments",
        "vehicle_classes",
        "reports",
        "price_markets",
    ]
    sp = loaded.get("/collections/service_points").json()
    assert sp["itemType"] == "feature"
    assert sp["numberOfFeatures"] == 25
    assert sp["demo"] is False
    assert sp["extent"]["spatial"]["bbox"][0] == pytest.approx([105.20, -5.44, 105.24, -5.40])
    assert any(link["rel"] == "items" and link["type"] == GEOJSON for link in sp["links"])
    empty = loaded.get("/collections/farms").json()
    assert "extent" not in empty and empty["numberOfFeatures"] == 0


def test_items_paging(loaded: TestClient):
    r = loaded.get("/collections/service_points/items", params={"limit": 10, "offset": 10})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(GEOJSON)
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 25 and body["numberReturned"] == 10
    assert len(body["features"]) == 10
    ids = [f["id"] for f in body["features"]]
    assert ids == sorted(ids)
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "offset=20" in links["next"] and "offset=0" in links["prev"]
    last = loaded.get(links["next"].replace("http://testserver", "")).json()
    assert last["numberReturned"] == 5 and "next" not in {link["rel"] for link in last["links"]}
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert {"name", "category", "source", "demo", "capacity"} <= set(feature["properties"])


def test_items_default_limit_is_100(loaded: TestClient):
    body = loaded.get("/collections/service_points/items").json()
    assert body["numberReturned"] == 25
    assert "next" not in {link["rel"] for link in body["links"]}


def test_items_bbox_and_property_filters(loaded: TestClient, clean_engine: Engine):
    bbox = "105.205,-5.425,105.235,-5.395"
    body = loaded.get("/collections/service_points/items", params={"bbox": bbox}).json()
    got = sorted(f["properties"]["name"] for f in body["features"])
    # i in 1..3, j in 0..2
    assert got == sorted(f"P{i}{j}" for i in (1, 2, 3) for j in (0, 1, 2))
    with clean_engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM service_points WHERE ST_Intersects(geom, "
                "ST_MakeEnvelope(105.205,-5.425,105.235,-5.395,4326)) AND category='puskesmas'"
            )
        ).scalar()
    both = loaded.get(
        "/collections/service_points/items", params={"bbox": bbox, "category": "puskesmas"}
    ).json()
    assert both["numberMatched"] == expected == 4
    assert {f["properties"]["category"] for f in both["features"]} == {"puskesmas"}
    cap = loaded.get("/collections/service_points/items", params={"capacity": "20"}).json()
    assert cap["numberMatched"] == 5


def test_single_item_and_not_found(loaded: TestClient):
    first = loaded.get("/collections/service_points/items", params={"limit": 1}).json()["features"][
        0
    ]
    r = loaded.get(f"/collections/service_points/items/{first['id']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(GEOJSON)
    assert r.json()["properties"]["name"] == first["properties"]["name"]
    assert {link["rel"] for link in r.json()["links"]} == {"self", "collection"}
    for fid in ("999999", "abc", "99999999999999999999999"):
        missing = loaded.get(f"/collections/service_points/items/{fid}")
        assert missing.status_code == 404
        assert missing.json()["field"] == "featureId"


def test_queryables(loaded: TestClient):
    body = loaded.get("/collections/service_points/queryables").json()
    assert body["properties"]["category"]["type"] == "string"
    assert body["properties"]["capacity"]["type"] == "integer"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"bbox": "1,2,3"}, "bbox", "4 numbers"),
        ({"bbox": "105,-4,106,-5"}, "bbox", "inverted"),
        ({"bbox": "105,-6,106,-95"}, "bbox", "latitude"),
        ({"bbox": "105,-6,200,-5"}, "bbox", "longitude"),
        ({"bbox": "a,b,c,d"}, "bbox", "numbers"),
        ({"bbox": "nan,1,2,3"}, "bbox", "finite"),
        ({"limit": "10001"}, "limit", "between 1 and 10000"),
        ({"limit": "0"}, "limit", "between"),
        ({"limit": "ten"}, "limit", "integer"),
        ({"offset": "-1"}, "offset", "between"),
        ({"capacity": "lots"}, "capacity", "integer"),
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"f": "html"}, "f", "unsupported format"),
        ({"datetime": "2024-01-01"}, "datetime", "temporal"),
    ],
)
def test_bad_parameters_give_400_naming_the_field(loaded: TestClient, params, field, words):
    r = loaded.get("/collections/service_points/items", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["field"] == field
    assert words in body["description"]
    assert "Traceback" not in r.text


def test_bbox_crossing_the_antimeridian(loaded: TestClient, clean_engine: Engine):
    """minx > maxx is a box across the antimeridian (OGC API - Features), not an error."""
    # from 105.225 east round the world to 105.215: every grid point but those between
    r = loaded.get("/collections/service_points/items", params={"bbox": "105.225,-6,105.215,-5"})
    assert r.status_code == 200, r.text
    got = sorted(f["properties"]["name"] for f in r.json()["features"])
    with clean_engine.connect() as conn:
        want = sorted(
            conn.execute(
                text(
                    "SELECT name FROM service_points WHERE ST_X(geom) >= 105.225 "
                    "OR ST_X(geom) <= 105.215"
                )
            ).scalars()
        )
    assert got == want and len(want) == 20  # the 5 points at lon 105.22 are left out


def test_unknown_collection_is_404_json(scratch_client: TestClient):
    for path in ("/collections/nope", "/collections/nope/items", "/collections/nope/items/1"):
        r = scratch_client.get(path)
        assert r.status_code == 404
        assert r.json()["field"] == "collectionId"
    r = scratch_client.get("/no/such/path")
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_odd_inputs_never_give_500(loaded: TestClient):
    odd = [
        "",
        " ",
        "%00",
        "'; DROP TABLE service_points; --",
        "1e309",
        "-0",
        "٣",
        "💥" * 50,
        "1,2,3,4,5,6",
        "0,0,0,0",
    ]
    for value in odd:
        for name in ("bbox", "limit", "offset", "category", "capacity", "name"):
            r = loaded.get("/collections/service_points/items", params={name: value})
            assert r.status_code in (200, 400), (name, value, r.status_code, r.text)
    assert loaded.get("/collections/service_points").json()["numberOfFeatures"] == 25
