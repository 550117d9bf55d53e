"""API-key authentication for write endpoints: header ``X-API-Key``, roles by rank.

Reads are public. A write endpoint depends on :func:`require_role`; a missing or
unknown/revoked key answers 401, a key whose role is too small answers 403. Keys are
made with ``lampung-geo keys create --role planner`` and stored hashed
(:mod:`layers.apikeys`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine

from geo_api.errors import AuthenticationError, PermissionDeniedError
from layers.apikeys import ApiKeyInfo, role_rank, verify_key

HEADER = "X-API-Key"

api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description=(
        "An API key made with `lampung-geo keys create --role planner`. Needed for writes "
        "(shipments, saved plans, cost parameters); reads are public."
    ),
)


def check_key(engine: Engine, key: str | None, role: str) -> ApiKeyInfo:
    """Verify ``key`` and that its role is ``role`` or above (401 / 403 otherwise)."""
    if not key:
        msg = f"this operation needs an API key in the {HEADER} header"
        raise AuthenticationError(msg, field=HEADER)
    with engine.connect() as conn:
        info = verify_key(conn, key)
    if info is None:
        msg = "the API key is unknown or revoked"
        raise AuthenticationError(msg, field=HEADER)
    if role_rank(info.role) < role_rank(role):
        msg = f"this operation needs the role {role!r} or above; the key has {info.role!r}"
        raise PermissionDeniedError(msg, field=HEADER)
    return info


def require_role(role: str) -> Callable[..., ApiKeyInfo]:
    """A dependency that lets a request through only with a key of ``role`` or above."""
    role_rank(role)  # fail early on a typo

    def dependency(
        request: Request, key: Annotated[str | None, Security(api_key_header)] = None
    ) -> ApiKeyInfo:
        return check_key(request.app.state.engine, key, role)

    return dependency


OptionalKey = Annotated[str | None, Security(api_key_header)]
PlannerKey = Annotated[ApiKeyInfo, Depends(require_role("planner"))]
AdminKey = Annotated[ApiKeyInfo, Depends(require_role("admin"))]
