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
    parts = [p for p in parts if p.t1 > p.t0]
    start = (float(origin.lon), float(origin.lat))
    end = (float(destination.lon), float(destination.lat))
    legs: list[Leg] = []
    names: list[str] = []
    total_t = 0.0
    total_d = 0.0
    for i, p in enumerate(parts):
        e = p.edge
        share = p.t1 - p.t0
        dur = share * float(cg.edge_time[e])
        dist = share * float(cg.edge_length[e])
        total_t += dur
        total_d += dist
        coords = _part_coords(cg, p)
        if i == 0:
            coords[0] = start
        if i == len(parts) - 1:
            coords[-1] = end
        ferry = bool(cg.edge_ferry[e])
        mode: Literal["road", "ferry"] = "ferry" if ferry else "road"
        link = int(cg.edge_ferry_link[e])
        if legs and legs[-1].mode == mode:
            prev = legs[-1]
            legs[-1] = Leg(
                mode=mode,
                duration_s=prev.duration_s + dur,
                distance_m=prev.distance_m + dist,
                coords=prev.coords + coords[1:],
                ferry_link_id=prev.ferry_link_id,
            )
        else:
            legs.append(Leg(mode, dur, dist, coords, link if ferry and link >= 0 else None))
        name = str(cg.names[cg.edge_name[e]])
        if name and (not names or names[-1] != name):
            names.append(name)
    coords_all: list[tuple[float, float]] = [start]
    for leg in legs:
        coords_all.extend(leg.coords[1:])
    if len(coords_all) == 1:
        coords_all.append(end)
    if nodes is None:  # a trip along one road passes its end nodes only when it reaches them
        ends = [int(cg.edge_tail[p.edge]) for p in parts[:1] if p.t0 == 0.0]
        ends += [int(cg.edge_head[p.edge]) for p in parts[-1:] if p.t1 == 1.0]
        nodes = np.asarray(ends, dtype=np.int64)
    node_ids = cg.node_ids[nodes].tolist()
    return Route(
        duration_s=total_t,
        distance_m=total_d,
        nodes=node_ids,
        edges=[p.edge for p in parts],
        coords=coords_all,
        legs=legs,
        street_names=names,
    )


def path_parts(
    cg: CompiledGraph, start: Candidate, nodes: NDArray[np.int64], end: Candidate
) -> list[Part]:
    """Return the parts of a trip: origin partial edge, full path edges, destination partial."""
    edges = cg.path_edges(nodes) if nodes.shape[0] > 1 else np.empty(0, dtype=np.int64)
    return [start.part, *(Part(int(e), 0.0, 1.0) for e in edges), end.part]


def _part_coords(cg: CompiledGraph, part: Part) -> list[tuple[float, float]]:
    coords = cg.edge_coords(part.edge)
    if part.t0 <= 0.0 and part.t1 >= 1.0:
        return list(map(tuple, coords.tolist()))
    frac = _vertex_fractions(coords)
    inner = coords[(frac > part.t0) & (frac < part.t1)]
    a = _interpolate(coords, frac, part.t0)
    b = _interpolate(coords, frac, part.t1)
    return [a, *((float(x), float(y)) for x, y in inner), b]


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
