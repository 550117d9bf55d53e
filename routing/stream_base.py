"""Turn a raw network into the arcs of the base network, for every profile at once.

What :func:`routing.build.build_graph` does to each edge a profile keeps, done once
for all raw edges, on arrays:

* every line runs from its tail to its head with exactly the node coordinates
  (reversed first when its far end is nearer the tail);
* closed roads (raw self-loops) are split at the vertex farthest from their node
  (:mod:`routing.loops`); the new node of a loop is numbered from the loop's node and
  the split coordinate, the same in every profile (:func:`routing.loops.loop_node_ids`);
  a loop with no vertex apart is dropped;
* every arc gets its geodesic length (at least :data:`MIN_LENGTH_M`);
* a one-way road also gets its reverse arc (the exactly reversed line), used only by
  profiles that ignore one-way rules (walking).

Nothing here depends on a profile, so the arcs are made once and each profile is an
array of times over them (:mod:`routing.stream_profiles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from routing.loops import loop_node_ids
from routing.raw import RawNetwork

__all__ = ["MIN_LENGTH_M", "BaseArcs", "base_arcs", "geodesic_lengths", "reverse_index"]

#: Lengths below this (duplicate OSM nodes) are raised to it so travel times stay > 0.
MIN_LENGTH_M = 0.01

_GEOD = Geod(ellps="WGS84")

#: Loop status of a raw edge.
NOT_LOOP, LOOP_SPLIT, LOOP_DROPPED = 0, 1, 2


@dataclass
class BaseArcs:
    """
    The arcs made from a raw network (see the module docstring).

    Attributes
    ----------
    node_ids, node_lon, node_lat
        Raw nodes and the new nodes of split loops, ids ascending.
    tail, head
        Node indexes of each arc.
    geom_offsets, geom_coords
        Lines from tail to head, ends exactly at the node coordinates.
    length
        Geodesic metres (at least :data:`MIN_LENGTH_M`).
    raw
        The raw edge each arc comes from.
    reverse
        The arc runs against its raw edge (the added reverse of a one-way road).
    partner
        For a one-way road's arc, its added reverse arc, and the other way round; -1
        for the arcs of two-way roads (their raw twin is another raw edge).
    loop
        Per *raw edge*: 0 not a loop, 1 split, 2 dropped (no vertex apart).
    """

    node_ids: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]
    length: NDArray[np.float64]
    raw: NDArray[np.int64]
    reverse: NDArray[np.bool_]
    partner: NDArray[np.int64]
    loop: NDArray[np.int8]

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.tail.shape[0])


def geodesic_lengths(
    offsets: NDArray[np.int64], coords: NDArray[np.float64]
) -> NDArray[np.float64]:
    """
    Geodesic length (WGS 84, metres) of every line.

    Parameters
    ----------
    offsets, coords
        Lines as offsets into ``(k, 2)`` lon/lat coordinates.

    Returns
    -------
    numpy.ndarray
        One length per line, summed segment by segment in line order.
    """
    m = len(offsets) - 1
    if len(coords) < 2:
        return np.zeros(m)
    owner = np.repeat(np.arange(m), np.diff(offsets))
    _, _, seg = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    seg = np.where(owner[1:] == owner[:-1], seg, 0.0)
    return np.bincount(owner[:-1], weights=seg, minlength=m).astype(np.float64)


def reverse_index(
    offsets: NDArray[np.int64], which: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """
    Coordinates of some lines read backwards.

    Parameters
    ----------
    offsets
        Line offsets.
    which
        The lines to read.

    Returns
    -------
    new_offsets, positions
        Offsets of the selected lines and, for each of their points in order
        (last point first), its position in the coordinate array.
    """
    sizes = offsets[which + 1] - offsets[which]
    new = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new[1:])
    k = np.arange(int(new[-1])) - np.repeat(new[:-1], sizes)
    return new, np.repeat(offsets[which + 1] - 1, sizes) - k


def _forward_index(
    offsets: NDArray[np.int64], which: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Offsets of some lines and the positions of their points, in order."""
    sizes = offsets[which + 1] - offsets[which]
    new = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new[1:])
    return new, np.repeat(offsets[which] - new[:-1], sizes) + np.arange(int(new[-1]))


