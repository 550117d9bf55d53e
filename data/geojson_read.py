"""GeoJSON read by ourselves, not by GDAL.

GDAL reads a ``crs`` member it does not know (``EPSG:999999``) as WGS 84, and turns
JSON ``false`` into 0 in a numeric column. Here the JSON is parsed with :mod:`json`, the
CRS is resolved with pyproj (unknown: refused), property values keep their JSON types
(``true`` stays a bool, objects stay dicts), and coordinates keep only x and y (a third
or fourth position element is counted and dropped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import shapely.errors
import shapely.geometry
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from data.vector_errors import VectorReadError


@dataclass(frozen=True, slots=True)
class GeoJsonRead:
    """The frame (2-D geometries) and how many features lost Z or M values."""

    frame: gpd.GeoDataFrame
    dropped_z: int
    dropped_m: int


def _crs(doc: dict[str, Any], name: str) -> CRS:
    member = doc.get("crs")
    if member is None:
        return CRS.from_epsg(4326)  # RFC 7946: GeoJSON is WGS 84 lon/lat
    if not isinstance(member, dict):
        msg = f"{name}: the 'crs' member must be an object, got {member!r}"
        raise VectorReadError(msg, field="crs")
    props = member.get("properties") or {}
    kind = member.get("type")
    if kind == "name" and isinstance(props, dict) and isinstance(props.get("name"), str):
        text = props["name"]
    elif kind == "EPSG" and isinstance(props, dict) and "code" in props:
        text = f"EPSG:{props['code']}"
    else:
        msg = f"{name}: unsupported 'crs' member {json.dumps(member)[:120]}; use a CRS name"
        raise VectorReadError(msg, field="crs")
    try:
        return CRS.from_user_input(text)
    except CRSError:
        msg = f"{name}: unknown CRS {text!r}; reproject the file or fix its 'crs' member"
        raise VectorReadError(msg, field="crs") from None


def _flatten(coords: Any) -> tuple[Any, int]:
    """Coordinates with x, y only, and the largest position length met."""
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        if isinstance(coords[0], bool) or len(coords) < 2:
            raise ValueError(coords)
        return [float(coords[0]), float(coords[1])], len(coords)
    if not isinstance(coords, list | tuple):
        raise ValueError(coords)
    out, dim = [], 2
    for item in coords:
        flat, d = _flatten(item)
        out.append(flat)
        dim = max(dim, d)
    return out, dim


def _geometry(geom: Any) -> tuple[BaseGeometry | None, int]:
    if geom is None:
        return None, 2
    if not isinstance(geom, dict) or not isinstance(geom.get("type"), str):
        raise ValueError(geom)
    if geom["type"] == "GeometryCollection":
        parts = [_geometry(g) for g in geom.get("geometries") or []]
        dim = max((d for _, d in parts), default=2)
        collection = shapely.geometry.GeometryCollection([g for g, _ in parts if g is not None])
        return collection, dim
    coords, dim = _flatten(geom.get("coordinates"))
    return shapely.geometry.shape({"type": geom["type"], "coordinates": coords}), dim


def parse_geojson(text: str, *, name: str) -> GeoJsonRead:
    """Parse a GeoJSON FeatureCollection (or a single Feature) into a GeoDataFrame.

    Raises
    ------
    VectorReadError
        Not JSON, not a FeatureCollection, an unknown CRS, or a feature whose geometry
        is not valid GeoJSON (with its 1-based row).
    """
    if not text.strip():
        msg = f"{name} is empty: a GeoJSON file needs a FeatureCollection"
        raise VectorReadError(msg)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise VectorReadError(msg) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc], "crs": doc.get("crs")}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        what = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        msg = f"{name} is not a GeoJSON FeatureCollection (found {what!r})"
        raise VectorReadError(msg)
    crs = _crs(doc, name)
    features = doc.get("features")
    if not isinstance(features, list):
        msg = f"{name}: 'features' must be a list"
        raise VectorReadError(msg, field="features")
    records: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    dropped_z = dropped_m = 0
    for row, feat in enumerate(features, start=1):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            msg = "not a GeoJSON Feature"
            raise VectorReadError(msg, field="features", row=row)
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            msg = "'properties' must be an object"
            raise VectorReadError(msg, field="properties", row=row)
        if "id" in feat and "id" not in props:
            props = {"id": feat["id"], **props}
        try:
            geom, dim = _geometry(feat.get("geometry"))
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
            kind = (feat.get("geometry") or {}).get("type", "?")
            msg = f"invalid GeoJSON geometry (type {kind!r})"
            raise VectorReadError(msg, field="geometry", row=row) from None
        dropped_z += dim >= 3
        dropped_m += dim >= 4
        records.append(props)
        geoms.append(geom)
    frame = pd.DataFrame.from_records(records, columns=_columns(records)).astype(object)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    return GeoJsonRead(gdf, dropped_z, dropped_m)


def _columns(records: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for rec in records:
        for key in rec:
            seen.setdefault(str(key), None)
    return [c for c in seen if c != "geometry"]
