"""Logistics tables (migration 0002), as geoalchemy2 models on the shared ``Base``.

* ``cost_parameters``: every planning figure (fuel prices, driver cost, CO2 factor,
  toll tariffs per km, ferry freight share) with its unit and source;
* ``ferry_schedules``: optional timetable of a ferry link (else evenly spaced from 00:00);
* ``shipments`` and ``shipment_events``: the tracked shipments and their status history;
* ``api_keys``: hashed API keys with a role.

The OGC collection ``shipments`` reads the view ``shipment_features`` (migration 0002).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.models import SRID, Base

SHIPMENT_STATUSES = (
    "planned",
    "loading",
    "in_transit",
    "at_port",
    "on_ferry",
    "arrived",
    "delivered",
    "cancelled",
)
ROLES = ("viewer", "planner", "admin")


def _geom(kind: str) -> Any:
    return Geometry(kind, srid=SRID, spatial_index=False)


class CostParameter(Base):
    """A planning figure with its unit and source."""

    __tablename__ = "cost_parameters"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(Text)


class FerrySchedule(Base):
    """A ferry link's timetable (local times), overriding even spacing from midnight."""

    __tablename__ = "ferry_schedules"
    ferry_link_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ferry_links.id", ondelete="CASCADE"), primary_key=True
    )
    first_departure_min: Mapped[float] = mapped_column(Float, server_default="0")
    timetable_min: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    timezone: Mapped[str] = mapped_column(Text, server_default="Asia/Jakarta")
    source: Mapped[str | None] = mapped_column(Text)


class Shipment(Base):
    """A planned or running shipment with its planned route, ETA and cost."""

    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text, server_default="planned")
    commodity: Mapped[str] = mapped_column(Text, ForeignKey("commodities.code"))
    tonnes: Mapped[float] = mapped_column(Float)
    vehicle_class: Mapped[str] = mapped_column(Text, ForeignKey("vehicle_classes.code"))
    vehicles: Mapped[int] = mapped_column(Integer)
    market_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("markets.id", ondelete="CASCADE"))
    origin: Mapped[Any] = mapped_column(_geom("POINT"))
    departure: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    eta: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    route: Mapped[Any | None] = mapped_column(_geom("LINESTRING"), nullable=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    cost: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __table_args__ = (
        CheckConstraint(f"status IN {SHIPMENT_STATUSES!r}", name="ck_shipments_status"),
        CheckConstraint("tonnes > 0", name="ck_shipments_tonnes"),
        CheckConstraint("vehicles >= 1", name="ck_shipments_vehicles"),
        Index("ix_shipments_route", "route", postgresql_using="gist"),
        Index("ix_shipments_status", "status"),
        Index("ix_shipments_departure", "departure"),
    )


class ShipmentEvent(Base):
    """One status change (or position report) of a shipment."""

    __tablename__ = "shipment_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("shipments.id", ondelete="CASCADE")
    )
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    position: Mapped[Any | None] = mapped_column(_geom("POINT"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("shipment_id", "idempotency_key", name="uq_shipment_events_idem"),
        Index("ix_shipment_events_shipment", "shipment_id", "id"),
    )


class ApiKey(Base):
    """An API key: only a prefix (to find it) and the SHA-256 of the whole key are kept."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(Text, unique=True)
    hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="ck_api_keys_role"),)
