"""Health and metrics: ``/health/live``, ``/health/ready`` (= ``/health``), ``/metrics``.

* ``/health/live`` answers from memory: the process serves requests. It never touches
  the database and takes no admission slot, so it answers while the database is down
  or every database slot is busy (a liveness probe must not restart a healthy process
  because its database is slow).
* ``/health/ready`` answers 200 only when the service can do its work: a database
  slot within ``LAMPUNG_GEO_HEALTH_TIMEOUT_S`` (2 s), the database answering under a
  statement timeout of the same length, and the road graphs: a graph file of the
  graph folder that could not be loaded makes it 503, and so does no graph at all when
  ``LAMPUNG_GEO_HEALTH_REQUIRE_GRAPHS`` is set. ``/health`` is the same check (older
  clients and the demo's documentation use it).
* ``/metrics``: Prometheus text format (see :mod:`geo_api.observability`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from geo_api import schemas as sc
from geo_api.deps import db_admitted
from geo_api.errors import OverloadedError
from geo_api.observability import METRICS_CONTENT_TYPE, Metrics
from geo_api.settings import Settings
from routing.network import SUFFIX
from routing.profiles import PROFILES

router = APIRouter(tags=["health"])

_UNAVAILABLE = {
    503: {
        "description": "The database or the road graphs are not ready (the reason is in "
        "the body); retry after Retry-After seconds",
        "content": {sc.JSON: {"schema": sc.ref(sc.Health)}},
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}


@router.get(
    "/health/live",
    summary="Liveness: the process answers (no database)",
    operation_id="health_live",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Liveness}),
)
async def live(request: Request) -> JSONResponse:
    """Always 200 while the process serves requests; says which graphs are loaded."""
    networks = getattr(request.app.state, "networks", {})
    started = getattr(request.app.state, "started", time.monotonic())
    return JSONResponse(
        {
            "status": "ok",
            "uptime_s": round(time.monotonic() - started, 1),
            "graphs": sorted(networks),
        }
    )


def _check_database(engine: Engine, timeout_ms: int) -> dict[str, Any]:
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {
        "ok": True,
        "postgis": version,
        "schema_revision": revision,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _graphs(request: Request, settings: Settings) -> dict[str, Any]:
    networks = getattr(request.app.state, "networks", {})
    folder = Path(settings.routing.graph_dir)
    files = sorted(p.stem for p in folder.glob(f"*{SUFFIX}") if p.stem in PROFILES)
    not_loaded = [p for p in files if p not in networks]
    graphs: dict[str, Any] = {
        "ok": not not_loaded and (bool(networks) or not settings.ops.health_require_graphs),
        "loaded": {
            name: {"nodes": net.compiled.n_nodes, "edges": net.compiled.n_edges}
            for name, net in sorted(networks.items())
        },
    }
    if not_loaded:
        graphs["reason"] = (
            f"graph files not loaded (older format?): {not_loaded}; rebuild them with "
            "`lampung-geo graph build`"
        )
    elif not graphs["ok"]:
        graphs["reason"] = f"no road graph is loaded from {folder}"
    return graphs


@router.get(
    "/health/ready",
    summary="Readiness: database and road graphs",
    operation_id="health_ready",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Health}, extra=_UNAVAILABLE),
)
async def ready(request: Request) -> JSONResponse:
    """200 when the database answers within the health timeout and the graphs are
    loaded; 503 (with ``Retry-After`` and the reason) otherwise."""
    settings: Settings = request.app.state.settings
    timeout_s = settings.ops.health_timeout_s
    try:
        async with db_admitted(request, wait_s=timeout_s):
            database = await run_in_threadpool(
                _check_database, request.app.state.engine, int(timeout_s * 1000)
            )
    except OverloadedError as exc:
        database = {"ok": False, "reason": exc.reason}
    except PoolTimeoutError:
        database = {"ok": False, "reason": "every database connection is busy"}
    except SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
        if "statement timeout" in reason or "canceling statement" in reason:
            reason = f"the database did not answer within {timeout_s:g} s"
        database = {"ok": False, "reason": reason}
    graphs = _graphs(request, settings)
    ok = bool(database["ok"]) and bool(graphs["ok"])
    body = {"status": "ok" if ok else "unavailable", "database": database, "graphs": graphs}
    if ok:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


@router.get(
    "/health",
    summary="Service and database state (= /health/ready)",
    operation_id="health",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Health}, extra=_UNAVAILABLE),
)
async def health(request: Request) -> JSONResponse:
    """The readiness check (kept for clients of the first versions)."""
    return await ready(request)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    operation_id="metrics",
    response_class=Response,
    responses=sc.docs({METRICS_CONTENT_TYPE.split(";")[0]: {"type": "string"}}),
)
async def metrics(request: Request) -> Response:
    """Requests and latency per route template, admission slots, the connection pool,
    caches, graph sizes and running computations, in the Prometheus text format."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(), media_type=METRICS_CONTENT_TYPE)
