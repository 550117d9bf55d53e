"""Citizen reports (laporan warga): submit without an account, follow by tracking code,
rate; public statistics, hotspots and exports for Bappeda.

Officers work on reports in :mod:`geo_api.routers.officer`. The public side never shows
contacts, the exact point, the text or the photo of someone else's report: the OGC
collection ``reports`` and these statistics/exports give the category, status, dates,
area, public notes and a location rounded to 0.001°.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from sqlalchemy import text

from data.reference import REPORT_CATEGORIES
from geo_api import schemas as sc
from geo_api import schemas_reports as sr
from geo_api.deps import ConnectionDep, NetworksDep, SettingsDep, write
from geo_api.logistics import LOCAL_TZ
from geo_api.reports import (
    assign_office,
    cached_stats,
    client_hash,
    photo_response,
    photo_store_of,
    stats_json,
)
from layers import reports as rp
from layers import reports_lifecycle as lc
from layers import reports_stats as rs
from layers import reports_views as rv
from layers.photos import process_photo, store_photo

router = APIRouter(tags=["reports"])

CATEGORY_ENUM = sc.enum(c.code for c in REPORT_CATEGORIES)
# At least 10 characters that are not blanks, no control characters but tab/CR/LF.
DESCRIPTION_PATTERN = r"^[\t\n\r ]*(?:[^\u0000-\u0020\u007f][\t\n\r ]*){10,}$"
PHONE_PATTERN = r"^(?:\+?[0-9][0-9 \-]{6,18}[0-9])?$"
EMAIL_PATTERN = (
    r"^(?:[^@\s\u0000-\u001f\u007f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,24})?$"
)
CodePath = Annotated[
    str,
    Path(
        pattern=rp.CODE_PATTERN,
        description="tracking code, e.g. LPR-7K3Q-9XW2-ABCD (any case, hyphens optional)",
        examples=["LPR-7K3Q-9XW2-ABCD"],
    ),
]
DateQ = Annotated[sr.IsoDay | None, Query(description="ISO date (a day in Asia/Jakarta)")]
LevelQ = Annotated[Literal["kabupaten", "kecamatan", "desa"], Query(description="area level")]
CategoryQ = Annotated[
    sr.CategoryCode | None,
    Query(
        description="report category",
        json_schema_extra=sc.enum((c.code for c in REPORT_CATEGORIES), nullable=True),
    ),
]
KabupatenQ = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}$", description="only this kabupaten/kota (4-digit BPS code)"),
]


def _period(
    date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Whole days in WIB (Asia/Jakarta): ``to`` is included."""

    def day(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ)

    start = day(date_from) if date_from else None
    end = day(date_to) + timedelta(days=1) if date_to else None
    return start, end


@router.get(
    "/reports/categories",
    summary="Report categories, statuses and agencies",
    operation_id="reportCategories",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.ReportCategories}, 503),
)
def categories(conn: ConnectionDep, settings: SettingsDep) -> dict[str, Any]:
    """Every category with its SLA (hours to first response and to resolution) and the
    agency per level; the lifecycle's statuses with their next steps; the agencies and
    how many of their offices are loaded; the submission limits."""
    cats = conn.execute(text("SELECT * FROM report_categories ORDER BY code")).mappings().all()
    routes: dict[str, dict[str, str]] = {}
    for c, lv, a in conn.execute(text("SELECT category, level, agency FROM report_routing")):
        routes.setdefault(c, {})[lv] = a
    agencies = conn.execute(
        text(
            "SELECT a.code, a.name_id, a.name_en, count(o.id) AS offices FROM agencies a "
            "LEFT JOIN agency_offices o ON o.agency = a.code GROUP BY a.code ORDER BY a.code"
        )
    ).mappings()
    return {
        "categories": [dict(c) | {"agencies": routes.get(c["code"], {})} for c in cats],
        "statuses": [
            {
                "code": s,
                "label_id": rp.STATUS_LABELS[s][0],
                "label_en": rp.STATUS_LABELS[s][1],
                "open": s in rp.OPEN_STATUSES,
                "next": list(lc.TRANSITIONS[s]),
            }
            for s in rp.STATUSES
        ],
        "agencies": [dict(a) for a in agencies],
        "rate_limit_per_hour": settings.reports.rate_limit_per_hour,
        "photo_max_bytes": settings.reports.photo_max_bytes,
        "text_min": rp.TEXT_MIN,
        "text_max": rp.TEXT_MAX,
    }


