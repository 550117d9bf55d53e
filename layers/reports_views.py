"""What each reader sees of a report: the citizen (by tracking code) and officers.

=================  ========  ===============================================
                   citizen   officer (API key)
=================  ========  ===============================================
category, status,  yes       yes
dates, SLA flags
kecamatan, desa    yes       yes
location           rounded   exact point, accuracy, how it was given
                   (0.001°)
own text, photo    yes       yes
timeline           public    with actors
contacts           never     keys of role planner or admin that cover it
tracking code      yes       never (it is the citizen's key)
=================  ========  ===============================================

The public side (OGC collection ``reports``, stats, exports) shows less still: no
text, no photo (:mod:`layers.reports_stats`, view ``report_features``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import UnknownReferenceError
from layers.reports import OPEN_STATUSES, STATUS_LABELS, ReportNotFoundError
from layers.reports_lifecycle import SLA_SQL, Actor, check_scope, label, timeline

_BASE = f"""
    SELECT r.id, r.code, r.category, c.name_id AS category_name, c.name_en AS category_name_en,
           c.sla_response_h, c.sla_resolution_h, r.description, r.submitted_at,
           r.kabupaten_code, r.kabupaten_name, r.kecamatan_id, r.kecamatan_name,
           r.desa_name, r.agency, a.name_id AS agency_name, r.routing_level, r.office_id,
           r.office_name, r.office_travel_s, r.routing_note, r.photo_sha256,
           r.location_source, r.accuracy_m,
           ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat,
           ST_X(r.geom_public) AS public_lon, ST_Y(r.geom_public) AS public_lat,
           st.status, st.first_response_at, st.resolved_at, st.closed_at, st.merged_into,
           st.followers, st.last_event_at, st.version, s.is_demo AS demo,
           ph.media_type AS photo_type, ph.thumb_sha256, ph.width AS photo_width,
           ph.height AS photo_height,
           rt.stars AS rating_stars, rt.created_at AS rated_at,
           {SLA_SQL}
    FROM reports r
    JOIN report_state st ON st.report_id = r.id
    JOIN report_categories c ON c.code = r.category
    LEFT JOIN agencies a ON a.code = r.agency
    LEFT JOIN sources s ON s.id = r.source
    LEFT JOIN report_photos ph ON ph.sha256 = r.photo_sha256
    LEFT JOIN report_ratings rt ON rt.report_id = r.id
