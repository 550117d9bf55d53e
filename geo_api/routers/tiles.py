"""Vector tiles: ``/collections/{id}/tiles/{z}/{x}/{y}`` (MVT, Web Mercator).

Tiles are built in PostGIS (:mod:`layers.tiles`). Each response carries an ``ETag``
made from the collection's data fingerprint and the tile address, and
``Cache-Control: public``. A request whose ``If-None-Match`` matches gets a 304, and a
repeated tile comes from an in-memory LRU without building it again. The fingerprint
(row count, max id, newest row version) is re-read at most every
``FINGERPRINT_TTL_S`` seconds, so a data change shows in tiles within that time.

A tile whose fingerprint was read recently and that is in the cache is answered from
memory, without a database slot. Otherwise the request takes a ``db`` admission slot
and uses one connection for the fingerprint and, if needed, the tile. When that fails
because the database is down or busy (503), a tile for the same address still in memory
is answered instead, with ``Warning: 110 - "Response is Stale"`` and
``Cache-Control: no-cache`` (it may predate a data change); without one, or when the
request says ``Cache-Control: no-cache``, the 503 stands.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from geo_api import schemas as sc
from geo_api.caches import Caches, TileCache
from geo_api.deps import db_admitted, find_collection
from geo_api.errors import OverloadedError, TileNotFoundError
from layers.collections import COLLECTIONS, Collection
from layers.tiles import MAX_ZOOM, TileAddress, build_tile, parse_tile

router = APIRouter(tags=["Vector tiles"])

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "public, max-age=60"
STALE_WARNING = '110 - "Response is Stale"'
#: Failures after which a tile already in memory is served instead of the 503.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError, OverloadedError)

log = logging.getLogger("lampung_geo.api")


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


@dataclass
class _Fetched:
    etag: str
    body: bytes | None  # None: the client's copy is current (304)


def _fetch(
    engine: Engine,
    cache: TileCache,
    coll: Collection,
    address: TileAddress,
    *,
    if_none_match: str | None,
    fresh: bool,
) -> _Fetched:
    """Fingerprint, then the tile (from the cache or built), on one connection."""
    with engine.connect() as conn:
        stamp = cache.fingerprint(conn, coll)
        if stamp is None:  # a view: no fingerprint, the ETag is the hash of the bytes
            body = build_tile(conn, coll, address)
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            return _Fetched(etag, None if _matches(if_none_match, etag) else body)
        etag = _etag(coll.id, stamp, address)
        if _matches(if_none_match, etag):
            return _Fetched(etag, None)
        key = (coll.id, stamp, address.z, address.x, address.y)
        hit = None if fresh else cache.get(key)
        if hit is not None:
            return _Fetched(etag, hit[0])
        body = build_tile(conn, coll, address)
    cache.put(key, (body, etag))
    return _Fetched(etag, body)


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
    with ``Cache-Control: no-cache`` gets a freshly built tile. While the database is
    down, a tile already in memory is answered with a ``Warning`` header.
    """
    # Plain lookups, not sync dependencies: those would each cost a threadpool hop.
    coll = find_collection(collection_id)
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
    fresh = cache_control is not None and "no-cache" in cache_control.lower()
    stamp = cache.fresh_fingerprint(coll)
    if stamp is not None and not fresh:  # answered from memory: no database slot
        etag = _etag(coll.id, stamp, address)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if _matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        hit = cache.get((coll.id, stamp, address.z, address.x, address.y))
        if hit is not None:
            return Response(hit[0], media_type=MVT, headers=headers)
    engine: Engine = request.app.state.engine
    try:
        async with db_admitted(request):
            got = await run_in_threadpool(
                _fetch, engine, cache, coll, address, if_none_match=if_none_match, fresh=fresh
            )
    except DATABASE_DOWN as exc:
        stale = None if fresh else cache.latest(coll.id, address.z, address.x, address.y)
        if stale is None:  # nothing in memory, or the client asked for a fresh tile
            raise
        log.warning(
            "tile %s/%d/%d/%d served stale: %s", coll.id, *_zxy(address), type(exc).__name__
        )
        headers = {"ETag": stale[1], "Cache-Control": "no-cache", "Warning": STALE_WARNING}
        if _matches(if_none_match, stale[1]):
            return Response(status_code=304, headers=headers)
        return Response(stale[0], media_type=MVT, headers=headers)
    headers = {"ETag": got.etag, "Cache-Control": CACHE_CONTROL}
    if got.body is None:
        return Response(status_code=304, headers=headers)
    return Response(got.body, media_type=MVT, headers=headers)


def _zxy(address: TileAddress) -> tuple[int, int, int]:
    return address.z, address.x, address.y
