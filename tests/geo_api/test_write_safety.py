"""Writes that must not be silently wrong: idempotency keys reused with another body,
and values the database refuses (answered 4xx, never with SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError, IntegrityError

from geo_api.app import create_app
from geo_api.settings import Settings

PLAN = {
    "origin": [105.26, -5.43],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 8,
    "vehicle_class": "medium_truck",
    "departure": "2026-03-02T06:00:00+07:00",
}


@pytest.fixture(scope="module")
def client(writable_demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(writable_demo_settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def shipment(client: TestClient, admin_key: str) -> tuple[int, dict[str, str]]:
    key = {"X-API-Key": admin_key}
    made = client.post("/shipments", json=PLAN, headers=key)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    loading = client.patch(
        f"/shipments/{sid}", json={"status": "loading"}, headers=key | {"Idempotency-Key": "l"}
    )
    assert loading.status_code == 200
    return sid, key


def _patch(client: TestClient, sid: int, key: dict[str, str], idem: str, body: dict) -> Any:
    return client.patch(f"/shipments/{sid}", json=body, headers=key | {"Idempotency-Key": idem})


@pytest.mark.parametrize(
    ("first", "retry", "differs"),
    [
        ({"position": [105.3, -5.4]}, {"position": [105.31, -5.4]}, "position"),
        ({"position": [105.3, -5.4]}, {}, "position"),
        ({}, {"position": [105.3, -5.4]}, "position"),
        ({"at": "2026-03-02T07:00:00+07:00"}, {"at": "2026-03-02T07:05:00+07:00"}, "at"),
        ({"at": "2026-03-02T07:00:00+07:00"}, {}, "at"),
        ({}, {"at": "2026-03-02T07:00:00+07:00"}, "at"),
        ({"note": "antre"}, {"note": "antre panjang"}, "note"),
        ({"note": "antre"}, {}, "note"),
        ({}, {"status": "in_transit"}, "status"),
    ],
)
def test_reused_key_with_another_body_is_422(
    client: TestClient, shipment: tuple[int, dict[str, str]], first: dict, retry: dict, differs: str
) -> None:
    sid, key = shipment
    assert _patch(client, sid, key, "k1", first).status_code == 200
    again = _patch(client, sid, key, "k1", retry)
    assert again.status_code == 422, again.text
    body = again.json()
    assert body["field"] == "Idempotency-Key" and differs in body["description"]
    events = client.get(f"/shipments/{sid}/events").json()["events"]
    assert [e["idempotency_key"] for e in events].count("k1") == 1  # nothing applied twice


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"position": [105.3, -5.4], "note": "antre", "at": "2026-03-02T07:00:00+07:00"},
        {"position": [105.123456789, -5.4], "at": "2026-03-02T00:00:00Z"},
        {"status": "in_transit", "position": [105.3, -5.4]},
    ],
)
def test_same_body_replays(
    client: TestClient, shipment: tuple[int, dict[str, str]], body: dict
) -> None:
    sid, key = shipment
    first = _patch(client, sid, key, "same", body)
    assert first.status_code == 200 and first.json()["replayed"] is False
    again = _patch(client, sid, key, "same", body)
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["event"] == first.json()["event"]


def test_database_refusals_are_4xx_without_sql(writable_demo_settings: Settings) -> None:
    """A value the database refuses (out of range, NUL) is the client's: 400, or 409 for a
    conflict, with the database's reason and never the statement."""
    app = create_app(writable_demo_settings)
    statement = "SELECT secret_column FROM secret_table WHERE x = %(x)s"

    @app.get("/_test/data-error")
    def data_error() -> None:
        orig = psycopg.errors.NumericValueOutOfRange("integer out of range")
        raise DataError(statement, {"x": 1}, orig)

    @app.get("/_test/nul")
    def nul_error() -> None:
        orig = psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        raise DataError(statement, {"x": "\x00"}, orig)

    @app.get("/_test/integrity")
    def integrity_error() -> None:
        orig = psycopg.errors.ForeignKeyViolation("insert violates foreign key constraint")
        raise IntegrityError(statement, {"x": 1}, orig)

    with TestClient(app, raise_server_exceptions=False) as c:
        for path, status, words in [
            ("/_test/data-error", 400, "integer out of range"),
            ("/_test/nul", 400, "NUL"),
            ("/_test/integrity", 409, "foreign key"),
        ]:
            r = c.get(path)
            assert r.status_code == status, r.text
            assert words in r.json()["description"]
            assert "secret" not in r.text and "SELECT" not in r.text
