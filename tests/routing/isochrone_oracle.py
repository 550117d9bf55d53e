"""The reference (slow, exact) isochrone implementation: the oracle of the grid one.

A frozen copy of ``routing/isochrones.py`` as it was before issue 13: every reached
road stretch buffered by the access distance with shapely and all the buffers unioned
(``shapely.union_all``; 2.5-3.5 s for 10/20/30 min in Jakarta). The product now draws
polygons from a distance field on a grid (``routing/isochrone_raster.py``);
``tests/routing/test_isochrones_oracle.py`` compares the two on random origins. This
copy shares no code with the product's polygon code: only the graph arrays and
``routing.snap.utm_crs_for``.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from data.budget import UNLIMITED, Budget
from routing.dijkstra import Direction
from routing.snap import Snap, utm_crs_for

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph

__all__ = [
    "ACCESS_M",
    "Band",
    "ProjectedEdges",
    "isochrone_bands",
    "projected_edges",
    "reached_intervals",
    "reached_lines",
]

ACCESS_M = 150.0
"""Walking-access distance (m) either side of a reachable road."""
SIMPLIFY_M = 5.0
"""Lines are simplified with this tolerance (m) before buffering (speed, not shape)."""

LONLAT_GRID = 1e-7
"""Output polygons are snapped to this lon/lat grid (about 1 cm) and made valid."""
UNION_CHUNK = 1000
"""Buffered road stretches unioned in one shapely call (a bounded step of a budget)."""
UNION_FAN = 8
"""Partial unions merged in one shapely call, level by level."""

_cache: weakref.WeakKeyDictionary[CompiledGraph, ProjectedEdges] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ProjectedEdges:
    """Edge geometry of a compiled graph in its UTM zone, with cumulative lengths."""

    crs: pyproj.CRS
    xy: NDArray[np.float64]  # (n_coords, 2) metres
    cum: NDArray[np.float64]  # distance of each vertex from its edge's start (m)
    length: NDArray[np.float64]  # geometric length of each edge (m)
    canon: NDArray[np.int64]  # canonical edge of each two-way road: min(e, twin(e))

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """Transform a geometry from the UTM zone back to lon/lat."""
        back = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)

        def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.column_stack(back.transform(xy[:, 0], xy[:, 1]))

        # snap to ~1 cm (1e-7 degrees): valid polygonal output, no noise digits
        return _polygonal(
            shapely.set_precision(_polygonal(shapely.transform(geom, fn)), LONLAT_GRID)
        )

    def to_xy(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project lon/lat arrays into the UTM zone."""
        fwd = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        x, y = fwd.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The valid polygonal part of a geometry (make_valid may add lines or points)."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def projected_edges(cg: CompiledGraph) -> ProjectedEdges:
    """The (cached) projected edge geometry of ``cg``."""
    hit = _cache.get(cg)
    if hit is not None:
        return hit
    crs = utm_crs_for(float(np.mean(cg.node_lon)), float(np.mean(cg.node_lat)))
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = fwd.transform(cg.geom_coords[:, 0], cg.geom_coords[:, 1])
    xy = np.column_stack([x, y]).astype(np.float64)
    seg = np.hypot(*(xy[1:] - xy[:-1]).T)
    off = cg.geom_offsets
    starts = off[:-1]
    run = np.concatenate([[0.0], np.cumsum(seg)])  # running length over all coords
    owner = np.repeat(np.arange(cg.n_edges), np.diff(off))
    cum = run - run[starts][owner]
    length = cum[off[1:] - 1]
    rev = cg.edge_twin.astype(np.int64)
    edges = np.arange(cg.n_edges, dtype=np.int64)
    canon = np.where(rev >= 0, np.minimum(edges, rev), edges)
    out = ProjectedEdges(crs=crs, xy=xy, cum=cum, length=length, canon=canon)
    _cache[cg] = out
    return out


