"""Ingest of user files into the feature tables, all-or-nothing per file.

A file is read whole (GeoJSON, GeoPackage, Shapefile, or CSV with lon/lat
columns), reprojected to EPSG:4326, repaired, and every row validated before the
first write. One bad row aborts the file with its row number and reason; nothing is
written. Writing happens in one transaction and upserts on ``(source, source_id)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from rich.progress import Progress
from sqlalchemy import Connection, text

from layers.errors import IngestError
from layers.ingest_fields import LAYERS, GeometryKind, LayerSpec, validate_row
from layers.writer import SourceInfo, link_admin_parents, upsert_rows

# Indonesia with a margin: Sabang to Merauke, Miangas to Rote.
INDONESIA_BBOX = (94.0, -11.5, 141.5, 6.5)
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "bujur")
LAT_NAMES = ("lat", "latitude", "y", "lintang")
ID_NAMES = ("source_id", "id", "fid", "objectid", "gid")
PROGRESS_MIN_ROWS = 1000


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an ingest wrote."""

    layer: str
    source: str
    rows: int
    repaired: int = 0
    warnings: list[str] = field(default_factory=list)


def read_file(path: Path, *, file_layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or CSV (with lon/lat columns).

    Raises
    ------
    IngestError
        Unknown format, unreadable file, or a CSV without recognisable lon/lat.
    """
    if not path.exists():
        msg = f"file not found: {path}"
        raise IngestError(msg, field="FILE")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix not in {".geojson", ".json", ".gpkg", ".shp", ".zip"}:
        msg = f"unsupported file type {suffix!r}; use .geojson, .gpkg, .shp or .csv"
        raise IngestError(msg, field="FILE")
    try:
        return gpd.read_file(path, layer=file_layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files
        msg = f"cannot read {path.name}: {exc}"
        raise IngestError(msg, field="FILE") from None


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig", dtype=str)
    except Exception as exc:
        msg = f"cannot read CSV {path.name}: {exc}"
        raise IngestError(msg, field="FILE") from None
    lower = {c.lower(): c for c in df.columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if lon is None or lat is None:
        msg = f"CSV needs longitude and latitude columns (one of {LON_NAMES} and {LAT_NAMES})"
        raise IngestError(msg, field="FILE")
    xs = pd.to_numeric(df[lon].str.replace(",", ".", regex=False), errors="coerce")
    ys = pd.to_numeric(df[lat].str.replace(",", ".", regex=False), errors="coerce")
    bad = (xs.isna() | ys.isna()).to_numpy().nonzero()[0]
    if len(bad):
        row = int(bad[0]) + 1
        msg = f"{lon}/{lat} must be numbers, got {df[lon].iloc[bad[0]]!r}, {df[lat].iloc[bad[0]]!r}"
        raise IngestError(msg, row=row, field=lon)
    geometry = gpd.points_from_xy(xs, ys)
    return gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=geometry, crs="EPSG:4326")


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
    file_layer: str | None = None,
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
        or ``ports``; for areas ``admin_areas`` (default); for lines ``ferry_links``
        (default), whose ``from_port``/``to_port`` codes must be in ``ports``.
    mapping
        File column → our field (``--map COL=field``).
    defaults
        Values for fields the file lacks, such as ``category`` or ``level``.
    source
        The dataset; by default the file's stem.
    file_layer
        Layer inside a multi-layer file (GeoPackage).
    progress
        Show a progress bar for files of 1,000 rows or more.

    Raises
    ------
    IngestError
        With the 1-based row number and reason of the first bad row.
    """
    path = Path(path)
    spec = _layer_spec(kind, layer)
    gdf = _to_wgs84(read_file(path, file_layer=file_layer))
    if len(gdf) == 0:
        msg = "the file has no features"
        raise IngestError(msg, field="FILE")
    columns = _resolve_columns(gdf, spec, mapping or {})
    source = source or SourceInfo(id=path.stem, title=path.name)
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
        _check_unique_ids(rows)
        write = bar.add_task(f"writing {spec.table}", total=len(rows))
        with conn.begin():
            n = upsert_rows(
                conn, spec.table, source, rows, on_batch=lambda k: bar.advance(write, k)
            )
            if spec.table == "admin_areas":
                link_admin_parents(conn, source=source.id)
    return IngestResult(layer=spec.table, source=source.id, rows=n, repaired=repaired)


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


def _check_unique_ids(rows: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        sid = row["source_id"]
        if sid in seen:
            msg = f"source_id {sid!r} repeats row {seen[sid]}; ids must be unique in a file"
            raise IngestError(msg, row=i, field="source_id")
        seen[sid] = i
