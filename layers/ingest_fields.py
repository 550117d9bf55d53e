"""What each ingestible layer needs, and the per-row validation against it."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from layers.errors import IngestError

GeometryKind = Literal["points", "areas", "lines"]
FieldType = Literal["str", "int", "float", "int_list", "object", "int_map"]
KNOWN_SHOWN = 40


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One target column: type, whether required, bounds (``above`` is exclusive)."""

    type: FieldType = "str"
    required: bool = False
    minimum: float | None = None
    choices: tuple[str, ...] | None = None
    above: float | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A field holding a code of another table, written as that row's id.

    The file's ``from_port`` (a ``ports.code``) becomes ``from_port_id`` (its ``ports.id``).
    """

    table: str
    code_column: str
    id_column: str
    column: str


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """An ingestible table: geometry kind, fields, and fields checked against lookups.

    ``lookups`` maps a field to a table whose ``code`` it must be; ``references`` maps a
    field to a :class:`Reference`, checked the same way and written as the row's id.
    """

    table: str
    kind: GeometryKind
    fields: dict[str, FieldSpec]
    lookups: dict[str, str] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)


LAYERS: dict[str, LayerSpec] = {
    "service_points": LayerSpec(
        "service_points",
        "points",
        {
            "name": FieldSpec(required=True),
            "category": FieldSpec(required=True),
            "address": FieldSpec(),
            "phone": FieldSpec(),
            "opening_hours": FieldSpec(),
            "capacity": FieldSpec("int", minimum=0),
        },
        lookups={"category": "categories"},
    ),
    "farms": LayerSpec(
        "farms",
        "points",
        {
            "name": FieldSpec(required=True),
            "commodity": FieldSpec(required=True),
            "production_t_per_year": FieldSpec("float", required=True, minimum=0),
            "harvest_months": FieldSpec("int_list"),
        },
        lookups={"commodity": "commodities"},
    ),
    "markets": LayerSpec(
        "markets",
        "points",
        {
            "name": FieldSpec(required=True),
            "kind": FieldSpec(),
            "address": FieldSpec(),
            "demand_t_per_month": FieldSpec("object"),
        },
    ),
    "ports": LayerSpec(
        "ports",
        "points",
        {"code": FieldSpec(required=True), "name": FieldSpec(required=True), "kind": FieldSpec()},
    ),
    "admin_areas": LayerSpec(
        "admin_areas",
        "areas",
        {
            "name": FieldSpec(required=True),
            "level": FieldSpec(
                required=True, choices=("provinsi", "kabupaten", "kecamatan", "desa")
            ),
            "code": FieldSpec(),
            "population": FieldSpec("int", minimum=0),
            "population_year": FieldSpec("int", minimum=1900),
            "population_source": FieldSpec(),
        },
    ),
    "settlements": LayerSpec(
        "settlements",
        "areas",
        {"name": FieldSpec(), "kind": FieldSpec()},
    ),
    "ferry_links": LayerSpec(
        "ferry_links",
        "lines",
        {
            "name": FieldSpec(required=True),
            "from_port": FieldSpec(required=True),
            "to_port": FieldSpec(required=True),
            "crossing_minutes": FieldSpec("float", required=True, above=0),
            "departures_per_day": FieldSpec("int", required=True, minimum=1),
            "daily_capacity_vehicles": FieldSpec("int", minimum=0),
            "tariffs": FieldSpec("int_map", minimum=0),
            "tariff_source": FieldSpec(),
        },
        references={
            "from_port": Reference("ports", "code", "id", "from_port_id"),
            "to_port": Reference("ports", "code", "id", "to_port_id"),
        },
    ),
}


def is_missing(value: Any) -> bool:
    """Whether a cell is empty: None, NaN or blank text."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def json_safe(value: Any) -> Any:
    """Turn a pandas/numpy cell into a JSON-serialisable value."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def convert_value(value: Any, spec: FieldSpec, *, name: str, row: int) -> Any:
    """Convert one cell to the field's type and check its bounds and choices.

    Raises
    ------
    IngestError
        Naming the row, the field and what was expected.
    """
    value = json_safe(value)
    try:
        if isinstance(value, bool) and spec.type != "str":
            raise TypeError(value)  # JSON true/false is not a number (nor 1/0)
        if spec.type == "str":
            out: Any = check_text(str(value), name=name, row=row)
        elif spec.type == "int":
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            out = int(number)
        elif spec.type == "float":
            if isinstance(value, str) and value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")  # Indonesian decimal comma
            out = float(value)
            if not math.isfinite(out):
                raise ValueError(value)
        elif spec.type == "int_list":
            items = value if isinstance(value, list) else str(value).strip("[]{} ").split(",")
            out = [int(str(v).strip()) for v in items if str(v).strip()]
        else:
            out = json.loads(value) if isinstance(value, str) else value
            if not isinstance(out, dict):
                raise ValueError(value)
            if spec.type == "int_map":
                out = {str(k): _whole(v) for k, v in out.items()}
    except (TypeError, ValueError, json.JSONDecodeError):
        kind = {
            "int": "a whole number",
            "float": "a number",
            "int_list": "a list of whole numbers",
            "object": "a JSON object",
            "int_map": 'a JSON object of whole numbers, e.g. {"I": 15000}',
            "str": "text",
        }[spec.type]
        shown = json.dumps(value) if isinstance(value, bool) else repr(value)
        msg = f"{name} must be {kind}, got {shown}"
        raise IngestError(msg, row=row, field=name) from None
    numbers = out.items() if spec.type == "int_map" else [(None, out)]
    for key, number in numbers:
        label = name if key is None else f"{name}[{key!r}]"
        if not isinstance(number, int | float):
            continue
        if spec.minimum is not None and number < spec.minimum:
            msg = f"{label} must be >= {spec.minimum:g}, got {number}"
            raise IngestError(msg, row=row, field=name)
        if spec.above is not None and number <= spec.above:
            msg = f"{label} must be > {spec.above:g}, got {number}"
            raise IngestError(msg, row=row, field=name)
    if spec.choices is not None and out not in spec.choices:
        msg = f"{name} must be one of {list(spec.choices)}, got {out!r}"
        raise IngestError(msg, row=row, field=name)
    return out


def check_text(value: str, *, name: str, row: int) -> str:
    """Text without padding; control characters refused with their position.

    Leading/trailing blanks and NUL bytes (dBase pads cells with them) are removed; a NUL
    or other control character inside the text (tab, CR and LF excepted) is refused,
    since it is never meant and PostgreSQL cannot store NUL.
    """
    out = value.strip().strip("\x00").strip()
    for i, ch in enumerate(out, start=1):
        code = ord(ch)
        if (code < 32 and ch not in "\t\n\r") or code == 127:
            msg = f"{name} contains the control character U+{code:04X} at position {i}; remove it"
            raise IngestError(msg, row=row, field=name)
    return out


def strip_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string in it (JSONB cannot hold them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    number = float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def _check_geometry(
    geom: BaseGeometry | None, *, kind: GeometryKind, row: int, bbox: tuple[float, ...]
) -> tuple[BaseGeometry, bool]:
    if geom is None or geom.is_empty:
        msg = "the feature has no geometry"
        raise IngestError(msg, row=row, field="geometry")
    repaired = False
    if kind == "points":
        if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:  # type: ignore[attr-defined]
            geom = geom.geoms[0]  # type: ignore[attr-defined]
        if not isinstance(geom, Point):
            msg = f"expected a Point, got {geom.geom_type}"
            raise IngestError(msg, row=row, field="geometry")
    elif kind == "lines":
        if isinstance(geom, MultiLineString) and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        if not isinstance(geom, LineString):
            parts = f" of {len(geom.geoms)} parts" if isinstance(geom, MultiLineString) else ""
            msg = f"expected a LineString, got {geom.geom_type}{parts}"
            raise IngestError(msg, row=row, field="geometry")
    else:
        if not isinstance(geom, Polygon | MultiPolygon):
            msg = f"expected a Polygon or MultiPolygon, got {geom.geom_type}"
            raise IngestError(msg, row=row, field="geometry")
        if not geom.is_valid:
            fixed = shapely.make_valid(geom)
            polys = [
                g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon | MultiPolygon)
            ]
            geom = shapely.union_all(polys) if polys else Polygon()
            repaired = True
            if geom.is_empty:
                msg = "invalid polygon that cannot be repaired"
                raise IngestError(msg, row=row, field="geometry")
        if isinstance(geom, Polygon):
            geom = MultiPolygon([geom])
    minx, miny, maxx, maxy = geom.bounds
    if minx < bbox[0] or miny < bbox[1] or maxx > bbox[2] or maxy > bbox[3]:
        msg = (
            f"geometry at lon {minx:.5f}..{maxx:.5f}, lat {miny:.5f}..{maxy:.5f} lies outside "
            f"Indonesia's bounding box {bbox}"
        )
        raise IngestError(msg, row=row, field="geometry")
    return geom, repaired


def _shown(codes: Collection[str]) -> str:
    names = sorted(codes)
    if len(names) <= KNOWN_SHOWN:
        return str(names)
    return f"{names[:KNOWN_SHOWN]} and {len(names) - KNOWN_SHOWN} more"


def validate_row(
    record: Mapping[str, Any],
    geom: BaseGeometry | None,
    *,
    spec: LayerSpec,
    columns: Mapping[str, str],
    defaults: Mapping[str, Any],
    known: Mapping[str, Collection[str]],
    row: int,
    bbox: tuple[float, ...],
) -> tuple[dict[str, Any], bool]:
    """Validate one file row and build the table row.

    ``known`` holds, per looked-up field, the codes it may take; for a field of
    ``spec.references`` a mapping code → id, and the row gets the id instead of the code.

    Returns
    -------
    tuple
        The row (fields, ``attributes`` from unmapped columns, ``source_id``, EWKT
        ``geom``) and whether its geometry was repaired.
    """
    geom, repaired = _check_geometry(geom, kind=spec.kind, row=row, bbox=bbox)
    out: dict[str, Any] = {}
    for name, fspec in spec.fields.items():
        raw = record.get(columns[name]) if name in columns else None
        if is_missing(raw):
            raw = defaults.get(name)
        if is_missing(raw):
            if fspec.required:
                msg = f"missing required field {name!r} (map a column with --map COLUMN={name})"
                raise IngestError(msg, row=row, field=name)
            out[name] = None
            continue
        out[name] = convert_value(raw, fspec, name=name, row=row)
        if name in known and out[name] not in known[name]:
            ref = spec.references.get(name)
            where = f" (not a {ref.table}.{ref.code_column})" if ref else ""
            msg = f"unknown {name} {out[name]!r}{where}; known: {_shown(known[name])}"
            raise IngestError(msg, row=row, field=name)
    for name, ref in spec.references.items():
        ids = known.get(name)
        if not isinstance(ids, Mapping):
            msg = f"internal: no {ref.table} ids looked up for {name}"
            raise TypeError(msg)
        code = out.pop(name)
        out[ref.column] = None if code is None else ids[code]
    sid_col = columns.get("source_id")
    sid = json_safe(record.get(sid_col)) if sid_col else None
    if isinstance(sid, float) and sid.is_integer():
        sid = int(sid)
    sid_text = str(row) if sid is None else check_text(str(sid), name="source_id", row=row)
    if not sid_text:
        sid_text = str(row)
    out["source_id"] = sid_text
    used = set(columns.values())
    out["attributes"] = {k: strip_nul(json_safe(v)) for k, v in record.items() if k not in used}
    out["geom"] = f"SRID=4326;{geom.wkt}"
    return out, repaired
