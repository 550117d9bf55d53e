"""GeoJSON views of routing results."""

from __future__ import annotations

from typing import Any

from routing.paths import Leg, Route
from routing.snap import Snap

ROUND = 6


def line(coords: list[tuple[float, float]]) -> dict[str, Any]:
    """A GeoJSON LineString (a point-like route is given two equal positions)."""
    pts = [[round(x, ROUND), round(y, ROUND)] for x, y in coords]
    if len(pts) == 1:
        pts.append(list(pts[0]))
    return {"type": "LineString", "coordinates": pts}


def snap_json(snap: Snap) -> dict[str, float]:
    """Where a location was snapped and how far it was from the road."""
    return {
        "lon": round(snap.lon, ROUND),
        "lat": round(snap.lat, ROUND),
        "distance_m": round(snap.distance_m, 1),
    }


def leg_json(leg: Leg) -> dict[str, Any]:
    """One road or ferry leg of a route."""
    return {
        "mode": leg.mode,
        "duration_s": round(leg.duration_s, 1),
        "distance_m": round(leg.distance_m, 1),
        "ferry_link_id": leg.ferry_link_id,
        "geometry": line(leg.coords),
    }


def route_feature(
    route: Route, *, profile: str, origin: Snap, destination: Snap, engine: str
) -> dict[str, Any]:
    """A route as a GeoJSON LineString Feature with its legs and street names."""
    return {
        "type": "Feature",
        "geometry": line(route.coords),
        "properties": {
            "profile": profile,
            "duration_s": round(route.duration_s, 1),
            "duration_min": round(route.duration_s / 60, 1),
            "distance_m": round(route.distance_m, 1),
            "street_names": route.street_names,
            "legs": [leg_json(leg) for leg in route.legs],
            "snap": {"from": snap_json(origin), "to": snap_json(destination)},
            "engine": engine,
        },
    }
