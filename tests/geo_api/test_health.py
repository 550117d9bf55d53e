"""Health (live / ready), statement timeouts, recovery after a database outage, stale
tiles while it is down, and graceful shutdown of a real server."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

import geo_api.caches
from geo_api.app import create_app
from geo_api.routers.tiles import STALE_WARNING
from geo_api.settings import DatabaseSettings, OpsSettings, RoutingSettings, Settings
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from layers.demo import load_demo
from routing.compiled import _MAGIC, FORMAT_VERSION
from tests.conftest import new_cluster_dir
from tests.geo_api.live import live_server


def test_health_ok(scratch_client: TestClient):
    for path in ("/health", "/health/ready"):
        body = scratch_client.get(path).json()
        assert body["status"] == "ok"
        assert body["database"]["ok"] is True
        assert body["database"]["schema_revision"] == _head_revision()
        assert body["graphs"] == {"ok": True, "loaded": {}}
    live = scratch_client.get("/health/live")
    assert live.status_code == 200 and live.json()["status"] == "ok"


def test_ready_needs_the_graphs(scratch_url: str, tmp_path: Path):
    # a graph file of an older format: skipped at start-up with a log line
    np.savez(tmp_path / "car.npz", magic=np.array(_MAGIC), format_version=FORMAT_VERSION - 1)
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=tmp_path),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/health/ready")
        assert r.status_code == 503 and r.headers["Retry-After"]
        body = r.json()
        assert body["database"]["ok"] is True and body["graphs"]["ok"] is False
        assert "['car']" in body["graphs"]["reason"]
        assert client.get("/health").status_code == 503
        assert client.get("/health/live").status_code == 200
    (tmp_path / "car.npz").unlink()
    required = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=tmp_path),
        ops=OpsSettings(health_require_graphs=True),
    )
    with TestClient(create_app(required), raise_server_exceptions=False) as client:
        r = client.get("/health/ready")
        assert r.status_code == 503 and "no road graph" in r.json()["graphs"]["reason"]


def test_statement_timeout_applies_to_every_connection(scratch_url: str):
    engine = make_engine(scratch_url, statement_timeout_ms=250)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "250ms"
    engine.dispose()


TILE = "/collections/service_points/tiles/10/811/527"
OTHER_TILE = "/collections/service_points/tiles/10/812/527"


def test_database_down_gives_503_then_recovers(monkeypatch: pytest.MonkeyPatch):
    folder = new_cluster_dir()
    cluster = PostgresCluster(folder / "pg", port=free_port())
    try:
        url = cluster.start()
        engine = make_engine(url, statement_timeout_ms=600_000)
        upgrade(engine)
        with engine.connect() as conn:
            load_demo(conn)
        engine.dispose()
        settings = Settings(database=DatabaseSettings(database_url=url))
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            assert client.get("/collections/service_points/items").status_code == 200
            tile = client.get(TILE)
            assert tile.status_code == 200 and tile.content
            cluster.stop()
            # the tile's fingerprint is due for a re-read, which the database cannot answer
            monkeypatch.setattr(geo_api.caches, "FINGERPRINT_TTL_S", 0.0)
            for path in (
                "/health",
                "/health/ready",
                "/collections/service_points/items",
                "/collections",
                OTHER_TILE,  # never built: nothing to fall back on
            ):
                r = client.get(path)
                assert r.status_code == 503, (path, r.text)
                assert r.headers["Retry-After"]
                assert "Traceback" not in r.text
            body = client.get("/collections").json()
            assert body["code"] == "DatabaseUnavailable"
            assert "unavailable" in body["description"]
            assert client.get("/health/live").status_code == 200  # no database needed
            # a tile already in memory is served, marked stale
            stale = client.get(TILE)
            assert stale.status_code == 200, stale.text
            assert stale.content == tile.content
            assert stale.headers["Warning"] == STALE_WARNING
            assert stale.headers["Cache-Control"] == "no-cache"
            assert stale.headers["ETag"] == tile.headers["ETag"]
            revalidated = client.get(TILE, headers={"If-None-Match": tile.headers["ETag"]})
            assert revalidated.status_code == 304
            assert revalidated.headers["Warning"] == STALE_WARNING
            # ... unless the client asks for a fresh one
            assert client.get(TILE, headers={"Cache-Control": "no-cache"}).status_code == 503
            cluster.start()
            assert client.get("/health").json()["status"] == "ok"
            assert client.get("/collections/service_points/items").status_code == 200
            fresh = client.get(TILE)
            assert fresh.status_code == 200 and "Warning" not in fresh.headers
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def test_graceful_shutdown_finishes_requests_in_flight(
    demo_url: str, demo_graph_dir: Path, tmp_path: Path
):
    """SIGTERM during a slow request: it completes with 200, new connections are refused
    meanwhile, then the process exits cleanly (the lifespan closes the pool last)."""
    slow = "/coverage/areas?category=kantor_desa&minutes=30,60,90,120,150,180&profile=walk"
    with live_server(
        database_url=demo_url, graph_dir=demo_graph_dir, log=tmp_path / "server.log"
    ) as server:
        answers: list[tuple[int, float]] = []

        def ask() -> None:
            r = httpx.get(server.base_url + slow, timeout=120, headers={"X-Request-ID": "slow-1"})
            answers.append((r.status_code, time.monotonic()))

        thread = threading.Thread(target=ask)
        thread.start()
        deadline = time.monotonic() + 60
        while server.metric("lampung_geo_work_in_progress", gate="analysis") < 1:
            assert time.monotonic() < deadline, "the slow request did not start"
            time.sleep(0.05)
        assert server.process.poll() is None
        signalled = time.monotonic()
        server.process.send_signal(15)  # SIGTERM
        refused = None
        while refused is None and time.monotonic() < signalled + 20:
            try:
                httpx.get(server.base_url + "/health/live", timeout=2)
                time.sleep(0.05)
            except httpx.TransportError:
                refused = time.monotonic()
        assert refused is not None, "new connections were still accepted after SIGTERM"
        assert not answers, "the slow request ended before the check: nothing was shown"
        thread.join(120)
        assert answers and answers[0][0] == 200
        assert answers[0][1] > signalled  # it finished after the signal
        # uvicorn re-raises the signal once it has shut down cleanly: -SIGTERM (or 0)
        assert server.process.wait(60) in (0, -15)
    log = server.log.read_text()
    lines = [r for r in server.log_lines() if r.get("request_id") == "slow-1"]
    assert len(lines) == 1 and lines[0]["status"] == 200
    assert log.index('"request_id": "slow-1"') < log.index("Application shutdown complete")
    assert "Finished server process" in log


def _head_revision() -> str:
    """The newest revision of the migration scripts (read by Alembic, not hard-coded)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from layers.db.migrate import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head
