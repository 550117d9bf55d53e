"""Ingest of user files into the feature tables, all-or-nothing per file.

A file is read whole through :func:`data.vector_io.read_vector` (GeoJSON, GeoPackage,
Shapefile, or CSV with lon/lat columns; Z/M dropped, encodings decided from the bytes),
reprojected to EPSG:4326, repaired, and every row validated before the first write. One
bad row aborts the file with its row number and reason; nothing is written. Writing
happens in one transaction and upserts on ``(source, source_id)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
from rich.progress import Progress
from sqlalchemy import Connection, text

from data.vector_io import VectorFile, VectorReadError, read_vector
from layers.errors import IngestError
from layers.ingest_fields import LAYERS, GeometryKind, LayerSpec, validate_row
from layers.writer import SourceInfo, link_admin_parents, upsert_rows

# Indonesia with a margin: Sabang to Merauke, Miangas to Rote.
INDONESIA_BBOX = (94.0, -11.5, 141.5, 6.5)
ID_NAMES = ("source_id", "id", "fid", "objectid", "gid")
PROGRESS_MIN_ROWS = 1000
OnDuplicate = Literal["error", "first", "last", "renumber"]
ON_DUPLICATE: tuple[str, ...] = get_args(OnDuplicate)
EXAMPLES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an ingest wrote; ``warnings`` are notes to show the user once."""

    layer: str
    source: str
    rows: int
    repaired: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0


def read_file(
    path: Path, *, layer_name: str | None = None, encoding: str | None = None
) -> VectorFile:
    """Read a vector file for ingest, mapping read errors to :class:`IngestError`."""
    try:
        return read_vector(path, layer=layer_name, encoding=encoding)
    except VectorReadError as exc:
        reason = exc.reason
        if exc.field == "layer":
            reason += " with --layer-name"
        field_ = {"layer": "--layer-name", "encoding": "--encoding"}.get(exc.field, exc.field)
        raise IngestError(reason, row=exc.row, field=field_) from None


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            return gdf.set_crs("EPSG:4326")
        msg = "the file has no CRS and its coordinates are not lon/lat; add a .prj or CRS"
        raise IngestError(msg, field="FILE")
    if gdf.crs.to_epsg() == 4326:
        return gdf
    return gdf.to_crs("EPSG:4326")


def _resolve_columns(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, mapping: Mapping[str, str]
) -> dict[str, str]:
    """Map our field name → file column, from ``--map COL=field`` plus same-name columns."""
    result: dict[str, str] = {}
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for col, fld in mapping.items():
        if col not in columns:
            msg = f"--map names column {col!r}, which the file lacks; columns: {columns}"
            raise IngestError(msg, field="--map")
        if fld not in spec.fields and fld != "source_id":
            fields = sorted([*spec.fields, "source_id"])
            msg = f"--map target {fld!r} is not a field of {spec.table}; fields: {fields}"
            raise IngestError(msg, field="--map")
        result[fld] = col
    lower = {c.lower(): c for c in columns}
    for fld in spec.fields:
        if fld not in result and fld in lower:
            result[fld] = lower[fld]
    if "source_id" not in result:
        found = next((lower[n] for n in ID_NAMES if n in lower), None)
        if found is not None:
            result["source_id"] = found
    return result


