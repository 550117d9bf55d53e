"""Food prices (harga pangan): price commodities, where prices are collected, prices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:30:00

Written by hand. A price belongs to a *price place*: a market of the ``markets`` table
(``kind = 'market'``) or a region named by its BPS code (``kind = 'region'``, e.g.
``18`` = Provinsi Lampung, for provincial panel averages). One price per place,
commodity and day; ``price_idr`` is null where the panel published ``-`` (no figure
that day). The OGC collection ``price_markets`` reads the view
``price_market_features``: each market with its latest price per commodity.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLES = """
CREATE TABLE price_commodities (
    code text PRIMARY KEY,
    name_id text NOT NULL,
    name_en text NOT NULL,
    unit text NOT NULL CHECK (unit IN ('kg', 'liter')),
    farm_commodity text REFERENCES commodities(code),
    aliases text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE price_places (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('market', 'region')),
    market_id bigint CONSTRAINT uq_price_places_market UNIQUE
        REFERENCES markets(id) ON DELETE CASCADE,
    region_code text CONSTRAINT uq_price_places_region UNIQUE,
    name text NOT NULL,
    CONSTRAINT ck_price_places_kind CHECK (
        (kind = 'market' AND market_id IS NOT NULL AND region_code IS NULL)
        OR (kind = 'region' AND region_code IS NOT NULL AND market_id IS NULL))
);
CREATE TABLE prices (
    id bigserial PRIMARY KEY,
    place_id bigint NOT NULL REFERENCES price_places(id) ON DELETE CASCADE,
    commodity text NOT NULL REFERENCES price_commodities(code),
    date date NOT NULL,
    price_idr double precision CHECK (price_idr IS NULL OR price_idr > 0),
    label text,
    source text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    CONSTRAINT uq_prices_day UNIQUE (place_id, commodity, date)
);
CREATE INDEX ix_prices_series ON prices (commodity, place_id, date DESC);
CREATE INDEX ix_prices_source ON prices (source);
"""

# Each market with a price place: its newest observed price per commodity, and the
# change against the newest price at least 7 days older (within 14 days).
_VIEW = """
CREATE VIEW price_market_features AS
SELECT m.id, m.name, m.kind, pl.id AS place_id,
       (SELECT max(p.date) FROM prices p
        WHERE p.place_id = pl.id AND p.price_idr IS NOT NULL) AS latest_date,
       (SELECT coalesce(jsonb_object_agg(l.commodity, jsonb_build_object(
                    'date', l.date, 'price_idr', l.price_idr, 'unit', pc.unit,
                    'change_7d_pct', CASE WHEN w.price_idr IS NULL THEN NULL
                        ELSE round((100.0 * (l.price_idr / w.price_idr - 1.0))::numeric, 2)
                    END)), '{}'::jsonb)
        FROM (SELECT DISTINCT ON (p.commodity) p.commodity, p.date, p.price_idr
              FROM prices p
              WHERE p.place_id = pl.id AND p.price_idr IS NOT NULL
              ORDER BY p.commodity, p.date DESC) l
        JOIN price_commodities pc ON pc.code = l.commodity
        LEFT JOIN LATERAL (
            SELECT q.price_idr FROM prices q
            WHERE q.place_id = pl.id AND q.commodity = l.commodity
              AND q.price_idr IS NOT NULL
              AND q.date <= l.date - 7 AND q.date >= l.date - 14
            ORDER BY q.date DESC LIMIT 1) w ON true) AS latest_prices,
       m.geom, m.source, m.source_id, m.attributes
FROM markets m
JOIN price_places pl ON pl.market_id = m.id
"""


def upgrade() -> None:
    op.execute(_TABLES)
    op.execute(_VIEW)
    from data.reference import PRICE_COMMODITIES

    cols = ("code", "name_id", "name_en", "unit", "farm_commodity", "aliases")
    op.bulk_insert(
        sa.table("price_commodities", *(sa.column(c) for c in cols)),
        [
            {c: (list(getattr(p, c)) if c == "aliases" else getattr(p, c)) for c in cols}
            for p in PRICE_COMMODITIES
        ],
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS price_market_features")
    op.execute("DROP TABLE IF EXISTS prices")
    op.execute("DROP TABLE IF EXISTS price_places")
    op.execute("DROP TABLE IF EXISTS price_commodities")
