"""Snapped endpoints, partial edges, and turning node paths into routes.

The cost model for snapped endpoints (exact, shared by every engine):

* origin on edge ``u -> v`` at position ``t`` (travel time ``w``): reach ``v``
  for ``(1 - t) * w``; if the road is two-way, i.e. the edge has a *twin*
  ``v -> u`` (travel time ``w'``), reach ``u`` for ``t * w'``; at ``t == 0`` the
  origin *is* ``u`` (cost 0);
* destination on edge ``a -> b`` at ``t``: from ``a`` for ``t * w``; from ``b`` via
  the twin for ``(1 - t) * w'``; at ``t == 1`` it *is* ``b`` (cost 0);
* both on the same road: the direct partial trip along the edge (or its twin)
  when the destination lies ahead in that direction.

The twin (:attr:`~routing.compiled.CompiledGraph.edge_twin`) is the same road run
backwards: exactly the mirrored geometry, so position ``t`` on ``u -> v`` is
position ``1 - t`` on ``v -> u``. Another road between the same two junctions
(a loop road beside a short cut) is never used for a partial edge.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.snap import Snap

__all__ = [
    "Candidate",
    "Leg",
    "Part",
    "Route",
    "assemble_route",
    "destination_candidates",
    "direct_parts",
    "origin_candidates",
    "path_parts",
    "path_route",
]


class Part(NamedTuple):
    """The stretch ``t0 .. t1`` (shares of length) of one directed edge."""

    edge: int
    t0: float
    t1: float


class Candidate(NamedTuple):
    """A graph node through which a snapped endpoint enters or leaves the graph."""

    node: int
    cost: float
    part: Part


@dataclass(frozen=True)
class Leg:
    """A maximal run of a route on one mode (road or ferry)."""

    mode: Literal["road", "ferry"]
    duration_s: float
    distance_m: float
    coords: list[tuple[float, float]]
    ferry_link_id: int | None = None


@dataclass(frozen=True)
class Route:
    """One best route between two snapped locations.

    Attributes
    ----------
    duration_s, distance_m : float
        Travel time and length, partial first/last edges included.
    nodes : list of int
        Graph node ids passed through, in order (empty for a trip within one edge).
    edges : list of int
        Compiled edge indices traversed, including partially traversed ones.
    coords : list of (lon, lat)
        Route geometry from the origin snap point to the destination snap point.
    legs : list of Leg
        The route split where it switches between road and ferry.
    street_names : list of str
        Names of the roads used, in order, consecutive repeats and blanks dropped.
    """

    duration_s: float
    distance_m: float
    nodes: list[int] = field(default_factory=list)
    edges: list[int] = field(default_factory=list)
    coords: list[tuple[float, float]] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    street_names: list[str] = field(default_factory=list)


def origin_candidates(cg: CompiledGraph, snap: Snap) -> list[Candidate]:
    """Return the nodes an origin snap can leave through, with their costs."""
    e, t = int(snap.edge), float(snap.t)
    u, v = int(cg.edge_tail[e]), int(cg.edge_head[e])
    if t == 0.0:  # at u: leaving via v costs w >= d(u, v), so u alone suffices
        return [Candidate(u, 0.0, Part(e, 0.0, 0.0))]
    out = [Candidate(v, (1.0 - t) * float(cg.edge_time[e]), Part(e, t, 1.0))]
    r = int(cg.edge_twin[e])
    if r >= 0 and t < 1.0:  # at t == 1 going back to u and on is never shorter
        out.append(Candidate(u, t * float(cg.edge_time[r]), Part(r, 1.0 - t, 1.0)))
    return out


def destination_candidates(cg: CompiledGraph, snap: Snap) -> list[Candidate]:
    """Return the nodes a destination snap can be reached from, with their costs."""
    e, t = int(snap.edge), float(snap.t)
    a, b = int(cg.edge_tail[e]), int(cg.edge_head[e])
    if t == 1.0:  # at b: arriving via a costs w >= d(a, b), so b alone suffices
        return [Candidate(b, 0.0, Part(e, 1.0, 1.0))]
    out = [Candidate(a, t * float(cg.edge_time[e]), Part(e, 0.0, t))]
    r = int(cg.edge_twin[e])
    if r >= 0 and t > 0.0:  # at t == 0 arriving from b over b -> a is never shorter
        out.append(Candidate(b, (1.0 - t) * float(cg.edge_time[r]), Part(r, 0.0, 1.0 - t)))
    return out


def direct_parts(cg: CompiledGraph, origin: Snap, destination: Snap) -> list[Part]:
    """Return the direct along-one-road trips between two snaps (0, 1 or 2)."""
    eo, ed = int(origin.edge), int(destination.edge)
    to, td = float(origin.t), float(destination.t)
    ro = int(cg.edge_twin[eo])
    if ed == eo:
        pos = td  # destination position on eo
    elif ed == ro >= 0:
        pos = 1.0 - td
    else:
        return []
    out = []
    if pos >= to:
        out.append(Part(eo, to, pos))
    if ro >= 0 and pos <= to and np.isfinite(cg.edge_time[ro]):  # a store's unusable twin
        out.append(Part(ro, 1.0 - to, 1.0 - pos))
    return out


def part_cost(cg: CompiledGraph, part: Part) -> float:
    """Travel time of a part."""
    return (part.t1 - part.t0) * float(cg.edge_time[part.edge])


def assemble_route(
    cg: CompiledGraph,
    origin: Snap,
    destination: Snap,
    parts: list[Part],
    nodes: NDArray[np.int64] | None = None,
) -> Route:
    """Build a :class:`Route` from its parts (partial and full edges).

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    origin, destination : Snap
        The endpoints; their points start and end the geometry.
    parts : list of Part
        Traversed stretches in order; zero-length ones are dropped.
    nodes : numpy.ndarray, optional
        Node indices passed through.

    Returns
    -------
    Route
        Route with geometry, legs and street names.
    """
    kept = [p for p in parts if p.t1 > p.t0]
    n = len(kept)
    edges = np.fromiter((p.edge for p in kept), dtype=np.int64, count=n)
    t0 = np.fromiter((p.t0 for p in kept), dtype=np.float64, count=n)
    t1 = np.fromiter((p.t1 for p in kept), dtype=np.float64, count=n)
    return _assemble(cg, origin, destination, edges, t0, t1, nodes)


def path_route(
    cg: CompiledGraph,
    origin: Snap,
    destination: Snap,
    start: Candidate,
    nodes: NDArray[np.int64],
    end: Candidate,
) -> Route:
    """The route ``start`` → ``nodes`` → ``end``: :func:`assemble_route` of
    :func:`path_parts`, without a Python object per edge."""
    mid = cg.path_edges(nodes) if nodes.shape[0] > 1 else np.empty(0, dtype=np.int64)
    a, b = start.part, end.part
    edges = np.concatenate([[a.edge], mid, [b.edge]]).astype(np.int64)
    t0 = np.concatenate([[a.t0], np.zeros(mid.shape[0]), [b.t0]])
    t1 = np.concatenate([[a.t1], np.ones(mid.shape[0]), [b.t1]])
    keep = t1 > t0
    return _assemble(cg, origin, destination, edges[keep], t0[keep], t1[keep], nodes)


def _assemble(
    cg: CompiledGraph,
    origin: Snap,
    destination: Snap,
    edges: NDArray[np.int64],
    t0: NDArray[np.float64],
    t1: NDArray[np.float64],
    nodes: NDArray[np.int64] | None,
) -> Route:
    """:func:`assemble_route` on arrays (parts of positive length, in order).

    Sums run left to right (``np.cumsum`` is sequential), as a loop would add them.
    """
    n = edges.shape[0]
    start = (float(origin.lon), float(origin.lat))
    end = (float(destination.lon), float(destination.lat))
    share = t1 - t0
    dur = share * np.asarray(cg.edge_time)[edges]
    dist = share * np.asarray(cg.edge_length)[edges]
    buf, first = _parts_coords(cg, edges, t0, t1)
    legs: list[Leg] = []
    if n:
        buf[0] = start
        buf[-1] = end
        ferry = np.asarray(cg.edge_ferry)[edges].astype(bool)
        cuts = [0, *(np.flatnonzero(ferry[1:] != ferry[:-1]) + 1).tolist(), n]
        for a, b in itertools.pairwise(cuts):
            lo, hi = int(first[a]), int(first[b]) if b < n else buf.shape[0]
            keep = np.ones(hi - lo, dtype=bool)
            keep[first[a + 1 : b] - lo] = False  # a part's first vertex ends the one before
            is_ferry = bool(ferry[a])
            link = int(cg.edge_ferry_link[edges[a]])
            legs.append(
                Leg(
                    mode="ferry" if is_ferry else "road",
                    duration_s=float(np.cumsum(dur[a:b])[-1]),
                    distance_m=float(np.cumsum(dist[a:b])[-1]),
                    coords=_tuples(buf[lo:hi][keep]),
                    ferry_link_id=link if is_ferry and link >= 0 else None,
                )
            )
        keep_all = np.ones(buf.shape[0], dtype=bool)
        keep_all[first[1:-1]] = False
        coords_all = _tuples(buf[keep_all])
    else:
        coords_all = [start, end]
    if nodes is None:  # a trip along one road passes its end nodes only when it reaches them
        ends = [int(cg.edge_tail[edges[0]])] if n and t0[0] == 0.0 else []
        ends += [int(cg.edge_head[edges[-1]])] if n and t1[-1] == 1.0 else []
        nodes = np.asarray(ends, dtype=np.int64)
    return Route(
        duration_s=float(np.cumsum(dur)[-1]) if n else 0.0,
        distance_m=float(np.cumsum(dist)[-1]) if n else 0.0,
        nodes=cg.node_ids[nodes].tolist(),
        edges=edges.tolist(),
        coords=coords_all,
        legs=legs,
        street_names=_street_names(cg, edges),
    )


def _parts_coords(
    cg: CompiledGraph,
    edges: NDArray[np.int64],
    t0: NDArray[np.float64],
    t1: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Every part's coordinates one after another, and where each part starts.

    Whole edges are gathered in one step; partial ones (the ends) are cut one by one.
    """
    offsets = cg.geom_offsets
    src = offsets[edges]
    counts = offsets[edges + 1] - src
    partial = {
        int(i): _cut(cg.edge_coords(int(edges[i])), float(t0[i]), float(t1[i]))
        for i in np.flatnonzero((t0 > 0.0) | (t1 < 1.0))
    }
    for i, piece in partial.items():
        counts[i] = piece.shape[0]
    first = np.zeros(edges.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    total = int(first[-1])
    idx = np.arange(total, dtype=np.int64) + np.repeat(src - first[:-1], counts)
    buf = cg.geom_coords[np.minimum(idx, cg.geom_coords.shape[0] - 1)]
    for i, piece in partial.items():
        buf[first[i] : first[i + 1]] = piece
    return buf, first


def _cut(coords: NDArray[np.float64], t0: float, t1: float) -> NDArray[np.float64]:
    """The stretch ``t0 .. t1`` of a line: its ends interpolated, inner vertices kept."""
    frac = _vertex_fractions(coords)
    inner = coords[(frac > t0) & (frac < t1)]
    a = _interpolate(coords, frac, t0)
    b = _interpolate(coords, frac, t1)
    return np.concatenate([[a], inner, [b]]).astype(np.float64)


def _tuples(coords: NDArray[np.float64]) -> list[tuple[float, float]]:
    return list(map(tuple, coords.tolist()))


def _street_names(cg: CompiledGraph, edges: NDArray[np.int64]) -> list[str]:
    """Names of the roads used, in order; blanks and consecutive repeats dropped."""
    idx = np.asarray(cg.edge_name)[edges]
    idx = idx[cg.names[idx] != ""]
    if idx.shape[0] == 0:
        return []
    idx = idx[np.concatenate([[True], idx[1:] != idx[:-1]])]
    return [str(x) for x in cg.names[idx]]


def path_parts(
    cg: CompiledGraph, start: Candidate, nodes: NDArray[np.int64], end: Candidate
) -> list[Part]:
    """Return the parts of a trip: origin partial edge, full path edges, destination partial."""
    edges = cg.path_edges(nodes) if nodes.shape[0] > 1 else np.empty(0, dtype=np.int64)
    return [start.part, *(Part(int(e), 0.0, 1.0) for e in edges), end.part]


def _vertex_fractions(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the (locally equirectangular) length reached at each vertex."""
    scale = np.cos(np.radians(float(np.mean(coords[:, 1]))))
    d = np.diff(coords, axis=0)
    seg = np.hypot(d[:, 0] * scale, d[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    if total <= 0:
        return np.linspace(0.0, 1.0, coords.shape[0])
    return cum / total


def _interpolate(
    coords: NDArray[np.float64], frac: NDArray[np.float64], t: float
) -> tuple[float, float]:
    x = float(np.interp(t, frac, coords[:, 0]))
    y = float(np.interp(t, frac, coords[:, 1]))
    return (x, y)
