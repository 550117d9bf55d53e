"""Service-area polygons (isochrones) built from the reachable road network.

An isochrone for ``T`` seconds is the set of road stretches that can be reached
within ``T``, *including the reachable part of an edge*, buffered by a walking-access
distance (:data:`ACCESS_M`, 150 m by default) in the graph's UTM zone. It is never a
convex or concave hull: a road-free block, a lake or the sea stays outside unless it
lies within the access distance of a reachable road. Ferry edges are used for travel
but never drawn, so no polygon reaches across the strait.

Per-node times come from one multi-source search (see
:meth:`routing.engine.RoutingEngine.multi_source`):

* ``direction="from_sources"`` (travel *from* a point, e.g. ``/isochrones``): on an
  edge ``u -> v`` with tail time ``t_u < T`` the stretch ``[0, min(1, (T - t_u) / w)]``
  is reached;
* ``direction="to_sources"`` (people travelling *to* the nearest facility, the
  coverage direction): the stretch ``[max(0, 1 - (T - t_v) / w), 1]`` near the head.

The sources' own edges add the stretch around each snap point. Bands for several
thresholds are differences of successive cumulative polygons, so they nest and do not
overlap.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from data.budget import UNLIMITED, Budget
from routing import isochrone_raster as raster
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
    "stretch_coords",
]

Method = Literal["auto", "grid", "exact"]
"""How polygons are drawn: see :func:`isochrone_bands`."""

ACCESS_M = 150.0
"""Walking-access distance (m) either side of a reachable road."""
SIMPLIFY_M = 5.0
"""Lines are simplified with this tolerance (m) before buffering (speed, not shape)."""

LONLAT_GRID = 1e-7
LONLAT_DECIMALS = 7
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
    origin: tuple[float, float]  # south-west corner of the geometry (m), a grid origin

    def to_lonlat(self, geom: BaseGeometry, *, exact: bool = True) -> BaseGeometry:
        """Transform a geometry from the UTM zone back to lon/lat.

        With ``exact`` the result is snapped to a 1e-7 degree grid by an overlay
        (valid whatever the input; 0.1-0.3 s on a city-wide polygon); otherwise the
        coordinates are rounded to 7 decimals, and the (rare) invalid result of a
        rounding is repaired.
        """
        back = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)

        def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.column_stack(back.transform(xy[:, 0], xy[:, 1]))

        if not exact:
            return _polygonal(shapely.transform(geom, lambda xy: np.round(fn(xy), LONLAT_DECIMALS)))
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
    origin = (float(xy[:, 0].min()), float(xy[:, 1].min())) if xy.shape[0] else (0.0, 0.0)
    out = ProjectedEdges(crs=crs, xy=xy, cum=cum, length=length, canon=canon, origin=origin)
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
    coords, counts = stretch_coords(cg, edge, lo, hi)
    if counts.shape[0] == 0:
        return np.empty(0, dtype=object)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(counts.shape[0]), counts))
    return np.asarray(lines, dtype=object)


def stretch_coords(
    cg: CompiledGraph,
    edge: NDArray[np.int64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Projected (UTM) vertices of the stretches ``[lo, hi]`` of edges.

    Returns
    -------
    coords, counts : numpy.ndarray
        ``(n, 2)`` vertices of consecutive stretches, and each stretch's vertex count
        (at least 2: its two interpolated ends, with the interior vertices between).
    """
    pe = projected_edges(cg)
    if edge.shape[0] == 0:
        return np.empty((0, 2)), np.zeros(0, dtype=np.int64)
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
    return coords, total.astype(np.int64)


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
    """One isochrone band: reached within ``minutes`` but not within ``from_minutes``.

    ``cumulative`` (everything reached within ``minutes``, lon/lat) is drawn on first
    use: the API only sends the bands.
    """

    minutes: float
    from_minutes: float
    band: BaseGeometry  # lon/lat
    area_km2: float
    road_km: float
    make_cumulative: Callable[[], BaseGeometry] = field(repr=False, compare=False)

    @functools.cached_property
    def cumulative(self) -> BaseGeometry:
        """Everything reached within ``minutes`` (lon/lat)."""
        return self.make_cumulative()


