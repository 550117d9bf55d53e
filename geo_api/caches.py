"""Every in-memory cache of the API: bounded, owned by the app, counted.

One :class:`Caches` object is made in the app's lifespan and kept on
``app.state.caches``. Each cache is a `cachetools` cache of fixed size behind a lock,
with hit and miss counters that ``/metrics`` reports. Keys use the real identity of
what they hold answers for (a loaded :class:`~routing.network.Network`'s ``key``, a
category code, a data fingerprint), never ``id()`` of an object that may be freed and
its address reused. Callers put a value only after its inputs were validated.

========================  =====  ==========================================================
cache                     size   holds
========================  =====  ==========================================================
``stamps``                1,024  data fingerprints, trusted for ``STAMP_TTL_S`` seconds
``facilities``              128  snapped service points per (network, category)
``coverage``                  6  population grids with their cells' access (large: few)
``roads``                     8  road lines of a network for the map layer
``tiles``                 4,096  vector tiles (and at most 64 MB), see ``routers.tiles``
========================  =====  ==========================================================
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import cachetools
from sqlalchemy import Connection

from layers.collections import Collection
from layers.tiles import data_fingerprint

__all__ = ["STAMP_TTL_S", "Caches", "CountedCache", "TileCache"]

STAMP_TTL_S = 2.0
"""How long a data fingerprint is trusted before it is read again (seconds)."""
FINGERPRINT_TTL_S = STAMP_TTL_S
CACHE_TILES = 4096
CACHE_BYTES = 64 * 1024 * 1024

V = TypeVar("V")


class CountedCache(Generic[V]):
    """A `cachetools` cache behind a lock, counting hits and misses.

    Parameters
    ----------
    name
        Name in metrics.
    cache
        The bounded cache (``LRUCache``, ``TTLCache``).
    """

    def __init__(self, name: str, cache: cachetools.Cache[Hashable, V]) -> None:
        self.name = name
        self._cache = cache
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """The value of ``key``, or None (counted as a hit or a miss)."""
        with self._lock:
            value = self._cache.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store a value (the least recently used ones go when the cache is full)."""
        with self._lock:
            self._cache[key] = value

    def get_or_put(self, key: Hashable, make: Callable[[], V]) -> V:
        """The cached value, or ``make()`` stored and returned (built outside the lock)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        value = make()
        self.put(key, value)
        return value

    def clear(self) -> None:
        """Forget everything (counters stay)."""
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    @property
    def maxsize(self) -> float:
        """The most entries it holds."""
        return float(self._cache.maxsize)

    def stats(self) -> dict[str, Any]:
        """Size, limit, hits and misses."""
        with self._lock:
            return {
                "name": self.name,
                "size": len(self._cache),
                "maxsize": self._cache.maxsize,
                "hits": self.hits,
                "misses": self.misses,
            }


class TileCache:
    """An LRU of tile bytes keyed by (collection, fingerprint, z, x, y).

    It also remembers, per tile address, the newest tile it holds (:meth:`latest`),
    so a tile already in memory can be served while the database is down.
    """

    def __init__(self, *, max_tiles: int = CACHE_TILES, max_bytes: int = CACHE_BYTES) -> None:
        self.max_tiles = max_tiles
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple[object, ...], tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._stamps: dict[str, tuple[float, tuple[int, int, int] | None]] = {}
        self._latest: dict[tuple[object, ...], tuple[object, ...]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def fresh_fingerprint(self, collection: Collection) -> tuple[int, int, int] | None:
        """The fingerprint read less than ``FINGERPRINT_TTL_S`` ago, if any."""
        with self._lock:
            hit = self._stamps.get(collection.id)
        if hit is not None and time.monotonic() - hit[0] < FINGERPRINT_TTL_S:
            return hit[1]
        return None

    def fingerprint(self, conn: Connection, collection: Collection) -> tuple[int, int, int] | None:
        """The collection's data fingerprint, re-read after ``FINGERPRINT_TTL_S``.

        None for collections over views: their tiles are built every time.
        """
        fresh = self.fresh_fingerprint(collection)
        if fresh is not None:
            return fresh
        now = time.monotonic()
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
                self.hits += 1
            else:
                self.misses += 1
            return hit

    def put(self, key: tuple[object, ...], value: tuple[bytes, str]) -> None:
        """Store a tile, evicting the least recently used ones beyond the limits.

        ``key`` is ``(collection, fingerprint, z, x, y)``.
        """
        address = _address(key)
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._tiles[key] = value
            self._bytes += len(value[0])
            self._latest[address] = key
            while self._tiles and (
                len(self._tiles) > self.max_tiles or self._bytes > self.max_bytes
            ):
                gone, evicted = self._tiles.popitem(last=False)
                self._bytes -= len(evicted[0])
                if self._latest.get(_address(gone)) == gone:
                    del self._latest[_address(gone)]

    def latest(self, collection_id: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """The newest tile held for this address, whatever its fingerprint (not counted
        as a hit or miss): what can be served while the database cannot be asked."""
        with self._lock:
            key = self._latest.get((collection_id, z, x, y))
            return None if key is None else self._tiles.get(key)

    def stats(self) -> dict[str, Any]:
        """Size, limits, bytes, hits and misses."""
        with self._lock:
            return {
                "name": "tiles",
                "size": len(self._tiles),
                "maxsize": self.max_tiles,
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }

    def __len__(self) -> int:
        with self._lock:
            return len(self._tiles)

    def clear(self) -> None:
        """Forget every tile and fingerprint."""
        with self._lock:
            self._tiles.clear()
            self._stamps.clear()
            self._latest.clear()
            self._bytes = 0


def _address(key: tuple[object, ...]) -> tuple[object, ...]:
    """(collection, z, x, y) of a tile key (collection, fingerprint, z, x, y)."""
    return (key[0], *key[2:])


@dataclass
class Caches:
    """The API's caches (see the module docstring)."""

    stamps: CountedCache[Any]
    facilities: CountedCache[Any]
    coverage: CountedCache[Any]
    roads: CountedCache[Any]
    tiles: TileCache

    @classmethod
    def create(
        cls,
        *,
        facilities: int = 128,
        coverage: int = 6,
        roads: int = 8,
        stamps: int = 1024,
        stamp_ttl_s: float = STAMP_TTL_S,
    ) -> Caches:
        """New empty caches with these sizes."""
        return cls(
            stamps=CountedCache("stamps", cachetools.TTLCache(stamps, ttl=stamp_ttl_s)),
            facilities=CountedCache("facilities", cachetools.LRUCache(facilities)),
            coverage=CountedCache("coverage", cachetools.LRUCache(coverage)),
            roads=CountedCache("roads", cachetools.LRUCache(roads)),
            tiles=TileCache(),
        )

    def all(self) -> list[CountedCache[Any] | TileCache]:
        """Every cache, for metrics."""
        return [self.stamps, self.facilities, self.coverage, self.roads, self.tiles]

    def clear(self) -> None:
        """Forget everything (e.g. after graphs are reloaded)."""
        for cache in self.all():
            cache.clear()
