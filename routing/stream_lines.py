"""Read GIS road-line files into flat arrays, in batches, without a GeoDataFrame.

The streaming build reads Shapefiles and GeoPackages with ``pyogrio.raw.read`` in
batches of features (WKB and the few attribute columns it needs), turns each batch
into coordinates with vectorised shapely calls and drops the geometries again, so a
large file never exists as one geometry object per line in memory. Attribute values
are mapped once per *distinct* value (a class, a name, a ``oneway`` text) and
broadcast as integer codes.

It follows :func:`routing.lines.read_line_table` rule for rule (the oracle of its
tests): the same checks and messages as :func:`data.vector_io.read_vector` (missing
``.shx``, ``.dbf`` encodings, GeoPackage layers and CRS), Z/M dropped,
multi-lines exploded, lines of fewer than two points dropped, reprojected to lon/lat,
the same column presets (:mod:`routing.presets`) and a stated default class for a
Shapefile without its ``.dbf``. Other formats (GeoJSON, zipped Shapefiles) go through
:func:`routing.lines.read_line_table` itself and are converted.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from data.vector_errors import VectorReadError
from data.vector_io import M_WARNING
from routing.errors import GraphBuildError
from routing.lines import read_line_table
from routing.presets import PRESETS, parse_direction, resolve_columns
from routing.stream_open import BATCH_FEATURES, LineSource, open_line_source, raw_read, read_column

__all__ = ["BATCH_FEATURES", "LineArrays", "read_line_arrays"]


_LINESTRING = 1


@dataclass
class LineArrays:
    """
    The road lines of one file as arrays (see :class:`routing.lines.LineTable`).

    Attributes
    ----------
    path
        The file.
    coords, offsets
        Lon/lat coordinates of all lines, line ``i`` being
        ``coords[offsets[i]:offsets[i + 1]]`` (2-D, at least two points).
    direction
        Per line: +1 one-way along the line, -1 against it, 0 two-way.
    highway, highways
        Per line the code of its OSM road class in ``highways``.
    name, names
        Per line the code of its name in ``names`` (``""`` when none).
    maxspeed, maxspeeds
        Per line the code of its ``maxspeed`` text in ``maxspeeds``, or None when the
        file has no such column.
    features, preset, unknown_values, missing_dbf, default_class, dropped_dims
        As in :class:`routing.lines.LineTable`.
    """

    path: Path
    coords: NDArray[np.float64]
    offsets: NDArray[np.int64]
    direction: NDArray[np.int8]
    highway: NDArray[np.int32]
    highways: list[str]
    name: NDArray[np.int32]
    names: list[str]
    maxspeed: NDArray[np.int32] | None
    maxspeeds: list[str]
    features: int
    preset: str
    unknown_values: dict[str, int] = field(default_factory=dict)
    missing_dbf: str | None = None
    default_class: str | None = None
    dropped_dims: str = ""

    @property
    def n_lines(self) -> int:
        """Number of lines."""
        return int(self.offsets.shape[0] - 1)


def read_line_arrays(
    path: Path,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    preset: str | None = None,
    default_class: str | None = "unclassified",
    batch_features: int = BATCH_FEATURES,
) -> LineArrays:
    """
    Read the road lines of one GIS file into arrays, with their classes mapped to OSM.

    Parameters
    ----------
    path, layer, columns, preset, default_class
        See :func:`routing.lines.read_line_table`.
    batch_features
        Features read per batch (Shapefile and GeoPackage).

    Returns
    -------
    LineArrays
        The lines and the facts the build report needs.

    Raises
    ------
    GraphBuildError
        As :func:`routing.lines.read_line_table`.
    """
    if path.suffix.lower() not in {".shp", ".gpkg"} or not path.exists():
        return _from_table(path, layer=layer, columns=columns, preset=preset, dc=default_class)
    try:
        source = open_line_source(path, layer)
    except VectorReadError as exc:
        msg = f"cannot read road lines from {path.name}: {exc.reason}"
        raise GraphBuildError(msg) from None
    no_dbf = f"{path.stem}.dbf" if source.missing_dbf else None
    if no_dbf is not None and default_class is None:
        msg = (
            f"{path}: {no_dbf} is missing (no road classes); give a default class "
            "(e.g. --default-class unclassified) to build it anyway"
        )
        raise GraphBuildError(msg)
    if source.crs is None:
        msg = f"{path} has no coordinate reference system; set one (e.g. EPSG:4326) first"
        raise GraphBuildError(msg)
    spec_name: str | None = None
    cols: dict[str, str] = {}
    if no_dbf is None:
        spec_name, cols = _guarded(path, _choose_columns, source, columns=columns, preset=preset)
    wanted = sorted(set(cols.values()))
    geo = _guarded(path, _read_geometry_and_fields, source, wanted, batch_features)
    if geo.n_lines == 0:
        msg = f"{path} has no line geometries"
        raise GraphBuildError(msg)
    dims = ("Z" if geo.dropped_z else "") + ("M" if geo.dropped_m or source.m_layer else "")
    out = LineArrays(
        path=path,
        coords=geo.coords,
        offsets=geo.offsets,
        direction=np.zeros(geo.n_lines, dtype=np.int8),
        highway=np.zeros(geo.n_lines, dtype=np.int32),
        highways=[str(default_class)],
        name=np.zeros(geo.n_lines, dtype=np.int32),
        names=[""],
        maxspeed=None,
        maxspeeds=[],
        features=source.features,
        preset="none",
        dropped_dims=dims,
    )
    if no_dbf is not None:
        out.missing_dbf, out.default_class = no_dbf, str(default_class)
        return out
    _map_line_columns(out, geo, str(spec_name), cols)
    return out


def _choose_columns(
    source: LineSource, *, columns: Mapping[str, str] | None, preset: str | None
) -> tuple[str, dict[str, str]]:
    """The preset (detected as :func:`routing.presets.detect_preset` does) and its columns."""
    names = pd.DataFrame(columns=source.fields)
    if preset is None:
        preset = _detect(source, names)
    if preset not in PRESETS:
        msg = f"unknown preset {preset!r}; valid presets: {', '.join(sorted(PRESETS))}"
        raise GraphBuildError(msg)
    return preset, resolve_columns(names, PRESETS[preset], columns)


def _detect(source: LineSource, names: pd.DataFrame) -> str:
    cols = {c.lower(): c for c in source.fields}
    if "remark" in cols:
        values = pd.Series(read_column(source, cols["remark"]), dtype=object).dropna()
        texts = values.astype(str).str.strip().str.lower()
        if len(texts) and texts.str.startswith("jalan").mean() > 0.5:
            return "rbi"
    if "type" in cols:
        return "osm_shp"
    if "highway" in cols:
        return "osm"
    msg = (
        f"cannot tell the road class column among {list(names.columns)}; pass "
        "columns={'highway': '<column>'} or preset='rbi'/'osm_shp'/'osm'"
    )
    raise GraphBuildError(msg)


def _guarded(path: Path, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a file that fails while being read is named in a GraphBuildError."""
    try:
        return fn(*args, **kwargs)
    except VectorReadError as exc:
        msg = f"cannot read road lines from {path.name}: {exc.reason}"
        raise GraphBuildError(msg) from None


