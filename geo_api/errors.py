"""The API's error family: one table from exception type to HTTP status.

Every error body is JSON: ``{"code", "description", "field", "reason"}``. No stack
trace ever reaches a client; unexpected errors are logged and answered with a 500
that says only that.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from data.budget import BudgetExceededError, WorkCancelledError, WorkStoppedError
from layers.errors import (
    FeatureNotFoundError,
    IngestError,
    InvalidParameterError,
    LayersError,
    UnknownCollectionError,
    UnknownReferenceError,
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


class TileNotFoundError(ApiError):
    """A tile address outside the tile matrix set (404)."""


class BadCharacterError(ApiError):
    """A NUL byte or another control character where text is expected (400)."""


class InvalidBodyError(ApiError):
    """A request body that cannot be read (too deeply nested JSON) (400)."""


class PayloadTooLargeError(ApiError):
    """A request body larger than the configured limit (413)."""


class InvalidValueError(ApiError):
    """A value the database refuses for its type or range (400)."""


class DataConflictError(ApiError):
    """A change the database refuses because it conflicts with stored data (409)."""


#: The one table from error type to HTTP status (the nearest class in the MRO wins).
STATUS: dict[type[Exception], int] = {
    # bad requests
    InvalidParameterError: 400,
    UnknownProfileError: 400,
    BadCharacterError: 400,
    InvalidBodyError: 400,
    InvalidValueError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    UnknownCollectionError: 404,
    FeatureNotFoundError: 404,
    StaticNotFoundError: 404,
    TileNotFoundError: 404,
    IllegalTransitionError: 409,
    ShipmentConflictError: 409,
    DataConflictError: 409,
    VersionMismatchError: 412,
    PayloadTooLargeError: 413,
    # well-formed requests that cannot be answered
    IngestError: 422,
    UnknownReferenceError: 422,
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
#: Numbers an error may carry besides its text, copied into its body (so clients can
#: word their own message, e.g. "this point is 12 km from the nearest road").
ERROR_DETAILS = ("distance_m", "max_distance_m")
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


def domain_response(exc: Exception) -> JSONResponse:
    """The JSON answer to a domain error, with its status from :data:`STATUS`."""
    reason = getattr(exc, "reason", str(exc))
    field = getattr(exc, "field", None) or DEFAULT_FIELD.get(type(exc))
    status = status_for(exc)
    body = error_body(type(exc).__name__.removesuffix("Error"), reason, field=field)
    row = getattr(exc, "row", None)
    if row is not None:
        body["row"] = row
    for extra in ERROR_DETAILS:  # e.g. how far an off-network point is from the road
        value = getattr(exc, extra, None)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            body[extra] = round(float(value), 1)
    retry_after = getattr(exc, "retry_after", 5)
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else None
    return JSONResponse(body, status_code=status, headers=headers)


async def _on_domain(_: Request, exc: Exception) -> JSONResponse:
    return domain_response(exc)


# Pydantic names the member of a union an error is about in ``loc`` (``market.str``,
# ``market.constrained-int``); that is no field of the request.
_UNION_TAG = re.compile(
    r"^(?:str|int|float|bool|bytes|list|dict|tuple|none|[a-z-]+\[.*\]|"
    r"(?:constrained|strict|lax|function)-[a-z-]+)$"
)


def header_name(name: str) -> str:
    """``idempotency-key`` → ``Idempotency-Key`` (as the API's documentation spells it)."""
    return "-".join(w[:1].upper() + w[1:] for w in name.split("-"))


def validation_field(error: dict[str, Any]) -> str | None:
    """The request field a validation error is about (``origin.0``, ``limit``)."""
    if error.get("type") in ("json_invalid", "model_attributes_type"):
        return "body"
    loc = error.get("loc", ())
    if loc[:1] == ("header",) and len(loc) > 1:
        return header_name(str(loc[1]))
    loc = [p for p in error.get("loc", ()) if p not in ("query", "path", "body", "header")]
    parts = [str(p) for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p))]
    return ".".join(parts) or ("body" if error.get("loc", ())[:1] == ("body",) else None)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    reason = str(first.get("msg", "invalid request"))
    return JSONResponse(
        error_body("InvalidParameter", reason, field=validation_field(first))
        | {"errors": _plain(exc.errors())},
        status_code=400,
    )


def _plain(errors: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in errors if isinstance(errors, list | tuple) else []:
        out.append({"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))})
    return out


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HttpError")
    headers = dict(exc.headers or {})
    detail = str(exc.detail)
    if exc.status_code == 405:
        allowed = allowed_methods(request, headers.get("Allow"))
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
    return JSONResponse(error_body(code, detail), status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request, framework: str | None = None) -> list[str]:
    """Every method served at the request's path.

    The framework names only the methods of the first route whose path matches; the
    OpenAPI document knows every operation of the path (HEAD comes with GET).
    """
    methods = {m.strip().upper() for m in (framework or "").split(",") if m.strip()}
    path = request.scope.get("path", "")
    for template, item in request.app.openapi().get("paths", {}).items():
        if _template_regex(template).fullmatch(path):
            methods |= {m.upper() for m in item if m.upper() in _HTTP_METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


async def _on_data(_: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses (out of range, wrong type, NUL): 400 without SQL."""
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(orig or exc).splitlines()[0]
    log.info("database refused a value: %s", primary)
    if isinstance(exc, IntegrityError):
        return domain_response(
            DataConflictError(f"the change conflicts with stored data: {primary}")
        )
    return domain_response(InvalidValueError(f"a value was refused: {primary}"))


async def _on_database(_: Request, exc: Exception) -> JSONResponse:
    timeout = "statement timeout" in str(exc) or "canceling statement" in str(exc)
    reason = (
        "the database query took longer than the statement timeout"
        if timeout
        else "the database is unavailable; try again shortly"
    )
    log.warning("database error: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return domain_response(DatabaseUnavailableError(reason))


async def _on_pool_timeout(_: Request, exc: Exception) -> JSONResponse:
    # Only reachable when something outside the admission gates holds connections.
    log.warning("database pool timeout: %s", str(exc).splitlines()[0] if str(exc) else exc)
    reason = "every database connection is busy; try again shortly"
    return domain_response(DatabaseUnavailableError(reason))


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    # This answer is made outside the middleware stack: it carries its own headers.
    return JSONResponse(
        error_body("InternalError", "internal server error"),
        status_code=500,
        headers={"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
        | {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
        | {"Referrer-Policy": "strict-origin-when-cross-origin"},
    )


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
    app.add_exception_handler(DataError, _on_data)
    app.add_exception_handler(IntegrityError, _on_data)
    app.add_exception_handler(Exception, _on_unexpected)
