"""Routing endpoints: ``/route``, ``/nearest`` and ``/matrix``."""

from __future__ import annotations

import math
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import ConfigDict, Field
from sqlalchemy import Engine

from data.budget import Budget
from geo_api import schemas as sc
from geo_api.caches import Caches
from geo_api.deps import (
    CachesDep,
    EngineDep,
    MatrixBudget,
    NearestBudget,
    NetworkDep,
    NetworksDep,
    SettingsDep,
    db_admitted,
)
from geo_api.errors import NoRouteError
from geo_api.facilities import Facilities, cached_facilities, get_facilities
from geo_api.json_body import json_response
from geo_api.networks import network_for
from geo_api.offload import run_on_engine
from geo_api.params import (
    K_MAX,
    LONLAT_PATTERN,
    CategoryQ,
    LatQ,
    LonQ,
    check_lonlat,
    check_points,
    parse_lonlat,
)
from layers.errors import InvalidParameterError
from routing.errors import UnreachableError
from routing.geojson import line, route_feature, snap_json
from routing.network import Network
from routing.profiles import PROFILES

router = APIRouter(tags=["routing"])
GEOJSON = "application/geo+json"
MATRIX_SIDE_MAX = 10_000


def _geojson(body: dict[str, Any]) -> Response:
    # The body is already JSON-ready: encoded once (FastAPI's encoder would walk every
    # coordinate of every route again).
    return json_response(body, "application/geo+json")


@router.get(
    "/route",
    summary="Fastest route between two points",
    operation_id="route",
    response_class=Response,
    responses=sc.docs({GEOJSON: sc.RouteFeature}, 422, 503),
)
def route(
    net: NetworkDep,
    from_: Annotated[
        str,
        Query(
            alias="from",
            description="origin as lon,lat",
            pattern=LONLAT_PATTERN,
            examples=["105.26,-5.43"],
        ),
    ],
    to: Annotated[
        str,
        Query(
            description="destination as lon,lat", pattern=LONLAT_PATTERN, examples=["105.30,-5.40"]
        ),
    ],
) -> Response:
    """A GeoJSON LineString feature with duration, distance, legs and street names."""
    o = net.snap(*parse_lonlat(from_, field="from"), field="from")
    d = net.snap(*parse_lonlat(to, field="to"), field="to")
    try:
        result = net.engine.route(o, d)
    except UnreachableError:
        msg = f"no {net.profile} route connects these points"
        raise NoRouteError(msg, field="to") from None
    return _geojson(
        route_feature(result, profile=net.profile, origin=o, destination=d, engine=net.engine.kind)
    )


@router.get(
    "/nearest",
    summary="Service points reachable soonest",
    operation_id="nearest",
    response_class=Response,
    responses=sc.docs({GEOJSON: sc.NearestCollection}, 422, 503),
)
async def nearest(
    request: Request,
    budget: NearestBudget,
    net: NetworkDep,
    engine: EngineDep,
    caches: CachesDep,
    lon: LonQ,
    lat: LatQ,
    category: CategoryQ,
    k: Annotated[int, Query(ge=1, le=K_MAX, description="how many")] = 3,
) -> Response:
    """The ``k`` service points of a category with the shortest travel time.

    Each comes with duration, distance and the route geometry (from the same search).
    When none can be reached, the list is empty and ``note`` says why.
    """
    check_lonlat(lon, lat, field="lon")
    # The snapped service points come from the app's cache while their fingerprint
    # is trusted (two seconds): no database slot, connection or round trip. Otherwise
    # one admitted connection checks the category and reads them, as every endpoint.
    facilities = cached_facilities(net, category, caches=caches)
    if facilities is None:
        async with db_admitted(request):
            facilities = await anyio.to_thread.run_sync(
                _read_facilities, engine, net, category, caches
            )
    # The CPU work (snap, search, answer) runs on one of the engine's query threads,
    # handed over once; the event loop stays free.
    body = await run_on_engine(net, _nearest_body, net, facilities, lon, lat, category, k, budget)
    return _geojson(body)


def _read_facilities(engine: Engine, net: Network, category: str, caches: Caches) -> Facilities:
    with engine.connect() as conn:
        return get_facilities(conn, net, category, caches=caches)


def _nearest_body(
    net: Network,
    facilities: Facilities,
    lon: float,
    lat: float,
    category: str,
    k: int,
    budget: Budget,
) -> dict[str, Any]:
    origin = net.snap(lon, lat, field="lon")
    hits = (
        net.nearest(origin, facilities.targets, k=k, with_routes=True, budget=budget)
        if facilities.snaps
        else []
    )
    features = []
    for rank, hit in enumerate(hits, start=1):
        row = facilities.rows[hit.target]
        assert hit.route is not None
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": {
                    **row["properties"],
                    "rank": rank,
                    "duration_s": round(hit.duration_s, 1),
                    "duration_min": round(hit.duration_s / 60, 1),
                    "distance_m": round(hit.distance_m, 1),
                    "snap_distance_m": round(facilities.snaps[hit.target].distance_m, 1),
                    "route": line(hit.route.coords),
                },
            }
        )
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "profile": net.profile,
        "category": category,
        "origin": snap_json(origin),
        "numberReturned": len(features),
        "off_network_points": facilities.off_network,
        "features": features,
    }
    if not features:
        if facilities.snaps:
            note = f"no {category} point can be reached by {net.profile} from here"
        elif facilities.off_network:
            note = f"no {category} point lies within {net.snap_max_m:.0f} m of a road"
        else:
            note = f"there are no {category} points in the database"
        body["note"] = note
    return body


class MatrixRequest(sc.RequestBody):
    """Sources and targets as ``[lon, lat]`` pairs (JSON numbers), at most 10,000 cells."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sources": [[105.26, -5.43]], "targets": [[105.30, -5.40], [105.2, -5.4]]}
            ]
        }
    )

    sources: list[sc.LonLat] = Field(min_length=1, max_length=MATRIX_SIDE_MAX)
    targets: list[sc.LonLat] = Field(min_length=1, max_length=MATRIX_SIDE_MAX)
    profile: sc.Text = Field("motorcycle", json_schema_extra=sc.enum(sorted(PROFILES)))


@router.post(
    "/matrix",
    summary="Travel-time matrix",
    operation_id="matrix",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.MatrixResult}, 413, 422, 503),
)
def matrix(
    budget: MatrixBudget, body: MatrixRequest, settings: SettingsDep, networks: NetworksDep
) -> dict[str, Any]:
    """Durations in seconds from every source to every target (null: unreachable)."""
    cells = len(body.sources) * len(body.targets)
    cap = settings.routing.matrix_max_cells
    if cells > cap:
        msg = f"{len(body.sources)} x {len(body.targets)} = {cells} cells exceeds the cap of {cap}"
        raise InvalidParameterError(msg, field="targets")
    net = network_for(networks, body.profile)
    srcs = [
        net.snap(x, y, field=f"sources.{i}")
        for i, (x, y) in enumerate(check_points(body.sources, field="sources"))
    ]
    tgts = [
        net.snap(x, y, field=f"targets.{i}")
        for i, (x, y) in enumerate(check_points(body.targets, field="targets"))
    ]
    budget.check()
    durations = net.engine.durations(srcs, tgts, budget=budget)
    return {
        "profile": net.profile,
        "durations_s": [
            [round(float(v), 1) if math.isfinite(v) else None for v in r] for r in durations
        ],
        "sources": [snap_json(s) for s in srcs],
        "targets": [snap_json(t) for t in tgts],
    }
