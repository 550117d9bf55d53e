"""Parsing and validation of feature-query parameters, kept in one place.

Coordinate reference systems (OGC API – Features Part 2): items can be asked in
:data:`CRS84` (lon/lat, the default), :data:`EPSG_4326` (the same datum with the
**lat/lon** axis order EPSG defines) or :data:`EPSG_3857` (Web Mercator metres); a
``bbox`` can be given in any of them with ``bbox-crs``. Boxes are turned into CRS84
here (the Mercator box exactly: the projection maps lon to x and lat to y separately).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layers.collections import Collection
from layers.errors import InvalidParameterError

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 10**9
INT64 = (-(2**63), 2**63 - 1)
RESERVED = frozenset({"bbox", "limit", "offset", "f", "bbox-crs", "crs", "datetime"})

BBox = tuple[float, float, float, float]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
MERCATOR_R = 6_378_137.0
MERCATOR_MAX = math.pi * MERCATOR_R  # 20,037,508.34 m: the edge of the Web Mercator square


@dataclass(frozen=True, slots=True)
class Crs:
    """A CRS items can be asked in: its URI, PostGIS SRID, axis order and precision."""

    uri: str
    srid: int
    lat_first: bool
    decimals: int
    unit: str


CRSS: dict[str, Crs] = {
    c.uri: c
    for c in (
        Crs(CRS84, 4326, lat_first=False, decimals=7, unit="degrees (lon, lat)"),
        Crs(EPSG_4326, 4326, lat_first=True, decimals=7, unit="degrees (lat, lon)"),
        Crs(EPSG_3857, 3857, lat_first=False, decimals=2, unit="metres (x, y)"),
    )
}
"""Every CRS a collection with geometry offers (``crs`` of its metadata)."""


@dataclass(frozen=True, slots=True)
class ItemsQuery:
    """A validated ``/collections/{id}/items`` request."""

    bbox: BBox | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: dict[str, Any] = field(default_factory=dict)
    crs: Crs = CRSS[CRS84]


def parse_crs(raw: str | None, *, field: str = "crs") -> Crs:
    """The :class:`Crs` of a ``crs`` / ``bbox-crs`` value (default CRS84), or a 400."""
    if raw is None or raw == "":
        return CRSS[CRS84]
    found = CRSS.get(raw.strip())
    if found is None:
        msg = f"unsupported CRS {raw!r}; supported: {', '.join(CRSS)}"
        raise InvalidParameterError(msg, field=field)
    return found


def _mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = math.degrees(x / MERCATOR_R)
    lat = math.degrees(math.atan(math.sinh(y / MERCATOR_R)))
    return lon, lat


def parse_bbox(
    raw: str | None, *, crs: Crs | None = None, antimeridian: bool = False, field: str = "bbox"
) -> BBox | None:
    """Parse ``minx,miny,maxx,maxy`` (or 6 numbers with heights, which are ignored).

    The numbers are in ``crs`` (default CRS84: lon/lat; EPSG:4326: lat/lon; EPSG:3857:
    metres); the box is returned in CRS84. With ``antimeridian``, a box whose first
    longitude is larger than its second crosses the antimeridian (OGC API – Features);
    without, it is refused as inverted.

    Raises
    ------
    InvalidParameterError
        Wrong count, non-numeric, out of the CRS's range, or inverted.
    """
    if raw is None or raw == "":
        return None
    crs = crs or CRSS[CRS84]
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        msg = f"expected 4 numbers minx,miny,maxx,maxy (or 6 with heights), got {len(parts)}"
        raise InvalidParameterError(msg, field=field)
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        msg = f"all values must be numbers, got {raw!r}"
        raise InvalidParameterError(msg, field=field) from None
    if not all(math.isfinite(n) for n in nums):
        msg = "values must be finite numbers"
        raise InvalidParameterError(msg, field=field)
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if crs.lat_first:
        nums = [nums[1], nums[0], nums[3], nums[2]]
    minx, miny, maxx, maxy = nums
    if crs.srid == 3857:
        for v in nums:
            if not -MERCATOR_MAX <= v <= MERCATOR_MAX:
                msg = (
                    f"{v} is outside the Web Mercator square "
                    f"(±{MERCATOR_MAX:,.2f} m; coordinates are EPSG:3857 x, y)"
                )
                raise InvalidParameterError(msg, field=field)
        if miny > maxy or (minx > maxx and not antimeridian):
            msg = "inverted box: minx must be <= maxx and miny <= maxy"
            raise InvalidParameterError(msg, field=field)
        minx, miny = _mercator_to_lonlat(minx, miny)
        maxx, maxy = _mercator_to_lonlat(maxx, maxy)
        return minx, miny, maxx, maxy
    order = "lat/lon (EPSG:4326)" if crs.lat_first else "WGS 84 lon/lat"
    for lon in (minx, maxx):
        if not -180 <= lon <= 180:
            msg = f"longitude {lon} is outside -180..180 (coordinates are {order})"
            raise InvalidParameterError(msg, field=field)
    for lat in (miny, maxy):
        if not -90 <= lat <= 90:
            msg = f"latitude {lat} is outside -90..90 (coordinates are {order})"
            raise InvalidParameterError(msg, field=field)
    if miny > maxy:
        msg = "inverted box: miny must be <= maxy"
        raise InvalidParameterError(msg, field=field)
    if minx > maxx and not antimeridian:
        msg = "inverted box: minx must be <= maxx and miny <= maxy"
        raise InvalidParameterError(msg, field=field)
    return minx, miny, maxx, maxy


def parse_int(raw: str | None, *, name: str, default: int, low: int, high: int) -> int:
    """Parse an integer parameter and check ``low <= value <= high``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"must be an integer, got {raw!r}"
        raise InvalidParameterError(msg, field=name) from None
    if not low <= value <= high:
        msg = f"must be between {low} and {high}, got {value}"
        raise InvalidParameterError(msg, field=name)
    return value