"""


def _row(conn: Connection, report_id: int) -> dict[str, Any]:
    row = (
        conn.execute(text(_BASE + " WHERE r.id = :id"), {"id": report_id}).mappings().one_or_none()
    )
    if row is None:
        msg = f"no report number {report_id}"
        raise ReportNotFoundError(msg, field="report_id")
    return dict(row)


def _sla(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "response_hours": row["sla_response_h"],
        "resolution_hours": row["sla_resolution_h"],
        "response_due": row["response_due"],
        "resolution_due": row["resolution_due"],
        "overdue_response": bool(row["overdue_response"]),
        "overdue_resolution": bool(row["overdue_resolution"]),
        "response_within_sla": row["response_within_sla"],
        "resolution_within_sla": row["resolution_within_sla"],
    }


def _common(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "category": row["category"],
        "category_name": row["category_name"],
        "category_name_en": row["category_name_en"],
        "status": row["status"],
        "status_label": label(row["status"]),
        "status_label_en": STATUS_LABELS[row["status"]][1],
        "open": row["status"] in OPEN_STATUSES,
        "submitted_at": row["submitted_at"],
        "first_response_at": row["first_response_at"],
        "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"],
        "updated_at": row["last_event_at"],
        "kabupaten": row["kabupaten_name"],
        "kecamatan": row["kecamatan_name"],
        "desa": row["desa_name"],
        "agency": {"code": row["agency"], "name": row["agency_name"]} if row["agency"] else None,
        "office": row["office_name"],
        "description": row["description"],
        "sla": _sla(row),
        "followers": row["followers"],
        "demo": bool(row["demo"]),
        "rating": (
            {"stars": row["rating_stars"], "at": row["rated_at"]}
            if row["rating_stars"] is not None
            else None
        ),
    }


def _merged(conn: Connection, target: int | None) -> dict[str, Any] | None:
    """The report a duplicate was merged into: its public status and timeline."""
    if target is None:
        return None
    row = _row(conn, target)
    return {
        "id": row["id"],
        "status": row["status"],
        "status_label": label(row["status"]),
        "updated_at": row["last_event_at"],
        "timeline": timeline(conn, target),
    }


def citizen_view(conn: Connection, report_id: int, *, photo_base: str) -> dict[str, Any]:
    """The report as its citizen sees it (by tracking code): status, timeline, SLA.

    ``photo_base`` is the URL path of the report's photo (``/reports/LPR-…/photo``).
    """
    row = _row(conn, report_id)
    out = _common(row)
    out["code"] = row["code"]
    out["location"] = {"lon": row["public_lon"], "lat": row["public_lat"], "rounded": True}
    out["photo"] = _photo(row, photo_base)
    out["timeline"] = timeline(conn, report_id)
    out["merged_into"] = _merged(conn, row["merged_into"])
    out["can_rate"] = row["status"] == "selesai" and row["rating_stars"] is None
    return out


def _photo(row: dict[str, Any], base: str) -> dict[str, Any] | None:
    if row["photo_sha256"] is None:
        return None
    return {
        "url": base,
        "thumbnail_url": f"{base}?size=thumb",
        "media_type": row["photo_type"],
        "width": row["photo_width"],
        "height": row["photo_height"],
    }


def officer_view(
    conn: Connection, report_id: int, *, actor: Actor, photo_base: str
) -> dict[str, Any]:
    """Everything an officer needs: exact point, routing, timeline with actors, contacts
    (keys that may see them). 403 when the key's scope does not cover the report."""
    row = _row(conn, report_id)
    check_scope(actor, row)
    out = _common(row)
    out["location"] = {
        "lon": row["lon"],
        "lat": row["lat"],
        "rounded": False,
        "source": row["location_source"],
        "accuracy_m": row["accuracy_m"],
    }
    out["routing"] = {
        "agency": row["agency"],
        "level": row["routing_level"],
        "office_id": row["office_id"],
        "office": row["office_name"],
        "travel_s": row["office_travel_s"],
        "note": row["routing_note"],
        "kabupaten_code": row["kabupaten_code"],
    }
    out["photo"] = _photo(row, photo_base)
    out["timeline"] = timeline(conn, report_id, officer=True)
    out["merged_into"] = _merged(conn, row["merged_into"])
    out["version"] = row["version"]
    if actor.sees_contacts:
        contacts = conn.execute(
            text(
                "SELECT via, from_report_id, phone, email, created_at FROM report_followers "
                "WHERE report_id = :id AND (phone IS NOT NULL OR email IS NOT NULL) ORDER BY id"
            ),
            {"id": report_id},
        ).mappings()
        out["contacts"] = [dict(c) for c in contacts]
    else:
        out["contacts"] = None
    return out


def photo_of(conn: Connection, report_id: int, *, thumb: bool) -> tuple[str, str]:
    """The storage sha256 and media type of a report's photo (or thumbnail); 404 if none."""
    row = conn.execute(
        text(
            "SELECT ph.sha256, ph.media_type, ph.thumb_sha256, ph.thumb_media_type "
            "FROM reports r JOIN report_photos ph ON ph.sha256 = r.photo_sha256 WHERE r.id = :id"
        ),
        {"id": report_id},
    ).one_or_none()
    if row is None:
        msg = f"report #{report_id} has no photo"
        raise ReportNotFoundError(msg, field="photo")
    return (str(row[2]), str(row[3])) if thumb else (str(row[0]), str(row[1]))


def area_options(conn: Connection, *, province_code: str) -> dict[str, list[dict[str, Any]]]:
    """The kabupaten and kecamatan of the province, for the officer queue's area filter.

    Returns ``{"kabupaten": [{code, name}], "kecamatan": [{id, name, kabupaten}]}``
    (``kabupaten``: the 4-digit BPS code of the kecamatan's kabupaten), sorted by name.
    """
    kab = conn.execute(
        text(
            "SELECT code, name FROM admin_areas WHERE level = 'kabupaten' "
            "AND starts_with(coalesce(code, ''), :p) ORDER BY name, code"
        ),
        {"p": province_code},
    ).mappings()
    kec = conn.execute(
        text(
            "SELECT a.id, a.name, k.code AS kabupaten FROM admin_areas a "
            "JOIN admin_areas k ON k.id = a.parent_id WHERE a.level = 'kecamatan' "
            "AND k.level = 'kabupaten' AND starts_with(coalesce(k.code, ''), :p) "
            "ORDER BY a.name, a.id"
        ),
        {"p": province_code},
    ).mappings()
    return {"kabupaten": [dict(r) for r in kab], "kecamatan": [dict(r) for r in kec]}


