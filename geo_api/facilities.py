"""Service points of a category snapped to a network, cached until their rows change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from geo_api.caches import Caches
from layers.points import check_category, points_stamp, service_points_of
from routing.network import Network
from routing.snap import Snap
from routing.targets import TargetSet

__all__ = ["Facilities", "cached_facilities", "get_facilities"]


@dataclass(frozen=True, slots=True)
class Facilities:
    """The reachable service points of a category: snaps and rows side by side.

    ``targets`` holds the same snaps prepared once for :meth:`Network.nearest
    <routing.network.Network.nearest>` (candidate nodes and costs, pinned nodes), so
    a ``/nearest`` request does no per-facility work before its one sweep.
    """

    snaps: list[Snap]
    rows: list[dict[str, Any]]
    off_network: int
    targets: TargetSet

    @property
    def demo(self) -> bool:
        """True when any of the points is DEMO data."""
        return any(r["properties"].get("demo") for r in self.rows)


def get_facilities(conn: Connection, net: Network, category: str, *, caches: Caches) -> Facilities:
    """Snap a checked category's service points to ``net`` (cached per network and category).

    The category is checked first (an unknown one is a 400 naming it), so nothing is
    cached for a bad input. The cache entry carries a fingerprint of the category's
    rows (:func:`layers.points.points_stamp`), trusted for two seconds, so an ingest
    shows within two seconds.
    """
    stamp_key = ("points", category)
    stamp = caches.stamps.get(stamp_key)
    if stamp is None:
        check_category(conn, category)
        stamp = points_stamp(conn, category)
        caches.stamps.put(stamp_key, stamp)
    key = (net.key, category)
    hit = caches.facilities.get(key)
    if hit is not None and hit[0] == stamp:
        facilities: Facilities = hit[1]
        return facilities
    result = _snap_points(conn, net, category)
    caches.facilities.put(key, (stamp, result))
    return result


def cached_facilities(net: Network, category: str, *, caches: Caches) -> Facilities | None:
    """The cached facilities of a category while their fingerprint is trusted, else None.

    Needs no database: a hit exists only if :func:`get_facilities` checked the
    category and read its fingerprint less than ``STAMP_TTL_S`` ago and the snapped
    points carry that fingerprint. On None, call :func:`get_facilities`.
    """
    stamp = caches.stamps.get(("points", category))
    if stamp is None:
        return None
    hit = caches.facilities.get((net.key, category))
    if hit is not None and hit[0] == stamp:
        facilities: Facilities = hit[1]
        return facilities
    return None


def _snap_points(conn: Connection, net: Network, category: str) -> Facilities:
    pts = service_points_of(conn, category)
    snaps: list[Snap] = []
    rows: list[dict[str, Any]] = []
    off = 0
    if pts.ids:
        arrays = net.snap_many(np.array(pts.lons), np.array(pts.lats))
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
    return Facilities(snaps=snaps, rows=rows, off_network=off, targets=net.prepare_targets(snaps))
