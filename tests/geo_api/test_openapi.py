"""The OpenAPI document tells the truth: statuses, content types, shapes.

schemathesis (test_schemathesis.py) checks generated requests against the document;
these tests pin what every operation must document and check real answers of the
main endpoints against their documented models (strict: a number is a number).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from geo_api import schemas as sc

PLAN = {
    "origin": [105.26, -5.43],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 8,
    "vehicle_class": "medium_truck",
    "departure": "2026-03-02T06:00:00+07:00",
}


@pytest.fixture(scope="module")
def spec(demo_client: TestClient) -> dict[str, Any]:
    r = demo_client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in spec["paths"].items() for m, op in item.items()]


def test_every_operation_documents_its_errors(spec: dict[str, Any]) -> None:
    error_ref = "#/components/schemas/ErrorBody"
    for path, method, op in _operations(spec):
        responses = op["responses"]
        where = f"{method.upper()} {path}"
        assert "422" not in responses or (
            responses["422"]["content"]["application/json"]["schema"]["$ref"] == error_ref
        ), where  # never FastAPI's HTTPValidationError: schema errors answer 400
        assert responses["400"]["content"]["application/json"]["schema"]["$ref"] == error_ref
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in op:
            assert "413" in responses, where
        if op.get("security"):
            assert {"401", "403"} <= set(responses), where
        assert op.get("operationId"), where
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_content_types(spec: dict[str, Any]) -> None:
    def media(path: str, method: str = "get", status: str = "200") -> set[str]:
        return set(spec["paths"][path][method]["responses"][status]["content"])

    assert media("/peta") == {"text/html"}
    assert media("/peta/perencanaan") == {"text/html"}
    assert media("/coverage/stats") == {
        "application/json",
        "text/csv",
        "application/geo+json",
        "application/geopackage+sqlite3",
        "image/png",
    }
    assert media("/collections/{collection_id}/tiles/{z}/{x}/{y}") == {
        "application/vnd.mapbox-vector-tile"
    }
    assert media("/collections/{collection_id}/items") == {"application/geo+json"}
    assert media("/route") == {"application/geo+json"}
    assert media("/nearest") == {"application/geo+json"}
    assert media("/collections/{collection_id}/queryables") == {"application/schema+json"}
    assert media("/shipments", "post", "201") == {"application/json"}
    assert "/peta/classify" not in spec["paths"]


def test_parameters_are_typed(spec: dict[str, Any]) -> None:
    def param(path: str, name: str) -> dict[str, Any]:
        op = spec["paths"][path]["get"]
        return next(p for p in op["parameters"] if p["name"] == name)["schema"]

    assert (
        param("/nearest", "k")
        == {
            "type": "integer",
            "maximum": 50,
            "minimum": 1,
            "default": 3,
            "description": "how many",
            "title": "K",
        }
        or param("/nearest", "k")["type"] == "integer"
    )
    assert param("/nearest", "lon")["maximum"] == 180
    assert param("/collections/{collection_id}/items", "limit")["type"] == "integer"
    assert param("/collections/{collection_id}/items", "bbox")["type"] == "array"
    assert "puskesmas" in param("/nearest", "category")["enum"]
    assert param("/route", "from")["pattern"].startswith("^")
    # every free text refuses control characters, as the middleware does
    assert param("/peta", "lang")["anyOf"][0]["pattern"] == sc.TEXT_PATTERN


def _check(model: type[BaseModel], r: Any) -> None:
    assert r.status_code in (200, 201), r.text
    model.model_validate_json(r.content, strict=True)


def test_answers_match_their_models(demo_client: TestClient) -> None:
    c = demo_client
    _check(sc.Landing, c.get("/"))
    _check(sc.Conformance, c.get("/conformance"))
    _check(sc.Collections, c.get("/collections"))
    _check(sc.CollectionDoc, c.get("/collections/ports"))
    _check(sc.FeatureCollection, c.get("/collections/ports/items"))
    _check(sc.Feature, c.get("/collections/ports/items/1"))
    _check(sc.Feature, c.get("/collections/vehicle_classes/items/pickup"))
    _check(sc.RouteFeature, c.get("/route", params={"from": "105.26,-5.43", "to": "105.30,-5.40"}))
    _check(
        sc.NearestCollection,
        c.get("/nearest", params={"lon": 105.3, "lat": -5.4, "category": "puskesmas"}),
    )
    _check(
        sc.MatrixResult,
        c.post("/matrix", json={"sources": [[105.26, -5.43]], "targets": [[105.3, -5.4]]}),
    )
    _check(sc.Isochrones, c.get("/isochrones", params={"lon": 105.3, "lat": -5.4}))
    q = {"category": "puskesmas", "minutes": "30"}
    _check(sc.CoverageAreas, c.get("/coverage/areas", params=q))
    _check(sc.CoverageStats, c.get("/coverage/stats", params=q))
    _check(sc.CoverageAreasGeoJSON, c.get("/coverage/stats", params=q | {"f": "geojson"}))
    _check(sc.CoverageStats, c.get("/coverage/underserved", params=q))
    _check(sc.Sites, c.post("/plan/sites", json={"category": "puskesmas", "count": 2}))
    _check(sc.PlanFeature, c.post("/logistics/plan", json=PLAN))
    _check(sc.AllocationResult, c.post("/logistics/allocate", json={"month": 3, "year": 2026}))
    _check(sc.CostParameters, c.get("/logistics/parameters"))
    _check(sc.VehicleClasses, c.get("/logistics/vehicle-classes"))
    _check(sc.Shipments, c.get("/shipments"))
    png = c.get("/coverage/stats", params=q | {"f": "png"})
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    _check(sc.RoadLines, c.get("/roads", params={"limit": 5}))
    _check(sc.Health, c.get("/health"))
    error = c.get("/nearest", params={"lon": 0, "lat": 0, "category": "puskesmas"})
    assert error.status_code == 422
    sc.ErrorBody.model_validate_json(error.content, strict=True)


def test_shipment_answers_match_their_models(writable_demo_settings: Any, admin_key: str) -> None:
    from geo_api.app import create_app

    with TestClient(create_app(writable_demo_settings)) as c:
        key = {"X-API-Key": admin_key}
        made = c.post("/shipments", json=PLAN | {"code": "OAS-1"}, headers=key)
        _check(sc.ShipmentFeature, made)
        assert made.headers["location"].endswith(f"/shipments/{made.json()['id']}")
        sid = made.json()["id"]
        change = c.patch(
            f"/shipments/{sid}",
            json={"status": "loading", "position": [105.26, -5.43]},
            headers=key | {"Idempotency-Key": "oas-1"},
        )
        _check(sc.ShipmentChange, change)
        _check(sc.ShipmentFeature, c.get(f"/shipments/{sid}"))
        _check(sc.ShipmentEvents, c.get(f"/shipments/{sid}/events"))
        saved = c.post("/logistics/plan", json=PLAN | {"save": True}, headers=key)
        _check(sc.PlanFeature, saved)
        assert saved.json()["properties"]["shipment"]["properties"]["status"] == "planned"
        _check(
            sc.CostParameter,
            c.put(
                "/logistics/parameters/driver_cost_per_hour",
                json={"value": 30000, "source": "test: unchanged figure"},
                headers=key,
            ),
        )
