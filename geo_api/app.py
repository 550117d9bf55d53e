"""The FastAPI application: ``create_app()`` and its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from geo_api.caches import Caches
from geo_api.errors import install_error_handlers
from geo_api.middleware import install_middleware
from geo_api.networks import load_all
from geo_api.routers import coverage, features, health, logistics, routing, tiles, web
from geo_api.schemas import install_openapi
from geo_api.settings import DatabaseSettings, Settings
from layers.db.cluster import PostgresCluster
from layers.db.engine import make_engine

log = logging.getLogger("lampung_geo.api")


def database_url(settings: DatabaseSettings) -> str:
    """``LAMPUNG_GEO_DATABASE_URL`` if set, else the private cluster's URL."""
    if settings.database_url:
        return settings.database_url
    cluster = PostgresCluster(settings.cluster_dir, port=settings.cluster_port)
    if not cluster.password_file.exists():
        msg = (
            f"no database: the private cluster in {settings.cluster_dir} does not exist. "
            "Run `lampung-geo db start`, or set LAMPUNG_GEO_DATABASE_URL."
        )
        raise RuntimeError(msg)
    return cluster.url


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        All settings; read from the environment when omitted.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            database_url(settings.database),
            statement_timeout_ms=settings.database.statement_timeout_ms,
            pool_size=settings.database.pool_size,
        )
        app.state.engine = engine
        app.state.caches = Caches.create()
        app.state.networks = load_all(
            settings.routing.graph_dir, snap_max_m=settings.routing.snap_max_m
        )
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title=settings.api.title,
        description=(
            "Public-service access, farm-to-Jakarta logistics and coverage planning for "
            "Lampung and DKI Jakarta. OGC API – Features for the data layers."
        ),
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_middleware(app, settings.api)
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(features.router)
    app.include_router(routing.router)
    app.include_router(logistics.router)
    app.include_router(coverage.router)
    app.include_router(tiles.router)
    app.include_router(web.router)
    return app
