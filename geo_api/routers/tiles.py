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
import threading
import time
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from geo_api.deps import find_collection
from layers.collections import Collection
from layers.tiles import TileAddress, build_tile, data_fingerprint, parse_tile

router = APIRouter(tags=["Vector tiles"])

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "public, max-age=60"
FINGERPRINT_TTL_S = 2.0
CACHE_TILES = 4096
CACHE_BYTES = 64 * 1024 * 1024


class TileCache:
    """An LRU of tile bytes keyed by (collection, fingerprint, z, x, y)."""

    def __init__(self, *, max_tiles: int = CACHE_TILES, max_bytes: int = CACHE_BYTES) -> None:
        self.max_tiles = max_tiles
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple[object, ...], tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._stamps: dict[str, tuple[float, tuple[int, int, int] | None]] = {}
        self._lock = threading.Lock()

    def fresh_fingerprint(self, collection: Collection) -> tuple[int, int, int] | None:
        """The fingerprint read less than ``FINGERPRINT_TTL_S`` ago, if any."""
        with self._lock:
            hit = self._stamps.get(collection.id)
        if hit is not None and time.monotonic() - hit[0] < FINGERPRINT_TTL_S:
            return hit[1]
        return None

    def fingerprint(self, engine: Engine, collection: Collection) -> tuple[int, int, int] | None:
        """The collection's data fingerprint, re-read after ``FINGERPRINT_TTL_S``.

        None for collections over views: their tiles are built every time.
        """
        fresh = self.fresh_fingerprint(collection)
        if fresh is not None:
            return fresh
        now = time.monotonic()
        with engine.connect() as conn:
            stamp = data_fingerprint(conn, collection)
        with self._lock:
            self._stamps[collection.id] = (now, stamp)
        return stamp

    def get(self, key: tuple[object, ...]) -> tuple[bytes, str] | None:
        """The cached (bytes, etag) of a tile, marking it recently used."""
        with self._lock:
            hit = self._tiles.get(key)
            if hit is not None:
                self._tiles.move_to_end(key)
            return hit

    def put(self, key: tuple[object, ...], value: tuple[bytes, str]) -> None:
        """Store a tile, evicting the least recently used ones beyond the limits."""
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._tiles[key] = value
            self._bytes += len(value[0])
            while self._tiles and (
                len(self._tiles) > self.max_tiles or self._bytes > self.max_bytes
            ):
                _, evicted = self._tiles.popitem(last=False)
                self._bytes -= len(evicted[0])

    def clear(self) -> None:
        """Forget every tile and fingerprint."""
        with self._lock:
            self._tiles.clear()
            self._stamps.clear()
            self._bytes = 0


def tile_cache(request: Request) -> TileCache:
    """The app's tile cache (made on first use)."""
    cache: TileCache | None = getattr(request.app.state, "tile_cache", None)
    if cache is None:
        cache = TileCache()
        request.app.state.tile_cache = cache
    return cache


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
