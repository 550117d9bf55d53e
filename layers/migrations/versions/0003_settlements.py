"""Settlements (RBI ``PEMUKIMAN_AR``) and the government-office categories of RBI.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:00:00

Written by hand (model :class:`layers.models.Settlement`).
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_CATEGORIES = (
    ("kantor_desa", "Kantor kepala desa / kelurahan", "Village office"),
    ("kantor_bupati", "Kantor bupati / wali kota", "Regent's or mayor's office"),
)


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
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
        sa.ForeignKeyConstraint(["source"], ["sources.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_settlements_source"),
    )
    op.create_index(
        "ix_settlements_geom", "settlements", ["geom"], unique=False, postgresql_using="gist"
    )
    # 0001 seeds from data.reference, which lists these too on a fresh database
    insert = sa.text(
        "INSERT INTO categories (code, name_id, name_en) VALUES (:code, :name_id, :name_en) "
        "ON CONFLICT (code) DO NOTHING"
    )
    for code, name_id, name_en in NEW_CATEGORIES:
        op.execute(insert.bindparams(code=code, name_id=name_id, name_en=name_en))


def downgrade() -> None:
    codes = tuple(c for c, _, _ in NEW_CATEGORIES)
    op.execute(
        sa.text("DELETE FROM categories WHERE code IN :codes")
        .bindparams(sa.bindparam("codes", expanding=True))
        .params(codes=list(codes))
    )
    op.drop_index("ix_settlements_geom", table_name="settlements")
    op.drop_table("settlements")
