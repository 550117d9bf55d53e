"""Vector tiles: ``/collections/{id}/tiles/{z}/{x}/{y}`` (MVT, Web Mercator).

Tiles are built in PostGIS (:mod:`layers.tiles`). Each response carries an ``ETag``
made from the collection's data fingerprint and the tile address, and
``Cache-Control: public``. A request whose ``If-None-Match`` matches gets a 304, and a
repeated tile comes from an in-memory LRU without building it again. The fingerprint
(row count, max id, newest row version) is re-read at most every
``FINGERPRINT_TTL_S`` seconds, so a data change shows in tiles within that time.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from geo_api import schemas as sc
from geo_api.caches import Caches, TileCache
from geo_api.deps import find_collection
from geo_api.errors import TileNotFoundError
from layers.collections import COLLECTIONS
from layers.tiles import MAX_ZOOM, TileAddress, build_tile, parse_tile

router = APIRouter(tags=["Vector tiles"])

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "public, max-age=60"


def tile_cache(request: Request) -> TileCache:
    """The app's tile cache (owned by ``app.state.caches``)."""
    caches: Caches = request.app.state.caches
    return caches.tiles


def _etag(collection: str, stamp: tuple[int, int, int], tile: TileAddress) -> str:
    raw = f"{collection}|{stamp}|{tile.z}/{tile.x}/{tile.y}".encode()
    return '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


TILE_HEADERS = {
    "ETag": {"description": "data fingerprint and tile address", "schema": {"type": "string"}},
    "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
}


@router.get(
    "/collections/{collection_id}/tiles/{z}/{x}/{y}",
    summary="Vector tile of a collection (MVT, WebMercatorQuad)",
    operation_id="getTile",
    response_class=Response,
    responses=sc.docs(
        {MVT: {"type": "string", "format": "binary"}},
        404,
        503,
        description="The tile (an empty body when no feature touches it)",
        headers=TILE_HEADERS,
        extra={304: {"description": "Not modified (If-None-Match)", "headers": TILE_HEADERS}},
    ),
)
async def tile(
    request: Request,
    collection_id: Annotated[
        str,
        Path(
            description="a collection with geometry (others: 404, or 400 without geometry)",
            json_schema_extra=sc.enum(c.id for c in COLLECTIONS.values() if c.has_geometry),
        ),
    ],
    z: Annotated[str, Path(pattern=r"^[0-9]{1,2}$", description=f"zoom 0..{MAX_ZOOM}")],
    x: Annotated[str, Path(pattern=r"^[0-9]{1,7}$", description="column 0..2^z-1")],
    y: Annotated[
        str,
        Path(pattern=r"^[0-9]{1,7}(?:\.pbf|\.mvt)?$", description="row 0..2^z-1 (.pbf, .mvt)"),
    ],
    if_none_match: Annotated[str | None, Header()] = None,
    cache_control: Annotated[str | None, Header()] = None,
) -> Response:
    """One Mapbox vector tile with a layer named after the collection.

    Features carry ``id`` and the collection's scalar properties (``name``,
    ``category``, ...). Empty tiles are answered with 200 and an empty body. A request
    with ``Cache-Control: no-cache`` gets a freshly built tile.
    """
    # Plain lookups, not sync dependencies: those would each cost a threadpool hop.
    coll = find_collection(collection_id)
    engine: Engine = request.app.state.engine
    row = y.removesuffix(".pbf").removesuffix(".mvt")
    if z.isdigit() and x.isdigit() and row.isdigit():
        # A well-formed address outside the tile matrix set: that tile does not exist.
        zoom, n = int(z), 2 ** min(int(z), MAX_ZOOM)
        bad = "z" if zoom > MAX_ZOOM else "x" if int(x) >= n else "y" if int(row) >= n else None
        if bad is not None:
            msg = f"no tile {z}/{x}/{row}: zoom is 0..{MAX_ZOOM} and x, y are 0..2^zoom-1"
            raise TileNotFoundError(msg, field=bad)
    address = parse_tile(z, x, row)
    cache = tile_cache(request)
    stamp = cache.fresh_fingerprint(coll)
    if stamp is None:
        stamp = await run_in_threadpool(cache.fingerprint, engine, coll)

    def build() -> bytes:
        with engine.connect() as conn:
            return build_tile(conn, coll, address)

    if stamp is None:  # a view: no fingerprint, the ETag is the hash of the bytes
        body = await run_in_threadpool(build)
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if _matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=MVT, headers=headers)
    etag = _etag(coll.id, stamp, address)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    key = (coll.id, stamp, address.z, address.x, address.y)
    fresh = cache_control is not None and "no-cache" in cache_control.lower()
    hit = None if fresh else cache.get(key)
    if hit is None:
        body = await run_in_threadpool(build)
        cache.put(key, (body, etag))
    else:
        body = hit[0]
    return Response(body, media_type=MVT, headers=headers)
