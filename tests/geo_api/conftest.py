"""Fixtures of the API tests: a live server on a free port, a writable demo database.

``serve(app)`` runs an app under uvicorn in a background thread (for clients that make
their own HTTP requests: GDAL, OWSLib, schemathesis, raw keep-alive sockets).
``writable_demo_settings`` is a second copy of the demo database that tests may write
to (the shared ``demo_url`` is read-only), with ``admin_key`` an admin API key in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from geo_api.settings import ApiSettings, DatabaseSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from tests.conftest import REPO, create_database


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and a free port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the API did not start under uvicorn")
        time.sleep(0.05)
    try:
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def live_server() -> Callable[[FastAPI], object]:
    """The :func:`serve` context manager, as a fixture."""
    return serve


@contextmanager
def serve_process(settings: Settings) -> Iterator[str]:
    """Serve ``create_app()`` in its own uvicorn process; yield its base URL.

    For clients that call the API from native code holding the GIL (GDAL through
    pyogrio), which would starve a server thread of the same process.
    """
    port = free_port()
    env = os.environ | {
        "LAMPUNG_GEO_DATABASE_URL": settings.database.database_url or "",
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(settings.routing.graph_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "geo_api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the API did not start in its own uvicorn process")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def writable_demo_url(pg_cluster: PostgresCluster) -> str:
    """Another database with the demo data, which tests may change."""
    from layers.demo import load_demo

    url = create_database(pg_cluster, "demo_writable")
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        # without the DEMO prices: test_prices_api loads the real Lampung panel and a
        # file of its own on the same places and checks every figure by hand
        load_demo(conn, prices=False)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def writable_demo_engine(writable_demo_url: str) -> Iterator[Engine]:
    engine = make_engine(writable_demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def admin_key(writable_demo_engine: Engine) -> str:
    """An admin API key in the writable demo database."""
    with writable_demo_engine.begin() as conn:
        key, _ = create_key(conn, role="admin", name="tests")
    return key


@pytest.fixture(scope="session")
def writable_demo_settings(writable_demo_url: str, demo_graph_dir: Path) -> Settings:
    """The demo platform over the writable copy (same data, so the same road graphs)."""
    return Settings(
        database=DatabaseSettings(database_url=writable_demo_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
        api=ApiSettings(),
    )
