"""/metrics (Prometheus, per app), request ids and the JSON access log."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from geo_api.app import create_app
from geo_api.observability import configure_logging
from geo_api.settings import OpsSettings, Settings
from routing.compiled import load_compiled
from tests.geo_api.live import metric_value


@pytest.fixture
def fresh(demo_settings: Settings) -> Iterator[TestClient]:
    """A new demo app: its counters start at zero."""
    with TestClient(create_app(demo_settings), raise_server_exceptions=False) as client:
        yield client


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out.append((dict(s.labels), float(s.value)))
    return out


def test_requests_are_counted_per_route_template(fresh: TestClient):
    paths = [
        "/collections/service_points/items?limit=3",
        "/collections/service_points/items?limit=4&offset=2",
        "/collections/admin_areas/items?limit=1",
        "/collections/service_points/items/1",
        "/route?from=105.26,-5.43&to=105.3,-5.4",
        "/no/such/page",
    ]
    for p in paths:
        fresh.get(p)
    text = fresh.get("/metrics").text
    counts = {
        (labels["route"], labels["status"]): v
        for labels, v in _samples(text, "lampung_geo_http_requests_total")
    }
    assert counts[("/collections/{collection_id}/items", "200")] == 3
    assert counts[("/collections/{collection_id}/items/{feature_id}", "200")] == 1
    assert counts[("/route", "200")] == 1
    assert counts[("<unmatched>", "404")] == 1
    routes = {route for route, _ in counts}
    assert not any("service_points" in r or "?" in r for r in routes)  # never a raw path
    latency = {
        labels["route"]: v
        for labels, v in _samples(text, "lampung_geo_http_request_duration_seconds_count")
    }
    assert latency["/collections/{collection_id}/items"] == 3
    assert metric_value(text, "lampung_geo_http_requests_in_flight") == 1  # the scrape itself


def test_state_gauges_match_what_the_app_holds(fresh: TestClient, demo_settings: Settings):
    tile = "/collections/service_points/tiles/10/811/527"
    assert fresh.get(tile).status_code == 200  # built: a miss
    assert fresh.get(tile).status_code == 200  # from memory: a hit
    text = fresh.get("/metrics").text
    assert metric_value(text, "lampung_geo_cache_misses_total", cache="tiles") == 1
    assert metric_value(text, "lampung_geo_cache_hits_total", cache="tiles") == 1
    assert metric_value(text, "lampung_geo_cache_hit_ratio", cache="tiles") == 0.5
    assert metric_value(text, "lampung_geo_cache_entries", cache="tiles") == 1
    assert metric_value(text, "lampung_geo_cache_bytes", cache="tiles") > 0
    assert {labels["cache"] for labels, _ in _samples(text, "lampung_geo_cache_entries")} == {
        "stamps",
        "facilities",
        "coverage",
        "roads",
        "tiles",
    }
    graph_dir = demo_settings.routing.graph_dir
    for profile in ("motorcycle", "car", "truck", "walk"):
        cg = load_compiled(graph_dir / f"{profile}.npz")  # read again, apart from the app
        assert metric_value(text, "lampung_geo_graph_nodes", profile=profile) == cg.n_nodes
        assert metric_value(text, "lampung_geo_graph_edges", profile=profile) == cg.n_edges
    assert metric_value(text, "lampung_geo_db_pool_checked_out") == 0
    assert metric_value(text, "lampung_geo_db_pool_size") == demo_settings.database.pool_size
    for gate in ("db", "analysis", "search"):
        assert metric_value(text, "lampung_geo_admission_slots", gate=gate) >= 1
        assert metric_value(text, "lampung_geo_admission_in_use", gate=gate) == 0
        assert metric_value(text, "lampung_geo_admission_waiting", gate=gate) == 0
    assert metric_value(text, "lampung_geo_admission_admitted_total", gate="db") == 1
    assert text.startswith("# HELP")
    assert fresh.get("/metrics").headers["content-type"].startswith("text/plain")


def test_each_app_has_its_own_registry(fresh: TestClient, demo_settings: Settings):
    def count(client: TestClient) -> float:
        return metric_value(
            client.get("/metrics").text,
            "lampung_geo_http_requests_total",
            method="GET",
            route="/health/live",
            status="200",
        )

    for _ in range(3):
        fresh.get("/health/live")
    with TestClient(create_app(demo_settings)) as other:
        assert count(other) == 0  # nothing leaks from the first app
        other.get("/health/live")
        assert count(other) == 1
    assert count(fresh) == 3


def test_request_ids(fresh: TestClient):
    generated = fresh.get("/health/live").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert fresh.get("/health/live").headers["X-Request-ID"] != generated
    sane = "req-2026.03.02:abc_1"
    assert fresh.get("/health/live", headers={"X-Request-ID": sane}).headers["X-Request-ID"] == sane
    for insane in (b"a b", b"x" * 129, "évil".encode("latin-1"), b"id;x", b""):
        got = fresh.get("/collections/nope", headers={"X-Request-ID": insane})
        assert got.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", got.headers["X-Request-ID"]), insane


def test_one_json_log_line_per_request_without_query_or_key(fresh: TestClient):
    stream = io.StringIO()
    handler = configure_logging(OpsSettings(log_json=True, log_level="INFO"), stream=stream)
    logger = logging.getLogger("lampung_geo")
    try:
        fresh.get(
            "/collections/service_points/items?bbox=105,-5.6,105.5,-5.2&name=Secret",
            headers={"X-Request-ID": "log-test-1", "X-API-Key": "lgk_abcdefabcdef_secretkey"},
        )
        fresh.get("/route?from=105.26,-5.43&to=105.3,-5.4")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [r for r in lines if r["logger"] == "lampung_geo.access"]
    assert len(access) == 2
    first = access[0]
    assert {"time", "request_id", "method", "route", "status", "duration_ms", "client"} <= set(
        first
    )
    assert first["request_id"] == "log-test-1"
    assert first["route"] == "/collections/{collection_id}/items"
    assert first["path"] == "/collections/service_points/items"
    assert first["method"] == "GET" and first["status"] == 200
    assert first["duration_ms"] >= 0
    raw = stream.getvalue()
    for secret in ("Secret", "bbox", "105.26", "lgk_", "secretkey"):
        assert secret not in raw


def test_an_unexpected_error_is_a_counted_500_with_a_request_id(demo_settings: Settings):
    app = create_app(demo_settings)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-only/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/test-only/boom", headers={"X-Request-ID": "boom-1"})
        assert r.status_code == 500
        assert r.headers["X-Request-ID"] == "boom-1"
        assert r.json()["description"] == "internal server error"
        assert "a bug" not in r.text
        text = client.get("/metrics").text
    assert (
        metric_value(text, "lampung_geo_http_requests_total", route="/test-only/boom", status="500")
        == 1
    )