def _exact_ends(raw: RawNetwork) -> NDArray[np.float64]:
    """The raw lines from tail to head with exactly the node coordinates at their ends."""
    off, xy = raw.geom_offsets, raw.geom_coords
    start = np.column_stack([raw.node_lon[raw.tail], raw.node_lat[raw.tail]])
    stop = np.column_stack([raw.node_lon[raw.head], raw.node_lat[raw.head]])
    first, last = xy[off[:-1]], xy[off[1:] - 1]
    exact = np.all(first == start, axis=1) & np.all(last == stop, axis=1)
    if np.all(exact):
        return xy
    out = xy.copy()
    bad = np.flatnonzero(~exact)
    d_fwd = np.abs(first[bad] - start[bad]).sum(axis=1)
    d_rev = np.abs(last[bad] - start[bad]).sum(axis=1)
    flip = bad[d_rev < d_fwd]
    if len(flip):
        new, pos = reverse_index(off, flip)
        sizes = np.diff(new)
        targets = np.repeat(off[flip], sizes) + np.arange(int(new[-1])) - np.repeat(new[:-1], sizes)
        out[targets] = xy[pos]
    out[off[bad]] = start[bad]
    out[off[bad + 1] - 1] = stop[bad]
    return out


def _split_points(
    off: NDArray[np.int64], xy: NDArray[np.float64], loops: NDArray[np.int64]
) -> NDArray[np.int64]:
    """For each loop, the position of its split vertex in ``xy``, or -1 (see routing.loops)."""
    sizes = off[loops + 1] - off[loops]
    inner = np.maximum(sizes - 2, 0)
    split = np.full(len(loops), -1, dtype=np.int64)
    has = inner > 0
    if not np.any(has):
        return split
    which = np.flatnonzero(has)
    n_in = inner[which]
    owner = np.repeat(np.arange(len(which)), n_in)
    k = np.arange(int(n_in.sum())) - np.repeat(np.cumsum(n_in) - n_in, n_in)
    pos = np.repeat(off[loops[which]] + 1, n_in) + k
    start = xy[off[loops[which]]][owner]
    _, _, dist = _GEOD.inv(start[:, 0], start[:, 1], xy[pos, 0], xy[pos, 1])
    dist = np.asarray(dist, dtype=np.float64)
    best = np.full(len(which), -np.inf)
    np.maximum.at(best, owner, dist)
    cand = (dist == best[owner]) & (best[owner] > 0.0)
    # the same vertex for both directions: farthest, then smallest lon, then smallest lat
    c = np.flatnonzero(cand)
    order = np.lexsort((xy[pos[c], 1], xy[pos[c], 0], owner[c]))
    c = c[order]
    first = np.ones(len(c), dtype=bool)
    first[1:] = owner[c][1:] != owner[c][:-1]
    split[which[owner[c[first]]]] = pos[c[first]]
    return split


