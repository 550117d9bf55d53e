"""Reports for Bappeda: statistics per area and category, H3 hotspots, exports.

Definitions (also in every stats answer, ``definitions``):

- **count**: reports submitted in ``[from, to)``, without those merged into another
  as *Duplikat* (the same problem reported twice counts once);
- **per 10,000 people**: count / the area's population × 10,000 (null without one);
- **median hours to first response**: over the counted reports that had one (the
  first officer step); **to resolution**: over those that reached *Selesai*;
- **% within SLA (response)**: of the counted reports whose outcome is known — answered,
  or still unanswered past the deadline — the share answered in time; **(resolution)**:
  of those resolved, or still open past the resolution deadline, the share resolved in
  time (rejected reports have no resolution and are left out). Null when nothing is
  known yet. Reports still inside their SLA are not counted as late.

One pass over the reports (``GROUPING SETS``) gives the rows per area × category, per
area and for the whole selection; every area of the level in the province is listed,
with zero counts where nobody reported.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import h3
from sqlalchemy import Connection, text

from layers.errors import InvalidParameterError

LEVEL_COLUMNS = {"kabupaten": "kabupaten_id", "kecamatan": "kecamatan_id", "desa": "desa_id"}
DEFINITIONS = {
    "count": "reports submitted in [from, to), without those merged as duplikat",
    "per_10k": "count / population x 10,000 (null without population)",
    "median_response_h": "median hours from submission to the first officer step",
    "median_resolution_h": "median hours from submission to Selesai",
    "pct_response_within_sla": (
        "share answered within the category's response SLA, of the reports answered or "
        "unanswered past the deadline"
    ),
    "pct_resolution_within_sla": (
        "share resolved within the category's resolution SLA, of the reports resolved or "
        "still open past the deadline (rejected reports left out)"
    ),
    "open": "reports not yet Selesai, Ditolak or Duplikat",
    "overdue": "open reports past their response or resolution SLA now",
}
_FLAGS = """
    f.response_h, f.resolution_h, f.response_in, f.resolution_in, f.is_open,
    (f.responded OR now() > f.response_due) AS response_known,
    (NOT f.rejected AND (f.resolved OR (NOT f.closed AND now() > f.resolution_due)))
        AS resolution_known,
    (NOT f.closed AND ((NOT f.responded AND now() > f.response_due)
        OR now() > f.resolution_due)) AS overdue
"""
"""Per report, over ``report_facts f``: the hours and the *within SLA* flags are stored
(fixed by its events); what depends on the clock — an unanswered report passing its
deadline — is decided here, against ``now()``, once per report."""
_METRICS = """
    count(*) AS count,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY x.response_h) AS median_response_h,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY x.resolution_h) AS median_resolution_h,
    count(*) FILTER (WHERE x.response_known) AS response_known,
    count(*) FILTER (WHERE x.response_in) AS response_in,
    count(*) FILTER (WHERE x.resolution_known) AS resolution_known,
    count(*) FILTER (WHERE x.resolution_in) AS resolution_in,
    count(*) FILTER (WHERE x.is_open) AS open,
    count(*) FILTER (WHERE x.overdue) AS overdue
"""
"""The figures of one group, over the rows of :data:`_FLAGS` (``x``)."""


STATS_WORK_MEM = "64MB"
"""``work_mem`` of the stats query's transaction (the medians sort all counted reports)."""


def data_version(conn: Connection) -> tuple[Any, ...]:
    """What the statistics depend on that may change: the newest report and event
    numbers (reports are never edited, every step is a new event) and the categories'
    SLAs. Equal versions give equal statistics, up to the clock (overdue flags)."""
    row = conn.execute(
        text(
            "SELECT (SELECT max(id) FROM reports), (SELECT max(id) FROM report_events), "
            "(SELECT md5(string_agg(concat_ws('|', code, sla_response_h, sla_resolution_h), "
            "',' ORDER BY code)) FROM report_categories)"
        )
    ).one()
    return tuple(row)


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """What to count: level, period, optionally one category and one kabupaten."""

    level: str = "kecamatan"
    date_from: datetime | None = None
    date_to: datetime | None = None
    category: str | None = None
    kabupaten_code: str | None = None


