"""Report facts: one narrow row per report for ``/reports/stats`` and the hotspots.

Revision ID: 0007
Revises: 0006 (prices)
Create Date: 2026-11-30 04:00:00

Written by hand. ``report_facts`` holds, per report, what the statistics read: the
areas and H3 cell fixed at submission, the category and day, the status flags, the
hours to first response and to resolution (``float8``, exactly what ``percentile_cont``
sorts) and the SLA deadlines with the *within SLA* flags. The statistics then scan one
table instead of joining ``reports`` (wide: text, geometry) to ``report_state`` and
computing the hours (``numeric``) for every report on every request.

Kept by triggers, so no code path can forget it and nothing is half-written: a row is
made or refreshed in the same transaction as the ``report_state`` insert (a new
report) or update (each step), and a change of a category's SLA refreshes that
category's rows. Everything comes from one view, ``report_fact_source``, which the
back-fill, the triggers and the tests' consistency check share.

Why per report and not a daily count table: the medians need every report's hours (a
median cannot be added up from per-day counts or sums), and "% within SLA" of an open
report changes with time alone (it becomes overdue without any event), so the
time-dependent flags are evaluated at query time from the stored deadlines
(``now() > response_due``), never stored.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = "('diterima', 'diverifikasi', 'diteruskan', 'ditindaklanjuti')"

_VIEW = f"""
CREATE VIEW report_fact_source AS
SELECT r.id AS report_id, r.category, r.kabupaten_id, r.kabupaten_code, r.kecamatan_id,
       r.desa_id, r.h3_9, r.submitted_at, st.status,
       st.status <> 'duplikat' AS counted,
       st.status IN {OPEN} AS is_open,
       st.first_response_at IS NOT NULL AS responded,
       st.resolved_at IS NOT NULL AS resolved,
       st.closed_at IS NOT NULL AS closed,
       st.status = 'ditolak' AS rejected,
       (extract(epoch FROM st.first_response_at - r.submitted_at) / 3600)::float8
           AS response_h,
       (extract(epoch FROM st.resolved_at - r.submitted_at) / 3600)::float8 AS resolution_h,
       r.submitted_at + c.sla_response_h * interval '1 hour' AS response_due,
       r.submitted_at + c.sla_resolution_h * interval '1 hour' AS resolution_due,
       st.first_response_at <= r.submitted_at + c.sla_response_h * interval '1 hour'
           AS response_in,
       st.resolved_at <= r.submitted_at + c.sla_resolution_h * interval '1 hour'
           AS resolution_in
FROM reports r
JOIN report_state st ON st.report_id = r.id
JOIN report_categories c ON c.code = r.category
"""

_COLUMNS = (
    "category",
    "kabupaten_id",
    "kabupaten_code",
    "kecamatan_id",
    "desa_id",
    "h3_9",
    "submitted_at",
    "status",
    "counted",
    "is_open",
    "responded",
    "resolved",
    "closed",
    "rejected",
    "response_h",
    "resolution_h",
    "response_due",
    "resolution_due",
    "response_in",
    "resolution_in",
)
_UPSERT = (
    "INSERT INTO report_facts SELECT * FROM report_fact_source s WHERE {where} "
    "ON CONFLICT (report_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS)
)

_TABLE = """
CREATE TABLE report_facts (
    report_id bigint PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    category text NOT NULL,
    kabupaten_id bigint,
    kabupaten_code text,
    kecamatan_id bigint,
    desa_id bigint,
    h3_9 bigint NOT NULL,
    submitted_at timestamptz NOT NULL,
    status text NOT NULL,
    counted boolean NOT NULL,
    is_open boolean NOT NULL,
    responded boolean NOT NULL,
    resolved boolean NOT NULL,
    closed boolean NOT NULL,
    rejected boolean NOT NULL,
    response_h double precision,
    resolution_h double precision,
    response_due timestamptz NOT NULL,
    resolution_due timestamptz NOT NULL,
    response_in boolean,
    resolution_in boolean
);
CREATE INDEX ix_report_facts_submitted ON report_facts (submitted_at);
"""

_TRIGGERS = f"""
CREATE FUNCTION lampung_geo_report_facts_from_state() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_UPSERT.format(where="s.report_id = NEW.report_id")};
    RETURN NULL;
END
$$;
CREATE TRIGGER report_state_facts_insert AFTER INSERT ON report_state
    FOR EACH ROW EXECUTE FUNCTION lampung_geo_report_facts_from_state();
CREATE TRIGGER report_state_facts_update AFTER UPDATE ON report_state
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at
        OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION lampung_geo_report_facts_from_state();
CREATE FUNCTION lampung_geo_report_facts_from_category() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_UPSERT.format(where="s.category = NEW.code")};
    RETURN NULL;
END
$$;
CREATE TRIGGER report_categories_facts AFTER UPDATE ON report_categories
    FOR EACH ROW WHEN (
        OLD.sla_response_h IS DISTINCT FROM NEW.sla_response_h
        OR OLD.sla_resolution_h IS DISTINCT FROM NEW.sla_resolution_h)
    EXECUTE FUNCTION lampung_geo_report_facts_from_category();
"""


def upgrade() -> None:
    op.execute(_VIEW)
    op.execute(_TABLE)
    op.execute(_TRIGGERS)
    op.execute("INSERT INTO report_facts SELECT * FROM report_fact_source")
    op.execute("ANALYZE report_facts")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS report_categories_facts ON report_categories")
    op.execute("DROP TRIGGER IF EXISTS report_state_facts_update ON report_state")
    op.execute("DROP TRIGGER IF EXISTS report_state_facts_insert ON report_state")
    op.execute("DROP FUNCTION IF EXISTS lampung_geo_report_facts_from_category()")
    op.execute("DROP FUNCTION IF EXISTS lampung_geo_report_facts_from_state()")
    op.execute("DROP TABLE IF EXISTS report_facts")
    op.execute("DROP VIEW IF EXISTS report_fact_source")