def ingest_file(
    conn: Connection,
    path: str | Path,
    *,
    kind: GeometryKind,
    layer: str | None = None,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    source: SourceInfo | None = None,
    source_title: str | None = None,
    attribution: str | None = None,
    layer_name: str | None = None,
    file_layer: str | None = None,
    encoding: str | None = None,
    on_duplicate: OnDuplicate = "error",
    progress: bool = False,
) -> IngestResult:
    """Validate a whole file, then upsert it in one transaction.

    Parameters
    ----------
    conn
        A connection; this function opens (and commits or rolls back) the transaction.
    path
        The file to read.
    kind
        ``"points"``, ``"areas"`` or ``"lines"``.
    layer
        Target table: for points ``service_points`` (default), ``farms``, ``markets``
        or ``ports``; for areas ``admin_areas`` (default) or ``settlements``; for lines
        ``ferry_links`` (default), whose ``from_port``/``to_port`` codes must be in
        ``ports``.
    mapping
        File column → our field (``--map COL=field``).
    defaults
        Values for fields the file lacks, such as ``category`` or ``level``.
    source
        The dataset. By default its id is the file name with its extension (``a.geojson``
        and ``a.csv`` stay apart); a database that loaded the file before under its
        stem (the old default) keeps that id.
    source_title, attribution
        Title (default: the file name) and attribution of the default source.
    layer_name
        Layer inside a multi-layer file (GeoPackage); ``file_layer`` is an old alias.
    encoding
        Text encoding of a Shapefile's ``.dbf``, a CSV or a GeoJSON (default: decided
        from the bytes).
    on_duplicate
        A source id repeated in the file: ``error`` (default), keep the ``first`` or
        the ``last`` row, or ``renumber`` the repeats ``<id>-2``, ``<id>-3``, ...
    progress
        Show a progress bar for files of 1,000 rows or more.

    Raises
    ------
    IngestError
        With the 1-based row number and reason of the first bad row.
    """
    path = Path(path)
    spec = _layer_spec(kind, layer)
    if on_duplicate not in ON_DUPLICATE:
        msg = f"--on-duplicate must be one of {list(ON_DUPLICATE)}, got {on_duplicate!r}"
        raise IngestError(msg, field="--on-duplicate")
    read = read_file(path, layer_name=layer_name or file_layer, encoding=encoding)
    if read.missing_attributes:
        needed = sorted(n for n, f in spec.fields.items() if f.required) or sorted(spec.fields)
        msg = (
            f"{path.stem}.dbf is missing, so the file has no attributes; {spec.table} needs "
            f"{needed}: add the .dbf next to {path.name}"
        )
        raise IngestError(msg, field="FILE")
    notes = list(read.notes)
    gdf = _to_wgs84(read.frame)
    if len(gdf) == 0:
        msg = "the file has no features"
        raise IngestError(msg, field="FILE")
    columns = _resolve_columns(gdf, spec, mapping or {})
    source, note = _default_source(conn, path, source, source_title, attribution)
    notes += [note] if note else []
    known = _lookup_codes(conn, spec)
    show = progress and len(gdf) >= PROGRESS_MIN_ROWS
    rows: list[dict[str, Any]] = []
    repaired = 0
    with Progress(transient=True, disable=not show) as bar:
        task = bar.add_task(f"checking {path.name}", total=len(gdf))
        geoms = gdf.geometry.to_numpy()
        records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        for i, (rec, geom) in enumerate(zip(records, geoms, strict=True), start=1):
            row, was_repaired = validate_row(
                rec,
                geom,
                spec=spec,
                columns=columns,
                defaults=defaults or {},
                known=known,
                row=i,
                bbox=INDONESIA_BBOX,
            )
            repaired += was_repaired
            rows.append(row)
            if i % 500 == 0:
                bar.update(task, completed=i)
        numbers, note = resolve_duplicates(rows, on_duplicate)
        notes += [note] if note else []
        kept = [rows[n - 1] for n in numbers]
        write = bar.add_task(f"writing {spec.table}", total=len(kept))
        with conn.begin():
            n = upsert_rows(
                conn,
                spec.table,
                source,
                kept,
                on_batch=lambda k: bar.advance(write, k),
                row_numbers=numbers,
            )
            if spec.table == "admin_areas":
                link_admin_parents(conn, source=source.id)
    return IngestResult(
        layer=spec.table,
        source=source.id,
        rows=n,
        repaired=repaired,
        warnings=notes,
        skipped=len(rows) - len(kept),
    )