@router.get(
    "/reports/similar",
    summary="Open reports like this one nearby (before submitting)",
    operation_id="similarReports",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.SimilarReports}, 503),
)
def similar(
    conn: ConnectionDep,
    category: Annotated[str, Query(description="report category", json_schema_extra=CATEGORY_ENUM)],
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude")],
) -> dict[str, Any]:
    """Open reports of the same category within 50 m submitted in the last 7 days,
    nearest first, each with the text to show: "sama dengan laporan #…?". Public fields
    only."""
    found = rp.similar_open(conn, category=category, lon=lon, lat=lat)
    return {
        "radius_m": rp.DUPLICATE_RADIUS_M,
        "days": rp.DUPLICATE_DAYS,
        "numberReturned": len(found),
        "reports": found,
    }


@router.post(
    "/reports",
    status_code=201,
    summary="Submit a report (no account needed)",
    operation_id="submitReport",
    response_model=None,
    responses=sc.docs(
        {sc.JSON: sr.ReportReceipt},
        413,
        415,
        422,
        429,
        503,
        status=201,
        description="Stored; keep the tracking code. Location names the report",
        headers={"Location": {"description": "/reports/{code}", "schema": {"type": "string"}}},
        links={
            "GetReport": {
                "operationId": "getReport",
                "parameters": {"code": "$response.body#/code"},
                "description": "the citizen's view of the report just made",
            }
        },
    ),
)
def submit(
    request: Request,
    response: Response,
    conn: ConnectionDep,
    networks: NetworksDep,
    settings: SettingsDep,
    category: Annotated[str, Form(description="report category", json_schema_extra=CATEGORY_ENUM)],
    description: Annotated[
        str,
        Form(
            min_length=rp.TEXT_MIN,
            max_length=rp.TEXT_MAX,
            pattern=DESCRIPTION_PATTERN,
            description="what is wrong, 10-2,000 characters (at least 10 that are not blanks)",
        ),
    ],
    lon: Annotated[float, Form(ge=-180, le=180, allow_inf_nan=False, description="longitude")],
    lat: Annotated[float, Form(ge=-90, le=90, allow_inf_nan=False, description="latitude")],
    location_source: Annotated[
        Literal["map", "gps"],
        Form(description="map: placed on the map; gps: 'use my location'"),
    ] = "map",
    accuracy_m: Annotated[
        float,  # noqa: RUF013 (optional, but a form never sends null)
        Form(ge=0, le=100_000, allow_inf_nan=False, description="GPS accuracy in metres"),
    ] = None,  # type: ignore[assignment]
    phone: Annotated[
        str,
        Form(pattern=PHONE_PATTERN, max_length=20, description="optional; never published"),
    ] = "",
    email: Annotated[
        str,
        Form(pattern=EMAIL_PATTERN, max_length=254, description="optional; never published"),
    ] = "",
    photo: Annotated[
        UploadFile,
        File(description="optional JPEG, PNG or WebP (by content), at most 5 MiB"),
    ] = None,  # type: ignore[assignment]  # optional, but never "null" in a form
) -> dict[str, Any]:
    """Store a citizen's report and answer its **tracking code**.

    The point must lie in Lampung (422 otherwise); the kabupaten, kecamatan and desa
    come from it, the agency from the category, the office by travel time. A photo is
    checked by its content (415), at most 5 MiB (413), re-encoded without EXIF/GPS.
    Each client may send ``LAMPUNG_GEO_REPORTS_RATE_LIMIT_PER_HOUR`` reports an hour
    (429 with ``Retry-After``). ``similar`` lists open reports of the same category
    within 50 m of the last 7 days ("sama dengan laporan #…"): the report is stored
    anyway, and officers may merge it.
    """
    cfg = settings.reports
    text_ = rp.clean_text(description, field="description", min_len=rp.TEXT_MIN)
    phone_, email_ = rp.check_contact(phone, email)
    cat = rp.check_category(conn, category)
    who = client_hash(conn, request.app.state, request.scope, request.app.state.public_address)
    rp.check_rate(conn, who, limit=cfg.rate_limit_per_hour)
    place = rp.locate(conn, lon, lat, province_code=cfg.province_code)
    processed = None
    if photo is not None:
        raw = photo.file.read(cfg.photo_max_bytes + 1)
        processed = process_photo(raw, max_bytes=cfg.photo_max_bytes)
    assignment = assign_office(conn, networks, cfg, category=cat, place=place, lon=lon, lat=lat)
    if processed is not None:
        store_photo(photo_store_of(request.app.state), processed)
    with write(conn):
        sha = rp.record_photo(conn, processed) if processed is not None else None
        made = rp.submit_report(
            conn,
            rp.NewReport(
                category=category,
                description=text_,
                lon=lon,
                lat=lat,
                location_source=location_source,
                accuracy_m=accuracy_m,
                phone=phone_,
                email=email_,
                photo_sha256=sha,
            ),
            place=place,
            assignment=assignment,
            client_hash=who,
            rate_limit=cfg.rate_limit_per_hour,
        )
    url = f"{str(request.base_url).rstrip('/')}/reports/{made.code}"
    response.headers["Location"] = url
    a = made.assignment
    agency_name = (
        conn.execute(text("SELECT name_id FROM agencies WHERE code = :a"), {"a": a.agency}).scalar()
        if a.agency
        else None
    )
    return {
        "id": made.id,
        "code": made.code,
        "status": "diterima",
        "status_label": rp.STATUS_LABELS["diterima"][0],
        "submitted_at": made.submitted_at,
        "kabupaten": place.kabupaten_name,
        "kecamatan": place.kecamatan_name,
        "desa": place.desa_name,
        "agency": {"code": a.agency, "name": agency_name} if a.agency else None,
        "office": a.office_name,
        "routing_note": a.note,
        "photo": processed is not None,
        "similar": made.similar,
        "tracking_url": url,
        "message": f"Laporan diterima. Simpan kode pelacakan {made.code} untuk mengikutinya.",
        "message_en": f"Report received. Keep the tracking code {made.code} to follow it.",
    }


