"""``/health``: is the service up, and can it reach the database?"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from geo_api import schemas as sc
from geo_api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Service and database state",
    operation_id="health",
    response_model=None,
    responses=sc.docs(
        {sc.JSON: sc.Health},
        extra={
            503: {
                "description": "The database does not answer (the reason is in the body)",
                "content": {sc.JSON: {"schema": sc.ref(sc.Health)}},
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            }
        },
    ),
)
def health(engine: EngineDep) -> JSONResponse:
    """200 when the database answers, 503 (with the reason) when it does not."""
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
        return JSONResponse(
            {"status": "unavailable", "database": {"ok": False, "reason": reason}},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": {
                "ok": True,
                "postgis": version,
                "schema_revision": revision,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        }
    )
