"""Column presets: how the columns and values of a road file map to our fields.

Column presets (see :data:`PRESETS`) map a file's columns and values to OSM
highway classes:

``rbi``
    BIG RBI roads: ``REMARK`` holds ``Jalan Arteri`` (primary), ``Jalan
    Kolektor`` (secondary), ``Jalan Lokal`` (tertiary), ``Jalan Lain``
    (unclassified: the village and estate roads that make up most of RBI),
    ``Jalan Setapak`` (path: walkers, and motorcycles at a low speed, see
    :mod:`routing.profiles`) and ``Jalan Tol`` / ``Jalan Bebas
    Hambatan`` (motorway). RBI has no names, one-way or speed attributes.
``osm_shp``
    Old OSM shapefile exports: ``TYPE`` (OSM highway class), ``NAME``,
    ``ONEWAY`` (``yes``/``1``/``FT``/``F`` forward, ``-1``/``TF``/``T`` reverse,
    anything else two-way), ``MAXSPEED``, ``LANES``.
``osm``
    Files that use OSM keys as column names (``highway``, ``name``, ``oneway``,
    ``maxspeed``, ``lanes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing.errors import GraphBuildError

__all__ = [
    "FIELDS",
    "PRESETS",
    "ColumnPreset",
    "detect_preset",
    "parse_direction",
    "resolve_columns",
    "text_values",
]

#: Our edge fields that a file's columns can be mapped to.
FIELDS = ("highway", "name", "oneway", "maxspeed", "lanes")

_FORWARD = frozenset({"yes", "true", "1", "ft", "f", "forward"})
_REVERSE = frozenset({"-1", "tf", "t", "reverse", "backward"})


@dataclass(frozen=True)
class ColumnPreset:
    """
    How the columns and values of one kind of road file map to our fields.

    Attributes
    ----------
    name
        Preset name.
    columns
        Our field (``highway``, ``name``, ``oneway``, ``maxspeed``, ``lanes``)
        to the file's column name (matched case-insensitively).
    highway_values
        File value (lower case) to OSM highway class; None keeps the values
        as they are (lower-cased).
    unknown_highway
        Class given to values missing from ``highway_values``.
    """

    name: str
    columns: Mapping[str, str]
    highway_values: Mapping[str, str] | None = None
    unknown_highway: str = "road"
    notes: str = field(default="", compare=False)


#: Built-in column presets by name.
PRESETS: Mapping[str, ColumnPreset] = MappingProxyType(
    {
        "rbi": ColumnPreset(
            name="rbi",
            columns=MappingProxyType({"highway": "REMARK", "name": "NAMRJL"}),
            highway_values=MappingProxyType(
                {
                    "jalan tol": "motorway",
                    "jalan bebas hambatan": "motorway",
                    "jalan arteri": "primary",
                    "jalan kolektor": "secondary",
                    "jalan lokal": "tertiary",
                    "jalan lain": "unclassified",
                    "jalan setapak": "path",
                }
            ),
            notes="BIG RBI 1:25k/1:50k roads",
        ),
        "osm_shp": ColumnPreset(
            name="osm_shp",
            columns=MappingProxyType(
                {
                    "highway": "TYPE",
                    "name": "NAME",
                    "oneway": "ONEWAY",
                    "maxspeed": "MAXSPEED",
                    "lanes": "LANES",
                }
            ),
        ),
        "osm": ColumnPreset(
            name="osm",
            columns=MappingProxyType({f: f for f in FIELDS}),
        ),
    }
)


def detect_preset(frame: pd.DataFrame) -> str:
    """
    Guess the column preset of a road table.

    Parameters
    ----------
    frame
        The table (geometry column ignored).

    Returns
    -------
    str
        ``"rbi"`` if a ``REMARK`` column holds ``Jalan …`` values, else
        ``"osm_shp"`` if there is a ``TYPE`` column, else ``"osm"`` if there is
        a ``highway`` column.

    Raises
    ------
    GraphBuildError
        If none of these columns is found.
    """
    cols = {str(c).lower(): c for c in frame.columns}
    if "remark" in cols:
        values = frame[cols["remark"]].dropna().astype(str).str.strip().str.lower()
        if len(values) and values.str.startswith("jalan").mean() > 0.5:
            return "rbi"
    if "type" in cols:
        return "osm_shp"
    if "highway" in cols:
        return "osm"
    msg = (
        f"cannot tell the road class column among {list(frame.columns)}; pass "
        "columns={'highway': '<column>'} or preset='rbi'/'osm_shp'/'osm'"
    )
    raise GraphBuildError(msg)


def resolve_columns(
    frame: pd.DataFrame, preset: ColumnPreset, columns: Mapping[str, str] | None
) -> dict[str, str]:
    """Map our fields to the frame's columns (the preset's, overridden by ``columns``)."""
    unknown = set(columns or {}) - set(FIELDS)
    if unknown:
        msg = f"unknown keys in columns: {sorted(unknown)}; valid keys: {list(FIELDS)}"
        raise GraphBuildError(msg)
    wanted = {**preset.columns, **(columns or {})}
    lookup = {str(c).lower(): str(c) for c in frame.columns}
    resolved: dict[str, str] = {}
    for ours, theirs in wanted.items():
        found = lookup.get(str(theirs).lower())
        if found is not None:
            resolved[ours] = found
        elif columns and ours in columns:
            msg = f"column {theirs!r} (for {ours!r}) not found; columns: {list(frame.columns)}"
            raise GraphBuildError(msg)
    if "highway" not in resolved:
        msg = f"no road class column {wanted.get('highway')!r} in {list(frame.columns)}"
        raise GraphBuildError(msg)
    return resolved


def text_values(series: pd.Series) -> np.ndarray:
    """Return a column as an object array of str ("" for missing)."""
    out = series.astype(object).where(series.notna(), "")
    return np.array([str(v).strip() for v in out], dtype=object)


def parse_direction(values: np.ndarray) -> np.ndarray:
    """Return +1 (forward only), -1 (reverse only) or 0 (both ways) per value."""
    lowered = np.array([str(v).strip().lower() for v in values], dtype=object)
    result = np.zeros(len(lowered), dtype=np.int8)
    for i, value in enumerate(lowered):
        if value.endswith(".0"):  # numeric columns read as float
            value = value[:-2]
        if value in _FORWARD:
            result[i] = 1
        elif value in _REVERSE:
            result[i] = -1
    return result
