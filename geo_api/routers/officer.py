"""The officers' side of citizen reports: the queue, one report, steps, photos.

Every operation needs an ``X-API-Key``: reading with role ``viewer`` or above, moving a
report (or seeing contacts) with ``planner`` or above. A key with an agency scope
(``lampung-geo keys create --agency dinkes --area 1810``) sees and moves only the
reports routed to its agency in its area; another report answers 403. Steps follow
the lifecycle (409 otherwise); a report is never edited, each step is an event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from data.reference import AGENCIES, REPORT_CATEGORIES
from geo_api import schemas as sc
from geo_api import schemas_reports as sr
from geo_api.auth import PlannerKey, ViewerKey
from geo_api.deps import ConnectionDep, write
from geo_api.logistics import LOCAL_TZ
from geo_api.reports import photo_response, photo_store_of
from layers import reports as rp
from layers import reports_lifecycle as lc
from layers import reports_views as rv
from layers.apikeys import ApiKeyInfo, role_rank

router = APIRouter(tags=["reports (officers)"])

READ_ERRORS = (401, 403, 404, 503)
ReportId = Annotated[int, Path(ge=1, le=sc.INT64_MAX, description="the report's number")]
Status = Literal[
    "diterima", "diverifikasi", "diteruskan", "ditindaklanjuti", "selesai", "ditolak", "duplikat"
]
assert Status.__args__ == rp.STATUSES  # type: ignore[attr-defined]


def actor_of(key: ApiKeyInfo) -> lc.Actor:
    """The officer behind a key: its scope, and whether it may see contacts."""
    return lc.Actor(
        name=key.prefix,
        agency=key.agency,
        area_code=key.area_code,
        sees_contacts=role_rank(key.role) >= role_rank("planner"),
    )


@router.get(
    "/officer/reports",
    summary="The officer queue (API key)",
    operation_id="officerReports",
    response_model=None,
    responses=sc.docs({sc.GEOJSON: sr.OfficerReports}, 401, 403, 422, 503),
)
def queue(
    key: ViewerKey,
    conn: ConnectionDep,
    status: Annotated[list[Status] | None, Query(description="one or more statuses")] = None,
    category: Annotated[
        sr.CategoryCode | None,
        Query(json_schema_extra=sc.enum((c.code for c in REPORT_CATEGORIES), nullable=True)),
    ] = None,
    agency: Annotated[
        sr.AgencyCode | None,
        Query(json_schema_extra=sc.enum((a.code for a in AGENCIES), nullable=True)),
    ] = None,
    kabupaten: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}$", description="4-digit BPS code")
    ] = None,
    kecamatan_id: Annotated[
        int | None, Query(ge=1, le=sc.INT64_MAX, description="admin_areas id of a kecamatan")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: past an SLA; false: within them")
    ] = None,
    from_: Annotated[
        sr.IsoTime | None, Query(alias="from", description="submitted at or after")
    ] = None,
    to: Annotated[sr.IsoTime | None, Query(description="submitted before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="how many")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9, description="how many to skip")] = 0,
) -> JSONResponse:
    """Reports the key covers (``scope`` says which), open ones first, oldest first, at
    their exact points (GeoJSON), with status, SLA flags and routing; filtered by status, category,
    agency, area and overdue. An unknown ``kabupaten`` or ``kecamatan_id``, or a kecamatan
    outside the given kabupaten, is 422 naming the field."""

    def local(t: datetime | None) -> datetime | None:
        return t if t is None or t.tzinfo is not None else t.replace(tzinfo=LOCAL_TZ)

    actor = actor_of(key)
    rows, matched = rv.officer_list(
        conn,
        actor=actor,
        status=list(status) if status else None,
        category=category,
        agency=agency,
        kabupaten_code=kabupaten,
        kecamatan_id=kecamatan_id,
        overdue=overdue,
        submitted_from=local(from_),
        submitted_to=local(to),
        limit=limit,
        offset=offset,
    )
    feats = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {
                "type": "Point",
                "coordinates": [r["location"]["lon"], r["location"]["lat"]],
            },
            "properties": r,
        }
        for r in rows
    ]
    body = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(feats),
        "scope": {"agency": actor.agency, "area_code": actor.area_code},
        "features": feats,
    }
    return JSONResponse(jsonable_encoder(body), media_type=sc.GEOJSON)


def _photo_base(report_id: int) -> str:
    return f"/officer/reports/{report_id}/photo"


@router.get(
    "/officer/reports/{report_id}",
    summary="One report with its exact point, routing and contacts (API key)",
    operation_id="officerReport",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.OfficerReport}, *READ_ERRORS),
)
def one(report_id: ReportId, key: ViewerKey, conn: ConnectionDep) -> dict[str, Any]:
    """Everything about a report: exact point and accuracy, routing (agency, level,
    office, travel time), timeline with actors, and the followers' contacts (keys with
    role planner or admin). 403 when the key's agency scope does not cover it."""
    return rv.officer_view(conn, report_id, actor=actor_of(key), photo_base=_photo_base(report_id))


