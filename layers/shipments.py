"""Shipments and their lifecycle: a state machine whose every change is an event.

::

    planned → loading → in_transit → at_port → on_ferry → arrived → delivered
       ↘          ↘          ↘  ↘          ↘
       cancelled  cancelled  cancelled  arrived (no ferry on the route)  cancelled

``delivered`` and ``cancelled`` are final. A shipment on the move (``loading`` ..
``arrived``) may also report its position without changing status: an event with no
new status (stored with ``from_status == to_status``). Any other change, including
"to the status it already has", is an illegal jump (:class:`IllegalTransitionError`,
HTTP 409), so of two clients racing to make the same change exactly one wins.

:func:`apply_event` runs inside the caller's transaction: it locks the shipment row
(``SELECT … FOR UPDATE``), so concurrent changes of one shipment are applied one
after the other, each against the status the previous one left. An idempotency key
makes a retried request harmless: the second time, the stored event is returned and
nothing is applied (``UNIQUE (shipment_id, idempotency_key)`` backs this up).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from layers.errors import FeatureNotFoundError, InvalidParameterError, LayersError
from layers.logistics_models import SHIPMENT_STATUSES

SHIPMENTS_SOURCE = "lampung-geo:shipments"
FINAL = frozenset({"delivered", "cancelled"})
#: Statuses in which a position report (same status) is allowed.
MOVING = frozenset({"loading", "in_transit", "at_port", "on_ferry", "arrived"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"loading", "cancelled"}),
    "loading": frozenset({"in_transit", "cancelled"}),
    "in_transit": frozenset({"at_port", "arrived", "cancelled"}),
    "at_port": frozenset({"on_ferry", "cancelled"}),
    "on_ferry": frozenset({"arrived"}),
    "arrived": frozenset({"delivered"}),
    "delivered": frozenset(),
    "cancelled": frozenset(),
}


class IllegalTransitionError(LayersError):
    """The requested status change is not allowed from the current status (409)."""


class IdempotencyMismatchError(LayersError):
    """An idempotency key was reused with a different request body (422)."""


class VersionMismatchError(LayersError):
    """The shipment changed since the version the client expected (412)."""


class ShipmentConflictError(LayersError):
    """A shipment with this code already exists (409)."""


@dataclass(frozen=True, slots=True)
class EventResult:
    """The shipment after a PATCH, its event, and whether this was a replay."""

    shipment: dict[str, Any]
    event: dict[str, Any]
    replayed: bool


def next_statuses(status: str) -> list[str]:
    """The statuses a shipment in ``status`` may move to, in lifecycle order.

    What a client should offer as the next steps (``[]`` for a final status); any
    other status is refused with :class:`IllegalTransitionError`.
    """
    allowed_next = TRANSITIONS.get(status, frozenset())
    return [s for s in SHIPMENT_STATUSES if s in allowed_next]


def allowed(from_status: str, to_status: str | None) -> bool:
    """Whether ``from_status → to_status`` is legal (``None``: a position report)."""
    if to_status is None:
        return from_status in MOVING
    return to_status in TRANSITIONS.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str | None) -> None:
    """Raise :class:`IllegalTransitionError` (or an invalid-status error) if not allowed."""
    if to_status is not None and to_status not in SHIPMENT_STATUSES:
        msg = f"unknown status {to_status!r}; statuses: {list(SHIPMENT_STATUSES)}"
        raise InvalidParameterError(msg, field="status")
    if not allowed(from_status, to_status):
        nxt = next_statuses(from_status)
        if to_status is None:
            msg = f"a {from_status!r} shipment cannot report a position; it is not on the move"
        elif to_status == from_status:
            msg = (
                f"the shipment is already {from_status!r}; omit status to report a position; "
                f"next statuses: {nxt}"
            )
        else:
            msg = f"a shipment cannot go from {from_status!r} to {to_status!r}; allowed: {nxt}"
        raise IllegalTransitionError(msg, field="status")


def _point(pos: tuple[float, float] | None) -> str | None:
    return None if pos is None else f"SRID=4326;POINT({float(pos[0])} {float(pos[1])})"


_SELECT = (
    "SELECT s.id, s.code, s.status, s.commodity, s.tonnes, s.vehicle_class, s.vehicles, "
    "s.market_id, m.name AS market_name, ST_X(s.origin) AS origin_lon, "
    "ST_Y(s.origin) AS origin_lat, s.departure, s.eta, "
    "ST_AsGeoJSON(s.route, 6)::json AS route, s.plan, s.cost, s.created_by, s.created_at, "
    "s.updated_at, s.version FROM shipments s JOIN markets m ON m.id = s.market_id"
)
_EVENT = (
    "SELECT e.id, e.shipment_id, e.from_status, e.to_status, e.at, e.recorded_at, "
    "ST_AsGeoJSON(e.position, 6)::json AS position, e.note, e.idempotency_key, e.actor "
    "FROM shipment_events e"
)


def create_shipment(
    conn: Connection,
    *,
    commodity: str,
    tonnes: float,
    vehicle_class: str,
    vehicles: int,
    market_id: int,
    origin: tuple[float, float],
    departure: datetime,
    eta: datetime | None,
    route: list[tuple[float, float]] | None,
    plan: dict[str, Any],
    cost: dict[str, Any],
    code: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Insert a ``planned`` shipment and its first event (the caller commits).

    Raises
    ------
    ShipmentConflictError
        When ``code`` is taken.
    """
    conn.execute(
        text(
            "INSERT INTO sources (id, title, is_demo) VALUES "
            "(:s, 'Shipments recorded in lampung-geo', false) ON CONFLICT (id) DO NOTHING"
        ),
        {"s": SHIPMENTS_SOURCE},
    )
    code = code or f"SHP-{departure:%Y%m%d}-{secrets.token_hex(3).upper()}"
    line = None
    if route and len(route) >= 2:
        line = "SRID=4326;LINESTRING(" + ", ".join(f"{x} {y}" for x, y in route) + ")"
    try:
        with conn.begin_nested():
            sid = conn.execute(
                text(
                    "INSERT INTO shipments (code, commodity, tonnes, vehicle_class, vehicles, "
                    "market_id, origin, departure, eta, route, plan, cost, created_by) VALUES "
                    "(:code, :commodity, :tonnes, :vc, :vehicles, :market, "
                    "ST_GeomFromEWKT(:origin), :departure, :eta, ST_GeomFromEWKT(:route), "
                    "CAST(:plan AS jsonb), CAST(:cost AS jsonb), :actor) RETURNING id"
                ),
                {
                    "code": code,
                    "commodity": commodity,
                    "tonnes": tonnes,
                    "vc": vehicle_class,
                    "vehicles": vehicles,
                    "market": market_id,
                    "origin": _point(origin),
                    "departure": departure,
                    "eta": eta,
                    "route": line,
                    "plan": json.dumps(plan),
                    "cost": json.dumps(cost),
                    "actor": actor,
                },
            ).scalar_one()
    except IntegrityError as exc:
        if "uq_shipments_code" in str(exc):
            msg = f"a shipment with code {code!r} already exists"
            raise ShipmentConflictError(msg, field="code") from None
        raise
    conn.execute(
        text(
            "INSERT INTO shipment_events (shipment_id, from_status, to_status, at, position, "
            "note, actor) VALUES (:id, NULL, 'planned', now(), ST_GeomFromEWKT(:pos), "
            "'shipment created', :actor)"
        ),
        {"id": sid, "pos": _point(origin), "actor": actor},
    )
    return get_shipment(conn, int(sid))