def check_area_filter(
    conn: Connection, *, kabupaten_code: str | None, kecamatan_id: int | None
) -> None:
    """The queue's area filter, checked in one place: a kabupaten code the database
    holds, a kecamatan id that is a kecamatan, and (with both) a kecamatan inside that
    kabupaten. Raises :class:`UnknownReferenceError` (422) naming ``kabupaten`` or
    ``kecamatan_id``."""
    if kabupaten_code is not None:
        found = conn.execute(
            text("SELECT 1 FROM admin_areas WHERE level = 'kabupaten' AND code = :c"),
            {"c": kabupaten_code},
        ).first()
        if found is None:
            msg = f"no kabupaten/kota has the BPS code {kabupaten_code!r}"
            raise UnknownReferenceError(msg, field="kabupaten")
    if kecamatan_id is not None:
        parent = conn.execute(
            text(
                "SELECT k.code FROM admin_areas a LEFT JOIN admin_areas k ON k.id = a.parent_id "
                "WHERE a.id = :i AND a.level = 'kecamatan'"
            ),
            {"i": kecamatan_id},
        ).first()
        if parent is None:
            msg = f"no kecamatan has the id {kecamatan_id}"
            raise UnknownReferenceError(msg, field="kecamatan_id")
        if kabupaten_code is not None and parent[0] != kabupaten_code:
            msg = f"kecamatan {kecamatan_id} is not in kabupaten/kota {kabupaten_code}"
            raise UnknownReferenceError(msg, field="kecamatan_id")


def officer_list(
    conn: Connection,
    *,
    actor: Actor,
    status: list[str] | None = None,
    category: str | None = None,
    agency: str | None = None,
    kabupaten_code: str | None = None,
    kecamatan_id: int | None = None,
    overdue: bool | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The officer queue: reports the key covers, filtered, oldest open first.

    ``overdue`` true keeps reports past their response or resolution SLA (false: the
    others). Returns the page and the number matched.
    """
    check_area_filter(conn, kabupaten_code=kabupaten_code, kecamatan_id=kecamatan_id)
    scope, params = actor.scope_sql()
    clauses = [scope]
    if status:
        clauses.append("st.status = ANY(:status)")
        params["status"] = status
    for name, column, value in (
        ("category", "r.category", category),
        ("agency", "r.agency", agency),
        ("kab", "r.kabupaten_code", kabupaten_code),
        ("kec", "r.kecamatan_id", kecamatan_id),
    ):
        if value is not None:
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if submitted_from is not None:
        clauses.append("r.submitted_at >= :from_")
        params["from_"] = submitted_from
    if submitted_to is not None:
        clauses.append("r.submitted_at < :to_")
        params["to_"] = submitted_to
    where = " AND ".join(clauses)
    sql = f"SELECT * FROM ({_BASE} WHERE {where}) q"
    if overdue is not None:
        sql += " WHERE (q.overdue_response OR q.overdue_resolution) = :overdue"
        params["overdue"] = overdue
    matched = conn.execute(text(f"SELECT count(*) FROM ({sql}) m"), params).scalar_one()
    rows = conn.execute(
        text(
            sql + " ORDER BY (q.status = ANY(:open)) DESC, q.submitted_at, q.id "
            "LIMIT :limit OFFSET :offset"
        ),
        params | {"open": list(OPEN_STATUSES), "limit": limit, "offset": offset},
    ).mappings()
    out = []
    for r in rows:
        item = _common(dict(r))
        item.pop("description")
        item["location"] = {"lon": r["lon"], "lat": r["lat"], "rounded": False}
        item["has_photo"] = r["photo_sha256"] is not None
        out.append(item)
    return out, int(matched)


__all__ = [
    "area_options",
    "check_area_filter",
    "citizen_view",
    "officer_list",
    "officer_view",
    "photo_of",
]