def _stats_query(
    level: str, date_from: date | None, date_to: date | None, category: str | None, kab: str | None
) -> rs.StatsQuery:
    start, end = _period(date_from, date_to)
    return rs.StatsQuery(
        level=level, date_from=start, date_to=end, category=category, kabupaten_code=kab
    )


@router.get(
    "/reports/stats",
    summary="Reports per area and category (count, per 10,000, medians, % within SLA)",
    operation_id="reportStats",
    response_model=None,
    responses=sc.docs(
        {
            sc.JSON: sr.ReportStats,
            sc.CSV: {"type": "string", "description": "one row per area x category (f=csv)"},
            sc.GEOJSON: {"type": "object", "description": "areas with outlines (f=geojson)"},
        },
        503,
    ),
)
def stats(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    level: LevelQ = "kecamatan",
    from_: Annotated[
        sr.IsoDay | None, Query(alias="from", description="first day (ISO date)")
    ] = None,
    to: Annotated[sr.IsoDay | None, Query(description="last day, included (ISO date)")] = None,
    category: CategoryQ = None,
    kabupaten: KabupatenQ = None,
    f: Annotated[Literal["json", "csv", "geojson"], Query(description="answer format")] = "json",
) -> Any:
    """Per area of ``level`` (every area of the province, zero where nobody reported) and
    per category: count, per 10,000 people, median hours to first response and to
    resolution, % within SLA (response, resolution), open and overdue reports. The
    answer's ``definitions`` say exactly what each figure counts. Reports merged as
    duplicates are not counted. An answer is reused while no report or step was added
    (at most 60 s)."""
    q = _stats_query(level, from_, to, category, kabupaten)
    cached = cached_stats(request.app.state, conn, q, province_code=settings.reports.province_code)
    if f == "json":
        return Response(stats_json(cached), media_type="application/json")
    body = {k: v for k, v in cached.items() if k != "__json__"}  # the cache's stays as it was
    if f == "csv":
        import csv
        import io

        rows = rs.stats_rows(body)
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="laporan_{level}.csv"'},
        )
    if f == "geojson":
        ids = [a["id"] for a in body["areas"]]
        shapes: dict[int, Any] = dict(
            conn.execute(
                text(
                    "SELECT id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0005), 5)::json "
                    "FROM admin_areas WHERE id = ANY(:ids)"
                ),
                {"ids": ids},
            ).all()
        )
        feats = [
            {"type": "Feature", "id": a["id"], "geometry": shapes.get(a["id"]), "properties": a}
            for a in body.pop("areas")
        ]
        body |= {"type": "FeatureCollection", "features": feats}
        return JSONResponse(jsonable_encoder(body), media_type=sc.GEOJSON)
    return Response(stats_json(cached), media_type="application/json")


@router.get(
    "/reports/hotspots",
    summary="Report hotspots on H3 cells",
    operation_id="reportHotspots",
    response_model=None,
    responses=sc.docs({sc.GEOJSON: sr.Hotspots}, 503),
)
def hotspot_cells(
    conn: ConnectionDep,
    resolution: Annotated[int, Query(ge=5, le=9, description="H3 resolution (8: ~0.74 km²)")] = 8,
    min_count: Annotated[int, Query(ge=1, le=100_000, description="smallest count shown")] = 1,
    from_: Annotated[
        sr.IsoDay | None, Query(alias="from", description="first day (ISO date)")
    ] = None,
    to: Annotated[sr.IsoDay | None, Query(description="last day, included (ISO date)")] = None,
    category: CategoryQ = None,
    open_only: Annotated[bool, Query(description="only reports still open")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000, description="most cells")] = 500,
) -> JSONResponse:
    """H3 hexagons with their number of reports (duplicates left out), most first, with
    their share of all reports and rank: where problems concentrate. A density map,
    not a significance test."""
    start, end = _period(from_, to)
    feats = rs.hotspots(
        conn,
        resolution=resolution,
        min_count=min_count,
        category=category,
        date_from=start,
        date_to=end,
        only_open=open_only,
        limit=limit,
    )
    body = {
        "type": "FeatureCollection",
        "resolution": resolution,
        "numberReturned": len(feats),
        "total": sum(f["properties"]["count"] for f in feats),
        "features": feats,
    }
    return JSONResponse(body, media_type=sc.GEOJSON)


