"""Shipment lifecycle on the real scratch database: transitions, idempotency, concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from layers.apikeys import create_key, list_keys, revoke_key, verify_key
from layers.errors import InvalidParameterError
from layers.shipments import (
    MOVING,
    TRANSITIONS,
    IdempotencyMismatchError,
    IllegalTransitionError,
    ShipmentConflictError,
    VersionMismatchError,
    allowed,
    apply_event,
    create_shipment,
    list_events,
    list_shipments,
)
from layers.writer import SourceInfo, upsert_rows

HAPPY = ["loading", "in_transit", "at_port", "on_ferry", "arrived", "delivered"]


def _market(engine: Engine) -> int:
    with engine.begin() as conn:
        upsert_rows(
            conn,
            "markets",
            SourceInfo("test", "test markets"),
            [
                {
                    "name": "Pasar Uji",
                    "source_id": "uji",
                    "demand_t_per_month": {"padi": 100.0},
                    "geom": "SRID=4326;POINT(106.884 -6.213)",
                }
            ],
        )
        return int(conn.execute(text("SELECT id FROM markets")).scalar_one())


def _shipment(engine: Engine, market_id: int, **kw) -> int:
    with engine.begin() as conn:
        row = create_shipment(
            conn,
            commodity=kw.get("commodity", "padi"),
            tonnes=30.0,
            vehicle_class="heavy_truck",
            vehicles=2,
            market_id=market_id,
            origin=(105.26, -5.43),
            departure=kw.get("departure", datetime(2026, 3, 2, 6, tzinfo=UTC)),
            eta=None,
            route=[(105.26, -5.43), (106.0, -5.9), (106.884, -6.213)],
            plan={"legs": []},
            cost={"total_idr": 1.0},
            code=kw.get("code"),
            actor="tester",
        )
    return int(row["id"])


def _step(engine: Engine, sid: int, status: str | None, key: str, **kw):
    with engine.begin() as conn:
        return apply_event(conn, sid, to_status=status, idempotency_key=key, **kw)


def test_transition_table():
    for a, targets in TRANSITIONS.items():
        for b in TRANSITIONS:
            assert allowed(a, b) == (b in targets)
        assert allowed(a, None) == (a in MOVING)
    assert not allowed("planned", "in_transit")  # jump
    assert not allowed("delivered", "cancelled")  # final
    assert not allowed("on_ferry", "cancelled")


def test_lifecycle_events_and_illegal_jumps(clean_engine: Engine):
    sid = _shipment(clean_engine, _market(clean_engine))
    with pytest.raises(IllegalTransitionError, match="'planned' to 'in_transit'"):
        _step(clean_engine, sid, "in_transit", "k0")
    with pytest.raises(IllegalTransitionError, match="not on the move"):
        _step(clean_engine, sid, None, "k0b", position=(105.3, -5.4))
    with pytest.raises(InvalidParameterError):
        _step(clean_engine, sid, "teleported", "k0c")
    for i, status in enumerate(HAPPY[:3]):
        r = _step(clean_engine, sid, status, f"k{i + 1}", position=(105.3 + i / 10, -5.4))
        assert r.shipment["status"] == status and not r.replayed
    with pytest.raises(IllegalTransitionError, match="already 'at_port'"):
        _step(clean_engine, sid, "at_port", "k-again")
    report = _step(clean_engine, sid, None, "pos-1", position=(105.75, -5.87), note="antri")
    assert report.event["from_status"] == report.event["to_status"] == "at_port"
    for i, status in enumerate(HAPPY[3:]):
        _step(clean_engine, sid, status, f"k{i + 10}")
    with pytest.raises(IllegalTransitionError):
        _step(clean_engine, sid, "cancelled", "late")
    with clean_engine.connect() as conn:
        events = list_events(conn, sid)
    assert [e["to_status"] for e in events] == ["planned", *HAPPY[:3], "at_port", *HAPPY[3:]]
    assert events[1]["position"]["coordinates"] == [105.3, -5.4]
    assert events[0]["from_status"] is None and events[-1]["from_status"] == "arrived"
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_idempotency_key_replays_and_rejects_another_body(clean_engine: Engine):
    sid = _shipment(clean_engine, _market(clean_engine))
    first = _step(clean_engine, sid, "loading", "same")
    again = _step(clean_engine, sid, "loading", "same")
    assert again.replayed and again.event == first.event
    assert again.shipment["version"] == first.shipment["version"]
    with pytest.raises(IdempotencyMismatchError):
        _step(clean_engine, sid, "cancelled", "same")
    with pytest.raises(VersionMismatchError):
        _step(clean_engine, sid, "in_transit", "v", expected_version=1)
    ok = _step(clean_engine, sid, "in_transit", "v2", expected_version=first.shipment["version"])
    assert ok.shipment["version"] == first.shipment["version"] + 1
    with clean_engine.connect() as conn:
        assert len(list_events(conn, sid)) == 3


def test_codes_are_unique_and_filters_work(clean_engine: Engine):
    market = _market(clean_engine)
    _shipment(clean_engine, market, code="A-1")
    with pytest.raises(ShipmentConflictError):
        _shipment(clean_engine, market, code="A-1")
    _shipment(clean_engine, market, commodity="jagung", departure=datetime(2026, 4, 1, tzinfo=UTC))
    with clean_engine.connect() as conn:
        rows, n = list_shipments(conn, commodity="jagung")
        assert n == 1 and rows[0]["commodity"] == "jagung"
        _, n = list_shipments(conn, departure_from=datetime(2026, 3, 15, tzinfo=UTC))
        assert n == 1
        _, n = list_shipments(conn, status="planned", market_id=market)
        assert n == 2
        with pytest.raises(InvalidParameterError):
            list_shipments(conn, status="lost")


def _run_threads(n: int, target) -> list[Exception]:
    errors: list[Exception] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            target(i)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_concurrent_patches_never_lose_or_double_an_event(clean_engine: Engine):
    market = _market(clean_engine)
    # 1. racing the same change with different keys: exactly one wins, the rest get 409
    sid = _shipment(clean_engine, market)
    errors = _run_threads(8, lambda i: _step(clean_engine, sid, "loading", f"race-{i}"))
    assert len(errors) == 7 and all(isinstance(e, IllegalTransitionError) for e in errors)
    # 2. the same key from many threads at once: applied once
    errors = _run_threads(8, lambda i: _step(clean_engine, sid, "in_transit", "dup"))
    assert errors == []
    # 3. many position reports at once, each retried: every one stored exactly once
    threads, reports = 12, 5

    def report(i: int) -> None:
        for j in range(reports):
            for _ in range(2):  # the client retries every request
                _step(clean_engine, sid, None, f"pos-{i}-{j}", position=(105.5, -5.6))

    assert _run_threads(threads, report) == []
    with clean_engine.connect() as conn:
        events = list_events(conn, sid)
        version = conn.execute(
            text("SELECT version FROM shipments WHERE id = :id"), {"id": sid}
        ).scalar_one()
    kinds = Counter(e["to_status"] for e in events)
    assert kinds == {"planned": 1, "loading": 1, "in_transit": 1 + threads * reports}
    keys = [e["idempotency_key"] for e in events if e["idempotency_key"]]
    assert len(keys) == len(set(keys)) == 2 + threads * reports
    assert version == 1 + 2 + threads * reports


def test_api_keys_are_hashed_and_revocable(clean_engine: Engine):
    with clean_engine.begin() as conn:
        key, info = create_key(conn, role="planner", name="gudang")
        stored = conn.execute(text("SELECT prefix, hash FROM api_keys")).one()
    assert key.startswith(f"lgk_{info.prefix}_") and key not in stored.hash
    assert len(stored.hash) == 64
    with clean_engine.connect() as conn:
        assert verify_key(conn, key) == info
        assert verify_key(conn, key + "x") is None
        assert verify_key(conn, "nonsense") is None
        assert list_keys(conn)[0]["role"] == "planner"
    with clean_engine.begin() as conn:
        revoke_key(conn, info.prefix)
    with clean_engine.connect() as conn:
        assert verify_key(conn, key) is None
    with clean_engine.begin() as conn, pytest.raises(InvalidParameterError):
        create_key(conn, role="root")
