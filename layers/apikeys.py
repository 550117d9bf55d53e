"""API keys: created once, stored hashed, verified per request.

A key looks like ``lgk_<prefix>_<secret>``: the 12-hex-digit prefix finds the row,
the SHA-256 of the whole key is compared in constant time. The key itself is shown
once, at creation, and never stored. Keys are 160+ random bits, so a plain (unsalted)
SHA-256 is enough: there is nothing to guess by brute force.

Roles, weakest first: ``viewer`` (read-only, for dashboards), ``planner`` (create and
update shipments, save plans, edit cost parameters), ``admin`` (everything).

A key may carry an **agency scope** (``agency``, a code of the ``agencies`` table, and
optionally ``area_code``, a BPS code prefix: ``1810`` Pringsewu, ``18`` the province):
an OPD officer's key, which sees and moves only the citizen reports routed to that
agency (in that area). A key without a scope is not limited to an agency.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import FeatureNotFoundError, InvalidParameterError
from layers.logistics_models import ROLES

PREFIX = "lgk"


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """A verified key's identity (never the key itself)."""

    id: int
    prefix: str
    role: str
    name: str | None
    agency: str | None = None
    area_code: str | None = None


def role_rank(role: str) -> int:
    """0 for viewer, 1 for planner, 2 for admin."""
    return ROLES.index(role)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    conn: Connection,
    *,
    role: str,
    name: str | None = None,
    agency: str | None = None,
    area_code: str | None = None,
) -> tuple[str, ApiKeyInfo]:
    """Create a key with ``role`` (the caller commits); return the key and its info.

    ``agency`` (and ``area_code``) give the key an agency scope for citizen reports.

    Raises
    ------
    InvalidParameterError
        When the role is not one of :data:`~layers.logistics_models.ROLES`, the agency
        is unknown, or an area code is given without an agency or is not 2-7 digits.
    """
    if role not in ROLES:
        msg = f"unknown role {role!r}; roles: {list(ROLES)}"
        raise InvalidParameterError(msg, field="role")
    if agency is not None:
        known = list(conn.execute(text("SELECT code FROM agencies ORDER BY code")).scalars())
        if agency not in known:
            msg = f"unknown agency {agency!r}; agencies: {known}"
            raise InvalidParameterError(msg, field="agency")
    if area_code is not None and (agency is None or not re.fullmatch(r"[0-9]{2,7}", area_code)):
        msg = "an area code is a BPS code prefix of 2-7 digits, and needs an agency"
        raise InvalidParameterError(msg, field="area")
    prefix = secrets.token_hex(6)
    key = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    key_id = conn.execute(
        text(
            "INSERT INTO api_keys (prefix, hash, role, name, agency, area_code) "
            "VALUES (:p, :h, :r, :n, :a, :ac) RETURNING id"
        ),
        {"p": prefix, "h": _hash(key), "r": role, "n": name, "a": agency, "ac": area_code},
    ).scalar_one()
    return key, ApiKeyInfo(int(key_id), prefix, role, name, agency, area_code)


def verify_key(conn: Connection, key: str) -> ApiKeyInfo | None:
    """The key's info if it exists and is not revoked, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12:
        return None
    row = conn.execute(
        text(
            "SELECT id, prefix, hash, role, name, agency, area_code FROM api_keys "
            "WHERE prefix = :p AND revoked_at IS NULL"
        ),
        {"p": parts[1]},
    ).one_or_none()
    if row is None or not hmac.compare_digest(str(row.hash), _hash(key)):
        return None
    return ApiKeyInfo(
        int(row.id), str(row.prefix), str(row.role), row.name, row.agency, row.area_code
    )


def revoke_key(conn: Connection, prefix: str) -> datetime:
    """Revoke the key with this prefix (the caller commits); return when.

    Raises
    ------
    FeatureNotFoundError
        When no active key has this prefix.
    """
    when = conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = now() WHERE prefix = :p AND revoked_at IS NULL "
            "RETURNING revoked_at"
        ),
        {"p": prefix},
    ).scalar_one_or_none()
    if when is None:
        msg = f"no active API key with prefix {prefix!r}"
        raise FeatureNotFoundError(msg, field="prefix")
    return when  # type: ignore[no-any-return]


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    """All keys (prefix, role, name, agency scope, created, revoked); never hashes."""
    rows = conn.execute(
        text(
            "SELECT prefix, role, name, agency, area_code, created_at, revoked_at "
            "FROM api_keys ORDER BY id"
        )
    ).mappings()
    return [dict(r) for r in rows]
