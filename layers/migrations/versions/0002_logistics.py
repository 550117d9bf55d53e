"""Logistics: cost parameters, ferry schedules, shipments and their events, API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00

Written by hand (models in ``layers/logistics_models.py``).
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUSES = (
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
SHIPMENTS_SOURCE = "lampung-geo:shipments"


def _geom(kind: str, *, nullable: bool) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(
        geometry_type=kind,
        srid=4326,
        dimension=2,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
        nullable=nullable,
    )


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "cost_parameters",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "ferry_schedules",
        sa.Column("ferry_link_id", sa.BigInteger(), nullable=False),
        sa.Column("first_departure_min", sa.Float(), server_default="0", nullable=False),
        sa.Column("timetable_min", postgresql.ARRAY(sa.Float()), nullable=True),
        sa.Column("timezone", sa.Text(), server_default="Asia/Jakarta", nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "first_departure_min >= 0 AND first_departure_min < 1440",
            name="ck_ferry_schedules_first",
        ),
        sa.ForeignKeyConstraint(["ferry_link_id"], ["ferry_links.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ferry_link_id"),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="planned", nullable=False),
        sa.Column("commodity", sa.Text(), nullable=False),
        sa.Column("tonnes", sa.Float(), nullable=False),
        sa.Column("vehicle_class", sa.Text(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("origin", _geom("POINT", nullable=False), nullable=False),
        sa.Column("departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("route", _geom("LINESTRING", nullable=True), nullable=True),
        sa.Column(
            "plan", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "cost", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="ck_shipments_status"),
        sa.CheckConstraint("tonnes > 0", name="ck_shipments_tonnes"),
        sa.CheckConstraint("vehicles >= 1", name="ck_shipments_vehicles"),
        sa.ForeignKeyConstraint(["commodity"], ["commodities.code"]),
        sa.ForeignKeyConstraint(["vehicle_class"], ["vehicle_classes.code"]),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_shipments_code"),
    )
    op.create_index("ix_shipments_route", "shipments", ["route"], postgresql_using="gist")
    op.create_index("ix_shipments_status", "shipments", ["status"])
    op.create_index("ix_shipments_departure", "shipments", ["departure"])
    op.create_table(
        "shipment_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("position", _geom("POINT", nullable=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.CheckConstraint(f"to_status IN {STATUSES!r}", name="ck_shipment_events_status"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shipment_id", "idempotency_key", name="uq_shipment_events_idem"),
    )
    op.create_index("ix_shipment_events_shipment", "shipment_events", ["shipment_id", "id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_api_keys_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    # The OGC collection of shipments: geometry = planned route, else the origin.
    op.execute(
        f"""
        CREATE VIEW shipment_features AS
        SELECT s.id, s.code, s.status, s.commodity, s.tonnes, s.vehicle_class, s.vehicles,
               s.market_id, s.departure, s.eta,
               (s.cost ->> 'total_idr')::float AS cost_idr,
               coalesce(s.route, s.origin) AS geom,
               '{SHIPMENTS_SOURCE}'::text AS source, s.code AS source_id,
               '{{}}'::jsonb AS attributes
        FROM shipments s
        """
    )
    _seed()


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS shipment_features")
    op.drop_table("api_keys")
    op.drop_index("ix_shipment_events_shipment", table_name="shipment_events")
    op.drop_table("shipment_events")
    op.drop_index("ix_shipments_departure", table_name="shipments")
    op.drop_index("ix_shipments_status", table_name="shipments")
    op.drop_index("ix_shipments_route", table_name="shipments", postgresql_using="gist")
    op.drop_table("shipments")
    op.drop_table("ferry_schedules")
    op.drop_table("cost_parameters")
    op.execute(f"DELETE FROM sources WHERE id = '{SHIPMENTS_SOURCE}'")


def _seed() -> None:
    from data.costs import COST_PARAMETERS

    cols = ("key", "value", "unit", "description", "source")
    table = sa.table("cost_parameters", *(sa.column(c) for c in cols))
    op.bulk_insert(table, [{c: getattr(p, c) for c in cols} for p in COST_PARAMETERS])
    op.execute(
        "INSERT INTO sources (id, title, attribution, is_demo) VALUES "
        f"('{SHIPMENTS_SOURCE}', 'Shipments recorded in lampung-geo', NULL, false) "
        "ON CONFLICT (id) DO NOTHING"
    )
