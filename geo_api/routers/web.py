"""The map pages (``/peta``, ``/peta/logistik``, ``/peta/perencanaan``), their local
static files and the road lines for the view (``/roads``).

Each page is answered with a Content-Security-Policy made for it (:mod:`web.csp`):
scripts and styles from this origin and the hashes of the page's own inline blocks,
images also from the configured tile server.

The pages are built by :mod:`web.pages` from settings values and the lookup tables;
their data layers are fetched by the browser from the API. Which optional endpoints a
page uses (isochrones, logistics, coverage) is decided from the app's routes, so the
pages wire whatever the running app offers.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import text

from geo_api import schemas as sc
from geo_api.compression import MINIMUM_SIZE, choose_encoding, compress, is_compressible
from geo_api.deps import CachesDep, ConnectionDep, NetworksDep, SettingsDep
from geo_api.errors import StaticNotFoundError
from geo_api.roads import OTHER_RANK, road_lines, roads_in_view
from geo_api.settings import Settings
from layers.params import parse_bbox
from layers.points import lookup_options
from layers.reports import (
    CODE_PATTERN,
    STATUS_LABELS,
    ReportNotFoundError,
    normalise_code,
    report_id_for_code,
)
from layers.reports_views import area_options
from routing.errors import UnknownProfileError
from routing.profiles import PROFILES
from web.assets import FAVICON, MEDIA_TYPES, file_version, static_file
from web.csp import page_policy
from web.i18n import check_lang
from web.pages import build_citizen_page, build_logistics_page, build_planning_page
from web.report_pages import build_officer_page, build_report_page, build_report_status_page

router = APIRouter()

ROAD_LIMIT_MAX = 10_000
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
BBOX_PATTERN = rf"^{_LON},{_LAT},{_LON},{_LAT}$"
"""Four WGS 84 numbers; the order of the corners is checked by parse_bbox."""
STATIC_CACHE = "public, max-age=3600"
STATIC_CACHE_VERSIONED = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"


def _endpoints(request: Request) -> set[str]:
    """Paths the running app serves (from its OpenAPI document, built once and cached)."""
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    return set(paths)


def _page(html: str, settings: Settings) -> HTMLResponse:
    headers = {
        "Cache-Control": PAGE_CACHE,
        "Content-Security-Policy": page_policy(html, tile_url=settings.web.tile_url),
    }
    return HTMLResponse(html, headers=headers)


LangQuery = Annotated[str | None, Query(description="id (default) or en; anything else: id")]
PAGE_DOCS = sc.docs(
    {sc.HTML: {"type": "string", "description": "the page (HTML)"}},
    503,
    description="The map page",
)


@router.get(
    "/peta",
    summary="Citizen map: nearest public services",
    tags=["map pages"],
    operation_id="citizenPage",
    response_class=HTMLResponse,
    responses=PAGE_DOCS,
)
def citizen_page(
    request: Request, settings: SettingsDep, conn: ConnectionDep, lang: LangQuery = None
) -> HTMLResponse:
    """The k nearest service points by travel time from a clicked point, with routes."""
    return _page(
        build_citizen_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            categories=lookup_options(conn, "categories"),
            endpoints=_endpoints(request),
        ),
        settings,
    )


@router.get(
    "/peta/logistik",
    summary="Logistics map",
    tags=["map pages"],
    operation_id="logisticsPage",
    response_class=HTMLResponse,
    responses=PAGE_DOCS,
)
def logistics_page(
    request: Request, settings: SettingsDep, conn: ConnectionDep, lang: LangQuery = None
) -> HTMLResponse:
    """Farms, ports, the ferry, markets, shipments, allocation flows and a plan form."""
    return _page(
        build_logistics_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            commodities=lookup_options(conn, "commodities"),
            vehicles=lookup_options(conn, "vehicle_classes"),
            endpoints=_endpoints(request),
        ),
        settings,
    )


@router.get(
    "/peta/perencanaan",
    summary="Planning map",
    tags=["map pages"],
    operation_id="planningPage",
    response_class=HTMLResponse,
    responses=PAGE_DOCS,
)
def planning_page(
    request: Request, settings: SettingsDep, conn: ConnectionDep, lang: LangQuery = None
) -> HTMLResponse:
    """Coverage choropleth, underserved ranking, proposed sites and downloads."""
    return _page(
        build_planning_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            categories=lookup_options(conn, "categories"),
            endpoints=_endpoints(request),
            report_categories=_report_categories(conn),
        ),
        settings,
    )


# -- citizen reports: /lapor, /lapor/{code}, /peta/laporan ---------------------------


def _report_categories(conn: Any) -> list[tuple[str, str, str]]:
    rows = conn.execute(text("SELECT code, name_id, name_en FROM report_categories ORDER BY code"))
    return [(str(c), str(i), str(e)) for c, i, e in rows]


def _report_statuses() -> list[tuple[str, str, str]]:
    return [(code, ids, en) for code, (ids, en) in STATUS_LABELS.items()]


@router.get(
    "/lapor",
    summary="Report a problem (citizen form)",
    tags=["map pages"],
    operation_id="reportPage",
    response_class=HTMLResponse,
    responses=PAGE_DOCS,
)
def report_page(settings: SettingsDep, conn: ConnectionDep, lang: LangQuery = None) -> HTMLResponse:
    """Phone-first form: category, text, a point (map tap or GPS), photo, contact."""
    return _page(
        build_report_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            categories=_report_categories(conn),
            statuses=_report_statuses(),
            photo_max_bytes=settings.reports.photo_max_bytes,
        ),
        settings,
    )


@router.get(
    "/lapor/{code}",
    summary="A report's status and timeline (citizen page)",
    tags=["map pages"],
    operation_id="reportStatusPage",
    response_class=HTMLResponse,
    responses=sc.docs(
        {sc.HTML: {"type": "string", "description": "the page (HTML)"}},
        503,
        description="The report's page",
        extra={
            404: {
                "description": "No report has this code: the same page, saying so",
                "content": {sc.HTML: {"schema": {"type": "string"}}},
            }
        },
    ),
)
def report_status_page(
    settings: SettingsDep,
    conn: ConnectionDep,
    code: Annotated[str, PathParam(pattern=CODE_PATTERN, description="tracking code")],
    lang: LangQuery = None,
) -> HTMLResponse:
    """Status, category, area, timeline with public notes, SLA flag and rating."""
    try:
        report_id_for_code(conn, code)
        found = True
    except ReportNotFoundError:
        found = False  # the page says so in its language, with status 404
    page = _page(
        build_report_status_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            code=normalise_code(code),
            statuses=_report_statuses(),
        ),
        settings,
    )
    if not found:
        page.status_code = 404
    return page


@router.get(
    "/peta/laporan",
    summary="Officer queue of citizen reports",
    tags=["map pages"],
    operation_id="officerPage",
    response_class=HTMLResponse,
    responses=PAGE_DOCS,
)
def officer_page(
    settings: SettingsDep, conn: ConnectionDep, lang: LangQuery = None
) -> HTMLResponse:
    """Sign in with an API key; list, map and move the reports the key covers."""
    return _page(
        build_officer_page(
            lang=check_lang(lang),
            tile_url=settings.web.tile_url,
            attribution=settings.web.tile_attribution,
            categories=_report_categories(conn),
            statuses=_report_statuses(),
            areas=area_options(conn, province_code=settings.reports.province_code),
        ),
        settings,
    )


@router.get("/peta/", include_in_schema=False)
def citizen_page_slash() -> RedirectResponse:
    """``/peta/`` → ``/peta``."""
    return RedirectResponse("/peta", status_code=308)


@lru_cache(maxsize=64)
def _packed(path: str, version: str, encoding: str | None) -> bytes:
    """A static file's bytes, compressed once at the best level (``version`` keys it)."""
    data = Path(path).read_bytes()
    return compress(data, encoding, best=True) if encoding else data


