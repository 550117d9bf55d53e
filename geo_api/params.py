"""Parsing and checking of request parameters, in one place for every router.

Query parameters that are plain numbers are typed in the signature with their bounds
(``Annotated[int, Query(ge=1, le=50)]``), so OpenAPI shows them as integers and
FastAPI refuses bad values with a 400 naming the parameter. What a type cannot say
(``lon,lat`` pairs, lists of minutes, admin levels) is parsed here and raises
:class:`~layers.errors.InvalidParameterError` with the field.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Query

from data.reference import CATEGORIES
from geo_api import schemas as sc
from layers.errors import InvalidParameterError

__all__ = [
    "K_MAX",
    "LEVELS",
    "LONLAT_PATTERN",
    "MINUTES_MAX",
    "MINUTES_MAX_COUNT",
    "MINUTES_MIN",
    "MINUTES_PATTERN",
    "SITES_MAX",
    "CategoryQ",
    "LangQ",
    "LevelQ",
    "MinutesQ",
    "check_level",
    "check_lonlat",
    "check_points",
    "parse_lonlat",
    "parse_minutes",
]

K_MAX = 50
"""Most service points a ``/nearest`` request may ask for."""
SITES_MAX = 50
"""Most new sites a siting request may ask for."""
MINUTES_MIN, MINUTES_MAX, MINUTES_MAX_COUNT = 1, 180, 6
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
_LEVEL_ALIASES = {"kota": "kabupaten", "kelurahan": "desa"}

# Regular expressions of what the parsers below accept, so that OpenAPI says exactly
# which strings are valid (a schema-valid request is never refused as malformed).
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_MIN = r"(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9][0-9]?)(?:\.[0-9]+)?)"
LONLAT_PATTERN = rf"^{_LON},{_LAT}$"
"""``lon,lat`` in WGS 84 decimal degrees, e.g. ``105.26,-5.43``."""
MINUTES_PATTERN = rf"^{_MIN}(?:,{_MIN}){{0,{MINUTES_MAX_COUNT - 1}}}$"
"""1 to 6 thresholds in minutes, each 1..180, comma-separated."""
MINUTE_PATTERN = rf"^{_MIN}$"

MinutesQ = Annotated[
    str,
    Query(
        description="thresholds in minutes, comma-separated, each 1..180 (max 6)",
        pattern=MINUTES_PATTERN,
    ),
]
MinuteQ = Annotated[str, Query(description="threshold in minutes, 1..180", pattern=MINUTE_PATTERN)]
CategoryQ = Annotated[
    str,
    Query(
        description="service category code, e.g. puskesmas",
        json_schema_extra=sc.enum([c.code for c in CATEGORIES]),
    ),
]
LevelQ = Annotated[
    str,
    Query(
        description="kabupaten (or kota), kecamatan, desa (or kelurahan) or provinsi",
        json_schema_extra=sc.enum([*LEVELS, *_LEVEL_ALIASES]),
    ),
]
LonQ = Annotated[
    float,
    Query(ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS 84", examples=[105.3]),
]
LatQ = Annotated[
    float,
    Query(ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS 84", examples=[-5.4]),
]
LangQ = Annotated[str | None, Query(description="id (default) or en")]


def check_lonlat(lon: float, lat: float, *, field: str) -> None:
    """Raise unless ``lon``/``lat`` are finite WGS 84 degrees in range."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"({lon}, {lat}) is not a WGS 84 lon/lat position"
        raise InvalidParameterError(msg, field=field)


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


def check_points(points: list[tuple[float, float]], *, field: str) -> list[tuple[float, float]]:
    """Check every ``[lon, lat]`` of a body list; the field is ``name.i``."""
    for i, (x, y) in enumerate(points):
        check_lonlat(x, y, field=f"{field}.{i}")
    return points


def parse_minutes(raw: str | None, *, field: str = "minutes", single: bool = False) -> list[float]:
    """Parse ``10,20,30`` (each 1..180, at most 6; ``single``: exactly one), ascending."""
    if raw is None or not raw.strip():
        msg = "give one or more thresholds in minutes, e.g. 15,30,60"
        raise InvalidParameterError(msg, field=field)
    values: list[float] = []
    for part in raw.split(","):
        try:
            v = float(part)
        except ValueError:
            msg = f"minutes must be numbers separated by commas, got {raw!r}"
            raise InvalidParameterError(msg, field=field) from None
        if not (math.isfinite(v) and MINUTES_MIN <= v <= MINUTES_MAX):
            msg = (
                f"every threshold must be between {MINUTES_MIN} and {MINUTES_MAX} minutes, "
                f"got {part.strip()}"
            )
            raise InvalidParameterError(msg, field=field)
        values.append(v)
    if single and len(values) != 1:
        msg = f"give exactly one threshold in minutes, got {raw!r}"
        raise InvalidParameterError(msg, field=field)
    if len(set(values)) > MINUTES_MAX_COUNT:
        msg = f"at most {MINUTES_MAX_COUNT} thresholds, got {len(set(values))}"
        raise InvalidParameterError(msg, field=field)
    return sorted(set(values))


def check_level(level: str, *, field: str = "level") -> str:
    """An admin level (``kota`` is ``kabupaten``, ``kelurahan`` is ``desa``), or a 400."""
    level = _LEVEL_ALIASES.get(level, level)
    if level not in LEVELS:
        msg = f"unknown level {level!r}; levels: {list(LEVELS)}"
        raise InvalidParameterError(msg, field=field)
    return level