def _filters(
    q: StatsQuery, *, first: str = "f.counted", row: str = "f", kabupaten: str = "f.kabupaten_code"
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of ``q`` (by default on ``report_facts f``, duplicates not counted).

    ``row`` is the alias holding ``submitted_at`` and ``category``, ``kabupaten`` the
    column holding the kabupaten code, ``first`` a clause every row must meet.
    """
    clauses: list[str] = [first]
    params: dict[str, Any] = {}
    if q.date_from is not None:
        clauses.append(f"{row}.submitted_at >= :from_")
        params["from_"] = q.date_from
    if q.date_to is not None:
        clauses.append(f"{row}.submitted_at < :to_")
        params["to_"] = q.date_to
    if q.category is not None:
        clauses.append(f"{row}.category = :category")
        params["category"] = q.category
    if q.kabupaten_code is not None:
        clauses.append(f"{kabupaten} = :kab")
        params["kab"] = q.kabupaten_code
    return " AND ".join(clauses), params


def _metrics(row: Any, population: int | None) -> dict[str, Any]:
    count = int(row["count"])

    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    def hours(v: float | None) -> float | None:
        return None if v is None else round(float(v), 2)

    return {
        "count": count,
        "per_10k": round(count / population * 10_000, 3) if population else None,
        "median_response_h": hours(row["median_response_h"]),
        "median_resolution_h": hours(row["median_resolution_h"]),
        "pct_response_within_sla": pct(int(row["response_in"]), int(row["response_known"])),
        "pct_resolution_within_sla": pct(int(row["resolution_in"]), int(row["resolution_known"])),
        "open": int(row["open"]),
        "overdue": int(row["overdue"]),
    }


def _areas(conn: Connection, level: str, province: str, kab: str | None) -> list[dict[str, Any]]:
    """Every area of ``level`` in the province (or in one kabupaten)."""
    prefix = kab or province
    if level == "kabupaten":
        where = "a.level = 'kabupaten' AND starts_with(coalesce(a.code, ''), :p)"
    elif level == "kecamatan":
        where = (
            "a.level = 'kecamatan' AND EXISTS (SELECT 1 FROM admin_areas k WHERE "
            "k.id = a.parent_id AND starts_with(coalesce(k.code, ''), :p))"
        )
    else:
        where = (
            "a.level = 'desa' AND EXISTS (SELECT 1 FROM admin_areas c JOIN admin_areas k "
            "ON k.id = c.parent_id WHERE c.id = a.parent_id "
            "AND starts_with(coalesce(k.code, ''), :p))"
        )
    rows = conn.execute(
        text(
            "SELECT a.id, a.code, a.name, a.population, p.name AS parent FROM admin_areas a "
            f"LEFT JOIN admin_areas p ON p.id = a.parent_id WHERE {where} "
            "ORDER BY a.code, a.name, a.id"
        ),
        {"p": prefix},
    ).mappings()
    return [dict(r) for r in rows]


def report_stats(conn: Connection, q: StatsQuery, *, province_code: str) -> dict[str, Any]:
    """Counts, rates per 10,000 people, median hours and SLA shares per area and category."""
    if q.level not in LEVEL_COLUMNS:
        msg = f"level must be one of {list(LEVEL_COLUMNS)}, got {q.level!r}"
        raise InvalidParameterError(msg, field="level")
    where, params = _filters(q)
    column = LEVEL_COLUMNS[q.level]
    # the category compared bytewise ("C"): grouping needs equality only, and the
    # categories are put in order below
    sql = f"""
        SELECT x.area_id, x.category, GROUPING(x.area_id) AS g_area,
               GROUPING(x.category) AS g_cat, {_METRICS}
        FROM (SELECT f.{column} AS area_id, f.category COLLATE "C" AS category, {_FLAGS}
              FROM report_facts f WHERE {where}) x
        GROUP BY GROUPING SETS ((x.area_id, x.category), (x.area_id), ())
    """
    # the medians sort every counted report: in memory, not in temp files; and no JIT
    # compilation, which costs more than it saves on a query of ~0.2 s (this query only)
    conn.execute(
        text("SELECT set_config('work_mem', :wm, true), set_config('jit', 'off', true)"),
        {"wm": STATS_WORK_MEM},
    )
    result = conn.execute(text(sql), params).mappings().all()
    areas = _areas(conn, q.level, province_code, q.kabupaten_code)
    by_id = {a["id"]: a for a in areas}
    cells: dict[Any, list[Any]] = {}
    per_area: dict[Any, Any] = {}
    total: Any = None
    for row in result:
        if row["g_area"]:
            total = row
        elif row["g_cat"]:
            per_area[row["area_id"]] = row
        else:
            cells.setdefault(row["area_id"], []).append(row)
    empty: dict[str, int | None] = dict.fromkeys(
        ("count", "response_known", "response_in", "resolution_known"), 0
    )
    empty |= {"resolution_in": 0, "open": 0, "overdue": 0}
    empty |= {"median_response_h": None, "median_resolution_h": None}
    out_areas = []
    for area in areas:
        pop = area["population"]
        item = {
            "id": area["id"],
            "code": area["code"],
            "name": area["name"],
            "parent": area["parent"],
            "population": pop,
            **_metrics(per_area.get(area["id"], empty), pop),
            "categories": [
                {"category": c["category"], **_metrics(c, pop)}
                for c in sorted(cells.get(area["id"], []), key=lambda c: str(c["category"]))
            ],
        }
        out_areas.append(item)
    unplaced = per_area.get(None)
    return {
        "level": q.level,
        "from": q.date_from,
        "to": q.date_to,
        "category": q.category,
        "kabupaten": q.kabupaten_code,
        "definitions": DEFINITIONS,
        "totals": _metrics(total if total is not None else empty, None),
        "unplaced": int(unplaced["count"]) if unplaced is not None else 0,
        "areas": out_areas,
        "numberReturned": len(out_areas),
        "areas_not_listed": sorted(str(k) for k in per_area if k is not None and k not in by_id),
    }


def stats_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The stats as flat rows (CSV): one per area x category, plus ``all`` per area."""
    rows = []
    keys: tuple[str, ...] = ("count", "per_10k", "median_response_h", "median_resolution_h")
    keys += ("pct_response_within_sla", "pct_resolution_within_sla", "open", "overdue")
    for a in stats["areas"]:
        head = {"level": stats["level"], "area_id": a["id"], "code": a["code"], "name": a["name"]}
        head |= {"parent": a["parent"], "population": a["population"]}
        rows.append(head | {"category": "all"} | {k: a[k] for k in keys})
        for c in a["categories"]:
            rows.append(head | {"category": c["category"]} | {k: c[k] for k in keys})
    return rows


def h3_parent_sql(column: str, resolution: int) -> tuple[str, dict[str, int]]:
    """SQL for the parent at ``resolution`` of the resolution-9 H3 cells in ``column``.

    An H3 cell index keeps its resolution in bits 52-55 and one 3-bit digit per
    resolution below it, unused digits set to 7; the parent is the same index with the
    resolution field replaced and the digits finer than ``resolution`` set to 7 (the
    H3 ``cellToParent`` rule). Returns the expression and its bound parameters.
    """
    params = {
        "h3_clear": ~(15 << 52),
        "h3_res": resolution << 52,
        "h3_fill": (1 << (3 * (15 - resolution))) - 1,
    }
    return f"(({column} & :h3_clear) | :h3_res | :h3_fill)", params


def hotspots(
    conn: Connection,
    *,
    resolution: int = 8,
    min_count: int = 1,
    category: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    only_open: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """H3 cells (resolution 5-9) by number of reports, most first, as GeoJSON features.

    Counted in PostGIS: each report's resolution-9 cell (stored at submission) is turned
    into its parent cell by bit arithmetic on the H3 index (:func:`h3_parent_sql`), so
    the database groups, ranks and cuts to ``limit``; only the cells returned reach
    Python. Duplicates are left out, as in the statistics. Ties are ranked by open
    reports, then by cell index (both descending).
    """
    if not 5 <= resolution <= 9:
        msg = f"resolution must be 5-9, got {resolution}"
        raise InvalidParameterError(msg, field="resolution")
    where, params = _filters(StatsQuery(date_from=date_from, date_to=date_to, category=category))
    if only_open:
        where += " AND f.is_open"
    parent, bits = h3_parent_sql("f.h3_9", resolution)
    rows = conn.execute(
        text(
            f"WITH g AS (SELECT {parent} AS cell, count(*) AS n, "
            "count(*) FILTER (WHERE f.is_open) AS n_open "
            f"FROM report_facts f WHERE {where} GROUP BY 1) "
            "SELECT cell, n, n_open, (SELECT sum(n) FROM g) AS total FROM g "
            "WHERE n >= :min_count ORDER BY n DESC, n_open DESC, cell DESC LIMIT :limit"
        ),
        params | bits | {"min_count": min_count, "limit": limit},
    ).all()
    total = int(rows[0][3]) if rows else 0
    ranked = [(int(n), int(n_open), int(cell)) for cell, n, n_open, _ in rows]
    features = []
    for rank, (n, n_open, cell) in enumerate(ranked, start=1):
        cell_s = h3.int_to_str(cell)
        ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell_s)]
        features.append(
            {
                "type": "Feature",
                "id": cell_s,
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {
                    "h3": cell_s,
                    "resolution": resolution,
                    "count": n,
                    "open": n_open,
                    "share": round(n / total, 4) if total else 0.0,
                    "rank": rank,
                    "area_km2": round(h3.cell_area(cell_s, unit="km^2"), 3),
                },
            }
        )
    return features


