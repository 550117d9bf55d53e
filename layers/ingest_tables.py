"""Ingest of tables without geometry: vehicle classes and cost parameters.

A CSV (``,``, ``;``, tab or ``|``; UTF-8) or a JSON list of objects is read whole and every row
validated before the first write; one bad row aborts the file with its row number
and reason, and nothing is written. Rows upsert on the table's key
(``vehicle_classes.code``, ``cost_parameters.key``), so loading a file twice leaves
one copy and a re-load updates the figures in place. Rows of the table that the file
does not name are kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, func, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from layers.errors import IngestError
from layers.ingest_fields import FieldSpec, convert_value, is_missing
from layers.logistics_models import CostParameter
from layers.models import VehicleClass

TOLL_GROUPS = ("I", "II", "III", "IV", "V")
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """An ingestible table without geometry: its key column and fields."""

    table: Table
    key: str
    fields: dict[str, FieldSpec]
    actor_column: str | None = None
    stamp_column: str | None = None


@dataclass(frozen=True, slots=True)
class TableIngestResult:
    """What a table ingest wrote."""

    layer: str
    rows: int
    inserted: int
    updated: int
    ignored_columns: list[str] = field(default_factory=list)


TABLES: dict[str, TableSpec] = {
    "vehicle_classes": TableSpec(
        VehicleClass.__table__,  # type: ignore[arg-type]
        "code",
        {
            "code": FieldSpec(required=True),
            "name_id": FieldSpec(required=True),
            "name_en": FieldSpec(required=True),
            "payload_t": FieldSpec("float", required=True, above=0),
            "fuel_l_per_km": FieldSpec("float", required=True, above=0),
            "toll_group": FieldSpec(required=True, choices=TOLL_GROUPS),
            "ferry_class": FieldSpec(required=True),
        },
    ),
    "cost_parameters": TableSpec(
        CostParameter.__table__,  # type: ignore[arg-type]
        "key",
        {
            "key": FieldSpec(required=True),
            "value": FieldSpec("float", required=True, minimum=0),
            "unit": FieldSpec(required=True),
            "description": FieldSpec(),
            "source": FieldSpec(required=True),
        },
        actor_column="updated_by",
        stamp_column="updated_at",
    ),
}


def read_table(path: Path) -> list[dict[str, Any]]:
    """Read a CSV or a JSON list of objects into records (CSV cells stay text).

    Raises
    ------
    IngestError
        Missing or unreadable file, unknown type, or JSON that is not a list of objects.
    """
    if not path.exists():
        msg = f"file not found: {path}"
        raise IngestError(msg, field="FILE")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig") as f:
                header = f.readline()
            sep = max(DELIMITERS, key=header.count)  # ties (none found): ","
            df = pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str)
        except Exception as exc:  # pandas raises several types for unreadable files
            msg = f"cannot read CSV {path.name}: {exc}"
            raise IngestError(msg, field="FILE") from None
        df.columns = [str(c).strip() for c in df.columns]
        return df.to_dict("records")  # type: ignore[return-value]
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = f"cannot read JSON {path.name}: {exc}"
            raise IngestError(msg, field="FILE") from None
        if not isinstance(data, list):
            msg = "a JSON table must be a list of objects, one per row"
            raise IngestError(msg, field="FILE")
        for i, rec in enumerate(data, start=1):
            if not isinstance(rec, dict):
                msg = f"expected a JSON object, got {type(rec).__name__}"
                raise IngestError(msg, row=i, field="FILE")
        return data
    msg = f"unsupported file type {suffix!r}; use .csv or .json (a list of objects)"
    raise IngestError(msg, field="FILE")


def _resolve_columns(
    columns: list[str], spec: TableSpec, mapping: Mapping[str, str]
) -> dict[str, str]:
    """Map our field name → file column, from ``--map COL=field`` plus same-name columns."""
    result: dict[str, str] = {}
    for col, fld in mapping.items():
        if col not in columns:
            msg = f"--map names column {col!r}, which the file lacks; columns: {columns}"
            raise IngestError(msg, field="--map")
        if fld not in spec.fields:
            msg = f"--map target {fld!r} is not a field of {spec.table.name}; "
            msg += f"fields: {sorted(spec.fields)}"
            raise IngestError(msg, field="--map")
        result[fld] = col
    lower = {c.lower(): c for c in columns}
    for fld in spec.fields:
        if fld not in result and fld in lower:
            result[fld] = lower[fld]
    return result


def validate_rows(
    records: list[dict[str, Any]], spec: TableSpec, columns: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Validate every record; the first bad one raises with its 1-based row number."""
    rows: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    for i, rec in enumerate(records, start=1):
        out: dict[str, Any] = {}
        for name, fspec in spec.fields.items():
            raw = rec.get(columns[name]) if name in columns else None
            if is_missing(raw):
                if fspec.required:
                    msg = f"missing required field {name!r} (map a column with --map COLUMN={name})"
                    raise IngestError(msg, row=i, field=name)
                out[name] = None
                continue
            out[name] = convert_value(raw, fspec, name=name, row=i)
        key = out[spec.key]
        if key in seen:
            msg = f"{spec.key} {key!r} repeats row {seen[key]}; keys must be unique in a file"
            raise IngestError(msg, row=i, field=spec.key)
        seen[key] = i
        rows.append(out)
    return rows


def ingest_table(
    conn: Connection,
    path: str | Path,
    *,
    layer: str,
    mapping: Mapping[str, str] | None = None,
    actor: str | None = None,
) -> TableIngestResult:
    """Validate a whole CSV/JSON table, then upsert it on the key in one transaction.

    Parameters
    ----------
    conn
        A connection; this function opens (and commits or rolls back) the transaction.
    path
        The ``.csv`` or ``.json`` file.
    layer
        ``vehicle_classes`` (key ``code``) or ``cost_parameters`` (key ``key``).
    mapping
        File column → our field (``--map COL=field``).
    actor
        Recorded as ``updated_by`` of cost parameters; by default ``ingest:<file name>``.

    Raises
    ------
    IngestError
        With the 1-based row number and reason of the first bad row.
    """
    path = Path(path)
    spec = TABLES.get(layer)
    if spec is None:
        msg = f"unknown table {layer!r}; use one of {sorted(TABLES)}"
        raise IngestError(msg, field="--layer")
    records = read_table(path)
    if not records:
        msg = "the file has no rows"
        raise IngestError(msg, field="FILE")
    file_columns = list(dict.fromkeys(str(c) for rec in records for c in rec))
    columns = _resolve_columns(file_columns, spec, mapping or {})
    rows = validate_rows(records, spec, columns)
    if spec.actor_column is not None:
        for row in rows:
            row[spec.actor_column] = actor or f"ingest:{path.name}"
    stmt = insert(spec.table).values(rows)
    update: dict[str, Any] = {c: stmt.excluded[c] for c in rows[0] if c != spec.key}
    if spec.stamp_column is not None:
        update[spec.stamp_column] = func.now()
    stmt = stmt.on_conflict_do_update(index_elements=[spec.key], set_=update)
    # xmax = 0 is true for a row just inserted, false for one updated
    upsert: ReturningInsert[Any] = stmt.returning(literal_column("xmax = 0"))
    with conn.begin():
        fresh = list(conn.execute(upsert).scalars())
    inserted = sum(bool(f) for f in fresh)
    ignored = [c for c in file_columns if c not in set(columns.values())]
    return TableIngestResult(
        layer=layer,
        rows=len(rows),
        inserted=inserted,
        updated=len(rows) - inserted,
        ignored_columns=ignored,
    )