@router.get(
    "/reports/export",
    summary="Export reports (public fields): CSV, GeoJSON or GeoPackage",
    operation_id="exportReports",
    response_model=None,
    responses=sc.docs(
        {
            sc.CSV: {"type": "string"},
            sc.GEOJSON: {"type": "object"},
            "application/geopackage+sqlite3": {"type": "string", "format": "binary"},
        },
        503,
    ),
)
def export(
    conn: ConnectionDep,
    f: Annotated[Literal["csv", "geojson", "gpkg"], Query(description="file format")] = "csv",
    from_: Annotated[
        sr.IsoDay | None, Query(alias="from", description="first day (ISO date)")
    ] = None,
    to: Annotated[sr.IsoDay | None, Query(description="last day, included (ISO date)")] = None,
    category: CategoryQ = None,
    kabupaten: KabupatenQ = None,
) -> Response:
    """Every report of the period with the public fields only (number, category,
    status, dates, area, agency, SLA flags, followers) and the location rounded to
    0.001°: no text, photo, contacts or exact point."""
    rows = rs.export_rows(conn, _stats_query("kecamatan", from_, to, category, kabupaten))
    name = "laporan"
    if f == "gpkg":
        return Response(
            rs.export_gpkg(rows),
            media_type="application/geopackage+sqlite3",
            headers={"Content-Disposition": f'attachment; filename="{name}.gpkg"'},
        )
    if f == "geojson":
        feats = [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
            }
            for r in rows
        ]
        body = {"type": "FeatureCollection", "numberReturned": len(feats), "features": feats}
        return JSONResponse(jsonable_encoder(body), media_type=sc.GEOJSON)
    return Response(
        rs.export_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/reports/{code}",
    summary="A report's status and timeline (by tracking code)",
    operation_id="getReport",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.CitizenReport}, 404, 503),
)
def get_report(code: CodePath, conn: ConnectionDep) -> dict[str, Any]:
    """The citizen's view: status, timeline with public notes, SLA flags, the own text
    and photo, the location rounded to 0.001°; for a duplicate, the report it was merged
    into with its status and timeline. Never contacts."""
    report_id = rp.report_id_for_code(conn, code)
    norm = rp.normalise_code(code)
    return rv.citizen_view(conn, report_id, photo_base=f"/reports/{norm}/photo")


@router.get(
    "/reports/{code}/photo",
    summary="A report's photo or thumbnail (by tracking code)",
    operation_id="reportPhoto",
    response_model=None,
    responses=sc.docs(
        {
            m: {"type": "string", "format": "binary"}
            for m in ("image/jpeg", "image/png", "image/webp")
        },
        404,
        503,
    ),
)
def report_photo(
    request: Request,
    code: CodePath,
    conn: ConnectionDep,
    size: Annotated[Literal["full", "thumb"], Query(description="full or thumb")] = "full",
) -> Response:
    """The stored photo (re-encoded, no EXIF) or its JPEG thumbnail."""
    report_id = rp.report_id_for_code(conn, code)
    sha, media = rv.photo_of(conn, report_id, thumb=size == "thumb")
    return photo_response(photo_store_of(request.app.state), sha, media)


class RatingRequest(sc.RequestBody):
    """The citizen's rating of a resolved report."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"stars": 5, "comment": "cepat"}]})

    stars: Annotated[sc.StrictInt, Field(ge=1, le=5, description="1-5")]
    comment: sc.Text | None = Field(None, max_length=1000, description="optional, one line")


@router.post(
    "/reports/{code}/rating",
    status_code=201,
    summary="Rate a resolved report, once (by tracking code)",
    operation_id="rateReport",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.RatingAnswer}, 404, 409, 413, 503, status=201),
)
def rate(code: CodePath, body: RatingRequest, conn: ConnectionDep) -> dict[str, Any]:
    """1-5 stars and an optional comment, once, after the report is *Selesai* (409
    before, or a second time)."""
    report_id = rp.report_id_for_code(conn, code)
    with write(conn):
        return lc.rate_report(conn, report_id, stars=body.stars, comment=body.comment)


__all__ = ["router"]
