"""Split closed roads (self-loop edges) so that they stay routable.

A closed road that touches the rest of the network at one vertex (a ring
road around a housing block, a loop through a plantation) becomes a self-loop
edge ``u -> u``. A self-loop never shortens a route, so routing engines and
compilers drop it, and a house on the loop then snaps to another road.
:func:`split_self_loops` cuts every self-loop at the vertex of its geometry
farthest (geodesic) from its node into two edges ``u -> w -> u`` with a new
node ``w``.

The two directions of a two-way loop stay exact mirrors: both are split at the
same coordinate (ties broken by coordinate, not by vertex order), get the
same new node id (keyed by the loop's node and the split coordinate), and each
half of one direction carries exactly the reversed coordinates of the
opposite half of the other direction.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString

__all__ = ["split_self_loops"]

_GEOD = Geod(ellps="WGS84")

Edge = tuple[int, int, dict[str, Any]]


def _split_index(coords: np.ndarray) -> int | None:
    """Index of the interior vertex farthest from the first one (None if none is apart)."""
    inner = coords[1:-1]
    if len(inner) == 0:
        return None
    start = coords[0]
    _, _, dist = _GEOD.inv(
        np.full(len(inner), start[0]), np.full(len(inner), start[1]), inner[:, 0], inner[:, 1]
    )
    dist = np.asarray(dist, dtype=np.float64)
    best = float(dist.max())
    if best <= 0.0:
        return None
    # the same vertex for both directions: farthest, then smallest lon, then smallest lat
    candidates = np.flatnonzero(dist == best)
    pick = min(candidates.tolist(), key=lambda i: (inner[i, 0], inner[i, 1]))
    return int(pick) + 1


def split_self_loops(
    edges: list[Edge],
    xy: MutableMapping[int, tuple[float, float]],
) -> tuple[list[Edge], int, int]:
    """
    Replace every self-loop edge by two edges through a new node.

    Parameters
    ----------
    edges
        ``(u, v, attrs)`` with a lon/lat LineString ``attrs["geometry"]`` from
        ``u`` to ``v`` whose ends equal the node coordinates.
    xy
        Node id to ``(lon, lat)``; new nodes are added to it.

    Returns
    -------
    edges, split, dropped
        The edges (non-loops unchanged, in order; each loop replaced by its two
        halves, which share the loop's attributes except ``geometry``), the
        number of self-loop edges split, and the number dropped because their
        geometry has no vertex apart from the node.
    """
    if not any(u == v for u, v, _ in edges):
        return edges, 0, 0
    next_id = max(xy) + 1 if xy else 0
    new_node: dict[tuple[int, float, float], int] = {}
    out: list[Edge] = []
    split = dropped = 0
    for u, v, attrs in edges:
        if u != v:
            out.append((u, v, attrs))
            continue
        geom = attrs.get("geometry")
        coords = shapely.get_coordinates(geom) if geom is not None else np.zeros((0, 2))
        k = _split_index(coords) if len(coords) >= 3 else None
        if k is None:
            dropped += 1
            continue
        x, y = float(coords[k, 0]), float(coords[k, 1])
        key = (u, x, y)
        if key not in new_node:
            new_node[key] = next_id
            xy[next_id] = (x, y)
            next_id += 1
        w = new_node[key]
        out.append((u, w, {**attrs, "geometry": LineString(coords[: k + 1])}))
        out.append((w, u, {**attrs, "geometry": LineString(coords[k:])}))
        split += 1
    return out, split, dropped
