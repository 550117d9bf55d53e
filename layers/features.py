"""Feature queries that build GeoJSON inside PostGIS.

The features of a page are serialised by PostgreSQL (``ST_AsGeoJSON`` and
``json_build_object``) and aggregated into one text value; Python only wraps the
envelope around it. No Python object is made per feature. A collection without
geometry (a lookup table) gives features with ``"geometry": null``, ordered and
addressed by its key column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from layers.collections import Collection
from layers.errors import FeatureNotFoundError, InvalidParameterError
from layers.params import CRS84, CRSS, BBox, Crs, ItemsQuery

COORD_DECIMALS = 7


@dataclass(frozen=True, slots=True)
class ItemsPage:
    """One page of features: ``features_json`` is the JSON array's inner text."""

    features_json: str
    number_matched: int
    number_returned: int


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """Facts about a collection's rows, for its metadata document."""

    extent: BBox | None
    count: int
    sources: list[dict[str, Any]]

    @property
    def is_demo(self) -> bool:
        """Whether any row comes from a demo dataset."""
        return any(s["is_demo"] for s in self.sources)


def _geometry_sql(crs: Crs) -> str:
    """``t.geom`` as GeoJSON text in ``crs`` (stored in EPSG:4326, lon/lat)."""
    if crs.srid == 3857:
        return f"ST_AsGeoJSON(ST_Transform(t.geom, 3857), {crs.decimals})"
    if crs.lat_first:
        return f"ST_AsGeoJSON(ST_FlipCoordinates(t.geom), {crs.decimals})"
    return f"ST_AsGeoJSON(t.geom, {crs.decimals})"


def _feature_sql(collection: Collection, crs: Crs | None = None) -> str:
    pairs = ", ".join(f"'{p.name}', t.{p.name}" for p in collection.properties)
    if collection.sourced:
        pairs += ", 'demo', s.is_demo"
    crs = crs or CRSS[CRS84]
    geometry = _geometry_sql(crs) if collection.has_geometry else "'null'"
    fid = "t.id" if collection.id_column == "id" else f"to_json(t.{collection.id_column})::text"
    return (
        f'\'{{"type":"Feature","id":\' || {fid} || '
        f"',\"geometry\":' || {geometry} || "
        f"',\"properties\":' || json_build_object({pairs})::text || '}}'"
    )


def _from(collection: Collection, relation: str) -> str:
    """``relation t``, joined to its datasets (``s``) when rows have a source."""
    if collection.sourced:
        return f"{relation} t JOIN sources s ON s.id = t.source"
    return f"{relation} t"


def _where(collection: Collection, query: ItemsQuery) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if query.bbox is not None and not collection.has_geometry:
        msg = f"collection has no geometry: {collection.id!r} cannot be filtered by bbox"
        raise InvalidParameterError(msg, field="bbox")
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        # A box whose west edge lies east of its east edge crosses the antimeridian.
        boxes = [(minx, maxx)] if minx <= maxx else [(minx, 180.0), (-180.0, maxx)]
        parts = []
        for i, (x0, x1) in enumerate(boxes):
            box = f"ST_MakeEnvelope(:minx{i}, :miny, :maxx{i}, :maxy, 4326)"
            if collection.geometry_type == "Point":
                # Same rows as ST_Intersects for points, but cheap: ST_Intersects' high
                # declared cost makes the planner choose parallel plans whose worker
                # start-up costs more than the whole query.
                parts.append(
                    f"t.geom && {box} AND ST_X(t.geom) BETWEEN :minx{i} AND :maxx{i} "
                    "AND ST_Y(t.geom) BETWEEN :miny AND :maxy"
                )
            else:
                parts.append(f"ST_Intersects(t.geom, {box})")
            params[f"minx{i}"], params[f"maxx{i}"] = x0, x1
        params["miny"], params["maxy"] = miny, maxy
        clauses.append(parts[0] if len(parts) == 1 else "((" + ") OR (".join(parts) + "))")
    for i, (name, value) in enumerate(sorted(query.filters.items())):
        if name not in collection.queryables:  # names reach SQL only from the registry
            msg = f"not a queryable of {collection.id!r}"
            raise InvalidParameterError(msg, field=name)
        clauses.append(f"t.{name} = :f{i}")
        params[f"f{i}"] = value
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def query_items(conn: Connection, collection: Collection, query: ItemsQuery) -> ItemsPage:
    """Return one page of a collection's features, ordered by id (or key column).

    Parameters
    ----------
    conn
        Open connection.
    collection
        The collection to read.
    query
        Validated bbox, filters, limit and offset.
    """
    where, params = _where(collection, query)
    table = collection.table
    key = f"t.{collection.id_column}"
    matched = conn.execute(text(f"SELECT count(*) FROM {table} t{where}"), params).scalar_one()
    sql = (
        f"WITH page AS (SELECT t.* FROM {table} t{where} ORDER BY {key} "
        "LIMIT :limit OFFSET :offset) "
        f"SELECT coalesce(string_agg({_feature_sql(collection, query.crs)}, ',' "
        f"ORDER BY {key}), ''), "
        f"count(*) FROM {_from(collection, 'page')}"
    )
    row = conn.execute(text(sql), {**params, "limit": query.limit, "offset": query.offset}).one()
    return ItemsPage(features_json=row[0], number_matched=int(matched), number_returned=int(row[1]))


def get_item(conn: Connection, collection: Collection, fid: str, *, crs: Crs | None = None) -> str:
    """Return one feature as GeoJSON text (its geometry in ``crs``, default CRS84).

    Raises
    ------
    FeatureNotFoundError
        When ``fid`` is not an id of this collection.
    """
    key: int | str | None = None
    if collection.id_column != "id":  # a text key, e.g. vehicle_classes.code
        key = fid if "\x00" not in fid else None
    else:
        try:
            number: int | None = int(fid) if fid.isascii() else None
        except ValueError:
            number = None
        if number is not None and -(2**63) <= number < 2**63:
            key = number
    row = None
    if key is not None:
        sql = (
            f"SELECT {_feature_sql(collection, crs)} FROM {_from(collection, collection.table)} "
            f"WHERE t.{collection.id_column} = :id"
        )
        row = conn.execute(text(sql), {"id": key}).scalar_one_or_none()
    if row is None:
        msg = f"no feature with id {fid!r} in collection {collection.id!r}"
        raise FeatureNotFoundError(msg, field="featureId")
    return str(row)


def collection_info(conn: Connection, collection: Collection) -> CollectionInfo:
    """Extent, row count and contributing datasets of a collection.

    A collection without geometry has no extent; one whose rows have no source lists
    no datasets.
    """
    table = collection.table
    extent: BBox | None = None
    if collection.has_geometry:
        row = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n FROM "
                f"(SELECT ST_Extent(geom) AS e, count(*) AS n FROM {table}) q"
            )
        ).one()
        extent = None if row[0] is None else (row[0], row[1], row[2], row[3])
        count = int(row[4])
    else:
        count = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    sources: list[dict[str, Any]] = []
    if collection.sourced:
        rows = conn.execute(
            text(
                "SELECT id, title, attribution, license, is_demo FROM sources s "
                f"WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.source = s.id) ORDER BY id"
            )
        ).mappings()
        sources = [dict(s) for s in rows]
    return CollectionInfo(extent=extent, count=count, sources=sources)
