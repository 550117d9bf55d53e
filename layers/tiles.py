"""Mapbox vector tiles (MVT) of a collection, built inside PostGIS.

A tile is one ``ST_AsMVT`` call over the rows whose geometry meets the tile's
envelope (``ST_TileEnvelope``, Web Mercator), clipped and quantised by
``ST_AsMVTGeom``. ``z``, ``x`` and ``y`` travel as bound parameters; the table and
column names come only from :mod:`layers.collections`. Properties are the
collection's scalar properties (strings, numbers, booleans) plus ``demo``; objects
and arrays are left out because MVT cannot carry them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from layers.collections import Collection
from layers.errors import InvalidParameterError

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})


@dataclass(frozen=True, slots=True)
class TileAddress:
    """A validated ``z/x/y`` in the WebMercatorQuad tile matrix set."""

    z: int
    x: int
    y: int


def parse_tile(z: str | int, x: str | int, y: str | int) -> TileAddress:
    """Check ``z`` in 0..22 and ``x``, ``y`` in 0..2**z-1.

    Raises
    ------
    InvalidParameterError
        Naming the offending field (``z``, ``x`` or ``y``).
    """
    values: dict[str, int] = {}
    for name, raw in (("z", z), ("x", x), ("y", y)):
        try:
            values[name] = int(str(raw), 10)
        except ValueError:
            msg = f"expected an integer, got {raw!r}"
            raise InvalidParameterError(msg, field=name) from None
    if not 0 <= values["z"] <= MAX_ZOOM:
        msg = f"zoom must be 0..{MAX_ZOOM}, got {values['z']}"
        raise InvalidParameterError(msg, field="z")
    n = 2 ** values["z"]
    for name in ("x", "y"):
        if not 0 <= values[name] < n:
            msg = f"{name} must be 0..{n - 1} at zoom {values['z']}, got {values[name]}"
            raise InvalidParameterError(msg, field=name)
    return TileAddress(values["z"], values["x"], values["y"])


def tile_properties(collection: Collection) -> list[str]:
    """Names of the properties a tile carries (scalar ones only)."""
    return [p.name for p in collection.properties if p.type in SCALAR_TYPES]


def _tile_sql(collection: Collection) -> str:
    cols = "".join(f", t.{name}" for name in tile_properties(collection))
    # The envelope is widened by the buffer so that symbols near the edge are kept.
    return (
        "WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e, "
        "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS g), "
        "q AS (SELECT t.id, ST_AsMVTGeom(ST_Transform(t.geom, 3857), env.e, :extent, "
        f":buffer, true) AS geom{cols}, s.is_demo AS demo "
        f"FROM {collection.table} t JOIN sources s ON s.id = t.source, env "
        "WHERE t.geom && env.g) "
        "SELECT ST_AsMVT(q.*, :layer, :extent, 'geom', 'id') FROM q"
    )


def _require_geometry(collection: Collection) -> None:
    if not collection.has_geometry:
        msg = f"collection has no geometry: {collection.id!r} has no tiles"
        raise InvalidParameterError(msg, field="collectionId")


def build_tile(conn: Connection, collection: Collection, tile: TileAddress) -> bytes:
    """The MVT bytes of one tile; one layer named after the collection.

    An empty tile is ``b""`` (a valid, empty MVT).

    Parameters
    ----------
    conn
        Open connection.
    collection
        The collection to draw.
    tile
        A tile address from :func:`parse_tile`.
    """
    _require_geometry(collection)
    # The planner overestimates ST_AsMVTGeom's cost and would JIT-compile the query,
    # which costs more than the whole tile; SET LOCAL ends with the transaction.
    conn.execute(text("SET LOCAL jit = off"))
    row = conn.execute(
        text(_tile_sql(collection)),
        {
            "z": tile.z,
            "x": tile.x,
            "y": tile.y,
            "margin": BUFFER / EXTENT,
            "extent": EXTENT,
            "buffer": BUFFER,
            "layer": collection.id,
        },
    ).scalar_one()
    return bytes(row) if row is not None else b""


def data_fingerprint(conn: Connection, collection: Collection) -> tuple[int, int, int] | None:
    """A fingerprint of the table's rows: (count, max id, newest row version).

    It changes whenever a row is inserted, updated or deleted; tile caches key on it.
    None when the collection reads a view (no row versions): do not cache its tiles.
    """
    _require_geometry(collection)
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": collection.table}
    ).scalar_one_or_none()
    if kind != "r":
        return None
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(max(id), 0), coalesce(max(xmin::text::bigint), 0) "
            f"FROM {collection.table}"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
