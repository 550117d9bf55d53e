"""Parsing and validation of feature-query parameters, kept in one place."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layers.collections import Collection
from layers.errors import InvalidParameterError

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
RESERVED = frozenset({"bbox", "limit", "offset", "f", "bbox-crs", "datetime"})

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ItemsQuery:
    """A validated ``/collections/{id}/items`` request."""

    bbox: BBox | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: dict[str, Any] = field(default_factory=dict)


def parse_bbox(raw: str | None) -> BBox | None:
    """Parse ``minx,miny,maxx,maxy`` (or 6 numbers with heights, which are ignored).

    Raises
    ------
    InvalidParameterError
        Wrong count, non-numeric, outside lon/lat range, or inverted.
    """
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        msg = f"expected 4 numbers minx,miny,maxx,maxy (or 6 with heights), got {len(parts)}"
        raise InvalidParameterError(msg, field="bbox")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        msg = f"all values must be numbers, got {raw!r}"
        raise InvalidParameterError(msg, field="bbox") from None
    if not all(math.isfinite(n) for n in nums):
        msg = "values must be finite numbers"
        raise InvalidParameterError(msg, field="bbox")
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    minx, miny, maxx, maxy = nums
    for lon in (minx, maxx):
        if not -180 <= lon <= 180:
            msg = f"longitude {lon} is outside -180..180 (coordinates are WGS 84 lon/lat)"
            raise InvalidParameterError(msg, field="bbox")
    for lat in (miny, maxy):
        if not -90 <= lat <= 90:
            msg = f"latitude {lat} is outside -90..90 (coordinates are WGS 84 lon/lat)"
            raise InvalidParameterError(msg, field="bbox")
    if minx > maxx or miny > maxy:
        msg = "inverted box: minx must be <= maxx and miny <= maxy"
        raise InvalidParameterError(msg, field="bbox")
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
            return int(raw)
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
    if params.get("bbox-crs") not in (None, "", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"):
        msg = "only http://www.opengis.net/def/crs/OGC/1.3/CRS84 is supported"
        raise InvalidParameterError(msg, field="bbox-crs")
    if params.get("datetime"):
        msg = "this collection has no temporal extent; datetime is not supported"
        raise InvalidParameterError(msg, field="datetime")
    return ItemsQuery(
        bbox=parse_bbox(params.get("bbox")),
        limit=parse_int(
            params.get("limit"), name="limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT
        ),
        offset=parse_int(params.get("offset"), name="offset", default=0, low=0, high=10**9),
        filters=filters,
    )