def _default_source(
    conn: Connection,
    path: Path,
    source: SourceInfo | None,
    title: str | None,
    attribution: str | None,
) -> tuple[SourceInfo, str | None]:
    """The given source, or the file name; an old database's stem id is kept."""
    if source is not None:
        return source, None
    source_id, note = path.name, None
    legacy = conn.execute(
        text(
            "SELECT s.id FROM sources s WHERE s.id = :stem AND s.title = :name "
            "AND NOT EXISTS (SELECT 1 FROM sources n WHERE n.id = :name)"
        ),
        {"stem": path.stem, "name": path.name},
    ).scalar()
    if conn.in_transaction():
        conn.rollback()
    if legacy is not None and path.stem != path.name:
        source_id = str(legacy)
        note = f"kept the source id {source_id!r} of an earlier load of {path.name}"
    return SourceInfo(id=source_id, title=title or path.name, attribution=attribution), note


DEFAULT_LAYERS: dict[str, str] = {
    "points": "service_points",
    "areas": "admin_areas",
    "lines": "ferry_links",
}


def _layer_spec(kind: GeometryKind, layer: str | None) -> LayerSpec:
    name = layer or DEFAULT_LAYERS[kind]
    spec = LAYERS.get(name)
    if spec is None or spec.kind != kind:
        allowed = sorted(k for k, v in LAYERS.items() if v.kind == kind)
        msg = f"unknown {kind} layer {name!r}; use one of {allowed}"
        raise IngestError(msg, field="--layer")
    return spec


def _lookup_codes(conn: Connection, spec: LayerSpec) -> dict[str, Collection[str]]:
    """Codes each looked-up field may take; code → id for referencing fields."""
    out: dict[str, Collection[str]] = {}
    for fld, table in spec.lookups.items():
        codes = conn.execute(text(f"SELECT code FROM {table}")).scalars()
        out[fld] = frozenset(codes)
    for fld, ref in spec.references.items():  # names from the registry only
        sql = f"SELECT {ref.code_column}, {ref.id_column} FROM {ref.table}"
        out[fld] = {str(code): int(id_) for code, id_ in conn.execute(text(sql)).all()}
    if conn.in_transaction():
        conn.rollback()
    return out


def resolve_duplicates(rows: list[dict[str, Any]], mode: str) -> tuple[list[int], str | None]:
    """Apply ``--on-duplicate`` to rows' ``source_id`` (renumbering in place).

    Returns
    -------
    tuple
        The 1-based numbers of the rows to write, in file order, and a note (or None).

    Raises
    ------
    IngestError
        ``mode == "error"`` and an id repeats: names the repeating row.
    """
    first: dict[str, int] = {}
    repeats: list[int] = []
    for i, row in enumerate(rows, start=1):
        sid = row["source_id"]
        if sid in first:
            if mode == "error":
                msg = (
                    f"source_id {sid!r} repeats row {first[sid]}; ids must be unique in a file "
                    "(or use --on-duplicate first|last|renumber)"
                )
                raise IngestError(msg, row=i, field="source_id")
            repeats.append(i)
        else:
            first[sid] = i
    if not repeats:
        return list(range(1, len(rows) + 1)), None
    if mode == "first":
        skip = set(repeats)
        kept = [i for i in range(1, len(rows) + 1) if i not in skip]
        return kept, f"skipped {len(repeats)} rows whose source_id repeats an earlier row"
    if mode == "last":
        last = {row["source_id"]: i for i, row in enumerate(rows, start=1)}
        kept = sorted(last.values())
        dropped = len(rows) - len(kept)
        return kept, f"skipped {dropped} rows whose source_id repeats a later row (kept the last)"
    used = set(first)
    count: dict[str, int] = {}
    examples: list[str] = []
    for i in repeats:
        sid = rows[i - 1]["source_id"]
        k = count.get(sid, 1)
        while f"{sid}-{k}" in used or k == 1:
            k += 1
        count[sid] = k
        rows[i - 1]["source_id"] = f"{sid}-{k}"
        used.add(f"{sid}-{k}")
        if len(examples) < EXAMPLES_SHOWN:
            examples.append(f"row {i}: {sid!r} -> {sid + '-' + str(k)!r}")
    more = ", ..." if len(repeats) > EXAMPLES_SHOWN else ""
    note = f"renumbered {len(repeats)} repeated source ids ({', '.join(examples)}{more})"
    return list(range(1, len(rows) + 1)), note