EXPORT_COLUMNS = (
    "id",
    "category",
    "category_name",
    "status",
    "submitted_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "kabupaten",
    "kecamatan",
    "desa",
    "agency",
    "overdue_response",
    "overdue_resolution",
    "followers",
    "merged_into",
)
"""What an export holds: the public fields only, with the rounded location."""


def export_rows(conn: Connection, q: StatsQuery) -> list[dict[str, Any]]:
    """Public rows of the reports in ``q`` (duplicates included, status says so)."""
    where, params = _filters(q, first="true", row="t", kabupaten="r.kabupaten_code")
    cols = ", ".join(f"t.{c}" for c in EXPORT_COLUMNS)
    rows = conn.execute(
        text(
            f"SELECT {cols}, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat FROM report_features t "
            f"JOIN reports r ON r.id = t.id WHERE {where} ORDER BY t.id"
        ),
        params,
    ).mappings()
    return [dict(r) for r in rows]


def export_gpkg(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a GeoPackage (layer ``reports``, EPSG:4326 points)."""
    import tempfile
    from pathlib import Path

    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k not in ("lon", "lat")} for r in rows],
        columns=list(EXPORT_COLUMNS),
        geometry=[Point(r["lon"], r["lat"]) for r in rows],
        crs="EPSG:4326",
    )
    for col in ("submitted_at", "first_response_at", "resolved_at", "closed_at"):
        frame[col] = frame[col].map(lambda v: v.isoformat() if v is not None else None)
    with tempfile.TemporaryDirectory(prefix="lampung-geo-export-") as tmp:
        path = Path(tmp) / "reports.gpkg"
        frame.to_file(path, layer="reports", driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def export_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV (lon/lat last, rounded like the public map)."""
    import csv

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*EXPORT_COLUMNS, "lon", "lat"], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
        )
    return buf.getvalue()


__all__ = [
    "DEFINITIONS",
    "EXPORT_COLUMNS",
    "StatsQuery",
    "export_csv",
    "export_gpkg",
    "export_rows",
    "h3_parent_sql",
    "hotspots",
    "report_stats",
    "stats_rows",
]
