"""Citizen reports (laporan): agencies and their offices, categories with SLAs, routing,
reports (append-only), events, state, followers (contacts), photos, ratings, rate limit.

Revision ID: 0005
Revises: 0004 (search)
Create Date: 2026-12-02 09:00:00

Written by hand. ``reports`` and ``report_events`` refuse UPDATE (a trigger): a report
is never edited after submission, only events are added; ``report_state`` is the
projection of its events that queries read. Contacts live in ``report_followers`` and
are never part of a view. The OGC collection ``reports`` reads the view
``report_features`` (location rounded to 0.001°, no text, no contacts, no photo).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATUSES = (
    "diterima",
    "diverifikasi",
    "diteruskan",
    "ditindaklanjuti",
    "selesai",
    "ditolak",
    "duplikat",
)
LEVELS = ("kabupaten", "provinsi")
REPORTS_SOURCE = "reports"

_TABLES = """
CREATE TABLE agencies (
    code text PRIMARY KEY,
    name_id text NOT NULL,
    name_en text NOT NULL
);
CREATE TABLE agency_offices (
    id bigserial PRIMARY KEY,
    source text NOT NULL REFERENCES sources(id),
    source_id text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    agency text NOT NULL REFERENCES agencies(code),
    level text NOT NULL CONSTRAINT ck_agency_offices_level CHECK (level IN %(levels)s),
    name text NOT NULL,
    address text,
    phone text,
    geom geometry(Point, 4326) NOT NULL,
    CONSTRAINT uq_agency_offices_source UNIQUE (source, source_id)
);
CREATE INDEX ix_agency_offices_geom ON agency_offices USING gist (geom);
CREATE INDEX ix_agency_offices_agency ON agency_offices (agency, level);
CREATE TABLE report_categories (
    code text PRIMARY KEY,
    name_id text NOT NULL,
    name_en text NOT NULL,
    sla_response_h double precision NOT NULL CHECK (sla_response_h > 0),
    sla_resolution_h double precision NOT NULL CHECK (sla_resolution_h > 0),
    level text NOT NULL DEFAULT 'kabupaten' CHECK (level IN %(levels)s)
);
CREATE TABLE report_routing (
    category text NOT NULL REFERENCES report_categories(code) ON DELETE CASCADE,
    level text NOT NULL CHECK (level IN %(levels)s),
    agency text NOT NULL REFERENCES agencies(code),
    PRIMARY KEY (category, level)
);
CREATE TABLE report_photos (
    sha256 text PRIMARY KEY,
    media_type text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    bytes integer NOT NULL,
    thumb_sha256 text NOT NULL,
    thumb_media_type text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE reports (
    id bigserial PRIMARY KEY,
    code text NOT NULL CONSTRAINT uq_reports_code UNIQUE,
    source text NOT NULL DEFAULT 'reports',
    category text NOT NULL REFERENCES report_categories(code),
    description text NOT NULL
        CONSTRAINT ck_reports_description CHECK (char_length(description) BETWEEN 10 AND 2000),
    geom geometry(Point, 4326) NOT NULL,
    geom_public geometry(Point, 4326) NOT NULL,
    location_source text NOT NULL CHECK (location_source IN ('map', 'gps')),
    accuracy_m double precision CHECK (accuracy_m IS NULL OR accuracy_m >= 0),
    kabupaten_id bigint,
    kabupaten_code text,
    kabupaten_name text NOT NULL,
    kecamatan_id bigint,
    kecamatan_name text,
    desa_id bigint,
    desa_name text,
    agency text REFERENCES agencies(code),
    routing_level text,
    office_id bigint,
    office_name text,
    office_travel_s double precision,
    routing_note text,
    photo_sha256 text REFERENCES report_photos(sha256),
    h3_9 bigint NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_reports_submitted ON reports (submitted_at);
CREATE INDEX ix_reports_category ON reports (category, submitted_at);
CREATE INDEX ix_reports_kecamatan ON reports (kecamatan_id);
CREATE INDEX ix_reports_kabupaten ON reports (kabupaten_id);
CREATE INDEX ix_reports_agency ON reports (agency);
CREATE INDEX ix_reports_geom ON reports USING gist (geom);
CREATE INDEX ix_reports_geom_public ON reports USING gist (geom_public);
CREATE TABLE report_state (
    report_id bigint PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    status text NOT NULL CONSTRAINT ck_report_state_status CHECK (status IN %(statuses)s),
    first_response_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    merged_into bigint REFERENCES reports(id) ON DELETE SET NULL,
    followers integer NOT NULL DEFAULT 1,
    last_event_at timestamptz NOT NULL,
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_report_state_status ON report_state (status);
CREATE TABLE report_events (
    id bigserial PRIMARY KEY,
    report_id bigint NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    kind text NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'merged_in')),
    from_status text,
    to_status text NOT NULL CHECK (to_status IN %(statuses)s),
    at timestamptz NOT NULL DEFAULT now(),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    actor_agency text,
    public_note text CHECK (public_note IS NULL OR char_length(public_note) <= 2000),
    related_report_id bigint
);
CREATE INDEX ix_report_events_report ON report_events (report_id, id);
CREATE TABLE report_followers (
    id bigserial PRIMARY KEY,
    report_id bigint NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    via text NOT NULL CHECK (via IN ('reporter', 'merged')),
    from_report_id bigint,
    phone text,
    email text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_report_followers_report ON report_followers (report_id);
CREATE TABLE report_ratings (
    report_id bigint PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment text CHECK (comment IS NULL OR char_length(comment) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE report_rate_events (
    client_hash text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_report_rate_events ON report_rate_events (client_hash, at);
CREATE TABLE app_secrets (
    name text PRIMARY KEY,
    value text NOT NULL
);
ALTER TABLE api_keys
    ADD COLUMN agency text REFERENCES agencies(code),
    ADD COLUMN area_code text;
"""

_APPEND_ONLY = """
CREATE FUNCTION lampung_geo_refuse_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never edited; add an event instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER reports_never_edited BEFORE UPDATE ON reports
    FOR EACH ROW EXECUTE FUNCTION lampung_geo_refuse_edit();
CREATE TRIGGER report_events_never_edited BEFORE UPDATE ON report_events
    FOR EACH ROW EXECUTE FUNCTION lampung_geo_refuse_edit();
"""

# The public face of a report: no text, contacts, photo, exact point or tracking code.
_VIEW = """
CREATE VIEW report_features AS
SELECT r.id, r.category, c.name_id AS category_name, st.status,
       r.submitted_at, st.first_response_at, st.resolved_at, st.closed_at,
       st.last_event_at AS updated_at,
       r.kabupaten_name AS kabupaten, r.kecamatan_name AS kecamatan, r.desa_name AS desa,
       r.agency,
       (st.first_response_at IS NULL AND st.closed_at IS NULL
        AND now() > r.submitted_at + c.sla_response_h * interval '1 hour') AS overdue_response,
       (st.closed_at IS NULL
        AND now() > r.submitted_at + c.sla_resolution_h * interval '1 hour')
           AS overdue_resolution,
       st.followers,
       st.merged_into,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'at', e.at, 'status', e.to_status, 'note', e.public_note) ORDER BY e.id),
                '[]'::jsonb)
        FROM report_events e
        WHERE e.report_id = r.id AND e.public_note IS NOT NULL) AS public_notes,
       r.geom_public AS geom,
       r.source, r.id::text AS source_id, '{}'::jsonb AS attributes
FROM reports r
JOIN report_state st ON st.report_id = r.id
JOIN report_categories c ON c.code = r.category
"""


def upgrade() -> None:
    params = {"levels": repr(LEVELS), "statuses": repr(STATUSES)}
    op.execute(_TABLES % params)
    op.execute(_APPEND_ONLY)
    op.execute(_VIEW)
    _seed()


def _seed() -> None:
    from data.reference import AGENCIES, REPORT_CATEGORIES, REPORT_ROUTING

    op.bulk_insert(
        sa.table("agencies", sa.column("code"), sa.column("name_id"), sa.column("name_en")),
        [{"code": a.code, "name_id": a.name_id, "name_en": a.name_en} for a in AGENCIES],
    )
    cols = ("code", "name_id", "name_en", "sla_response_h", "sla_resolution_h", "level")
    op.bulk_insert(
        sa.table("report_categories", *(sa.column(c) for c in cols)),
        [{c: getattr(cat, c) for c in cols} for cat in REPORT_CATEGORIES],
    )
    op.bulk_insert(
        sa.table("report_routing", sa.column("category"), sa.column("level"), sa.column("agency")),
        [{"category": c, "level": lv, "agency": a} for (c, lv), a in REPORT_ROUTING.items()],
    )
    op.execute(
        sa.text(
            "INSERT INTO sources (id, title, attribution, is_demo) VALUES "
            "(:id, 'Citizen reports (laporan warga) received by lampung-geo', NULL, false) "
            "ON CONFLICT (id) DO NOTHING"
        ).bindparams(id=REPORTS_SOURCE)
    )
    # The key of the HMAC that turns client addresses into rate-limit counters: one per
    # database, so every worker counts alike and the hashes cannot be reversed by
    # hashing all 2^32 IPv4 addresses.
    op.execute(
        sa.text(
            "INSERT INTO app_secrets (name, value) VALUES ('report_client_key', :v)"
        ).bindparams(v=secrets.token_hex(32))
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS report_features")
    op.execute("ALTER TABLE api_keys DROP COLUMN IF EXISTS agency, DROP COLUMN IF EXISTS area_code")
    for table in (
        "app_secrets",
        "report_rate_events",
        "report_ratings",
        "report_followers",
        "report_events",
        "report_state",
        "reports",
        "report_photos",
        "report_routing",
        "report_categories",
        "agency_offices",
        "agencies",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP FUNCTION IF EXISTS lampung_geo_refuse_edit()")
    op.execute(f"DELETE FROM sources WHERE id = '{REPORTS_SOURCE}'")
