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

from layers.errors import InvalidParameterError

__all__ = [
    "K_MAX",
    "LEVELS",
    "MINUTES_MAX",
    "MINUTES_MAX_COUNT",
    "MINUTES_MIN",
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

MinutesQ = Annotated[
    str, Query(description="thresholds in minutes, comma-separated, each 1..180 (max 6)")
]
CategoryQ = Annotated[str, Query(description="service category code, e.g. puskesmas")]
LevelQ = Annotated[str, Query(description="kabupaten, kecamatan, desa or provinsi")]
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
