"""One reader for the vector files people really have: :func:`read_vector`.

Both ingest (``layers``) and road-graph building (``routing``) read through it, so a
file that one accepts the other accepts too. It handles what real government
deliveries contain and GDAL alone gets wrong or reports as raw text:

- Z and M coordinates are dropped on read and said once (``dropped Z coordinates from
  1,706 geometries``);
- a Shapefile's text encoding is decided from the ``.dbf`` bytes (:mod:`data.dbf`): the
  ``.cpg`` when it fits, else UTF-8, then cp1252; ``encoding=`` overrides;
- a Shapefile without its ``.dbf`` is read as geometry only and flagged
  (``missing_attributes``), so callers can refuse or go on;
- a GeoPackage with several layers needs ``layer=``; without it the layers are listed;
- an unknown CRS (``EPSG:999999``, a ``.prj`` pyproj cannot read, an undefined GeoPackage
  ``srs_id``) is refused, never read as WGS 84; a file without any CRS keeps ``crs=None``
  and the caller decides;
- empty files, invalid JSON and files that are not vector data get one plain line.

Every failure is a :class:`~data.vector_errors.VectorReadError` (``reason``, ``field``,
``row``); nothing here prints GDAL's text or a traceback.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from data.dbf import DbfError, choose_encoding, codec_name
from data.geojson_read import parse_geojson
from data.vector_errors import VectorReadError

SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".csv")
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "bujur")
LAT_NAMES = ("lat", "latitude", "y", "lintang")
TEXT_FALLBACKS = ("utf-8-sig", "cp1252")
# Shapefile shape types carrying measures only (PointM, PolyLineM, PolygonM, MultiPointM).
SHP_M_TYPES = frozenset({21, 23, 25, 28})
M_WARNING = "Measured (M) geometry types are not supported"


@dataclass(frozen=True, slots=True)
class VectorFile:
    """A vector file as read: 2-D geometries, the encoding used, what to tell the user.

    ``frame`` keeps the file's columns; its CRS is None when the file has none.
    ``notes`` are one-line remarks to show once (Z dropped, encoding chosen, ...).
    """

    frame: gpd.GeoDataFrame
    path: Path
    layer: str | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = ()
    missing_attributes: bool = False
    dropped_z: int = 0
    dropped_m: int = 0


def read_vector(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> VectorFile:
    """Read a GeoJSON, GeoPackage, Shapefile (also zipped) or CSV with lon/lat columns.

    Parameters
    ----------
    path
        The file.
    layer
        The layer of a multi-layer GeoPackage (required when it has several).
    encoding
        Text encoding of a Shapefile's ``.dbf``, a CSV or a GeoJSON; by default
        decided from the bytes (UTF-8, then cp1252) and said in ``notes``.

    Raises
    ------
    VectorReadError
        With a one-line reason: missing, empty or unreadable file, unknown type or
        CRS, wrong encoding, or a GeoPackage layer to choose.
    """
    path = Path(path)
    if not path.exists():
        msg = f"file not found: {path}"
        raise VectorReadError(msg)
    if path.is_dir():
        msg = f"{path} is a folder; name a file in it"
        raise VectorReadError(msg)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        msg = f"unsupported file type {suffix or path.name!r}; use .geojson, .gpkg, .shp or .csv"
        raise VectorReadError(msg)
    if path.stat().st_size == 0:
        msg = f"{path.name} is empty (0 bytes)"
        raise VectorReadError(msg)
    if suffix == ".csv":
        return _read_csv(path, encoding)
    if suffix in {".geojson", ".json"}:
        return _read_geojson(path, encoding)
    if suffix == ".zip":
        return _read_zip(path, layer=layer, encoding=encoding)
    if suffix == ".shp":
        return _read_shapefile(path, encoding)
    return _read_gpkg(path, layer, encoding)


def decode_text(data: bytes, *, name: str, requested: str | None) -> tuple[str, str, str | None]:
    """Decode a text file: (text, encoding used, note or None).

    ``requested`` is used as it is (and refused when it does not fit); otherwise UTF-8
    (with or without BOM), then cp1252, with a note when it was not UTF-8.
    """
    if requested is not None:
        codec = codec_name(requested)
        if codec is None:
            msg = f"unknown encoding {requested!r} (try utf-8, cp1252 or latin-1)"
            raise VectorReadError(msg, field="encoding")
        try:
            return data.decode(codec), codec, None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            msg = f"{name} is not valid {requested} (byte {exc.start}, line {line})"
            raise VectorReadError(msg, field="encoding") from None
    for codec in TEXT_FALLBACKS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8-sig":
            return text, "utf-8", None
        note = f"{name} is not valid UTF-8; read it as {codec} (choose another with --encoding)"
        return text, codec, note
    note = f"{name} is neither UTF-8 nor cp1252; read it as latin-1 (use --encoding)"
    return data.decode("latin-1"), "latin-1", note


def _read_geojson(path: Path, encoding: str | None) -> VectorFile:
    text, used, note = decode_text(path.read_bytes(), name=path.name, requested=encoding)
    parsed = parse_geojson(text, name=path.name)
    return _finish(
        parsed.frame,
        path,
        notes=[note] if note else [],
        encoding=used,
        dropped_z=parsed.dropped_z,
        dropped_m=parsed.dropped_m,
    )


def _read_csv(path: Path, encoding: str | None) -> VectorFile:
    text, used, note = decode_text(path.read_bytes(), name=path.name, requested=encoding)
    try:
        df = pd.read_csv(io.StringIO(text), sep=None, engine="python", dtype=str)
    except Exception:  # pandas raises several types for text that is not CSV
        msg = f"{path.name} is not a readable CSV (no header line or unknown delimiter)"
        raise VectorReadError(msg) from None
    lower = {str(c).strip().lower(): c for c in df.columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if lon is None or lat is None:
        msg = f"CSV needs longitude and latitude columns (one of {LON_NAMES} and {LAT_NAMES})"
        raise VectorReadError(msg)
    xs = pd.to_numeric(df[lon].str.replace(",", ".", regex=False), errors="coerce")
    ys = pd.to_numeric(df[lat].str.replace(",", ".", regex=False), errors="coerce")
    bad = (xs.isna() | ys.isna()).to_numpy().nonzero()[0]
    if len(bad):
        got = f"{df[lon].iloc[bad[0]]!r}, {df[lat].iloc[bad[0]]!r}"
        msg = f"{lon}/{lat} must be numbers, got {got}"
        raise VectorReadError(msg, row=int(bad[0]) + 1, field=str(lon))
    frame = gpd.GeoDataFrame(
        df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326"
    )
    return VectorFile(frame, path, encoding=used, notes=(note,) if note else ())


def _read_zip(path: Path, *, layer: str | None, encoding: str | None) -> VectorFile:
    try:
        with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory() as tmp:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            inner = [n for n in names if Path(n).suffix.lower() in {".shp", ".gpkg", ".geojson"}]
            if len(inner) != 1:
                found = inner or "none"
                msg = f"{path.name} must hold exactly one .shp, .gpkg or .geojson; found {found}"
                raise VectorReadError(msg)
            stem = Path(inner[0]).with_suffix("")
            for n in names:
                if Path(n).with_suffix("") == stem:
                    zf.extract(n, tmp)
            got = read_vector(Path(tmp) / inner[0], layer=layer, encoding=encoding)
            return VectorFile(
                got.frame,
                path,
                got.layer,
                got.encoding,
                got.notes,
                got.missing_attributes,
                got.dropped_z,
                got.dropped_m,
            )
    except zipfile.BadZipFile:
        msg = f"{path.name} is not a readable ZIP archive"
        raise VectorReadError(msg) from None


def _sidecar(path: Path, suffix: str) -> Path | None:
    """The file next to ``path`` with the same stem and ``suffix``, in any letter case."""
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _prj_crs(prj: Path | None) -> CRS | None:
    if prj is None:
        return None
    text = prj.read_text(encoding="latin-1").strip()
    if not text:
        return None
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        msg = f"{prj.name} holds a CRS that cannot be read; fix the .prj or reproject the file"
        raise VectorReadError(msg, field="crs") from None
    return crs.sub_crs_list[0] if crs.is_compound else crs


def _read_shapefile(path: Path, encoding: str | None) -> VectorFile:
    if _sidecar(path, ".shx") is None:
        msg = f"{path.stem}.shx is missing; a Shapefile needs its .shp, .shx and .dbf"
        raise VectorReadError(msg)
    notes: list[str] = []
    dbf = _sidecar(path, ".dbf")
    prj_crs = _prj_crs(_sidecar(path, ".prj"))
    used: str | None = None
    if dbf is None:
        notes.append(f"{path.stem}.dbf is missing: read geometry only, no attributes")
    else:
        try:
            choice = choose_encoding(dbf, cpg=_sidecar(path, ".cpg"), requested=encoding)
        except DbfError as exc:
            raise VectorReadError(str(exc), field="encoding") from None
        used = choice.encoding
        if choice.note:
            notes.append(choice.note)
    with path.open("rb") as f:
        header = f.read(100)
    shape_type = int.from_bytes(header[32:36], "little") if len(header) >= 36 else 0
    frame, has_m = _gdal_read(path, layer=None, encoding=used, kind="Shapefile")
    if frame.crs is None and prj_crs is not None:
        frame = frame.set_crs(prj_crs)
    m_layer = has_m or shape_type in SHP_M_TYPES
    return _finish(
        frame,
        path,
        notes=notes,
        encoding=used,
        missing_attributes=dbf is None,
        dropped_m=int(frame.geometry.notna().sum()) if m_layer else 0,
    )


def _read_gpkg(path: Path, layer: str | None, encoding: str | None) -> VectorFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(path)
    except Exception:  # pyogrio raises several types for files it cannot open
        msg = f"{path.name} is not a readable GeoPackage"
        raise VectorReadError(msg) from None
    names = [str(n) for n, _ in listed]
    spatial = [str(n) for n, kind in listed if kind is not None]
    if layer is None:
        if len(spatial) != 1:
            shown = ", ".join(repr(n) for n in spatial) or "none"
            msg = f"{path.name} holds {len(spatial)} layers with geometry ({shown}); choose one"
            raise VectorReadError(msg, field="layer")
        layer = spatial[0]
    elif layer not in names:
        match = [n for n in names if n.lower() == layer.lower()]
        if len(match) != 1:
            shown = ", ".join(repr(n) for n in names)
            msg = f"{path.name} has no layer {layer!r}; its layers: {shown}"
            raise VectorReadError(msg, field="layer")
        layer = match[0]
    srs_id, m_flag = _gpkg_geometry_column(path, layer)
    frame, has_m = _gdal_read(path, layer=layer, encoding=None, kind="GeoPackage")
    if frame.crs is None and srs_id not in (None, 0, -1):
        msg = f"{path.name}: layer {layer!r} has an unknown CRS (srs_id {srs_id}); reproject it"
        raise VectorReadError(msg, field="crs")
    notes = [f"--encoding is ignored for {path.name}: GeoPackage text is UTF-8"] if encoding else []
    m_layer = has_m or m_flag in (1, 2)
    return _finish(
        frame,
        path,
        notes=notes,
        layer=layer,
        encoding="utf-8",
        dropped_m=int(frame.geometry.notna().sum()) if m_layer else 0,
    )


def _gpkg_geometry_column(path: Path, layer: str) -> tuple[int | None, int | None]:
    """``srs_id`` and ``m`` flag of a GeoPackage layer, read from its own tables."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(
                "SELECT srs_id, m FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
            ).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None, None
    return (int(row[0]), int(row[1])) if row else (None, None)


