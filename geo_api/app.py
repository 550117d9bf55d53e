"""The FastAPI application: ``create_app()`` and its lifespan.

The app is wrapped, outside Starlette's own error middleware, by
:class:`~geo_api.observability.ObservabilityMiddleware` (request id, metrics, access
log), so every answer — a 500 included — is counted and carries ``X-Request-ID``.
Admission gates (:mod:`geo_api.admission`) are sized from the settings when the app is
made, so a setting that would let requests wait for the pool while holding a thread is
refused at start-up. The lifespan makes the engine, sizes the worker-thread pool, loads
the caches and graphs, and disposes of the engine at shutdown, which uvicorn runs only
after the requests in flight have finished (``lampung-geo serve`` gives them
``LAMPUNG_GEO_GRACEFUL_SHUTDOWN_S``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from geo_api.admission import Admission
from geo_api.caches import Caches
from geo_api.compression import CompressionMiddleware
from geo_api.errors import install_error_handlers
from geo_api.middleware import PublicAddress, install_middleware
from geo_api.networks import load_all
from geo_api.observability import Metrics, ObservabilityMiddleware, count_unadmitted_checkouts
from geo_api.reports import photo_store
from geo_api.routers import (
    api_docs,
    coverage,
    features,
    health,
    logistics,
    officer,
    prices,
    reports,
    routing,
    search,
    tiles,
    web,
)
from geo_api.schemas import install_openapi
from geo_api.settings import DatabaseSettings, Settings
from layers.db.cluster import PostgresCluster
from layers.db.engine import make_engine
from routing.network import Network

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


class GeoApp(FastAPI):
    """FastAPI with :class:`ObservabilityMiddleware` around the whole middleware stack."""

    def build_middleware_stack(self) -> Any:
        """The usual stack, wrapped by the observability middleware."""
        metrics: Metrics = self.state.metrics
        return ObservabilityMiddleware(super().build_middleware_stack(), metrics=metrics)


def create_app(
    settings: Settings | None = None, *, networks: dict[str, Network] | None = None
) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        All settings; read from the environment when omitted.
    networks
        Road networks loaded already (``serve --workers N`` loads them once before
        forking, so the workers share one copy); loaded at start-up when omitted.
    """
    settings = settings or Settings()
    admission = Admission.from_settings(settings.admission, settings.database)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            database_url(settings.database),
            statement_timeout_ms=settings.database.statement_timeout_ms,
            pool_size=settings.database.pool_size,
            pool_timeout_s=settings.database.pool_timeout_s,
        )
        count_unadmitted_checkouts(engine, metrics)
        anyio.to_thread.current_default_thread_limiter().total_tokens = admission.threads
        app.state.engine = engine
        app.state.caches = Caches.create()
        app.state.networks = (
            networks
            if networks is not None
            else load_all(settings.routing.graph_dir, snap_max_m=settings.routing.snap_max_m)
        )
        app.state.started = time.monotonic()
        metrics.state.bind(app)
        log.info(
            "admission: %s",
            ", ".join(f"{g.name} {g.slots} slots (queue {g.queue})" for g in admission.gates()),
        )
        try:
            yield
        finally:
            engine.dispose()

    app = GeoApp(
        title=settings.api.title,
        description=(
            "Public-service access, farm-to-Jakarta logistics and coverage planning for "
            "Lampung and DKI Jakarta. OGC API – Features for the data layers."
        ),
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.admission = admission
    app.state.metrics = metrics
    install_error_handlers(app)
    app.state.public_address = PublicAddress(settings.api)
    app.state.photo_store = photo_store(settings.reports)
    install_middleware(
        app,
        settings.api,
        body_limits={("POST", "/reports"): settings.reports.upload_max_bytes},
    )
    app.add_middleware(CompressionMiddleware)  # outermost: compresses what the rest made
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(features.router)
    app.include_router(routing.router)
    app.include_router(logistics.router)
    app.include_router(coverage.router)
    app.include_router(reports.router)
    app.include_router(officer.router)
    app.include_router(prices.router)
    app.include_router(tiles.router)
    app.include_router(search.router)
    app.include_router(web.router)
    app.include_router(api_docs.router)
    return app
