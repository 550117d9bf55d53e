"""Database tables, as geoalchemy2 models.

All geometries are EPSG:4326 with GiST indexes. Every feature row names the dataset
it came from (``source``, a row of :class:`Source`) and its id in that dataset
(``source_id``); ``(source, source_id)`` is unique, which makes ingest an upsert.
Lookup values (service categories, commodities, vehicle classes) live in tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326
ADMIN_LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")


def _geom(kind: str) -> Any:
    return Geometry(kind, srid=SRID, spatial_index=False)


class Base(DeclarativeBase):
    """Declarative base of all platform tables."""


class Source(Base):
    """A dataset that rows were loaded from, with its attribution."""

    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    attribution: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Category(Base):
    """A kind of public-service point (puskesmas, samsat, ...)."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_id: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class Commodity(Base):
    """A food commodity."""

    __tablename__ = "commodities"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_id: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class VehicleClass(Base):
    """A freight vehicle class with payload, fuel use, toll group and ferry class."""

    __tablename__ = "vehicle_classes"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_id: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    payload_t: Mapped[float] = mapped_column(Float)
    fuel_l_per_km: Mapped[float] = mapped_column(Float)
    toll_group: Mapped[str] = mapped_column(Text)
    ferry_class: Mapped[str] = mapped_column(Text)


class _Feature:
    """Columns every feature table shares."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text, ForeignKey("sources.id"))
    source_id: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class AdminArea(_Feature, Base):
    """An administrative area: provinsi, kabupaten/kota, kecamatan or desa/kelurahan."""

    __tablename__ = "admin_areas"
    level: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("admin_areas.id", ondelete="SET NULL")
    )
    population: Mapped[int | None] = mapped_column(BigInteger)
    population_year: Mapped[int | None] = mapped_column(Integer)
    population_source: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_admin_areas_source"),
        CheckConstraint(f"level IN {ADMIN_LEVELS!r}", name="ck_admin_areas_level"),
        CheckConstraint("population IS NULL OR population >= 0", name="ck_admin_areas_pop"),
        Index("ix_admin_areas_geom", "geom", postgresql_using="gist"),
        Index("ix_admin_areas_level", "level"),
    )


class ServicePoint(_Feature, Base):
    """A public-service point that citizens travel to."""

    __tablename__ = "service_points"
    category: Mapped[str] = mapped_column(Text, ForeignKey("categories.code"))
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[Any] = mapped_column(_geom("POINT"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_service_points_source"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_service_points_capacity"),
        Index("ix_service_points_geom", "geom", postgresql_using="gist"),
        Index("ix_service_points_category", "category"),
    )


class Farm(_Feature, Base):
    """A farm or production site."""

    __tablename__ = "farms"
    name: Mapped[str] = mapped_column(Text)
    commodity: Mapped[str] = mapped_column(Text, ForeignKey("commodities.code"))
    production_t_per_year: Mapped[float] = mapped_column(Float)
    harvest_months: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    geom: Mapped[Any] = mapped_column(_geom("POINT"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_farms_source"),
        CheckConstraint("production_t_per_year >= 0", name="ck_farms_production"),
        Index("ix_farms_geom", "geom", postgresql_using="gist"),
    )


class Market(_Feature, Base):
    """A destination market with demand per commodity (tonnes per month)."""

    __tablename__ = "markets"
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    demand_t_per_month: Mapped[dict[str, float]] = mapped_column(
        JSONB, default=dict, server_default="{}"
    )
    geom: Mapped[Any] = mapped_column(_geom("POINT"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_markets_source"),
        Index("ix_markets_geom", "geom", postgresql_using="gist"),
    )


class Port(_Feature, Base):
    """A ferry terminal or seaport."""

    __tablename__ = "ports"
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_geom("POINT"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_ports_source"),
        Index("ix_ports_geom", "geom", postgresql_using="gist"),
    )


class Settlement(_Feature, Base):
    """A built-up settlement area (RBI ``PEMUKIMAN_AR``): where people live."""

    __tablename__ = "settlements"
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_settlements_source"),
        Index("ix_settlements_geom", "geom", postgresql_using="gist"),
    )


class FerryLink(_Feature, Base):
    """A ferry crossing between two ports, with tariffs per ferry vehicle class."""

    __tablename__ = "ferry_links"
    from_port_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ports.id"))
    to_port_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ports.id"))
    name: Mapped[str] = mapped_column(Text)
    crossing_minutes: Mapped[float] = mapped_column(Float)
    departures_per_day: Mapped[int] = mapped_column(Integer)
    daily_capacity_vehicles: Mapped[int | None] = mapped_column(Integer)
    tariffs: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    tariff_source: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_geom("LINESTRING"))
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_ferry_links_source"),
        CheckConstraint("crossing_minutes > 0", name="ck_ferry_links_crossing"),
        CheckConstraint("departures_per_day > 0", name="ck_ferry_links_departures"),
        Index("ix_ferry_links_geom", "geom", postgresql_using="gist"),
    )
