"""Coverage analysis endpoints: isochrones, coverage statistics, underserved areas, siting."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from geo_api import coverage as cov
from geo_api.deps import ConnectionDep, NetworkDep, NetworksDep, SettingsDep
from geo_api.networks import network_for
from geo_api.routers.routing import _snap, check_lonlat
from layers.errors import InvalidParameterError
from layers.params import parse_int

router = APIRouter(tags=["coverage"])

MinutesQ = Annotated[
    str, Query(description="thresholds in minutes, comma-separated, each 1..180 (max 6)")
]
CategoryQ = Annotated[str, Query(description="service category code, e.g. puskesmas")]
LevelQ = Annotated[str, Query(description="kabupaten, kecamatan, desa or provinsi")]


@router.get("/isochrones", summary="Service areas around any point")
def isochrones(
    net: NetworkDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(description="longitude, WGS 84")],
    lat: Annotated[float, Query(description="latitude, WGS 84")],
    minutes: MinutesQ = "10,20,30",
) -> dict[str, Any]:
    """Nested, non-overlapping bands reachable from the point within each threshold.

    Built from the reached road stretches (partial edges included) buffered by a
    150 m walking-access distance; never a hull, never across water.
    """
    check_lonlat(lon, lat, field="lon")
    mins = cov.parse_minutes(minutes)
    origin = _snap(net, lon, lat, field="lon", max_m=settings.routing.snap_max_m)
    bands = cov.point_isochrones(net, origin, mins)
    return {
        "type": "FeatureCollection",
        "profile": net.profile,
        "origin": {"lon": origin.lon, "lat": origin.lat, "snap_distance_m": origin.distance_m},
        "direction": "from the point",
        "features": cov.band_features(bands, profile=net.profile),
    }


@router.get("/coverage/areas", summary="Service areas of a whole category")
def coverage_areas(
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    category: CategoryQ,
    minutes: MinutesQ = "15,30,60",
) -> dict[str, Any]:
    """Bands from which the nearest service point of the category is reached in time."""
    mins = cov.parse_minutes(minutes)
    fac = cov.facilities_of(conn, net, category, max_m=settings.routing.snap_max_m)
    bands = cov.category_isochrones(net, fac, mins) if fac.snaps else []
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "profile": net.profile,
        "category": category,
        "direction": "to the nearest service point",
        "facilities": len(fac.snaps),
        "facilities_off_network": fac.off_network,
        "demo": any(r["properties"].get("demo") for r in fac.rows),
        "features": cov.band_features(bands, profile=net.profile, category=category),
    }
    if not fac.snaps:
        body["note"] = f"no {category} point can be placed on the {net.profile} network"
    return body


AssumeQ = Annotated[
    float | None,
    Query(
        description="people to spread over areas without a population figure, e.g. "
        "10562088 (DKI Jakarta, census 2020); by default such areas count as 0 and a "
        "database without any figure answers 422"
    ),
]


def _assumed(value: float | None) -> float | None:
    if value is not None and not 0 < value <= 1e9:
        msg = f"assume_population must be between 1 and 1e9 people, got {value}"
        raise InvalidParameterError(msg, field="assume_population")
    return value


def _stats(
    net: Any,
    settings: Any,
    conn: Any,
    category: str,
    minutes: str,
    level: str,
    rank_minutes: float | None,
    assume_population: float | None,
) -> cov.CoverageResult:
    mins = cov.parse_minutes(minutes)
    lvl = cov.check_level(level)
    return cov.coverage_stats(
        conn,
        net,
        category=category,
        minutes=mins,
        level=lvl,
        max_m=settings.routing.snap_max_m,
        rank_minutes=rank_minutes,
        assumed_total=_assumed(assume_population),
        population_raster=settings.population.raster,
    )


@router.get("/coverage/stats", summary="Population coverage per area")
def coverage_stats(
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    category: CategoryQ,
    minutes: MinutesQ = "15,30,60",
    level: LevelQ = "kabupaten",
    f: Annotated[str, Query(description="json, csv or geojson")] = "json",
    rank_minutes: Annotated[
        float | None, Query(description="threshold for the underserved ranking")
    ] = None,
    assume_population: AssumeQ = None,
) -> Response:
    """Population, covered population, percent covered, median and p90 travel time.

    Population is spread over H3 cells by a population raster if one is configured,
    else by settlement area when settlements are loaded, else by road length; the
    answer's ``population_model`` states the ``method`` and each area's fallback;
    one multi-source search per request covers all thresholds. ``underserved_rank`` 1
    is the area with the most people beyond ``rank_minutes`` (default: the smallest
    threshold).
    """
    if f not in ("json", "csv", "geojson"):
        msg = f"f must be json, csv or geojson, got {f!r}"
        raise InvalidParameterError(msg, field="f")
    result = _stats(net, settings, conn, category, minutes, level, rank_minutes, assume_population)
    rows = cov.area_rows(result)
    name = f"coverage_{category}_{result.profile}_{result.level}"
    if f == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if f == "geojson":
        return JSONResponse(
            cov.area_geojson(result, rows),
            media_type="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'},
        )
    return JSONResponse(cov.stats_body(result, rows))


@router.get("/coverage/underserved", summary="Areas ranked by uncovered population")
def coverage_underserved(
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    category: CategoryQ,
    minutes: Annotated[str, Query(description="threshold in minutes, 1..180")] = "30",
    level: LevelQ = "kabupaten",
    limit: Annotated[str | None, Query(description="how many areas (1..1000, default 10)")] = None,
    assume_population: AssumeQ = None,
) -> dict[str, Any]:
    """The areas with the most people beyond ``minutes`` of the nearest service point."""
    n = parse_int(limit, name="limit", default=10, low=1, high=1000)
    mins = cov.parse_minutes(minutes, single=True)
    result = _stats(net, settings, conn, category, minutes, level, mins[0], assume_population)
    rows = cov.area_rows(result)
    ranked = [rows[i] for i in result.ranking()[:n]]
    body = cov.stats_body(result, ranked)
    body["numberReturned"] = len(ranked)
    return body


class SitesRequest(BaseModel):
    """Where to put ``count`` new service points of ``category``."""

    category: str
    count: int = Field(description="number of new sites, 1..50")
    minutes: float = Field(30.0, description="coverage threshold in minutes, 1..180")
    profile: str = "motorcycle"
    candidates: list[tuple[float, float]] | None = Field(
        None, description="candidate sites as [lon, lat]; default: road nodes near uncovered people"
    )
    max_candidates: int = Field(300, description="how many road-node candidates (10..500)")
    assume_population: float | None = Field(
        None, description="people to spread over areas without a population figure"
    )


@router.post("/plan/sites", summary="Site new service points (maximal covering)")
def plan_sites(
    body: SitesRequest, settings: SettingsDep, networks: NetworksDep, conn: ConnectionDep
) -> dict[str, Any]:
    """Propose ``count`` new sites that newly cover the most people within ``minutes``.

    Greedy plus an exact MILP (HiGHS) when the instance is small enough; the answer
    states the bound and the optimality gap. Capacity is not modelled.
    """
    k = cov.check_count(body.count, field="count")
    mins = cov.parse_minutes(f"{body.minutes}", single=True)[0]
    if not 10 <= body.max_candidates <= cov.MAX_CANDIDATES:
        msg = f"max_candidates must be between 10 and {cov.MAX_CANDIDATES}"
        raise InvalidParameterError(msg, field="max_candidates")
    if body.candidates is not None:
        if not 1 <= len(body.candidates) <= cov.MAX_USER_CANDIDATES:
            msg = f"give 1..{cov.MAX_USER_CANDIDATES} candidates"
            raise InvalidParameterError(msg, field="candidates")
        for i, (x, y) in enumerate(body.candidates):
            check_lonlat(x, y, field=f"candidates.{i}")
    net = network_for(networks, body.profile)
    answer = cov.plan_sites(
        conn,
        net,
        category=body.category,
        k=k,
        minutes=mins,
        max_m=settings.routing.snap_max_m,
        candidates=body.candidates,
        max_candidates=body.max_candidates,
        assumed_total=_assumed(body.assume_population),
        population_raster=settings.population.raster,
    )
    return cov.sites_body(answer, category=body.category, profile=net.profile, minutes=mins, k=k)