def get_shipment(conn: Connection, shipment_id: int) -> dict[str, Any]:
    """One shipment (without events).

    Raises
    ------
    FeatureNotFoundError
        When no shipment has this id.
    """
    row = conn.execute(text(f"{_SELECT} WHERE s.id = :id"), {"id": shipment_id}).mappings()
    found = row.one_or_none()
    if found is None:
        msg = f"no shipment with id {shipment_id}"
        raise FeatureNotFoundError(msg, field="shipmentId")
    return dict(found)


def list_events(conn: Connection, shipment_id: int) -> list[dict[str, Any]]:
    """A shipment's events, oldest first (checks that the shipment exists)."""
    get_shipment(conn, shipment_id)
    rows = conn.execute(
        text(f"{_EVENT} WHERE e.shipment_id = :id ORDER BY e.id"), {"id": shipment_id}
    ).mappings()
    return [dict(r) for r in rows]


def list_shipments(
    conn: Connection,
    *,
    status: str | None = None,
    commodity: str | None = None,
    market_id: int | None = None,
    departure_from: datetime | None = None,
    departure_to: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Shipments matching the filters, newest departure first, and how many match."""
    if status is not None and status not in SHIPMENT_STATUSES:
        msg = f"unknown status {status!r}; statuses: {list(SHIPMENT_STATUSES)}"
        raise InvalidParameterError(msg, field="status")
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for name, col, value in (
        ("status", "s.status", status),
        ("commodity", "s.commodity", commodity),
        ("market", "s.market_id", market_id),
    ):
        if value is not None:
            clauses.append(f"{col} = :{name}")
            params[name] = value
    if departure_from is not None:
        clauses.append("s.departure >= :dfrom")
        params["dfrom"] = departure_from
    if departure_to is not None:
        clauses.append("s.departure < :dto")
        params["dto"] = departure_to
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    matched = conn.execute(text(f"SELECT count(*) FROM shipments s{where}"), params).scalar_one()
    rows = conn.execute(
        text(f"{_SELECT}{where} ORDER BY s.departure DESC, s.id DESC LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset},
    ).mappings()
    return [dict(r) for r in rows], int(matched)


def _event_by_key(conn: Connection, shipment_id: int, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        text(
            f"{_EVENT.replace(' FROM ', ', ST_X(e.position) AS x, ST_Y(e.position) AS y FROM ')} "
            "WHERE e.shipment_id = :id AND e.idempotency_key = :k"
        ),
        {"id": shipment_id, "k": key},
    ).mappings()
    found = row.one_or_none()
    return None if found is None else dict(found)


def _differences(
    previous: dict[str, Any],
    *,
    to_status: str | None,
    position: tuple[float, float] | None,
    note: str | None,
    at: datetime | None,
) -> list[str]:
    """The fields in which a retried change differs from the stored one.

    The stored event is compared with the request as it was sent: a status (or none,
    for a position report), a position (to 1e-9 degrees, well below a millimetre), a
    note and a time (``at`` omitted the first time is stored as the recording time).
    """
    diff = []
    wanted = to_status or previous["from_status"]
    if wanted != previous["to_status"] or (to_status is None) != (
        previous["from_status"] == previous["to_status"]
    ):
        diff.append("status")
    if (position is None) != (previous["x"] is None) or (
        position is not None
        and (abs(position[0] - previous["x"]) > 1e-9 or abs(position[1] - previous["y"]) > 1e-9)
    ):
        diff.append("position")
    if note != previous["note"]:
        diff.append("note")
    at_defaulted = previous["at"] == previous["recorded_at"]
    if (at is None and not at_defaulted) or (at is not None and at != previous["at"]):
        diff.append("at")
    return diff


def apply_event(
    conn: Connection,
    shipment_id: int,
    *,
    to_status: str | None,
    idempotency_key: str,
    position: tuple[float, float] | None = None,
    note: str | None = None,
    at: datetime | None = None,
    actor: str | None = None,
    expected_version: int | None = None,
) -> EventResult:
    """Apply one status change or position report, exactly once per idempotency key.

    Must run inside a transaction the caller commits (``with engine.begin() as conn``):
    the shipment row stays locked until then.

    Parameters
    ----------
    conn
        Connection inside a transaction.
    shipment_id
        The shipment.
    to_status
        New status; None for a position report in the current status.
    idempotency_key
        Client-chosen key; a repeat with the same key and the same change returns the
        first result; the same key with another status, position, note or time is
        refused (:class:`IdempotencyMismatchError`), never silently replayed.
    position
        Where the vehicle is (lon, lat).
    note
        Free text.
    at
        When it happened (default: now).
    actor
        Who (an API key prefix).
    expected_version
        If given, the shipment's current version must equal it.

    Raises
    ------
    FeatureNotFoundError, IllegalTransitionError, IdempotencyMismatchError,
    VersionMismatchError
    """
    if not idempotency_key or len(idempotency_key) > 200:
        msg = "an idempotency key of 1-200 characters is required"
        raise InvalidParameterError(msg, field="Idempotency-Key")
    locked = conn.execute(
        text("SELECT status, version FROM shipments WHERE id = :id FOR UPDATE"),
        {"id": shipment_id},
    ).one_or_none()
    if locked is None:
        msg = f"no shipment with id {shipment_id}"
        raise FeatureNotFoundError(msg, field="shipmentId")
    current = str(locked.status)
    previous = _event_by_key(conn, shipment_id, idempotency_key)
    if previous is not None:
        diff = _differences(previous, to_status=to_status, position=position, note=note, at=at)
        if diff:
            msg = (
                f"idempotency key {idempotency_key!r} was already used for a change to "
                f"{previous['to_status']!r} with another body (different: {', '.join(diff)}); "
                "use a new key for a new change"
            )
            raise IdempotencyMismatchError(msg, field="Idempotency-Key")
        previous.pop("x")
        previous.pop("y")
        return EventResult(get_shipment(conn, shipment_id), previous, replayed=True)
    if expected_version is not None and expected_version != int(locked.version):
        msg = f"shipment is at version {locked.version}, not {expected_version}"
        raise VersionMismatchError(msg, field="If-Match")
    check_transition(current, to_status)
    target = to_status or current
    event_id = conn.execute(
        text(
            "INSERT INTO shipment_events (shipment_id, from_status, to_status, at, position, "
            "note, idempotency_key, actor) VALUES (:id, :f, :t, coalesce(:at, now()), "
            "ST_GeomFromEWKT(:pos), :note, :key, :actor) RETURNING id"
        ),
        {
            "id": shipment_id,
            "f": current,
            "t": target,
            "at": at,
            "pos": _point(position),
            "note": note,
            "key": idempotency_key,
            "actor": actor,
        },
    ).scalar_one()
    conn.execute(
        text(
            "UPDATE shipments SET status = :t, version = version + 1, updated_at = now() "
            "WHERE id = :id"
        ),
        {"id": shipment_id, "t": target},
    )
    event = conn.execute(text(f"{_EVENT} WHERE e.id = :id"), {"id": event_id}).mappings().one()
    return EventResult(get_shipment(conn, shipment_id), dict(event), replayed=False)