@dataclass
class _Geometry:
    coords: NDArray[np.float64]
    offsets: NDArray[np.int64]
    row: NDArray[np.int64]
    fields: dict[str, NDArray[Any]]
    dropped_z: int
    dropped_m: bool

    @property
    def n_lines(self) -> int:
        return int(self.offsets.shape[0] - 1)


def _read_geometry_and_fields(source: LineSource, wanted: list[str], batch: int) -> _Geometry:
    """Every line's coordinates (multi-lines exploded, 2-D, lon/lat) and its row's fields."""
    coords_parts: list[NDArray[np.float64]] = []
    counts_parts: list[NDArray[np.int64]] = []
    row_parts: list[NDArray[np.int64]] = []
    field_parts: dict[str, list[NDArray[Any]]] = {c: [] for c in wanted}
    dropped_z = 0
    dropped_m = False
    for start in range(0, max(source.features, 1), max(batch, 1)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta, _, wkb, data = raw_read(source, wanted, start, batch)
        dropped_m |= any(M_WARNING in str(w.message) for w in caught)
        names = [str(f) for f in meta["fields"]]
        for c in wanted:
            field_parts[c].append(np.asarray(data[names.index(c)]))
        geoms = shapely.from_wkb(wkb)
        del wkb
        dropped_z += int(np.count_nonzero(shapely.has_z(geoms)))
        present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
        parts, owner = shapely.get_parts(geoms[present], return_index=True)
        del geoms
        ok = (shapely.get_type_id(parts) == _LINESTRING) & (shapely.get_num_coordinates(parts) >= 2)
        parts, owner = parts[ok], owner[ok]
        xy = shapely.get_coordinates(parts)
        counts_parts.append(shapely.get_num_coordinates(parts).astype(np.int64))
        coords_parts.append(np.ascontiguousarray(xy, dtype=np.float64))
        row_parts.append(start + present[owner].astype(np.int64))
        del parts, xy
    coords = np.concatenate(coords_parts) if coords_parts else np.zeros((0, 2))
    counts = np.concatenate(counts_parts) if counts_parts else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if len(coords) and source.crs is not None and not source.crs.equals("EPSG:4326"):
        to_lonlat = Transformer.from_crs(source.crs, "EPSG:4326", always_xy=True)
        x, y = to_lonlat.transform(coords[:, 0], coords[:, 1])
        coords = np.column_stack([np.asarray(x), np.asarray(y)]).astype(np.float64)
    fields = {
        c: np.concatenate(p) if p else np.empty(0, dtype=object) for c, p in field_parts.items()
    }
    rows = np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64)
    return _Geometry(coords, offsets, rows, fields, dropped_z, dropped_m)


