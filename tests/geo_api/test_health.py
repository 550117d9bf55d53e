"""/health, statement timeouts and recovery after a database outage."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient
from sqlalchemy import text

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, Settings
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from tests.conftest import new_cluster_dir


def test_health_ok(scratch_client: TestClient):
    body = scratch_client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["schema_revision"] == _head_revision()


def test_statement_timeout_applies_to_every_connection(scratch_url: str):
    engine = make_engine(scratch_url, statement_timeout_ms=250)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "250ms"
    engine.dispose()


def test_database_down_gives_503_then_recovers():
    folder = new_cluster_dir()
    cluster = PostgresCluster(folder / "pg", port=free_port())
    try:
        url = cluster.start()
        upgrade(make_engine(url))
        settings = Settings(database=DatabaseSettings(database_url=url))
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            assert client.get("/collections/service_points/items").status_code == 200
            cluster.stop()
            for path in ("/health", "/collections/service_points/items", "/collections"):
                r = client.get(path)
                assert r.status_code == 503, (path, r.text)
                assert "Traceback" not in r.text
            body = client.get("/collections").json()
            assert body["code"] == "DatabaseUnavailable"
            assert "unavailable" in body["description"]
            cluster.start()
            assert client.get("/health").json()["status"] == "ok"
            assert client.get("/collections/service_points/items").status_code == 200
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


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