def _coerce(raw: str, *, name: str, kind: str) -> Any:
    try:
        if kind == "integer":
            value_i = int(raw)
            if not INT64[0] <= value_i <= INT64[1]:
                msg = f"must be a whole number of at most 64 bits, got {raw!r}"
                raise InvalidParameterError(msg, field=name)
            return value_i
        if kind == "number":
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
            return value
    except ValueError:
        msg = f"must be {'an integer' if kind == 'integer' else 'a number'}, got {raw!r}"
        raise InvalidParameterError(msg, field=name) from None
    if kind == "boolean":
        if raw.lower() not in {"true", "false"}:
            msg = f"must be true or false, got {raw!r}"
            raise InvalidParameterError(msg, field=name)
        return raw.lower() == "true"
    return raw


def parse_items_query(collection: Collection, params: Mapping[str, str]) -> ItemsQuery:
    """Validate all query parameters of an items request.

    Unknown parameters are rejected (OGC API – Features /req/core/query-param-unknown)
    with the list of the parameters this collection accepts.
    """
    filters: dict[str, Any] = {}
    queryables = collection.queryables
    for name, raw in params.items():
        if name in RESERVED:
            continue
        prop = queryables.get(name)
        if prop is None:
            allowed = ", ".join(sorted(RESERVED - {"datetime"} | set(queryables)))
            msg = f"unknown parameter for collection {collection.id!r}; allowed: {allowed}"
            raise InvalidParameterError(msg, field=name)
        filters[name] = _coerce(raw, name=name, kind=prop.type)
    fmt = params.get("f")
    if fmt not in (None, "", "json", "geojson"):
        msg = f"unsupported format {fmt!r}; use f=json"
        raise InvalidParameterError(msg, field="f")
    crs = parse_crs(params.get("crs"), field="crs")
    bbox_crs = parse_crs(params.get("bbox-crs"), field="bbox-crs")
    if params.get("datetime"):
        msg = "this collection has no temporal extent; datetime is not supported"
        raise InvalidParameterError(msg, field="datetime")
    return ItemsQuery(
        bbox=parse_bbox(params.get("bbox"), crs=bbox_crs, antimeridian=True),
        limit=parse_int(
            params.get("limit"), name="limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT
        ),
        offset=parse_int(params.get("offset"), name="offset", default=0, low=0, high=MAX_OFFSET),
        filters=filters,
        crs=crs,
    )