def base_arcs(raw: RawNetwork) -> BaseArcs:
    """
    Make the arcs of the base network from a raw network (see the module docstring).

    Parameters
    ----------
    raw
        The raw network.

    Returns
    -------
    BaseArcs
        Arcs of the raw edges in raw order (a split loop gives two consecutive arcs,
        a dropped loop none), then the reverse arcs of one-way roads.
    """
    off = raw.geom_offsets
    xy = _exact_ends(raw)
    m = raw.n_edges
    loop = np.zeros(m, dtype=np.int8)
    loops = np.flatnonzero(raw.tail == raw.head)
    split_pos = _split_points(off, xy, loops)
    loop[loops] = np.where(split_pos >= 0, LOOP_SPLIT, LOOP_DROPPED)
    split_edges, split_at = loops[split_pos >= 0], split_pos[split_pos >= 0]
    node_ids, node_lon, node_lat = raw.node_ids, raw.node_lon, raw.node_lat
    new_node = np.zeros(0, dtype=np.int64)
    if len(split_edges):
        keys = [
            (int(raw.node_ids[raw.tail[e]]), float(xy[p, 0]), float(xy[p, 1]))
            for e, p in zip(split_edges.tolist(), split_at.tolist(), strict=True)
        ]
        ids = loop_node_ids(keys, first_id=int(raw.node_ids.max()) + 1)
        new_ids = np.array([ids[k] for k in keys], dtype=np.int64)
        uniq, first = np.unique(new_ids, return_index=True)
        node_ids = np.concatenate([node_ids, uniq])
        node_lon = np.concatenate([node_lon, xy[split_at[first], 0]])
        node_lat = np.concatenate([node_lat, xy[split_at[first], 1]])
        new_node = raw.n_nodes + np.searchsorted(uniq, new_ids)
    # arcs in raw order: one per raw edge, two per split loop, none for a dropped loop
    count = np.where(loop == LOOP_SPLIT, 2, np.where(loop == LOOP_DROPPED, 0, 1))
    arc_raw = np.repeat(np.arange(m, dtype=np.int64), count)
    half = np.zeros(len(arc_raw), dtype=np.int8)  # 0 whole, 1 first half, 2 second half
    is_split = loop[arc_raw] == LOOP_SPLIT
    first_half = is_split & np.concatenate([[True], arc_raw[1:] != arc_raw[:-1]])
    half[is_split] = np.where(first_half[is_split], 1, 2)
    pos_split = np.full(m, -1, dtype=np.int64)
    pos_split[split_edges] = split_at
    node_of_split = np.full(m, -1, dtype=np.int64)
    node_of_split[split_edges] = new_node
    a = np.where(half == 2, pos_split[arc_raw], off[arc_raw])
    b = np.where(half == 1, pos_split[arc_raw], off[arc_raw + 1] - 1)
    tail = np.where(half == 2, node_of_split[arc_raw], raw.tail[arc_raw]).astype(np.int32)
    head = np.where(half == 1, node_of_split[arc_raw], raw.head[arc_raw]).astype(np.int32)
    sizes = b - a + 1
    offsets = np.zeros(len(arc_raw) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    k = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], sizes)
    coords = np.ascontiguousarray(xy[np.repeat(a, sizes) + k])
    del xy, k
    if raw.geodesic is None:
        measured = geodesic_lengths(offsets, coords)
    else:  # the reader measured whole lines; only split loops' halves are new
        measured = raw.geodesic[arc_raw].copy()
        halves = np.flatnonzero(half > 0)
        if len(halves):
            h_off, h_pos = _forward_index(offsets, halves)
            measured[halves] = geodesic_lengths(h_off, coords[h_pos])
    length = np.maximum(measured, MIN_LENGTH_M)
    # reverse arcs of one-way roads (walking uses them)
    one = np.flatnonzero(raw.oneway[arc_raw])
    rev_off, rev_pos = reverse_index(offsets, one)
    n_fwd = len(arc_raw)
    all_off = np.concatenate([offsets, offsets[-1] + rev_off[1:]])
    coords = np.concatenate([coords, coords[rev_pos]])
    partner = np.full(n_fwd + len(one), -1, dtype=np.int64)
    partner[one] = n_fwd + np.arange(len(one))
    partner[n_fwd:] = one
    return BaseArcs(
        node_ids=node_ids,
        node_lon=node_lon,
        node_lat=node_lat,
        tail=np.concatenate([tail, head[one]]),
        head=np.concatenate([head, tail[one]]),
        geom_offsets=all_off,
        geom_coords=coords,
        length=np.concatenate([length, length[one]]),
        raw=np.concatenate([arc_raw, arc_raw[one]]),
        reverse=np.concatenate([np.zeros(n_fwd, bool), np.ones(len(one), bool)]),
        partner=partner,
        loop=loop,
    )
