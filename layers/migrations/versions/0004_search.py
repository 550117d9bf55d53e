"""Place search: ``pg_trgm`` and ``unaccent``, a normalising function and trigram indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00

Written by hand (used by :mod:`layers.search`).

``lgeo_search_norm(text)`` folds a name the way the search compares names: accents
removed (``unaccent``), lower case, every run of characters other than ``a-z`` and
``0-9`` turned into one space, trimmed (``"Puskesmas Sukarame (demo)"`` →
``"puskesmas sukarame demo"``; letters ``unaccent`` cannot fold to Latin ones count
as spaces). It is IMMUTABLE, so it can be indexed: each searchable
table gets a GIN trigram index on ``lgeo_search_norm(name)``, which serves the
similarity operator (``<%``) and the ``LIKE`` prefix/word patterns of the search.
Both extensions ship with PostgreSQL (contrib) and are *trusted* since PostgreSQL 13:
a database owner who is not a superuser may create them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("admin_areas", "service_points", "settlements")
NORM_COST = 200


def _schema_of(extension: str) -> str:
    """The schema an extension was created in (quoted for SQL)."""
    conn = op.get_bind()
    schema = conn.execute(
        sa.text(
            "SELECT quote_ident(n.nspname) FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = :name"
        ),
        {"name": extension},
    ).scalar_one()
    return str(schema)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    unaccent = _schema_of("unaccent")
    trgm = _schema_of("pg_trgm")
    # PL/pgSQL, so the planner never inlines it and knows what a call costs (~4 µs:
    # the regular expression): with an inlined SQL body it reckoned a sequential scan
    # computing it for every row cheaper than the trigram index. Schema-qualified, so it
    # does not depend on the caller's search_path.
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION lgeo_search_norm(value text) RETURNS text
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST {NORM_COST} AS $$
        BEGIN
          RETURN btrim(regexp_replace(
            lower({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, value)),
            '[^a-z0-9]+', ' ', 'g'));
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE INDEX ix_{table}_name_trgm ON {table} "
            f"USING gin (lgeo_search_norm(name) {trgm}.gin_trgm_ops)"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_name_trgm")
    op.execute("DROP FUNCTION IF EXISTS lgeo_search_norm(text)")
    # The extensions stay: other objects of the database may use them.
