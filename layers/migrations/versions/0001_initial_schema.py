"""Initial schema: lookup tables, admin areas, service points, farms, markets, ports, ferries.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:48:20.052977
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_id", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "commodities",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_id", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "vehicle_classes",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_id", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("payload_t", sa.Float(), nullable=False),
        sa.Column("fuel_l_per_km", sa.Float(), nullable=False),
        sa.Column("toll_group", sa.Text(), nullable=False),
        sa.Column("ferry_class", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "admin_areas",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("population_year", sa.Integer(), nullable=True),
        sa.Column("population_source", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('provinsi', 'kabupaten', 'kecamatan', 'desa')", name="ck_admin_areas_level"
        ),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="ck_admin_areas_pop"),
        sa.ForeignKeyConstraint(["parent_id"], ["admin_areas.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_admin_areas_source"),
    )
    op.create_index(
        "ix_admin_areas_geom", "admin_areas", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index("ix_admin_areas_level", "admin_areas", ["level"], unique=False)
    op.create_table(
        "farms",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("commodity", sa.Text(), nullable=False),
        sa.Column("production_t_per_year", sa.Float(), nullable=False),
        sa.Column("harvest_months", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint("production_t_per_year >= 0", name="ck_farms_production"),
        sa.ForeignKeyConstraint(
            ["commodity"],
            ["commodities.code"],
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_farms_source"),
    )
    op.create_index("ix_farms_geom", "farms", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "markets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "demand_t_per_month",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_markets_source"),
    )
    op.create_index("ix_markets_geom", "markets", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "ports",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("source", "source_id", name="uq_ports_source"),
    )
    op.create_index("ix_ports_geom", "ports", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "service_points",
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("opening_hours", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_service_points_capacity"),
        sa.ForeignKeyConstraint(
            ["category"],
            ["categories.code"],
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_service_points_source"),
    )
    op.create_index("ix_service_points_category", "service_points", ["category"], unique=False)
    op.create_index(
        "ix_service_points_geom", "service_points", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "ferry_links",
        sa.Column("from_port_id", sa.BigInteger(), nullable=False),
        sa.Column("to_port_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("crossing_minutes", sa.Float(), nullable=False),
        sa.Column("departures_per_day", sa.Integer(), nullable=False),
        sa.Column("daily_capacity_vehicles", sa.Integer(), nullable=True),
        sa.Column(
            "tariffs", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("tariff_source", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint("crossing_minutes > 0", name="ck_ferry_links_crossing"),
        sa.CheckConstraint("departures_per_day > 0", name="ck_ferry_links_departures"),
        sa.ForeignKeyConstraint(
            ["from_port_id"],
            ["ports.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_port_id"],
            ["ports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_ferry_links_source"),
    )
    op.create_index(
        "ix_ferry_links_geom", "ferry_links", ["geom"], unique=False, postgresql_using="gist"
    )
    _seed_lookups()


def downgrade() -> None:
    op.drop_index("ix_ferry_links_geom", table_name="ferry_links", postgresql_using="gist")
    op.drop_table("ferry_links")
    op.drop_index("ix_service_points_geom", table_name="service_points", postgresql_using="gist")
    op.drop_index("ix_service_points_category", table_name="service_points")
    op.drop_table("service_points")
    op.drop_index("ix_ports_geom", table_name="ports", postgresql_using="gist")
    op.drop_table("ports")
    op.drop_index("ix_markets_geom", table_name="markets", postgresql_using="gist")
    op.drop_table("markets")
    op.drop_index("ix_farms_geom", table_name="farms", postgresql_using="gist")
    op.drop_table("farms")
    op.drop_index("ix_admin_areas_level", table_name="admin_areas")
    op.drop_index("ix_admin_areas_geom", table_name="admin_areas", postgresql_using="gist")
    op.drop_table("admin_areas")
    op.drop_table("vehicle_classes")
    op.drop_table("sources")
    op.drop_table("commodities")
    op.drop_table("categories")


def _seed_lookups() -> None:
    from data.reference import CATEGORIES, COMMODITIES, VEHICLE_CLASSES

    lookup = sa.table("categories", sa.column("code"), sa.column("name_id"), sa.column("name_en"))
    op.bulk_insert(
        lookup, [{"code": c.code, "name_id": c.name_id, "name_en": c.name_en} for c in CATEGORIES]
    )
    lookup = sa.table("commodities", sa.column("code"), sa.column("name_id"), sa.column("name_en"))
    op.bulk_insert(
        lookup, [{"code": c.code, "name_id": c.name_id, "name_en": c.name_en} for c in COMMODITIES]
    )
    cols = ("code", "name_id", "name_en", "payload_t", "fuel_l_per_km", "toll_group", "ferry_class")
    lookup = sa.table("vehicle_classes", *(sa.column(c) for c in cols))
    op.bulk_insert(lookup, [{c: getattr(v, c) for c in cols} for v in VEHICLE_CLASSES])
