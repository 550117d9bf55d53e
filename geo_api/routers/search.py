"""``GET /search``: places by name (admin areas, service points, settlements).

Typo tolerant and ranked in PostgreSQL (``pg_trgm``, :mod:`layers.search`). Like every
endpoint that reads the database it waits for a ``db`` admission slot and uses the
request's one pooled connection (:data:`~geo_api.deps.ConnectionDep`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from geo_api import schemas as sc
from geo_api.deps import ConnectionDep
from geo_api.json_body import json_response
from geo_api.params import LONLAT_PATTERN, parse_lonlat
from layers.search import LIMIT_MAX, Q_MAX, Q_MIN, Place, search_places

router = APIRouter(tags=["search"])

_TEXT = "[^\\u0000-\\u001f\\u007f]*"
_SOLID = "[^\\u0000-\\u0020\\u007f]"
Q_PATTERN = f"^{_TEXT}{_SOLID}{_TEXT}{_SOLID}{_TEXT}$"
"""At least two characters that are not blanks, and no control character."""


def _feature(place: Place) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{place.layer}.{place.feature_id}",
        "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
        "properties": {
            "name": place.name,
            "kind": place.kind,
            "layer": place.layer,
            "feature_id": place.feature_id,
            "category": place.category,
            "kecamatan": place.kecamatan,
            "kabupaten": place.kabupaten,
            "match": place.match,
            "score": place.score,
            "bbox": list(place.bbox) if place.bbox else None,
            "distance_m": place.distance_m,
            "demo": place.demo,
        },
    }


@router.get(
    "/search",
    summary="Find places by name (typo tolerant)",
    operation_id="searchPlaces",
    response_class=Response,
    responses=sc.docs({sc.GEOJSON: sc.PlaceResults}, 503),
)
def search(
    conn: ConnectionDep,
    q: Annotated[
        str,
        Query(
            min_length=Q_MIN,
            max_length=Q_MAX,
            pattern=Q_PATTERN,
            description="what to look for: a kabupaten/kota, kecamatan, desa/kelurahan, "
            "service point or settlement name, or part of it (typos are tolerated)",
            examples=["Sukarame"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX, description="most results")] = 10,
    near: Annotated[
        str | None,
        Query(
            description="lon,lat to prefer: among equally good matches the closer first",
            pattern=LONLAT_PATTERN,
            examples=["105.26,-5.43"],
        ),
    ] = None,
) -> Response:
    """Places whose name matches ``q``, best first, each with a point to start a trip.

    Ranked by match (exact name, name starts with the query, a word of it does, a
    similar word), then similarity, closeness to ``near``, and kind. An area's point is
    its government office (kantor bupati/wali kota, camat, desa/lurah) when one lies
    inside it, else a point inside the area. No match: an empty list.
    """
    at = parse_lonlat(near, field="near") if near is not None else None
    places = search_places(conn, q, limit=limit, near=at)
    body = {
        "type": "FeatureCollection",
        "query": q,
        "numberReturned": len(places),
        "features": [_feature(p) for p in places],
    }
    return json_response(body, sc.GEOJSON)
