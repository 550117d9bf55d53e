"""Routing endpoints: ``/route``, ``/nearest`` and ``/matrix``."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from geo_api.deps import ConnectionDep, NetworkDep, NetworksDep, SettingsDep
from geo_api.errors import ApiError, register_status
from geo_api.facilities import get_facilities
from geo_api.networks import network_for
from layers.errors import InvalidParameterError
from layers.params import parse_int
from layers.points import check_category
from routing.errors import OffNetworkError, UnreachableError
from routing.geojson import line, route_feature, snap_json
from routing.network import Network
from routing.snap import Snap

router = APIRouter(tags=["routing"])

K_MAX = 50


class NoRouteError(ApiError):
    """The two points are not connected on this profile's network."""


class OffNetworkParamError(ApiError):
    """A position is farther from any road than the snapping limit."""


register_status(NoRouteError, 422)
register_status(OffNetworkParamError, 422)


def parse_lonlat(raw: str, *, field: str) -> tuple[float, float]:
    """Parse ``lon,lat`` and check the ranges."""
    parts = raw.split(",")
    try:
        if len(parts) != 2:
            raise ValueError(raw)
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        msg = f"expected 'lon,lat' in WGS 84 degrees, got {raw!r}"
        raise InvalidParameterError(msg, field=field) from None
    check_lonlat(lon, lat, field=field)
    return lon, lat


def check_lonlat(lon: float, lat: float, *, field: str) -> None:
    """Raise :class:`InvalidParameterError` unless lon/lat are finite and in range."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"({lon}, {lat}) is not a WGS 84 lon/lat position"
        raise InvalidParameterError(msg, field=field)


def _snap(net: Network, lon: float, lat: float, *, field: str, max_m: float) -> Snap:
    try:
        snap: Snap = net.snapper.snap(lon, lat, max_distance_m=max_m)
    except OffNetworkError as exc:
        raise OffNetworkParamError(str(exc), field=field) from None
    return snap


def _geojson(body: dict[str, Any]) -> Response:
    # Plain json.dumps: the body is already JSON-ready, FastAPI's encoder would walk
    # every coordinate of every route again.
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/geo+json")


@router.get(
    "/route",
    summary="Fastest route between two points",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def route(
    net: NetworkDep,
    settings: SettingsDep,
    from_: Annotated[str, Query(alias="from", description="origin as lon,lat")],
    to: Annotated[str, Query(description="destination as lon,lat")],
) -> Response:
    """A GeoJSON LineString feature with duration, distance, legs and street names."""
    max_m = settings.routing.snap_max_m
    o = _snap(net, *parse_lonlat(from_, field="from"), field="from", max_m=max_m)
    d = _snap(net, *parse_lonlat(to, field="to"), field="to", max_m=max_m)
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
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def nearest(
    net: NetworkDep,
    settings: SettingsDep,
    conn: ConnectionDep,
    lon: Annotated[float, Query(description="longitude, WGS 84")],
    lat: Annotated[float, Query(description="latitude, WGS 84")],
    category: Annotated[str, Query(description="service category code, e.g. puskesmas")],
    k: Annotated[str | None, Query(description=f"how many, 1..{K_MAX} (default 3)")] = None,
) -> Response:
    """The ``k`` service points of a category with the shortest travel time.

    Each comes with duration, distance and the route geometry. When none can be
    reached, the list is empty and ``note`` says why.
    """
    count = parse_int(k, name="k", default=3, low=1, high=K_MAX)
    check_lonlat(lon, lat, field="lon")
    facilities = get_facilities(conn, net, category, max_m=settings.routing.snap_max_m)
    if not facilities.snaps and not facilities.off_network:
        check_category(conn, category)  # no rows: an unknown category, or an empty one
    origin = _snap(net, lon, lat, field="lon", max_m=settings.routing.snap_max_m)
    hits = net.nearest(origin, facilities.snaps, k=count) if facilities.snaps else []
    features = []
    for rank, (i, duration, distance) in enumerate(hits, start=1):
        row = facilities.rows[i]
        path = net.engine.route(origin, facilities.snaps[i])
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": {
                    **row["properties"],
                    "rank": rank,
                    "duration_s": round(duration, 1),
                    "duration_min": round(duration / 60, 1),
                    "distance_m": round(distance, 1),
                    "snap_distance_m": round(facilities.snaps[i].distance_m, 1),
                    "route": line(path.coords),
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
            note = f"no {category} point lies within {settings.routing.snap_max_m:.0f} m of a road"
        else:
            note = f"there are no {category} points in the database"
        body["note"] = note
    return _geojson(body)


class MatrixRequest(BaseModel):
    """Sources and targets as ``[lon, lat]`` pairs."""

    sources: list[tuple[float, float]] = Field(min_length=1)
    targets: list[tuple[float, float]] = Field(min_length=1)
    profile: str = "motorcycle"


@router.post("/matrix", summary="Travel-time matrix")
def matrix(body: MatrixRequest, settings: SettingsDep, networks: NetworksDep) -> dict[str, Any]:
    """Durations in seconds from every source to every target (null: unreachable)."""
    net = network_for(networks, body.profile)
    cells = len(body.sources) * len(body.targets)
    cap = settings.routing.matrix_max_cells
    if cells > cap:
        msg = f"{len(body.sources)} x {len(body.targets)} = {cells} cells exceeds the cap of {cap}"
        raise InvalidParameterError(msg, field="targets")
    max_m = settings.routing.snap_max_m
    srcs = [
        _snap(net, x, y, field=f"sources.{i}", max_m=max_m)
        for i, (x, y) in enumerate(_checked(body.sources, "sources"))
    ]
    tgts = [
        _snap(net, x, y, field=f"targets.{i}", max_m=max_m)
        for i, (x, y) in enumerate(_checked(body.targets, "targets"))
    ]
    durations = net.engine.durations(srcs, tgts)
    return {
        "profile": net.profile,
        "durations_s": [
            [round(float(v), 1) if math.isfinite(v) else None for v in r] for r in durations
        ],
        "sources": [snap_json(s) for s in srcs],
        "targets": [snap_json(t) for t in tgts],
    }


def _checked(points: list[tuple[float, float]], name: str) -> list[tuple[float, float]]:
    for i, (x, y) in enumerate(points):
        check_lonlat(x, y, field=f"{name}.{i}")
    return points
