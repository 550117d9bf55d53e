"""Parse OSM ``maxspeed`` values to km/h.

Zone values follow Peraturan Menteri Perhubungan PM 111/2015, Art. 3(4):
``ID:urban`` (jalan kawasan perkotaan) 50 km/h, ``ID:rural`` (jalan antarkota)
80 km/h, ``ID:motorway`` (jalan bebas hambatan) 100 km/h and residential
zones (jalan kawasan permukiman) 30 km/h.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["parse_maxspeed"]

_MPH = 1.609344
_KNOT = 1.852

#: Zone values of ``maxspeed`` (``"ID:urban"`` …), mapped to PM 111/2015 limits.
_ZONE_SPEEDS: Mapping[str, float] = MappingProxyType(
    {
        "id:urban": 50.0,
        "id:rural": 80.0,
        "id:motorway": 100.0,
        "id:trunk": 80.0,
        "id:living_street": 30.0,
        "id:residential": 30.0,
        "id:zone30": 30.0,
        "walk": 5.0,
        "living_street": 20.0,
    }
)

_NUMBER_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots?)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: Any) -> float | None:
    """
    Parse an OSM-style ``maxspeed`` value to km/h.

    Parameters
    ----------
    value
        ``"50"``, ``"50 km/h"``, ``"30 mph"`` (converted with 1.609344),
        ``"10 knots"``, a zone value such as ``"ID:urban"`` (50),
        ``"ID:rural"`` (80) or ``"ID:motorway"`` (100), several values
        separated by ``";"`` or ``"|"`` or given as a list (the minimum is
        taken), or a number.

    Returns
    -------
    float or None
        The speed in km/h, or None when the value is missing, ``"none"``,
        ``"signals"``, not positive or not understood.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) and number > 0 else None
    if isinstance(value, list | tuple):
        return _min_or_none(parse_maxspeed(v) for v in value)
    if not isinstance(value, str):
        return None
    parts = re.split(r"[;|]", value)
    if len(parts) > 1:
        return _min_or_none(parse_maxspeed(p) for p in parts)
    text = value.strip().lower()
    if text in _ZONE_SPEEDS:
        return _ZONE_SPEEDS[text]
    match = _NUMBER_RE.match(text)
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "").lower()
    if unit == "mph":
        number *= _MPH
    elif unit.startswith("knot"):
        number *= _KNOT
    return number if number > 0 else None


def _min_or_none(values: Any) -> float | None:
    found = [v for v in values if v is not None]
    return min(found) if found else None
