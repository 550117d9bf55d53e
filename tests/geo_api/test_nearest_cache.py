"""``/nearest`` answers from the app's cache of snapped, prepared service points.

The cache is bounded, filled only once the category is checked, taken without a
database connection while its fingerprint is trusted, and refreshed when the
service points change (checked against the database with plain SQL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text

from geo_api.app import create_app
from geo_api.caches import Caches
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.demo import load_demo
from routing.targets import TargetSet

TTL_S = 0.3
ORIGIN = (105.26, -5.43)
NEAREST = f"/nearest?lon={ORIGIN[0]}&lat={ORIGIN[1]}&category=puskesmas&k=3"


@pytest.fixture
def app_client(
    scratch_url: str, clean_engine: Engine, demo_graph_dir: Path
) -> Iterator[TestClient]:
    with clean_engine.connect() as conn:
        load_demo(conn)
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.caches = Caches.create(facilities=2, stamp_ttl_s=TTL_S)  # type: ignore[attr-defined]
        yield client


def _checkouts(client: TestClient) -> list[int]:
    seen: list[int] = []
    event.listen(client.app.state.engine, "checkout", lambda *_: seen.append(1))  # type: ignore[attr-defined]
    return seen


def _db_points(engine: Engine, category: str) -> dict[int, tuple[float, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, ST_X(geom), ST_Y(geom) FROM service_points WHERE category = :c"),
            {"c": category},
        ).all()
    return {int(r[0]): (float(r[1]), float(r[2])) for r in rows}


def test_cached_answers_take_no_connection_and_new_points_show_after_the_ttl(
    app_client: TestClient, clean_engine: Engine
):
    seen = _checkouts(app_client)
    first = app_client.get(NEAREST)
    assert first.status_code == 200, first.text
    assert len(seen) == 1  # category checked, fingerprint and points read: one connection
    body = first.json()
    # every point of the category is either a target or counted off the network
    db = _db_points(clean_engine, "puskesmas")
    caches: Caches = app_client.app.state.caches  # type: ignore[attr-defined]
    net = app_client.app.state.networks["motorcycle"]  # type: ignore[attr-defined]
    stamp, fac = caches.facilities.get((net.key, "puskesmas"))
    assert len(fac.snaps) + body["off_network_points"] == len(db)
    assert {r["id"] for r in fac.rows} <= set(db)
    assert isinstance(fac.targets, TargetSet) and list(fac.targets) == fac.snaps
    for f in body["features"]:  # the answer's coordinates are the database's
        assert f["geometry"]["coordinates"] == pytest.approx(db[f["id"]])

    seen.clear()
    again = app_client.get(NEAREST)
    assert again.json() == body
    assert seen == []  # while the fingerprint is trusted: no connection at all

    # a new puskesmas right at the origin: after the TTL it is the nearest one
    with clean_engine.begin() as conn:
        new_id = conn.execute(
            text(
                "INSERT INTO service_points (name, category, source, source_id, geom) VALUES "
                "('Puskesmas Baru', 'puskesmas', "
                "(SELECT source FROM service_points WHERE category = 'puskesmas' LIMIT 1), "
                "'baru-1', "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
            ),
            {"x": ORIGIN[0], "y": ORIGIN[1]},
        ).scalar_one()
    time.sleep(TTL_S + 0.1)
    seen.clear()
    fresh = app_client.get(NEAREST).json()
    assert len(seen) == 1
    assert fresh["features"][0]["id"] == new_id
    assert fresh["features"][0]["properties"]["name"] == "Puskesmas Baru"
    stamp2, fac2 = caches.facilities.get((net.key, "puskesmas"))
    assert stamp2 != stamp
    assert len(fac2.snaps) + fresh["off_network_points"] == len(
        _db_points(clean_engine, "puskesmas")
    )

    # and gone again once deleted
    with clean_engine.begin() as conn:
        conn.execute(text("DELETE FROM service_points WHERE id = :i"), {"i": new_id})
    time.sleep(TTL_S + 0.1)
    gone = app_client.get(NEAREST).json()
    assert new_id not in {f["id"] for f in gone["features"]}
    assert gone["features"] == body["features"]


def test_nothing_is_cached_for_an_unknown_category_and_the_cache_is_bounded(
    app_client: TestClient, clean_engine: Engine
):
    caches: Caches = app_client.app.state.caches  # type: ignore[attr-defined]
    r = app_client.get(f"/nearest?lon={ORIGIN[0]}&lat={ORIGIN[1]}&category=nope")
    assert r.status_code == 400 and r.json()["field"] == "category"
    assert len(caches.stamps) == 0 and len(caches.facilities) == 0
    with clean_engine.connect() as conn:
        categories = list(conn.execute(text("SELECT code FROM categories ORDER BY code")).scalars())
    assert len(categories) >= 3
    for code in categories:
        q = f"/nearest?lon={ORIGIN[0]}&lat={ORIGIN[1]}&category={code}"
        assert app_client.get(q).status_code == 200
    assert len(caches.facilities) == 2  # bounded: the least recently used went
