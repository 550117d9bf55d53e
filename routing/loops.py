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

New node ids are given by :func:`loop_node_ids` from *all* closed roads of the
raw network, in the order of their keys ``(node id, lon, lat)``, so a loop's new
node has the same id in every profile (a profile that bars one closed road does
not renumber the others) and whatever the order in which edges are read. The
base network shared by the profiles (:mod:`routing.stream_base`) relies on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString

__all__ = ["loop_node_ids", "loop_split_key", "split_self_loops"]

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


def loop_split_key(u: int, coords: np.ndarray) -> tuple[int, float, float] | None:
    """
    The key ``(node, lon, lat)`` of the vertex where a closed road is split.

    Parameters
    ----------
    u
        The loop's node id.
    coords
        The loop's lon/lat coordinates (first and last equal to the node's).

    Returns
    -------
    tuple or None
        The key, or None when the loop has no vertex apart from its node.
    """
    k = _split_index(coords) if len(coords) >= 3 else None
    if k is None:
        return None
    return (int(u), float(coords[k, 0]), float(coords[k, 1]))


def loop_node_ids(
    keys: Iterable[tuple[int, float, float]], *, first_id: int
) -> dict[tuple[int, float, float], int]:
    """
    Number the new nodes of split loops: ``first_id``, ``first_id + 1``, … by key order.

    Parameters
    ----------
    keys
        The split keys (see :func:`loop_split_key`) of every closed road of the raw
        network (repeats are one node: both directions of a two-way loop).
    first_id
        The first new id (one more than the largest raw node id).

    Returns
    -------
    dict
        Key to node id.
    """
    return {key: first_id + i for i, key in enumerate(sorted(set(keys)))}


def split_self_loops(
    edges: list[Edge],
    xy: MutableMapping[int, tuple[float, float]],
    *,
    node_ids: Mapping[tuple[int, float, float], int] | None = None,
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
    node_ids
        The ids of the new nodes by split key (see :func:`loop_node_ids`); by
        default they are numbered from ``max(xy) + 1`` in key order of these edges.

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
    if node_ids is None:
        keys = []
        for u, v, attrs in edges:
            geom = attrs.get("geometry")
            if u == v and geom is not None:
                key = loop_split_key(u, shapely.get_coordinates(geom))
                if key is not None:
                    keys.append(key)
        node_ids = loop_node_ids(keys, first_id=max(xy) + 1 if xy else 0)
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
        key = (int(u), float(coords[k, 0]), float(coords[k, 1]))
        w = node_ids[key]
        xy[w] = (key[1], key[2])
        out.append((u, w, {**attrs, "geometry": LineString(coords[: k + 1])}))
        out.append((w, u, {**attrs, "geometry": LineString(coords[k:])}))
        split += 1
    return out, split, dropped
