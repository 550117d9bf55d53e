"""Admission gates: bounded waiting without threads, 503 + Retry-After, one connection
per request, and requests without database never waiting behind database ones."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from geo_api.admission import Admission, Gate
from geo_api.app import create_app
from geo_api.errors import OverloadedError
from geo_api.settings import AdmissionSettings, DatabaseSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.demo import load_demo
from tests.geo_api.live import metric_value

PLAN = {
    "origin": [105.26, -5.43],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 30,
    "vehicle_class": "heavy_truck",
    "departure": "2026-03-02T06:00:00+07:00",
}


# -- the gate itself -------------------------------------------------------------------
def test_gate_admits_its_slots_then_queues_in_order_then_refuses():
    async def scenario() -> list[str]:
        gate = Gate("db", slots=2, queue=2, wait_s=5.0, retry_after_s=7)
        events: list[str] = []
        await gate.acquire()
        await gate.acquire()
        assert (gate.in_use, gate.waiting) == (2, 0)

        async def waiter(name: str) -> None:
            await gate.acquire()
            events.append(name)

        a = asyncio.create_task(waiter("a"))
        await asyncio.sleep(0)
        b = asyncio.create_task(waiter("b"))
        await asyncio.sleep(0)
        assert gate.waiting == 2
        with pytest.raises(OverloadedError) as refused:  # the line is full: at once
            await gate.acquire()
        assert refused.value.retry_after == 7
        assert "2 requests are already waiting for a database connection" in refused.value.reason
        gate.release()  # hands the slot to the first in line
        await a
        gate.release()
        await b
        assert events == ["a", "b"]
        assert (gate.in_use, gate.waiting) == (2, 0)
        gate.release()
        gate.release()
        assert gate.in_use == 0
        assert gate.stats()["rejected"] == {"queue_full": 1, "wait_timeout": 0, "client_gone": 0}
        return events

    assert asyncio.run(scenario()) == ["a", "b"]


def test_gate_wait_is_bounded_and_a_departed_client_leaves_the_line():
    async def scenario() -> None:
        gate = Gate("analysis", slots=1, queue=5, wait_s=0.05)
        await gate.acquire()
        with pytest.raises(OverloadedError) as late:
            await gate.acquire()
        assert "no analysis worker became free within 0.05 s" in late.value.reason
        assert gate.waiting == 0  # the one that gave up is no longer in line

        gone = asyncio.Event()
        task = asyncio.create_task(gate.acquire(gone=gone.wait, wait_s=10.0))
        await asyncio.sleep(0.01)
        assert gate.waiting == 1
        gone.set()
        with pytest.raises(OverloadedError, match="disconnected"):
            await task
        assert gate.waiting == 0
        gate.release()  # nobody waits: the slot is free again
        assert gate.in_use == 0
        await gate.acquire()  # and can be taken at once
        assert gate.stats()["rejected"]["client_gone"] == 1

    asyncio.run(scenario())


def test_gate_sizes_come_from_the_settings_and_bad_ones_are_refused():
    db = DatabaseSettings(database_url="postgresql://x", pool_size=3)
    a = Admission.from_settings(AdmissionSettings(db_slots=0, analysis_slots=1, search_slots=2), db)
    assert a.db.slots <= 6  # never more than the pool serves
    with pytest.raises(ValueError, match="exceeds the 6 connections"):
        Admission.from_settings(AdmissionSettings(db_slots=7), db)
    with pytest.raises(ValueError, match="more slots than the analysis gate"):
        Admission.from_settings(AdmissionSettings(db_slots=2, analysis_slots=2), db)
    with pytest.raises(ValueError, match="LAMPUNG_GEO_ADMISSION_THREADS"):
        Admission.from_settings(
            AdmissionSettings(db_slots=6, analysis_slots=2, search_slots=2, threads=12), db
        )


# -- in the app ------------------------------------------------------------------------
@pytest.fixture
def gated(demo_settings: Settings) -> Iterator[TestClient]:
    """The demo app with 2 database slots, a line of 1 and a short wait."""
    settings = Settings(
        database=demo_settings.database,
        routing=demo_settings.routing,
        admission=AdmissionSettings(
            db_slots=2, analysis_slots=1, db_queue=1, db_wait_s=20.0, retry_after_s=3
        ),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_database_requests_wait_for_a_slot_while_others_are_answered(gated: TestClient):
    gate: Gate = gated.app.state.admission.db  # type: ignore[attr-defined]
    portal = gated.portal
    assert portal is not None
    for _ in range(gate.slots):  # every database slot is taken (e.g. by slow queries)
        portal.call(gate.acquire)
    answers: list[int] = []
    waiting = threading.Thread(
        target=lambda: answers.append(gated.get("/collections/service_points/items").status_code)
    )
    waiting.start()
    deadline = time.monotonic() + 30
    while gate.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.waiting == 1 and answers == []
    # requests that need no database are answered meanwhile, without waiting
    assert gated.get("/route?from=105.26,-5.43&to=105.3,-5.4").status_code == 200
    assert gated.get("/health/live").status_code == 200
    assert gated.get("/static/app/citizen.js").status_code == 200
    metrics = gated.get("/metrics").text
    assert metric_value(metrics, "lampung_geo_admission_waiting", gate="db") == 1
    assert metric_value(metrics, "lampung_geo_admission_in_use", gate="db") == 2
    # the line is full: the next database request is refused at once, with Retry-After
    refused = gated.get("/collections")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "3"
    body = refused.json()
    assert body["code"] == "Overloaded"
    assert "waiting for a database connection" in body["description"]
    ready = gated.get("/health/ready")
    assert ready.status_code == 503 and "busy" in ready.json()["database"]["reason"]
    portal.call(gate.release)  # a slot frees: the waiting request goes through
    waiting.join(30)
    assert answers == [200]
    portal.call(gate.release)
    assert gate.in_use == 0 and gate.waiting == 0
    assert gated.get("/collections").status_code == 200


def test_a_wait_longer_than_the_setting_is_a_503(demo_settings: Settings):
    settings = Settings(
        database=demo_settings.database,
        routing=demo_settings.routing,
        admission=AdmissionSettings(db_slots=2, analysis_slots=1, db_queue=10, db_wait_s=0.2),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        gate: Gate = client.app.state.admission.db  # type: ignore[attr-defined]
        assert client.portal is not None
        for _ in range(gate.slots):
            client.portal.call(gate.acquire)
        r = client.get("/collections/service_points/items")
        assert r.status_code == 503 and "Retry-After" in r.headers
        assert "within 0.2 s" in r.json()["description"]
        for _ in range(gate.slots):
            client.portal.call(gate.release)
        assert client.get("/collections/service_points/items").status_code == 200


def test_a_pool_timeout_is_a_503_not_a_500(demo_settings: Settings):
    """Connections held outside admission (another tool in the process): the pool's
    timeout answers 503 with Retry-After."""
    settings = Settings(
        database=DatabaseSettings(
            database_url=demo_settings.database.database_url, pool_size=1, pool_timeout_s=0.3
        ),
        routing=demo_settings.routing,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
        held = [engine.connect(), engine.connect()]  # pool_size 1 + overflow 1: all of it
        try:
            r = client.get("/collections")
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"]
            assert r.json()["code"] == "DatabaseUnavailable"
            assert "busy" in r.json()["description"]
        finally:
            for conn in held:
                conn.close()
        assert client.get("/collections").status_code == 200


# -- one connection per request, always admitted -----------------------------------------
@pytest.fixture
def writable(scratch_url: str, clean_engine: Engine, demo_graph_dir: Path):
    with clean_engine.connect() as conn:
        load_demo(conn)
    with clean_engine.begin() as conn:
        key = create_key(conn, role="planner")[0]
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, key


def _checkouts(engine: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "checkout", lambda *_: seen.append(1))
    return seen


def test_every_request_uses_one_admitted_connection(writable):
    client, key = writable
    auth = {"X-API-Key": key}
    engine: Engine = client.app.state.engine
    seen = _checkouts(engine)

    def one(method: str, path: str, status: int, **kw) -> None:
        seen.clear()
        r = client.request(method, path, **kw)
        assert r.status_code == status, (path, r.text)
        assert len(seen) == 1, f"{method} {path} took {len(seen)} connections"

    # a plan that is saved: key check, plan reads and the insert on one connection
    one("POST", "/logistics/plan", 200, json=PLAN | {"save": True}, headers=auth)
    one("POST", "/shipments", 201, json=PLAN | {"code": "ONE-1"}, headers=auth)
    sid = client.get("/shipments").json()["features"][0]["id"]
    one(
        "PATCH",
        f"/shipments/{sid}",
        200,
        json={"status": "loading"},
        headers=auth | {"Idempotency-Key": "k1"},
    )
    one(
        "PUT",
        "/logistics/parameters/fuel_price.solar",
        200,
        json={"value": 7000, "source": "Pertamina, Maret 2026"},
        headers=auth,
    )
    one("GET", "/collections/service_points/tiles/10/811/527", 200)
    one("GET", "/health/ready", 200)
    one("GET", "/collections/service_points/items?limit=5", 200)
    one("GET", "/nearest?lon=105.26&lat=-5.43&category=puskesmas", 200)
    one("GET", "/coverage/stats?category=puskesmas&minutes=30", 200)
    one("GET", "/peta", 200)
    # a write that fails is rolled back: the shipment stays as it was
    before = client.get(f"/shipments/{sid}").json()["properties"]["version"]
    jump = client.patch(
        f"/shipments/{sid}", json={"status": "delivered"}, headers=auth | {"Idempotency-Key": "x"}
    )
    assert jump.status_code == 409
    assert client.get(f"/shipments/{sid}").json()["properties"]["version"] == before
    # no key: refused before any database slot or connection
    seen.clear()
    assert client.post("/shipments", json=PLAN).status_code == 401
    assert seen == []
    metrics = client.get("/metrics").text
    assert metric_value(metrics, "lampung_geo_db_checkouts_unadmitted_total") == 0
    assert metric_value(metrics, "lampung_geo_db_pool_checked_out") == 0
    assert metric_value(metrics, "lampung_geo_admission_in_use", gate="db") == 0


def test_a_connection_taken_without_a_slot_is_counted(demo_client: TestClient):
    """The safety net itself: a check-out outside admission shows in the metrics."""
    engine: Engine = demo_client.app.state.engine  # type: ignore[attr-defined]

    def count() -> float:
        return metric_value(
            demo_client.get("/metrics").text, "lampung_geo_db_checkouts_unadmitted_total"
        )

    before = count()
    with engine.connect():
        pass
    assert count() == before + 1