def text_codes(values: NDArray[Any]) -> tuple[NDArray[np.int32], list[str]]:
    """Codes and texts of a column, as :func:`routing.presets.text_values` gives them.

    Each distinct value is turned into text once (``str(v).strip()``, ``""`` for
    missing); equal texts share a code.
    """
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    texts = [str(v).strip() for v in np.asarray(uniques, dtype=object).tolist()]
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(t, len(merged)) for t in ["", *texts]], dtype=np.int32)
    return remap[codes.astype(np.int64) + 1], list(merged)


def _map_line_columns(out: LineArrays, geo: _Geometry, preset: str, cols: dict[str, str]) -> None:
    """Classes, names, maxspeeds and directions of the lines (one mapping per distinct value)."""
    spec = PRESETS[preset]
    out.preset = preset
    codes, texts = text_codes(geo.fields[cols["highway"]][geo.row])
    if spec.highway_values is None:
        classes = [t.lower() or spec.unknown_highway for t in texts]
    else:
        mapping = spec.highway_values
        classes = [mapping.get(t.lower(), spec.unknown_highway) for t in texts]
        unknown_code = np.array([t.lower() not in mapping for t in texts], dtype=bool)
        if np.any(unknown_code[codes]):
            per_line = np.asarray(texts, dtype=object)[codes]
            missing = pd.Series(per_line[unknown_code[codes]], dtype=object)
            out.unknown_values = {str(k): int(n) for k, n in missing.value_counts().items()}
    out.highway, out.highways = _merge(codes, classes)
    if "name" in cols:
        out.name, out.names = text_codes(geo.fields[cols["name"]][geo.row])
    if "maxspeed" in cols:
        out.maxspeed, out.maxspeeds = text_codes(geo.fields[cols["maxspeed"]][geo.row])
    if "oneway" in cols:
        codes, texts = text_codes(geo.fields[cols["oneway"]][geo.row])
        per_text = parse_direction(np.asarray(texts, dtype=object))
        out.direction = per_text[codes].astype(np.int8)


def _merge(codes: NDArray[np.int32], values: list[str]) -> tuple[NDArray[np.int32], list[str]]:
    """Codes into ``values`` re-coded so that equal values share one code."""
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(v, len(merged)) for v in values], dtype=np.int32)
    return remap[codes], list(merged)


def _from_table(
    path: Path,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    preset: str | None,
    dc: str | None,
) -> LineArrays:
    """Other formats: :func:`routing.lines.read_line_table`, converted to arrays."""
    table = read_line_table(path, layer=layer, columns=columns, preset=preset, default_class=dc)
    coords, owner = shapely.get_coordinates(table.geoms, return_index=True)
    n = len(table.geoms)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    highway, highways = text_codes(np.asarray(table.attrs["highway"], dtype=object))
    name, names = text_codes(np.asarray(table.attrs["name"], dtype=object))
    speed_attr = table.attrs.get("maxspeed")
    maxspeed: NDArray[np.int32] | None = None
    maxspeeds: list[str] = []
    if speed_attr is not None:
        maxspeed, maxspeeds = text_codes(np.asarray(speed_attr, dtype=object))
    return LineArrays(
        path=path,
        coords=np.ascontiguousarray(coords, dtype=np.float64),
        offsets=offsets,
        direction=np.asarray(table.direction, dtype=np.int8),
        highway=highway,
        highways=highways,
        name=name,
        names=names,
        maxspeed=maxspeed,
        maxspeeds=maxspeeds,
        features=table.features,
        preset=table.preset,
        unknown_values=dict(table.unknown_values),
        missing_dbf=table.missing_dbf,
        default_class=table.default_class,
        dropped_dims=table.dropped_dims,
    )