def _static_response(request: Request, found: Path, *, versioned: bool) -> Response:
    version = file_version(found)
    etag = f'"{version}"'
    headers = {
        "Cache-Control": STATIC_CACHE_VERSIONED if versioned else STATIC_CACHE,
        "ETag": etag,
        "Vary": "Accept-Encoding",
    }
    media = MEDIA_TYPES[found.suffix]
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    encoding = None
    if is_compressible(media) and found.stat().st_size >= MINIMUM_SIZE:
        encoding = choose_encoding(request.headers.get("accept-encoding"))
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(_packed(str(found), version, encoding), media_type=media, headers=headers)


@router.get("/static/{package}/{path:path}", include_in_schema=False)
def static(request: Request, package: str, path: str, v: str | None = None) -> Response:
    """Leaflet (from xstatic-leaflet) and our own scripts, styles and icons.

    Text files go out precompressed (brotli or gzip at their best level, once per file
    version); a URL with the file's current ``?v=`` is cached for a year.
    """
    found = static_file(package, path)
    if found is None:
        msg = f"no static file {package}/{path}"
        raise StaticNotFoundError(msg, field="path")
    return _static_response(request, found, versioned=v == file_version(found))


@router.get("/favicon.ico", include_in_schema=False)
def favicon(request: Request) -> Response:
    """The site icon (browsers ask for it even when a page names another)."""
    return _static_response(request, FAVICON, versioned=False)


@router.get(
    "/roads",
    summary="Road lines of the loaded network for a view",
    tags=["map pages"],
    operation_id="roads",
    response_class=Response,
    responses=sc.docs({sc.GEOJSON: sc.RoadLines}),
)
def roads(
    networks: NetworksDep,
    caches: CachesDep,
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in WGS 84 lon/lat (minx <= maxx, miny <= maxy)",
            pattern=BBOX_PATTERN,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=ROAD_LIMIT_MAX, description="most lines")] = 2000,
    max_rank: Annotated[
        int, Query(ge=0, le=OTHER_RANK, description="0 motorway … 6 residential, 7 all")
    ] = OTHER_RANK,
    profile: Annotated[
        str,
        Query(
            description="whose network to draw (another loaded one when it has none)",
            json_schema_extra=sc.enum(sorted(PROFILES)),
        ),
    ] = "car",
) -> Response:
    """GeoJSON lines of the routing network (the most important roads first, capped).

    Keeps the maps readable when base-map tiles cannot be loaded.
    """
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r}; profiles: {sorted(PROFILES)}"
        raise UnknownProfileError(msg)
    box = parse_bbox(bbox) if bbox else None
    cap, rank = limit, max_rank
    net = networks.get(profile) or next(iter(networks.values()), None)
    if net is None:
        body: dict[str, Any] = {
            "type": "FeatureCollection",
            "numberMatched": 0,
            "numberReturned": 0,
            "features": [],
            "note": "no road network is loaded",
        }
    else:
        lines = caches.roads.get_or_put(net.key, lambda: road_lines(net.compiled))
        body = roads_in_view(lines, box, limit=cap, max_rank=rank)
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/geo+json")