@router.get(
    "/officer/reports/{report_id}/photo",
    summary="A report's photo or thumbnail (API key)",
    operation_id="officerReportPhoto",
    response_model=None,
    responses=sc.docs(
        {
            m: {"type": "string", "format": "binary"}
            for m in ("image/jpeg", "image/png", "image/webp")
        },
        *READ_ERRORS,
    ),
)
def photo(
    request: Request,
    report_id: ReportId,
    key: ViewerKey,
    conn: ConnectionDep,
    size: Annotated[Literal["full", "thumb"], Query(description="full or thumb")] = "full",
) -> Response:
    """The stored photo (re-encoded, no EXIF) or its thumbnail."""
    rv.officer_view(conn, report_id, actor=actor_of(key), photo_base="")  # 404 / 403 first
    sha, media = rv.photo_of(conn, report_id, thumb=size == "thumb")
    return photo_response(photo_store_of(request.app.state), sha, media)


class StepRequest(sc.RequestBody):
    """One step of a report's lifecycle."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "diverifikasi", "note": "Laporan sudah dicek petugas."},
                {"status": "duplikat", "duplicate_of": 12},
            ]
        }
    )

    status: Status = Field(description="the new status (a legal next step, else 409)")
    note: sc.Text | None = Field(
        None,
        max_length=2000,
        description="public note, shown to citizens (tab and line breaks allowed); "
        "required for ditolak",
    )
    duplicate_of: Annotated[sc.StrictInt, Field(ge=1, le=sc.INT64_MAX)] | None = Field(
        None, description="with status duplikat: the open report this one repeats"
    )
    at: datetime | None = Field(
        None,
        description="when it happened (ISO 8601; no offset: WIB; default now); not before "
        "the last step, not in the future",
    )


@router.post(
    "/officer/reports/{report_id}/events",
    status_code=201,
    summary="Move a report one step (API key, role planner)",
    operation_id="reportStep",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.ReportStep}, 401, 403, 404, 409, 413, 422, 503, status=201),
)
def step(
    report_id: ReportId, body: StepRequest, key: PlannerKey, conn: ConnectionDep
) -> dict[str, Any]:
    """Diterima → Diverifikasi → Diteruskan ke OPD → Ditindaklanjuti → Selesai, or
    Ditolak (with a public note) / Duplikat (``duplicate_of``: merged into that open
    report, which takes over its followers). Anything else is 409. The first step is
    the report's first response; Selesai its resolution."""
    at = body.at
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=LOCAL_TZ)
    actor = actor_of(key)
    with write(conn):
        event = lc.apply_step(
            conn,
            report_id,
            to_status=body.status,
            actor=actor,
            note=body.note,
            at=at,
            duplicate_of=body.duplicate_of,
        )
    report = rv.officer_view(conn, report_id, actor=actor, photo_base=_photo_base(report_id))
    entry = {
        "kind": event["kind"],
        "status": event["to_status"],
        "status_label": lc.label(event["to_status"]),
        "from_status": event["from_status"],
        "at": event["at"],
        "note": event["public_note"],
        "related_report_id": event["related_report_id"],
        "id": event["id"],
        "actor": event["actor"],
        "actor_agency": event["actor_agency"],
    }
    return {"event": entry, "report": report}


__all__ = ["router"]
