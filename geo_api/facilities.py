"""Service points snapped to a network, cached until their rows change."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from layers.points import points_stamp, service_points_of
from routing.network import Network
from routing.snap import Snap

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], tuple[tuple[int, int, int], Facilities]] = {}
_stamps: dict[tuple[int, str], tuple[float, tuple[int, int, int]]] = {}
STAMP_TTL_S = 2.0  # how long a category's fingerprint is trusted without asking again


@dataclass(frozen=True, slots=True)
class Facilities:
    """The reachable service points of a category: snaps and rows side by side."""

    snaps: list[Snap]
    rows: list[dict[str, Any]]
    off_network: int


def get_facilities(conn: Connection, net: Network, category: str, *, max_m: float) -> Facilities:
    """Snap a category's service points to ``net``; cached per network and category.

    The cache key includes a fingerprint of the category's rows
    (:func:`layers.points.points_stamp`), re-read at most every ``STAMP_TTL_S``
    seconds, so an ingest is seen within two seconds.
    """
    now = time.monotonic()
    skey = (id(conn.engine), category)
    with _lock:
        seen = _stamps.get(skey)
    if seen is not None and now - seen[0] < STAMP_TTL_S:
        stamp = seen[1]
    else:
        stamp = points_stamp(conn, category)
        with _lock:
            _stamps[skey] = (now, stamp)
    key = (id(net), category, f"{max_m:.3f}")
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    pts = service_points_of(conn, category)
    snaps: list[Snap] = []
    rows: list[dict[str, Any]] = []
    off = 0
    if pts.ids:
        arrays = net.snapper.snap_many(np.array(pts.lons), np.array(pts.lats), max_distance_m=max_m)
        for i, snap in enumerate(arrays.to_snaps()):
            if snap is None:
                off += 1
                continue
            snaps.append(snap)
            rows.append(
                {
                    "id": pts.ids[i],
                    "lon": pts.lons[i],
                    "lat": pts.lats[i],
                    "properties": pts.properties[i],
                }
            )
    result = Facilities(snaps=snaps, rows=rows, off_network=off)
    with _lock:
        _cache[key] = (stamp, result)
    return result
