"""Coverage analysis endpoints: isochrones, coverage statistics, underserved areas, siting."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field
from sqlalchemy import Connection

from data.budget import Budget
from data.reference import CATEGORY_CODES
from geo_api import coverage as cov
from geo_api import coverage_files as files
from geo_api import coverage_output as out
from geo_api import schemas as sc
from geo_api.caches import Caches
from geo_api.deps import (
    CachesDep,
    ConnectionDep,
    CoverageBudget,
    IsochronesBudget,
    NetworkDep,
    NetworksDep,
    SettingsDep,
    SitingBudget,
)
from geo_api.facilities import get_facilities
from geo_api.networks import network_for
from geo_api.params import (
    MINUTES_MAX,
    MINUTES_MIN,
    SITES_MAX,
    CategoryQ,
    LatQ,
    LevelQ,
    LonQ,
    MinuteQ,
    MinutesQ,
    check_level,
    check_lonlat,
    check_points,
    parse_minutes,
)
from geo_api.settings import Settings
from layers.errors import InvalidParameterError
from layers.population_areas import NoAreasError, areas_at_level, assign_areas
from routing.network import Network
from routing.profiles import PROFILES

router = APIRouter(tags=["coverage"])
COVERAGE_ERRORS = (422, 503)


@router.get(
    "/isochrones",
    summary="Service areas around any point",
    operation_id="isochrones",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Isochrones}, *COVERAGE_ERRORS),
)
def isochrones(
    budget: IsochronesBudget,
    net: NetworkDep,
    lon: LonQ,
    lat: LatQ,
    minutes: MinutesQ = "10,20,30",
) -> dict[str, Any]:
    """Nested, non-overlapping bands reachable from the point within each threshold.

    Built from the reached road stretches (partial edges included) buffered by a
    150 m walking-access distance; never a hull, never across water.
    """
    check_lonlat(lon, lat, field="lon")
    mins = parse_minutes(minutes)
    origin = net.snap(lon, lat, field="lon")
    bands = cov.point_isochrones(net, origin, mins, budget=budget)
    return {
        "type": "FeatureCollection",
        "profile": net.profile,
        "origin": {"lon": origin.lon, "lat": origin.lat, "snap_distance_m": origin.distance_m},
        "direction": "from the point",
        "features": out.band_features(bands, profile=net.profile),
    }


@router.get(
    "/coverage/areas",
    summary="Service areas of a whole category",
    operation_id="coverageAreas",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.CoverageAreas}, *COVERAGE_ERRORS),
)
def coverage_areas(
    budget: CoverageBudget,
    net: NetworkDep,
    conn: ConnectionDep,
    caches: CachesDep,
    category: CategoryQ,
    minutes: MinutesQ = "15,30,60",
) -> dict[str, Any]:
    """Bands from which the nearest service point of the category is reached in time."""
    mins = parse_minutes(minutes)
    fac = get_facilities(conn, net, category, caches=caches)
    bands = cov.category_isochrones(net, fac, mins, budget=budget) if fac.snaps else []
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "profile": net.profile,
        "category": category,
        "direction": "to the nearest service point",
        "facilities": len(fac.snaps),
        "facilities_off_network": fac.off_network,
        "demo": fac.demo,
        "features": out.band_features(bands, profile=net.profile, category=category),
    }
    if not fac.snaps:
        body["note"] = f"no {category} point can be placed on the {net.profile} network"
    return body


AssumeQ = Annotated[
    float | None,
    Query(
        gt=0,
        le=1e9,
        allow_inf_nan=False,
        description="people to spread over areas without a population figure, e.g. "
        "10562088 (DKI Jakarta, census 2020); by default such areas count as 0 and a "
        "database without any figure answers 422",
    ),
]


def _stats(
    net: Network,
    settings: Settings,
    conn: Connection,
    caches: Caches,
    *,
    category: str,
    minutes: str,
    level: str,
    rank_minutes: float | None,
    assume_population: float | None,
    budget: Budget,
    single: bool = False,
) -> cov.CoverageResult:
    mins = parse_minutes(minutes, single=single)
    return cov.coverage_stats(
        conn,
        net,
        category=category,
        minutes=mins,
        level=check_level(level),
        caches=caches,
        rank_minutes=mins[0] if single else rank_minutes,
        assumed_total=assume_population,
        population_raster=settings.population.raster,
        budget=budget,
    )


FORMATS = ("json", "csv", "geojson", "gpkg", "png")


def _attachment(stem: str, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{stem}.{ext}"'}


@router.get(
    "/coverage/stats",
    summary="Population coverage per area",
    operation_id="coverageStats",
    response_model=None,
    responses=sc.docs(
        {
            sc.JSON: sc.CoverageStats,
            sc.CSV: {"type": "string", "description": "one row per area (f=csv)"},
            sc.GEOJSON: sc.CoverageAreasGeoJSON,
            sc.GPKG: {
                "type": "string",
                "format": "binary",
                "description": "GeoPackage (f=gpkg): layers areas, cells, service_points, about",
            },
            sc.PNG: {
                "type": "string",
                "format": "binary",
                "description": "choropleth, one map per threshold, fixed classes (f=png)",
            },
        },
        *COVERAGE_ERRORS,
        description="JSON (f=json), CSV (f=csv), GeoJSON with the areas (f=geojson), a "
        "GeoPackage (f=gpkg) or a PNG map (f=png); files are named "
        "coverage_<category>_<profile>_<minutes>min_<level>_<date>",
        headers={
            "Content-Disposition": {
                "description": "attachment with the file name (every format but json)",
                "schema": {"type": "string"},
            }
        },
    ),
)
def coverage_stats(
    budget: CoverageBudget,
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    caches: CachesDep,
    category: CategoryQ,
    minutes: MinutesQ = "15,30,60",
    level: LevelQ = "kabupaten",
    f: Annotated[
        str,
        Query(
            description="json, csv, geojson, gpkg (GeoPackage) or png (choropleth map)",
            json_schema_extra=sc.enum(FORMATS),
        ),
    ] = "json",
    rank_minutes: Annotated[
        float | None,
        Query(
            ge=MINUTES_MIN,
            le=MINUTES_MAX,
            allow_inf_nan=False,
            description="threshold for the underserved ranking; one of minutes",
        ),
    ] = None,
    assume_population: AssumeQ = None,
    lang: Annotated[
        str,
        Query(
            description="language of the PNG's texts: id or en",
            json_schema_extra=sc.enum(["id", "en"]),
        ),
    ] = "en",
) -> Response:
    """Population, covered population, percent covered, median and p90 travel time.

    Population is spread over H3 cells (see ``population_model``); one multi-source
    search per request covers all thresholds. ``underserved_rank`` 1 is the area with
    the most people beyond ``rank_minutes`` (default: the smallest threshold). Every
    format is made from the same result; files carry the category, profile,
    threshold(s), level and date (WIB) in their name.
    """
    if f not in FORMATS:
        msg = f"f must be one of {', '.join(FORMATS)}, got {f!r}"
        raise InvalidParameterError(msg, field="f")
    if lang not in files.LABELS:
        msg = f"lang must be id or en, got {lang!r}"
        raise InvalidParameterError(msg, field="lang")
    result = _stats(
        net,
        settings,
        conn,
        caches,
        category=category,
        minutes=minutes,
        level=level,
        rank_minutes=rank_minutes,
        assume_population=assume_population,
        budget=budget,
    )
    rows = out.area_rows(result)
    day = files.today_wib()
    stem = files.file_stem(result, day=day)
    if f == "csv":
        return Response(
            out.rows_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(stem, "csv"),
        )
    if f == "geojson":
        return JSONResponse(
            out.area_geojson(result, rows),
            media_type="application/geo+json",
            headers=_attachment(stem, "geojson"),
        )
    if f == "gpkg":
        budget.check()
        return Response(
            files.geopackage_bytes(result, rows, day=day),
            media_type=sc.GPKG,
            headers=_attachment(stem, "gpkg"),
        )
    if f == "png":
        budget.check()
        return Response(
            files.choropleth_png(result, rows, lang=lang, day=day),
            media_type=sc.PNG,
            headers=_attachment(stem, "png"),
        )
    return JSONResponse(out.stats_body(result, rows))


@router.get(
    "/coverage/underserved",
    summary="Areas ranked by uncovered population",
    operation_id="coverageUnderserved",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.CoverageStats}, *COVERAGE_ERRORS),
)
def coverage_underserved(
    budget: CoverageBudget,
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    caches: CachesDep,
    category: CategoryQ,
    minutes: MinuteQ = "30",
    level: LevelQ = "kabupaten",
    limit: Annotated[int, Query(ge=1, le=1000, description="how many areas")] = 10,
    assume_population: AssumeQ = None,
) -> dict[str, Any]:
    """The areas with the most people beyond ``minutes`` of the nearest service point.

    Areas where nobody is beyond ``minutes`` are left out (they are not underserved),
    so the list may be shorter than ``limit``, or empty.
    """
    result = _stats(
        net,
        settings,
        conn,
        caches,
        category=category,
        minutes=minutes,
        level=level,
        rank_minutes=None,
        assume_population=assume_population,
        budget=budget,
        single=True,
    )
    rows = out.area_rows(result)
    key = f"uncovered_{result.minutes[0]:g}min"
    ranked = [rows[i] for i in result.ranking() if rows[i][key] > 0][:limit]
    body = out.stats_body(result, ranked)
    body["numberReturned"] = len(ranked)
    return body


class SitesRequest(sc.RequestBody):
    """Where to put ``count`` new service points of ``category``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"category": "puskesmas", "count": 2, "minutes": 30}]}
    )

    category: sc.Text = Field(json_schema_extra=sc.enum(sorted(CATEGORY_CODES)))
    count: sc.StrictInt = Field(
        ge=1, le=SITES_MAX, description=f"number of new sites, 1..{SITES_MAX}"
    )
    minutes: sc.StrictNumber = Field(
        30.0, ge=MINUTES_MIN, le=MINUTES_MAX, description="coverage threshold in minutes, 1..180"
    )
    profile: sc.Text = Field("motorcycle", json_schema_extra=sc.enum(sorted(PROFILES)))
    candidates: list[sc.LonLat] | None = Field(
        None,
        min_length=1,
        max_length=cov.MAX_USER_CANDIDATES,
        description="candidate sites as [lon, lat]; default: road nodes near uncovered people",
    )
    max_candidates: sc.StrictInt = Field(
        300, ge=10, le=cov.MAX_CANDIDATES, description="how many road-node candidates"
    )
    assume_population: sc.StrictNumber | None = Field(
        None, gt=0, le=1e9, description="people to spread over areas without a population figure"
    )


