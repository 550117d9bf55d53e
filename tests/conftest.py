"""Suite-wide fixtures: a real private PostGIS cluster that the suite starts itself."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.db.cluster import DATABASE, PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LAMPUNG_GEO_SHARED_DATA", REPO.parent / "shared" / "data"))
FEATURE_TABLES = (
    "ferry_links",
    "ports",
    "markets",
    "farms",
    "service_points",
    "admin_areas",
    "settlements",
    "shipment_events",
    "shipments",
    "api_keys",
)


def shared_file(*parts: str) -> Path:
    """A file of ../shared/data, or skip the test (with the reason) when it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is missing (../shared/data)")
    return path


def new_cluster_dir() -> Path:
    """A folder the postgres OS user can reach (pytest's own tmp dirs are 0700)."""
    return Path(tempfile.mkdtemp(prefix="lampung-geo-test-", dir="/tmp"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL 15 + PostGIS cluster for the whole test session."""
    folder = new_cluster_dir()
    cluster = PostgresCluster(folder / "pg", port=free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def create_database(cluster: PostgresCluster, name: str) -> str:
    """Create an empty database in the cluster and return its SQLAlchemy URL."""
    admin = (
        f"host=127.0.0.1 port={cluster.port} user=lampung password={cluster.password} "
        "dbname=postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url.replace(f"/{DATABASE}", f"/{name}")


@pytest.fixture(scope="session")
def scratch_url(pg_cluster: PostgresCluster) -> str:
    """A migrated database that tests may write to (see ``clean_engine``)."""
    url = create_database(pg_cluster, "scratch")
    upgrade(make_engine(url))
    return url


@pytest.fixture(scope="session")
def scratch_engine(scratch_url: str) -> Iterator[Engine]:
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_engine(scratch_engine: Engine) -> Engine:
    """The scratch database with every feature table and dataset emptied."""
    with scratch_engine.begin() as conn:
        conn.execute(
            text(f"TRUNCATE {', '.join(FEATURE_TABLES)}, sources RESTART IDENTITY CASCADE")
        )
    return scratch_engine


@pytest.fixture(scope="session")
def demo_url(pg_cluster: PostgresCluster) -> str:
    """A migrated database holding the DEMO data; tests must only read it."""
    from layers.demo import load_demo

    url = create_database(pg_cluster, "demo")
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        load_demo(conn)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_graph_dir(demo_url: str) -> Iterator[Path]:
    """The demo road network compiled for every profile, ferry included."""
    from geo_api.networks import build_demo_graphs

    folder = Path(tempfile.mkdtemp(prefix="lampung-geo-graphs-"))
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        build_demo_graphs(conn, folder)
    engine.dispose()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_settings(demo_url: str, demo_graph_dir: Path) -> Settings:
    """Settings of the demo platform: demo database and demo graphs."""
    return Settings(
        database=DatabaseSettings(database_url=demo_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )


@pytest.fixture(scope="session")
def demo_client(demo_settings: Settings) -> Iterator[TestClient]:
    """The API over the demo database and demo road graphs."""
    with TestClient(create_app(demo_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def scratch_client(scratch_url: str, clean_engine: Engine) -> Iterator[TestClient]:
    """The API over the (emptied) scratch database."""
    # an empty graph folder, whatever the working copy holds in .lampung-geo
    empty = Path(tempfile.mkdtemp(prefix="lampung-geo-no-graphs-"))
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=empty),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
    shutil.rmtree(empty, ignore_errors=True)


# -- real data must be used when it is there ----------------------------------------
_SKIPPED_SHARED: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember ``shared_data`` tests that skipped."""
    outcome = yield
    report = outcome.get_result()
    about_shared = "shared/data" in str(report.longrepr)
    if report.skipped and (item.get_closest_marker("shared_data") is not None or about_shared):
        _SKIPPED_SHARED.append(f"{item.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when ``../shared/data`` exists but a ``shared_data`` test skipped.

    CI always has the real data: a skip there means a test silently stopped checking
    the real files (a moved file, a wrong path), which must not pass unnoticed.
    """
    if SHARED_DATA.is_dir() and _SKIPPED_SHARED and exitstatus == 0:
        lines = "\n  ".join(_SKIPPED_SHARED[:20])
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"ERROR: {SHARED_DATA} exists, but these shared_data tests skipped:\n  {lines}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
