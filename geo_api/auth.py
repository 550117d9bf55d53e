"""API-key authentication for write endpoints: header ``X-API-Key``, roles by rank.

Reads are public. A write endpoint depends on :func:`require_role`; a missing or
unknown/revoked key answers 401, a key whose role is too small answers 403. Keys are
made with ``lampung-geo keys create --role planner`` and stored hashed
(:mod:`layers.apikeys`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import Connection

from geo_api.deps import ConnectionDep
from geo_api.errors import AuthenticationError, PermissionDeniedError
from layers.apikeys import ApiKeyInfo, role_rank, verify_key

HEADER = "X-API-Key"

api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description=(
        "An API key made with `lampung-geo keys create --role planner`. Needed for writes "
        "(shipments, saved plans, cost parameters) and the officers' side of citizen "
        "reports; other reads are public. A key made with --agency (an OPD key) covers "
        "only the reports of that agency."
    ),
)


def _present(key: str | None) -> str:
    if not key:
        msg = f"this operation needs an API key in the {HEADER} header"
        raise AuthenticationError(msg, field=HEADER)
    return key


def check_key(conn: Connection, key: str | None, role: str) -> ApiKeyInfo:
    """Verify ``key`` on the request's connection, and that its role is ``role`` or
    above (401 / 403 otherwise)."""
    info = verify_key(conn, _present(key))
    if info is None:
        msg = "the API key is unknown or revoked"
        raise AuthenticationError(msg, field=HEADER)
    if role_rank(info.role) < role_rank(role):
        msg = f"this operation needs the role {role!r} or above; the key has {info.role!r}"
        raise PermissionDeniedError(msg, field=HEADER)
    return info


async def _key_present(key: Annotated[str | None, Security(api_key_header)] = None) -> str:
    return _present(key)  # no key: 401 before any database slot is taken


PresentKey = Annotated[str, Depends(_key_present)]


def require_role(role: str) -> Callable[..., ApiKeyInfo]:
    """A dependency that lets a request through only with a key of ``role`` or above."""
    role_rank(role)  # fail early on a typo

    def dependency(key: PresentKey, conn: ConnectionDep) -> ApiKeyInfo:
        return check_key(conn, key, role)

    return dependency


OptionalKey = Annotated[str | None, Security(api_key_header)]
ViewerKey = Annotated[ApiKeyInfo, Depends(require_role("viewer"))]
PlannerKey = Annotated[ApiKeyInfo, Depends(require_role("planner"))]
AdminKey = Annotated[ApiKeyInfo, Depends(require_role("admin"))]
