"""Service points snapped to a network, cached until their rows change."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from layers.points import points_stamp, service_points_of
from routing.network import Network
from routing.snap import Snap

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], tuple[tuple[int, int, int], Facilities]] = {}


@dataclass(frozen=True, slots=True)
class Facilities:
    """The reachable service points of a category: snaps and rows side by side."""

    snaps: list[Snap]
    rows: list[dict[str, Any]]
    off_network: int


def get_facilities(conn: Connection, net: Network, category: str, *, max_m: float) -> Facilities:
    """Snap a category's service points to ``net``; cached per network and category.

    The cache key includes a fingerprint of the category's rows
    (:func:`layers.points.points_stamp`), so an ingest is seen at the next request.
    """
    stamp = points_stamp(conn, category)
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