def isochrone_bands(
    cg: CompiledGraph,
    node_times: NDArray[np.float64],
    minutes: Sequence[float],
    *,
    direction: Direction = "from_sources",
    sources: Sequence[Snap] = (),
    access_m: float = ACCESS_M,
    method: Method = "auto",
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
    method : {"auto", "grid", "exact"}, default "auto"
        ``"grid"``: level sets of a distance field (:mod:`routing.isochrone_raster`),
        ~10x faster, within a fraction of a percent of the exact polygon; ``"exact"``:
        the union of every buffered stretch. ``"auto"`` uses the grid unless the
        largest threshold's grid would exceed :data:`~routing.isochrone_raster.MAX_CELLS`
        nodes (province-wide service areas), where the exact union is cheaper.
    budget : Budget, default UNLIMITED
        Checked between bounded steps (each band; each step of a band).

    Returns
    -------
    list of Band
        One per threshold, ascending; ``band`` of the first is its whole polygon.
    """
    if method not in ("auto", "grid", "exact"):
        msg = f"method must be 'auto', 'grid' or 'exact', got {method!r}"
        raise ValueError(msg)
    thresholds = sorted({float(x) for x in minutes})
    reached = [
        reached_intervals(cg, node_times, m * 60.0, direction=direction, sources=sources)
        for m in thresholds
    ]
    if method != "exact":
        pe = projected_edges(cg)
        grid = raster.Grid(
            x0=np.floor(pe.origin[0] / raster.CELL_M) * raster.CELL_M,
            y0=np.floor(pe.origin[1] / raster.CELL_M) * raster.CELL_M,
        )
        samples = [raster.road_samples(*stretch_coords(cg, *r)) for r in reached]
        cells = raster.window_cells(samples[-1], grid, reach_m=access_m) if samples else 0
        if method == "grid" or cells <= raster.MAX_CELLS:
            return _grid_bands(cg, thresholds, reached, samples, grid, access_m, budget)
    return _exact_bands(cg, thresholds, reached, access_m, budget)


def _grid_bands(
    cg: CompiledGraph,
    thresholds: list[float],
    reached: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]],
    samples: list[raster.RoadSamples],
    grid: raster.Grid,
    access_m: float,
    budget: Budget,
) -> list[Band]:
    pe = projected_edges(cg)
    out: list[Band] = []
    previous: raster.DistanceField | None = None
    prev_min = 0.0
    for m, (edge, lo, hi), pts in zip(thresholds, reached, samples, strict=True):
        budget.check()
        road_km = float(np.sum((hi - lo) * pe.length[edge])) / 1000.0
        if pts.n == 0:
            out.append(Band(m, prev_min, shapely.Polygon(), 0.0, road_km, shapely.Polygon))
            prev_min = m
            continue
        dist = raster.distance_field(pts, grid, reach_m=access_m)
        if previous is not None:
            raster.nest(previous, dist)
        budget.check()
        if previous is not None:
            band = raster.band_polygon(dist, previous, grid, level=access_m)
        else:
            band = raster.cumulative_polygon(dist, grid, level=access_m)
        budget.check()
        band_ll = pe.to_lonlat(band, exact=False)
        out.append(
            Band(
                minutes=m,
                from_minutes=prev_min,
                band=band_ll,
                area_km2=float(band.area) / 1e6,
                road_km=road_km,
                # the API sends bands only: the cumulative polygon is contoured on use
                make_cumulative=(
                    functools.partial(_grid_cumulative, pe, dist, grid, access_m)
                    if previous is not None
                    else functools.partial(_same, band_ll)
                ),
            )
        )
        previous, prev_min = dist, m
    return out


def _grid_cumulative(
    pe: ProjectedEdges, dist: raster.DistanceField, grid: raster.Grid, level: float
) -> BaseGeometry:
    return pe.to_lonlat(raster.cumulative_polygon(dist, grid, level=level), exact=False)


def _exact_bands(
    cg: CompiledGraph,
    thresholds: list[float],
    reached: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]],
    access_m: float,
    budget: Budget,
) -> list[Band]:
    """Bands as the exact union of the buffered stretches (the slow, exact method)."""
    pe = projected_edges(cg)
    out: list[Band] = []
    previous: BaseGeometry = shapely.Polygon()
    prev_ll: BaseGeometry = shapely.Polygon()
    prev_min = 0.0
    done = np.zeros(cg.n_edges, dtype=bool)  # roads wholly inside ``previous``
    for m, (edge, lo, hi) in zip(thresholds, reached, strict=True):
        budget.check()
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
                area_km2=float(cumulative.area - (previous.area if prev_min else 0.0)) / 1e6,
                road_km=road_km,
                make_cumulative=functools.partial(_same, cum_ll),
            )
        )
        whole = (lo <= 0.0) & (hi >= 1.0)
        done[edge[whole]] = True
        prev_ll = cum_ll
        previous, prev_min = cumulative, m
    return out


def _same(geom: BaseGeometry) -> BaseGeometry:
    return geom


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
