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

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from geo_api.caches import Caches, TileCache
from geo_api.deps import find_collection
from layers.tiles import TileAddress, build_tile, parse_tile

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


@router.get(
    "/collections/{collection_id}/tiles/{z}/{x}/{y}",
    summary="Vector tile of a collection (MVT, WebMercatorQuad)",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 304: {"description": "not modified"}},
)
async def tile(
    request: Request,
    collection_id: str,
    z: str,
    x: str,
    y: str,
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
    address = parse_tile(z, x, y.removesuffix(".pbf").removesuffix(".mvt"))
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
