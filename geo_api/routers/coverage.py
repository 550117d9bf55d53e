"""Coverage analysis endpoints: isochrones, coverage statistics, underserved areas, siting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field
from sqlalchemy import Connection

from data.budget import Budget
from data.reference import CATEGORY_CODES
from geo_api import coverage as cov
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
        },
        *COVERAGE_ERRORS,
        description="JSON (f=json), CSV (f=csv) or GeoJSON with the areas (f=geojson)",
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
            description="json, csv or geojson",
            json_schema_extra=sc.enum(["json", "csv", "geojson"]),
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
) -> Response:
    """Population, covered population, percent covered, median and p90 travel time.

    Population is spread over H3 cells (see ``population_model``); one multi-source
    search per request covers all thresholds. ``underserved_rank`` 1 is the area with
    the most people beyond ``rank_minutes`` (default: the smallest threshold).
    """
    if f not in ("json", "csv", "geojson"):
        msg = f"f must be json, csv or geojson, got {f!r}"
        raise InvalidParameterError(msg, field="f")
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
    name = f"coverage_{category}_{result.profile}_{result.level}"
    if f == "csv":
        return Response(
            out.rows_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if f == "geojson":
        return JSONResponse(
            out.area_geojson(result, rows),
            media_type="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'},
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
    """The areas with the most people beyond ``minutes`` of the nearest service point."""
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
    ranked = [rows[i] for i in result.ranking()[:limit]]
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
    states the bound and the optimality gap. Capacity is not modelled.
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
    return out.sites_body(
        answer, category=body.category, profile=net.profile, minutes=mins, k=body.count
    )
