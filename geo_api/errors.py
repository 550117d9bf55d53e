"""The API's error family: one table from exception type to HTTP status.

Every error body is JSON: ``{"code", "description", "field", "reason"}``. No stack
trace ever reaches a client; unexpected errors are logged and answered with a 500
that says only that.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from data.budget import BudgetExceededError, WorkCancelledError, WorkStoppedError
from layers.errors import (
    FeatureNotFoundError,
    IngestError,
    InvalidParameterError,
    LayersError,
    UnknownCollectionError,
)
from layers.population_areas import NoAreasError, NoPopulationError
from layers.population_raster import PopulationRasterError
from layers.shipments import (
    IdempotencyMismatchError,
    IllegalTransitionError,
    ShipmentConflictError,
    VersionMismatchError,
)
from routing.allocation import AllocationError
from routing.costing import CostingError
from routing.errors import (
    GraphBuildError,
    OffNetworkError,
    RoutingError,
    UnknownProfileError,
    UnreachableError,
)

log = logging.getLogger("lampung_geo.api")


class ApiError(Exception):
    """An error the API raises itself (not from a domain package)."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class DatabaseUnavailableError(ApiError):
    """The database cannot be reached or timed out."""


class AuthenticationError(ApiError):
    """No API key, or an unknown or revoked one."""


class PermissionDeniedError(ApiError):
    """The API key's role is too small for the operation."""


class NoRouteError(ApiError):
    """The two points are not connected on this profile's network."""


class GraphNotBuiltError(ApiError):
    """No compiled graph exists for the requested profile."""


class StaleGraphError(ApiError):
    """The road graph names a ferry link the database no longer has."""


class StaticNotFoundError(ApiError):
    """No such static file."""


class OverloadedError(ApiError):
    """A gate's waiting line is full, or the wait for a slot took too long (503)."""

    def __init__(self, reason: str, *, retry_after: int = 5, field: str | None = None) -> None:
        super().__init__(reason, field=field)
        self.retry_after = retry_after


#: Status of a request whose client disconnected before the answer (nginx's "client
#: closed request"); nobody reads it, it shows in logs and metrics.
CLIENT_CLOSED_REQUEST = 499


#: The one table from error type to HTTP status (the nearest class in the MRO wins).
STATUS: dict[type[Exception], int] = {
    # bad requests
    InvalidParameterError: 400,
    UnknownProfileError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    UnknownCollectionError: 404,
    FeatureNotFoundError: 404,
    StaticNotFoundError: 404,
    IllegalTransitionError: 409,
    ShipmentConflictError: 409,
    VersionMismatchError: 412,
    # well-formed requests that cannot be answered
    IngestError: 422,
    OffNetworkError: 422,
    UnreachableError: 422,
    NoRouteError: 422,
    GraphBuildError: 422,
    IdempotencyMismatchError: 422,
    CostingError: 422,
    AllocationError: 422,
    NoPopulationError: 422,
    NoAreasError: 422,
    # the server's own state
    PopulationRasterError: 500,  # the configured raster is the server's own file
    DatabaseUnavailableError: 503,
    OverloadedError: 503,
    BudgetExceededError: 503,
    WorkCancelledError: CLIENT_CLOSED_REQUEST,
    GraphNotBuiltError: 503,
    StaleGraphError: 503,
}
# Errors that do not carry the parameter they are about.
DEFAULT_FIELD: dict[type[Exception], str] = {UnknownProfileError: "profile"}


def register_status(exc_type: type[Exception], status: int) -> None:
    """Add a domain error to the status table (routing and analysis errors)."""
    STATUS[exc_type] = status


def status_for(exc: Exception) -> int:
    """The HTTP status of an error: the entry of its nearest class in the table."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(code: str, description: str, *, field: str | None = None) -> dict[str, object]:
    """The JSON body of every error response."""
    return {"code": code, "description": description, "field": field, "reason": description}


def _domain_response(exc: Exception) -> JSONResponse:
    reason = getattr(exc, "reason", str(exc))
    field = getattr(exc, "field", None) or DEFAULT_FIELD.get(type(exc))
    status = status_for(exc)
    body = error_body(type(exc).__name__.removesuffix("Error"), reason, field=field)
    row = getattr(exc, "row", None)
    if row is not None:
        body["row"] = row
    retry_after = getattr(exc, "retry_after", 5)
    headers = {"Retry-After": str(retry_after)} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def _on_domain(_: Request, exc: Exception) -> JSONResponse:
    return _domain_response(exc)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
    field = ".".join(loc) or None
    reason = str(first.get("msg", "invalid request"))
    return JSONResponse(
        error_body("InvalidParameter", reason, field=field) | {"errors": _plain(exc.errors())},
        status_code=400,
    )


def _plain(errors: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in errors if isinstance(errors, list | tuple) else []:
        out.append({"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))})
    return out


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HttpError")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _on_database(_: Request, exc: Exception) -> JSONResponse:
    timeout = "statement timeout" in str(exc) or "canceling statement" in str(exc)
    reason = (
        "the database query took longer than the statement timeout"
        if timeout
        else "the database is unavailable; try again shortly"
    )
    log.warning("database error: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return _domain_response(DatabaseUnavailableError(reason))


async def _on_pool_timeout(_: Request, exc: Exception) -> JSONResponse:
    # Only reachable when something outside the admission gates holds connections.
    log.warning("database pool timeout: %s", str(exc).splitlines()[0] if str(exc) else exc)
    reason = "every database connection is busy; try again shortly"
    return _domain_response(DatabaseUnavailableError(reason))


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(error_body("InternalError", "internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers for the whole error family."""
    app.add_exception_handler(LayersError, _on_domain)
    app.add_exception_handler(ApiError, _on_domain)
    app.add_exception_handler(RoutingError, _on_domain)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_database)
    app.add_exception_handler(InterfaceError, _on_database)
    app.add_exception_handler(PoolTimeoutError, _on_pool_timeout)
    app.add_exception_handler(WorkStoppedError, _on_domain)
    app.add_exception_handler(Exception, _on_unexpected)