@router.post(
    "/plan/sites",
    summary="Site new service points (maximal covering)",
    operation_id="planSites",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Sites}, 413, *COVERAGE_ERRORS),
)
def plan_sites(
    budget: SitingBudget,
    body: SitesRequest,
    settings: SettingsDep,
    networks: NetworksDep,
    conn: ConnectionDep,
    caches: CachesDep,
) -> dict[str, Any]:
    """Propose ``count`` new sites that newly cover the most people within ``minutes``.

    Greedy plus an exact MILP (HiGHS) when the instance is small enough; the answer
    states the bound and the optimality gap. Capacity is not modelled. Each site says
    the kecamatan and kabupaten it lies in and the coverage with it and the sites
    ranked before it.
    """
    mins = parse_minutes(f"{body.minutes}", single=True)[0]
    if body.candidates is not None:
        check_points(body.candidates, field="candidates")
    net = network_for(networks, body.profile)
    answer = cov.plan_sites(
        conn,
        net,
        category=body.category,
        k=body.count,
        minutes=mins,
        caches=caches,
        candidates=body.candidates,
        max_candidates=body.max_candidates,
        assumed_total=body.assume_population,
        population_raster=settings.population.raster,
        budget=budget,
    )
    chosen = answer.result.chosen
    return out.sites_body(
        answer,
        category=body.category,
        profile=net.profile,
        minutes=mins,
        k=body.count,
        places=site_places(
            conn, [answer.lons[j] for j in chosen], [answer.lats[j] for j in chosen]
        ),
    )


def site_places(
    conn: Connection, lons: list[float], lats: list[float]
) -> dict[str, list[str | None]]:
    """The kecamatan and kabupaten name of each point (None outside all, or none loaded)."""
    places: dict[str, list[str | None]] = {}
    for level in ("kecamatan", "kabupaten"):
        try:
            table = areas_at_level(conn, level)
        except NoAreasError:
            places[level] = [None] * len(lons)
            continue
        idx = assign_areas(np.asarray(lons, float), np.asarray(lats, float), table.geoms)
        places[level] = [table.names[i] if i >= 0 else None for i in idx]
    return places
