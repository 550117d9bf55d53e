"""Open a Shapefile or GeoPackage of road lines for batched reads: the checks first.

The same checks, in the same order and with the same messages, as
:func:`data.vector_io.read_vector` makes before it reads (missing ``.shx``, the
``.dbf``'s encoding decided from its bytes, a missing ``.dbf`` flagged, GeoPackage
layers, unknown CRS), reusing its helpers, so the streaming build accepts and refuses
the same files as the rest of the platform.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.errors
from numpy.typing import NDArray
from pyproj import CRS

from data.dbf import DbfError, choose_encoding
from data.vector_errors import VectorReadError
from data.vector_io import (  # the same checks as read_vector, reused
    SHP_M_TYPES,
    _gdal_encoding,
    _gpkg_geometry_column,
    _prj_crs,
    _sidecar,
)

__all__ = ["BATCH_FEATURES", "LineSource", "open_line_source", "raw_read", "read_column"]

#: Features read per batch.
BATCH_FEATURES = 200_000


@dataclass
class LineSource:
    path: Path
    layer: str | None
    encoding: str | None
    crs: CRS | None
    fields: list[str]
    features: int
    missing_dbf: bool
    m_layer: bool


def open_line_source(path: Path, layer: str | None) -> LineSource:
    """The checks of :func:`data.vector_io.read_vector` before reading (same messages)."""
    if path.stat().st_size == 0:
        msg = f"{path.name} is empty (0 bytes)"
        raise VectorReadError(msg)
    if path.suffix.lower() == ".shp":
        return _open_shapefile(path)
    return _open_gpkg(path, layer)


def _info(path: Path, layer: str | None, encoding: str | None, kind: str) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(pyogrio.read_info(path, layer=layer, encoding=encoding))
    except pyogrio.errors.DataSourceError:
        msg = f"{path.name} is not a readable {kind} (GDAL cannot open it)"
        raise VectorReadError(msg) from None
    except Exception:  # damaged files raise several GDAL/pyogrio types
        msg = f"{path.name} could not be read; the {kind} seems damaged"
        raise VectorReadError(msg) from None


def _crs_of(text: str | None) -> CRS | None:
    if not text:
        return None
    try:
        return CRS.from_user_input(text)
    except Exception:  # pyproj raises CRSError; GDAL may hand odd strings
        return None


def _open_shapefile(path: Path) -> LineSource:
    if _sidecar(path, ".shx") is None:
        msg = f"{path.stem}.shx is missing; a Shapefile needs its .shp, .shx and .dbf"
        raise VectorReadError(msg)
    dbf = _sidecar(path, ".dbf")
    prj_crs = _prj_crs(_sidecar(path, ".prj"))
    used: str | None = None
    if dbf is not None:
        try:
            used = choose_encoding(dbf, cpg=_sidecar(path, ".cpg"), requested=None).encoding
        except DbfError as exc:
            raise VectorReadError(str(exc), field="encoding") from None
    with path.open("rb") as f:
        header = f.read(100)
    shape_type = int.from_bytes(header[32:36], "little") if len(header) >= 36 else 0
    enc = _gdal_encoding(used)
    info = _info(path, None, enc, "Shapefile")
    crs = _crs_of(info.get("crs")) or prj_crs
    return LineSource(
        path=path,
        layer=None,
        encoding=enc,
        crs=crs,
        fields=[str(f) for f in info["fields"]],
        features=int(info["features"]),
        missing_dbf=dbf is None,
        m_layer=shape_type in SHP_M_TYPES,
    )


def _open_gpkg(path: Path, layer: str | None) -> LineSource:
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
    info = _info(path, layer, None, "GeoPackage")
    crs = _crs_of(info.get("crs"))
    if crs is None and srs_id not in (None, 0, -1):
        msg = f"{path.name}: layer {layer!r} has an unknown CRS (srs_id {srs_id}); reproject it"
        raise VectorReadError(msg, field="crs")
    return LineSource(
        path=path,
        layer=layer,
        encoding=None,
        crs=crs,
        fields=[str(f) for f in info["fields"]],
        features=int(info["features"]),
        missing_dbf=False,
        m_layer=m_flag in (1, 2),
    )


def read_column(source: LineSource, column: str) -> NDArray[Any]:
    """One attribute column of every feature (no geometry)."""
    parts = []
    for start in range(0, max(source.features, 1), BATCH_FEATURES):
        _, _, _, data = raw_read(source, [column], start, BATCH_FEATURES, geometry=False)
        parts.append(np.asarray(data[0]))
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def raw_read(
    source: LineSource, columns: list[str], skip: int, count: int, *, geometry: bool = True
) -> tuple[dict[str, Any], Any, Any, list[Any]]:
    try:
        result: tuple[dict[str, Any], Any, Any, list[Any]] = pyogrio.raw.read(
            source.path,
            layer=source.layer,
            encoding=source.encoding,
            columns=columns,
            read_geometry=geometry,
            skip_features=skip,
            max_features=count,
        )
    except UnicodeDecodeError:
        msg = f"{source.path.name}: text is not valid {source.encoding or 'UTF-8'}"
        raise VectorReadError(msg, field="encoding") from None
    except Exception:  # damaged files raise several GDAL/pyogrio types
        msg = f"{source.path.name} could not be read; the file seems damaged"
        raise VectorReadError(msg) from None
    return result