def reached_intervals(
    cg: CompiledGraph,
    node_times: NDArray[np.float64],
    limit_s: float,
    *,
    direction: Direction = "from_sources",
    sources: Sequence[Snap] = (),
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The reached stretches of every road, merged per two-way road.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    node_times : numpy.ndarray
        Per-node times of the search (``multi_source`` with the same ``direction``).
    limit_s : float
        The threshold in seconds.
    direction : {"from_sources", "to_sources"}
        Which search produced ``node_times``.
    sources : sequence of Snap
        The search's sources (their own edges are partly reached from the snap point).

    Returns
    -------
    edge, lo, hi : numpy.ndarray
        Canonical edge index and the reached stretch ``[lo, hi]`` in shares of its length
        (ferry edges excluded). Stretches of one road do not overlap.
    """
    pe = projected_edges(cg)
    times = np.asarray(node_times, dtype=np.float64)
    w = cg.edge_time
    with np.errstate(invalid="ignore", divide="ignore"):
        if direction == "from_sources":
            t_end = times[cg.edge_tail]
            share = np.clip((limit_s - t_end) / w, 0.0, 1.0)
            ok = t_end < limit_s
            lo, hi = np.zeros_like(share), share
        else:
            t_end = times[cg.edge_head]
            share = np.clip((limit_s - t_end) / w, 0.0, 1.0)
            ok = t_end < limit_s
            lo, hi = 1.0 - share, np.ones_like(share)
    ok &= ~cg.edge_ferry
    e = np.flatnonzero(ok)
    edges, los, his = [e], [lo[e]], [hi[e]]
    for s in sources:
        for edge, a, b in _seed_parts(cg, s, limit_s, direction):
            edges.append(np.array([edge]))
            los.append(np.array([a]))
            his.append(np.array([b]))
    edge_all = np.concatenate(edges)
    lo_all, hi_all = np.concatenate(los), np.concatenate(his)
    # express every stretch on the canonical edge of its road
    flip = pe.canon[edge_all] != edge_all
    c = pe.canon[edge_all]
    lo_c = np.where(flip, 1.0 - hi_all, lo_all)
    hi_c = np.where(flip, 1.0 - lo_all, hi_all)
    keep = (hi_c - lo_c > 1e-9) & ~cg.edge_ferry[c]
    return _merge(c[keep], lo_c[keep], hi_c[keep])


def _seed_parts(
    cg: CompiledGraph, snap: Snap, limit_s: float, direction: Direction
) -> list[tuple[int, float, float]]:
    """Stretches of a source's own road reached directly from (or to) its snap point."""
    e, t = int(snap.edge), float(snap.t)
    r = int(cg.edge_twin[e])
    we = float(cg.edge_time[e])
    wr = float(cg.edge_time[r]) if r >= 0 else np.inf
    ahead, behind = (we, wr) if direction == "from_sources" else (wr, we)
    out = [(e, t, min(1.0, t + limit_s / ahead))]
    if np.isfinite(behind):
        out.append((e, max(0.0, t - limit_s / behind), t))
    return out


def _merge(
    edge: NDArray[np.int64], lo: NDArray[np.float64], hi: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Union overlapping stretches of the same edge (values in [0, 1])."""
    if edge.shape[0] == 0:
        return edge, lo, hi
    order = np.lexsort((lo, edge))
    edge, lo, hi = edge[order], lo[order], hi[order]
    key_lo = edge * 2.0 + lo  # groups 2 apart: a running max never leaks across edges
    key_hi = np.maximum.accumulate(edge * 2.0 + hi)
    start = np.ones(edge.shape[0], dtype=bool)
    start[1:] = key_lo[1:] > key_hi[:-1] + 1e-12
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    out_hi = np.full(first.shape[0], -np.inf)
    np.maximum.at(out_hi, group, hi)
    return edge[first], lo[first], out_hi


def reached_lines(
    cg: CompiledGraph,
    edge: NDArray[np.int64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
) -> NDArray[np.object_]:
    """The stretches ``[lo, hi]`` of edges as projected (UTM) LineStrings.

    A vectorised ``shapely.ops.substring``: interior vertices are kept and the two
    ends interpolated on their segments.
    """
    pe = projected_edges(cg)
    if edge.shape[0] == 0:
        return np.empty(0, dtype=object)
    off = cg.geom_offsets
    n_v = (off[edge + 1] - off[edge]).astype(np.int64)
    idx = np.repeat(off[edge] - np.cumsum(n_v) + n_v, n_v) + np.arange(int(n_v.sum()))
    owner = np.repeat(np.arange(edge.shape[0]), n_v)
    sa = (lo * pe.length[edge])[owner]
    sb = (hi * pe.length[edge])[owner]
    d = pe.cum[idx]
    first = np.cumsum(n_v) - n_v
    interior = (d > sa) & (d < sb)
    n_int = np.add.reduceat(interior.astype(np.int64), first)
    k_a = np.clip(np.add.reduceat((d <= sa).astype(np.int64), first) - 1, 0, n_v - 2)
    k_b = np.clip(np.add.reduceat((d < sb).astype(np.int64), first) - 1, 0, n_v - 2)
    p_a = _interp(pe, off[edge] + k_a, lo * pe.length[edge])
    p_b = _interp(pe, off[edge] + k_b, hi * pe.length[edge])
    total = n_int + 2
    out_first = np.cumsum(total) - total
    coords = np.empty((int(total.sum()), 2))
    coords[out_first] = p_a
    coords[out_first + total - 1] = p_b
    slot = np.repeat(out_first + 1 - (np.cumsum(n_int) - n_int), n_int)
    coords[slot + np.arange(int(n_int.sum()))] = pe.xy[idx[interior]]
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(edge.shape[0]), total))
    return np.asarray(lines, dtype=object)


def _interp(
    pe: ProjectedEdges, seg_start: NDArray[np.int64], dist: NDArray[np.float64]
) -> NDArray[np.float64]:
    a, b = pe.xy[seg_start], pe.xy[seg_start + 1]
    da, db = pe.cum[seg_start], pe.cum[seg_start + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.clip(np.where(db > da, (dist - da) / (db - da), 0.0), 0.0, 1.0)
    return a + f[:, None] * (b - a)


@dataclass(frozen=True)
class Band:
    """One isochrone band: reached within ``minutes`` but not within ``from_minutes``."""

    minutes: float
    from_minutes: float
    band: BaseGeometry  # lon/lat
    cumulative: BaseGeometry  # lon/lat, everything reached within ``minutes``
    area_km2: float
    road_km: float


def isochrone_bands(
    cg: CompiledGraph,
    node_times: NDArray[np.float64],
    minutes: Sequence[float],
    *,
    direction: Direction = "from_sources",
    sources: Sequence[Snap] = (),
    access_m: float = ACCESS_M,
    budget: Budget = UNLIMITED,
) -> list[Band]:
    """Nested, non-overlapping isochrone bands for several thresholds.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    node_times : numpy.ndarray
        Per-node times (s) of one ``multi_source`` search with ``direction``.
    minutes : sequence of float
        Thresholds in minutes (any order; bands come out ascending).
    direction : {"from_sources", "to_sources"}
        Which search produced ``node_times``.
    sources : sequence of Snap
        The search's sources.
    access_m : float, default ACCESS_M
        Walking-access buffer either side of reached roads, in metres.
    budget : Budget, default UNLIMITED
        Checked between bounded steps (each band; every :data:`UNION_CHUNK` roads
        buffered and unioned; each merge of :data:`UNION_FAN` partial unions).

    Returns
    -------
    list of Band
        One per threshold, ascending; ``band`` of the first is its whole polygon.
    """
    pe = projected_edges(cg)
    out: list[Band] = []
    previous: BaseGeometry = shapely.Polygon()
    prev_ll: BaseGeometry = shapely.Polygon()
    prev_min = 0.0
    done = np.zeros(cg.n_edges, dtype=bool)  # roads wholly inside ``previous``
    for m in sorted({float(x) for x in minutes}):
        budget.check()
        edge, lo, hi = reached_intervals(
            cg, node_times, m * 60.0, direction=direction, sources=sources
        )
        road_km = float(np.sum((hi - lo) * pe.length[edge])) / 1000.0
        new = ~done[edge]
        lines = reached_lines(cg, edge[new], lo[new], hi[new])
        # buffering each line and a cascaded union is ~100x faster than one buffer of
        # the whole MultiLineString; roads already wholly inside the previous band are
        # not buffered again
        poly = _buffered_union(lines, access_m, budget) if lines.shape[0] else shapely.Polygon()
        budget.check()
        cumulative = shapely.union(poly, previous) if not previous.is_empty else poly
        # nest and difference in lon/lat on the output grid, so that bands share
        # their boundaries exactly and never overlap
        cum_ll = pe.to_lonlat(cumulative)
        if not prev_ll.is_empty:
            cum_ll = _polygonal(shapely.union(cum_ll, prev_ll, grid_size=LONLAT_GRID))
            band_ll = _polygonal(shapely.difference(cum_ll, prev_ll, grid_size=LONLAT_GRID))
        else:
            band_ll = cum_ll
        out.append(
            Band(
                minutes=m,
                from_minutes=prev_min,
                band=band_ll,
                cumulative=cum_ll,
                area_km2=float(cumulative.area - (previous.area if prev_min else 0.0)) / 1e6,
                road_km=road_km,
            )
        )
        whole = (lo <= 0.0) & (hi >= 1.0)
        done[edge[whole]] = True
        prev_ll = cum_ll
        previous, prev_min = cumulative, m
    return out


def _buffered_union(lines: NDArray[np.object_], access_m: float, budget: Budget) -> BaseGeometry:
    """Union of the lines buffered by ``access_m``, in bounded steps checked by ``budget``.

    Up to :data:`UNION_CHUNK` lines are one cascaded union (as before); more are unioned
    chunk by chunk, and the partial unions merged :data:`UNION_FAN` at a time.
    """
    if lines.shape[0] <= UNION_CHUNK:
        parts = shapely.buffer(shapely.simplify(lines, SIMPLIFY_M), access_m, quad_segs=4)
        return shapely.union_all(parts)
    level: list[BaseGeometry] = []
    for lo in range(0, lines.shape[0], UNION_CHUNK):
        budget.check()
        chunk = lines[lo : lo + UNION_CHUNK]
        parts = shapely.buffer(shapely.simplify(chunk, SIMPLIFY_M), access_m, quad_segs=4)
        level.append(shapely.union_all(parts))
    while len(level) > 1:
        merged = []
        for lo in range(0, len(level), UNION_FAN):
            budget.check()
            merged.append(shapely.union_all(level[lo : lo + UNION_FAN]))
        level = merged
    return level[0]