def _gdal_encoding(codec: str | None) -> str | None:
    """A Python codec name as GDAL (iconv) knows it: ``latin-1`` is ``ISO-8859-1``."""
    if codec is None:
        return None
    name = codec.lower().replace("_", "-")
    if name in {"latin-1", "latin1", "iso8859-1", "iso-8859-1"}:
        return "ISO-8859-1"
    if name in {"utf-8", "utf8", "ascii"}:
        return "UTF-8"
    return name.upper()


def _gdal_read(
    path: Path, *, layer: str | None, encoding: str | None, kind: str
) -> tuple[gpd.GeoDataFrame, bool]:
    """Read with pyogrio; also whether GDAL dropped M values (it warns when it does)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=_gdal_encoding(encoding))
    except pyogrio.errors.DataSourceError:
        msg = f"{path.name} is not a readable {kind} (GDAL cannot open it)"
        raise VectorReadError(msg) from None
    except UnicodeDecodeError:
        msg = f"{path.name}: text is not valid {encoding or 'UTF-8'}; pass --encoding"
        raise VectorReadError(msg, field="encoding") from None
    except Exception:  # damaged files raise several GDAL/pyogrio types
        msg = f"{path.name} could not be read; the {kind} seems damaged"
        raise VectorReadError(msg) from None
    has_m = any(M_WARNING in str(w.message) for w in caught)
    return frame, has_m


def _finish(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    notes: list[str],
    layer: str | None = None,
    encoding: str | None = None,
    missing_attributes: bool = False,
    dropped_z: int | None = None,
    dropped_m: int = 0,
) -> VectorFile:
    """Make geometries 2-D and add the Z/M notes."""
    geoms = frame.geometry.to_numpy()
    if dropped_z is None:
        dropped_z = int(np.count_nonzero(shapely.has_z(geoms)))
    if dropped_z or dropped_m:
        frame = frame.copy()
        flat = gpd.GeoSeries(shapely.force_2d(geoms), index=frame.index, crs=frame.crs)
        frame[frame.geometry.name] = flat
    if dropped_z:
        notes = [*notes, f"dropped Z coordinates from {dropped_z:,} geometries"]
    if dropped_m:
        notes = [*notes, f"dropped M (measure) values from {dropped_m:,} geometries"]
    return VectorFile(
        frame,
        path,
        layer=layer,
        encoding=encoding,
        notes=tuple(notes),
        missing_attributes=missing_attributes,
        dropped_z=dropped_z,
        dropped_m=dropped_m,
    )


__all__ = ["VectorFile", "VectorReadError", "decode_text", "read_vector"]
