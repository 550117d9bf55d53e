"""The demo platform served over HTTP on 127.0.0.1, and Debian's chromium."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, ReportSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from layers.demo import load_demo
from tests.conftest import create_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def live_url(demo_settings: Settings) -> Iterator[str]:
    """The API with the demo data under uvicorn in a background thread."""
    port = free_port()
    config = uvicorn.Config(
        create_app(demo_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-web-tests", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the demo API did not start for the browser tests")
        time.sleep(0.05)
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    yield url
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium with "
            "`bash scripts/setup.sh --with-browser` (./dev test does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/ (git-ignored), for screenshots a person can look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Site:
    """The reports test server: its URL, an officer key (role planner), its database
    URL and a point inside a kecamatan of Bandar Lampung (1871)."""

    url: str
    key: str
    db: str
    point: tuple[float, float]


@pytest.fixture(scope="package")
def site(
    pg_cluster: PostgresCluster, demo_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The demo in a database of its own (reports are written), served by uvicorn;
    shared by the report page tests of this package (one server, one database). The
    submission limit is raised: these tests send more than 10 reports from one address
    (the limit itself is tested in tests/geo_api)."""
    db = create_database(pg_cluster, "web_reports")
    engine = make_engine(db)
    upgrade(engine)
    with engine.connect() as conn:
        load_demo(conn)
    with engine.begin() as conn:
        key, _ = create_key(conn, role="planner", name="verifikator")
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p FROM "
                "admin_areas a JOIN admin_areas k ON k.id = a.parent_id WHERE "
                "a.level = 'kecamatan' AND k.code = '1871' ORDER BY a.id LIMIT 1) s"
            )
        ).one()
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(database_url=db),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
        reports=ReportSettings(
            photo_dir=tmp_path_factory.mktemp("photos"), rate_limit_per_hour=1000
        ),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-web-reports", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the reports test server did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", key, db, (float(lon), float(lat)))
    server.should_exit = True
    thread.join(timeout=15)
