"""A uniform-grid nearest-segment index in the network's UTM zone: numpy arrays only.

The index holds every segment of the roads it indexes (one arc per road: of two twins
the one with the lower index; ferries are left out) in the cells of a uniform grid in
the network's UTM zone, as CSR arrays. No Python object exists per segment, so the index
can be saved with ``np.save``, memory-mapped, and shared by every profile of a network
store (``docs/network-store.md``) and by forked worker processes.

Layout (see :class:`GridIndex`):

* fine cells of ``cell`` metres, keyed block-major: ``key = block * B**2 + (cy % B) * B +
  (cx % B)`` with ``block = (cy // B) * nbx + (cx // B)``, so the fine cells of one block
  of ``B x B`` cells are contiguous in ``cell_key`` and ``block_ptr`` (dense over the
  blocks) points at them;
* a segment is listed in every fine cell it passes through (split into pieces no longer
  than a cell, each listed in the cells of its bounding box: a few cells too many at
  most, never one too few).

A query (:meth:`GridIndex.nearest`, vectorised over points) searches rings of fine cells
outward from the point's cell; after rings ``0..r`` every segment not yet seen lies in
cells at Chebyshev distance ``> r``, hence farther than ``r * cell`` metres, so the
point is done once its best distance is ``<= r * cell``. Points not done after a few
fine rings (off the network) continue over rings of blocks, skipping empty blocks and
blocks farther than the best distance found, with the same bound at block size. The
answer is exact (the nearest usable segment, ties to the lowest segment number), for
points far outside the grid too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BLOCK", "GridIndex", "build_grid_index", "choose_cell"]

#: Fine cells per block side.
BLOCK = 8
#: Fine rings searched before the block-level search takes over.
_FINE_RINGS = 3
#: Points per vectorised batch (bounds the temporary arrays).
_BATCH = 2048
#: Larger than any segment number (ties pick the lowest).
_NO_SEG = np.iinfo(np.int64).max
#: Array names of an index, in file order (``snap_<name>.npy`` in a store).
ARRAYS = (
    "xy",
    "seg_edge",
    "seg_start",
    "seg_before",
    "seg_len",
    "arc_len",
    "cell_key",
    "cell_ptr",
    "cell_seg",
    "block_ptr",
)


def choose_cell(seg_len: NDArray[np.float64]) -> float:
    """Cell size in metres: twice the median segment length, 50..400 m, in 10 m steps."""
    if seg_len.shape[0] == 0:
        return 100.0
    med = float(np.median(seg_len))
    return float(np.clip(round(2.0 * med / 10.0) * 10.0, 50.0, 400.0))


@dataclass(frozen=True, eq=False)
class GridIndex:
    """The arrays of a grid snapping index (see the module docstring).

    Attributes
    ----------
    epsg
        The projected CRS of ``xy`` (the UTM zone of the network's centre).
    x0, y0, cell, nx, ny, block
        Grid origin (metres), fine cell size, fine cells per axis, cells per block side.
    xy
        ``(k, 2)`` projected coordinates of every line vertex of the network.
    seg_edge, seg_start
        The arc of each indexed segment and the index of its first vertex in ``xy``.
    seg_before, seg_len
        Projected length of the arc before the segment, and of the segment.
    arc_len
        Projected length of each indexed arc (0 for arcs not indexed).
    cell_key, cell_ptr, cell_seg
        Sorted keys of the non-empty fine cells and their segments (CSR).
    block_ptr
        ``nbx * nby + 1`` pointers into ``cell_key``: the non-empty cells of each block.
    """

    epsg: int
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    block: int
    xy: NDArray[np.float64]
    seg_edge: NDArray[np.int32]
    seg_start: NDArray[np.int64]
    seg_before: NDArray[np.float64]
    seg_len: NDArray[np.float64]
    arc_len: NDArray[np.float64]
    cell_key: NDArray[np.int64]
    cell_ptr: NDArray[np.int64]
    cell_seg: NDArray[np.int32]
    block_ptr: NDArray[np.int64]

    @property
    def nbx(self) -> int:
        """Blocks along x."""
        return -(-self.nx // self.block)

    @property
    def nby(self) -> int:
        """Blocks along y."""
        return -(-self.ny // self.block)

    @property
    def n_segments(self) -> int:
        """Number of indexed segments."""
        return int(self.seg_edge.shape[0])

    def grid_meta(self) -> dict[str, Any]:
        """The scalars of the index (``meta.json`` of a store)."""
        return {
            "epsg": self.epsg,
            "x0": self.x0,
            "y0": self.y0,
            "cell_m": self.cell,
            "nx": self.nx,
            "ny": self.ny,
            "block": self.block,
            "segments": self.n_segments,
            "cells": int(self.cell_key.shape[0]),
        }

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The arrays by name (see :data:`ARRAYS`)."""
        return {name: getattr(self, name) for name in ARRAYS}

    @classmethod
    def from_arrays(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> GridIndex:
        """An index from :meth:`grid_meta` and :meth:`arrays` (e.g. memory-mapped)."""
        return cls(
            epsg=int(meta["epsg"]),
            x0=float(meta["x0"]),
            y0=float(meta["y0"]),
            cell=float(meta["cell_m"]),
            nx=int(meta["nx"]),
            ny=int(meta["ny"]),
            block=int(meta["block"]),
            **{name: arrays[name] for name in ARRAYS},
        )

    # -- queries ------------------------------------------------------------------------
    def nearest(
        self, x: NDArray[np.float64], y: NDArray[np.float64], seg_ok: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """
        The nearest usable segment of each point, and its distance.

        Parameters
        ----------
        x, y
            Projected coordinates (finite).
        seg_ok
            Which segments may be returned (None: all).

        Returns
        -------
        seg, distance
            Segment number (-1 when no segment is usable) and distance in metres
            (``inf`` then).
        """
        n = x.shape[0]
        seg = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        for lo in range(0, n, _BATCH):
            sl = slice(lo, lo + _BATCH)
            seg[sl], dist[sl] = self._nearest_batch(x[sl], y[sl], seg_ok)
        return seg, dist

    def _nearest_batch(
        self, x: NDArray[np.float64], y: NDArray[np.float64], seg_ok: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        n = x.shape[0]
        best = np.full(n, np.inf)
        best_seg = np.full(n, -1, dtype=np.int64)
        cx = np.floor((x - self.x0) / self.cell).astype(np.int64)
        cy = np.floor((y - self.y0) / self.cell).astype(np.int64)
        active = np.arange(n)
        for r in range(1, _FINE_RINGS + 1):  # rings 0 and 1 at once, then one by one
            if active.shape[0] == 0:
                break
            segs_of, pts = self._fine_ring(cx[active], cy[active], r, first=r == 1)
            self._update(active[pts], segs_of, x, y, seg_ok, best, best_seg)
            active = active[best[active] > r * self.cell]
        if active.shape[0]:
            self._block_search(active, x, y, seg_ok, best, best_seg)
        return best_seg, best

    def _fine_ring(
        self, cx: NDArray[np.int64], cy: NDArray[np.int64], r: int, *, first: bool = False
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Segments in the ring-``r`` cells of each point (rings 0..r with ``first``):
        (segment, point position), grouped by point."""
        dx, dy = _rings_upto(r) if first else _ring(r)
        gx = cx[:, None] + dx[None, :]
        gy = cy[:, None] + dy[None, :]
        inside = (gx >= 0) & (gx < self.nx) & (gy >= 0) & (gy < self.ny)
        pts, which = np.nonzero(inside)
        gx, gy = gx[pts, which], gy[pts, which]
        b = self.block
        key = ((gy // b) * self.nbx + gx // b) * (b * b) + (gy % b) * b + gx % b
        pos = np.searchsorted(self.cell_key, key)
        pos_c = np.minimum(pos, self.cell_key.shape[0] - 1)
        hit = self.cell_key[pos_c] == key
        pts, pos_c = pts[hit], pos_c[hit]
        return _gather(self.cell_ptr[pos_c], self.cell_ptr[pos_c + 1], pts, self.cell_seg)

    def _block_search(
        self,
        active: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        seg_ok: NDArray[np.bool_] | None,
        best: NDArray[np.float64],
        best_seg: NDArray[np.int64],
    ) -> None:
        """Rings of blocks outward from each active point (see the module docstring).

        A ring's non-empty blocks nearer than the best distance found are opened into
        their non-empty cells; of those, only cells nearer than the point's bound are
        searched, the bound being the smaller of the best distance and the farthest
        corner of the nearest cell (every cell holds a point of its segments; with a
        mask of usable segments that no longer holds, so the best distance alone).
        """
        size = self.cell * self.block
        nbx, nby = self.nbx, self.nby
        bx = np.floor((x[active] - self.x0) / size).astype(np.int64)
        by = np.floor((y[active] - self.y0) / size).astype(np.int64)
        # rings nearer than the grid hold nothing: start at the first ring that meets it
        start = np.maximum.reduce([np.zeros_like(bx), -bx, bx - (nbx - 1), -by, by - (nby - 1)])
        last = start + max(nbx, nby)
        ring = int(start.min())
        while active.shape[0]:
            idx = np.flatnonzero(start <= ring)
            if idx.shape[0]:
                p, gx, gy = _ring_in_grid(bx[idx], by[idx], ring, nbx, nby)
                blk = gy * nbx + gx
                lo, hi = self.block_ptr[blk], self.block_ptr[blk + 1]
                pt = active[idx[p]]
                left = (self.x0 + gx * size).astype(np.float64)
                bottom = (self.y0 + gy * size).astype(np.float64)
                near = _rect_distance(x[pt], y[pt], left, bottom, size)[0]
                keep = (hi > lo) & (near < best[pt])
                cells, owner = _gather(lo[keep], hi[keep], pt[keep], None)
                self._search_cells(cells, owner, x, y, seg_ok, best, best_seg)
            done = (best[active] <= ring * size) | (ring >= last)
            active, bx, by, start, last = (
                active[~done],
                bx[~done],
                by[~done],
                start[~done],
                last[~done],
            )
            ring = max(ring + 1, int(start.min())) if active.shape[0] else ring

    def _search_cells(
        self,
        cells: NDArray[np.int64],
        pts: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        seg_ok: NDArray[np.bool_] | None,
        best: NDArray[np.float64],
        best_seg: NDArray[np.int64],
    ) -> None:
        """Search the (point, cell) pairs (grouped by point) that may hold a nearer segment."""
        if cells.shape[0] == 0:
            return
        b = self.block
        key = np.asarray(self.cell_key)[cells]
        blk, within = key // (b * b), key % (b * b)
        gx = (blk % self.nbx) * b + within % b
        gy = (blk // self.nbx) * b + within // b
        left = (self.x0 + gx * self.cell).astype(np.float64)
        bottom = (self.y0 + gy * self.cell).astype(np.float64)
        near, far = _rect_distance(x[pts], y[pts], left, bottom, self.cell)
        starts = np.flatnonzero(np.concatenate([[True], pts[1:] != pts[:-1]]))
        counts = np.diff(np.append(starts, pts.shape[0]))
        bound = best[pts[starts]]
        if seg_ok is None:  # a cell of usable segments only holds a point within ``far``
            bound = np.minimum(np.minimum.reduceat(far, starts), bound)
        keep = near <= np.repeat(bound, counts)
        segs, owner = _gather(
            self.cell_ptr[cells[keep]], self.cell_ptr[cells[keep] + 1], pts[keep], self.cell_seg
        )
        self._update(owner, segs, x, y, seg_ok, best, best_seg)

    def _update(
        self,
        pts: NDArray[np.int64],
        segs: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        seg_ok: NDArray[np.bool_] | None,
        best: NDArray[np.float64],
        best_seg: NDArray[np.int64],
    ) -> None:
        """Lower ``best``/``best_seg`` of points by the (point, segment) pairs given."""
        if seg_ok is not None and segs.shape[0]:
            ok = seg_ok[segs]
            pts, segs = pts[ok], segs[ok]
        if segs.shape[0] == 0:
            return
        d = self.point_segment(x[pts], y[pts], segs)[0]
        if np.any(pts[1:] < pts[:-1]):  # pairs come grouped by point; keep them so
            order = np.argsort(pts, kind="stable")
            pts, segs, d = pts[order], segs[order], d[order]
        starts = np.flatnonzero(np.concatenate([[True], pts[1:] != pts[:-1]]))
        counts = np.diff(np.append(starts, pts.shape[0]))
        dw = np.minimum.reduceat(d, starts)
        # ties: the lowest segment number among the nearest
        sw = np.minimum.reduceat(np.where(d == np.repeat(dw, counts), segs, _NO_SEG), starts)
        p = pts[starts]
        better = (dw < best[p]) | ((dw == best[p]) & (sw < best_seg[p]))
        best[p[better]] = dw[better]
        best_seg[p[better]] = sw[better]

    def point_segment(
        self, x: NDArray[np.float64], y: NDArray[np.float64], segs: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Distance from each point to its segment, and the position ``s`` in [0, 1] on it."""
        a = np.asarray(self.seg_start)[segs]
        pa = self.xy[a]
        pd = self.xy[a + 1] - pa
        ax, ay, dx, dy = pa[:, 0], pa[:, 1], pd[:, 0], pd[:, 1]
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.clip(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0)
        s = np.where(len2 > 0, s, 0.0)
        return np.hypot(x - (ax + s * dx), y - (ay + s * dy)), s


_RINGS: dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}


def _ring(r: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Offsets of the cells at Chebyshev distance ``r`` (1 cell for r = 0, else 8r)."""
    hit = _RINGS.get(r)
    if hit is not None:
        return hit
    if r == 0:
        out = (np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
    else:
        side = np.arange(-r, r + 1, dtype=np.int64)
        inner = np.arange(-r + 1, r, dtype=np.int64)
        dx = np.concatenate([side, side, np.full(inner.shape, -r), np.full(inner.shape, r)])
        dy = np.concatenate([np.full(side.shape, -r), np.full(side.shape, r), inner, inner])
        out = (dx, dy)
    if r < 256:
        _RINGS[r] = out
    return out


def _ring_in_grid(
    bx: NDArray[np.int64], by: NDArray[np.int64], r: int, nx: int, ny: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The cells at Chebyshev distance ``r`` from each ``(bx, by)`` inside an
    ``nx x ny`` grid: (point position, x, y), grouped by point. Only the part of the
    ring inside the grid is enumerated, so far points cost little."""
    n = bx.shape[0]
    pos = np.arange(n, dtype=np.int64)
    if r == 0:
        ok = (bx >= 0) & (bx < nx) & (by >= 0) & (by < ny)
        return pos[ok], bx[ok], by[ok]
    out_p, out_x, out_y = [], [], []
    # bottom and top rows (full width), then left and right columns (without corners)
    for fixed_y in (by - r, by + r):
        lo, hi = np.maximum(bx - r, 0), np.minimum(bx + r, nx - 1)
        ok = (fixed_y >= 0) & (fixed_y < ny) & (hi >= lo)
        vals, owner = _gather(lo[ok], hi[ok] + 1, pos[ok], None)
        out_p.append(owner)
        out_x.append(vals)
        out_y.append(fixed_y[owner])
    for fixed_x in (bx - r, bx + r):
        lo, hi = np.maximum(by - r + 1, 0), np.minimum(by + r - 1, ny - 1)
        ok = (fixed_x >= 0) & (fixed_x < nx) & (hi >= lo)
        vals, owner = _gather(lo[ok], hi[ok] + 1, pos[ok], None)
        out_p.append(owner)
        out_x.append(fixed_x[owner])
        out_y.append(vals)
    p = np.concatenate(out_p)
    order = np.argsort(p, kind="stable")
    return p[order], np.concatenate(out_x)[order], np.concatenate(out_y)[order]


def _rect_distance(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    left: NDArray[np.float64],
    bottom: NDArray[np.float64],
    size: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nearest and farthest distance from points to squares of side ``size``."""
    ux, uy = x - left, y - bottom
    nx = np.maximum(np.maximum(-ux, ux - size), 0.0)
    ny = np.maximum(np.maximum(-uy, uy - size), 0.0)
    fx = np.maximum(np.abs(ux), np.abs(ux - size))
    fy = np.maximum(np.abs(uy), np.abs(uy - size))
    return np.hypot(nx, ny), np.hypot(fx, fy)


def _rings_upto(r: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Offsets of the cells at Chebyshev distance ``<= r``."""
    parts = [_ring(k) for k in range(r + 1)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _gather(
    lo: NDArray[np.int64],
    hi: NDArray[np.int64],
    owner: NDArray[np.int64],
    values: NDArray[Any] | None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Concatenate ``values[lo[i]:hi[i]]`` (or the ranges themselves when ``values`` is
    None) for every i; return them and their ``owner[i]``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    pos = np.repeat(lo - starts, counts) + np.arange(total)
    out = pos if values is None else np.asarray(values[pos], dtype=np.int64)
    return out, np.repeat(owner, counts)


def build_grid_index(
    xy: NDArray[np.float64],
    geom_offsets: NDArray[np.int64],
    arcs: NDArray[np.int64],
    *,
    n_arcs: int,
    epsg: int,
    cell: float | None = None,
    block: int = BLOCK,
) -> GridIndex:
    """
    Build a grid index over the lines of some arcs.

    Parameters
    ----------
    xy
        ``(k, 2)`` projected coordinates of every line vertex (``epsg``).
    geom_offsets
        ``m + 1`` offsets of each arc's line in ``xy``.
    arcs
        The arcs to index (ascending).
    n_arcs
        ``m``.
    epsg
        The projected CRS of ``xy``.
    cell
        Fine cell size in metres (default :func:`choose_cell`).
    block
        Fine cells per block side.

    Returns
    -------
    GridIndex
        The index.
    """
    off = np.asarray(geom_offsets, dtype=np.int64)
    arcs = np.asarray(arcs, dtype=np.int64)
    counts = off[arcs + 1] - off[arcs] - 1
    seg_edge = np.repeat(arcs, counts)
    first = np.cumsum(counts) - counts
    seg_start = np.repeat(off[arcs] - first, counts) + np.arange(int(counts.sum()))
    d = xy[seg_start + 1] - xy[seg_start]
    seg_len = np.hypot(d[:, 0], d[:, 1])
    cum = np.cumsum(seg_len)
    base = np.repeat(np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0), counts)
    seg_before = cum - seg_len - base
    arc_len = np.zeros(n_arcs, dtype=np.float64)
    np.add.at(arc_len, seg_edge, seg_len)
    if cell is None:
        cell = choose_cell(seg_len)
    if seg_start.shape[0]:
        used = np.concatenate([xy[seg_start], xy[seg_start + 1]])
        lo = used.min(axis=0) - cell
        hi = used.max(axis=0) + cell
    else:
        lo, hi = np.zeros(2), np.full(2, cell)
    x0, y0 = float(np.floor(lo[0])), float(np.floor(lo[1]))
    nx = max(1, math.ceil((hi[0] - x0) / cell))
    ny = max(1, math.ceil((hi[1] - y0) / cell))
    nbx = -(-nx // block)
    keys, segs = _rasterise(xy, seg_start, seg_len, x0, y0, cell, nx, ny, nbx, block)
    cell_key, starts = np.unique(keys, return_index=True)
    cell_ptr = np.append(starts, keys.shape[0]).astype(np.int64)
    nblocks = nbx * -(-ny // block)
    bounds = np.searchsorted(cell_key, np.arange(nblocks + 1, dtype=np.int64) * block * block)
    block_ptr = bounds.astype(np.int64)
    return GridIndex(
        epsg=int(epsg),
        x0=x0,
        y0=y0,
        cell=float(cell),
        nx=int(nx),
        ny=int(ny),
        block=int(block),
        xy=np.ascontiguousarray(xy, dtype=np.float64),
        seg_edge=seg_edge.astype(np.int32),
        seg_start=seg_start.astype(np.int64),
        seg_before=seg_before,
        seg_len=seg_len,
        arc_len=arc_len,
        cell_key=cell_key.astype(np.int64),
        cell_ptr=cell_ptr,
        cell_seg=segs.astype(np.int32),
        block_ptr=block_ptr,
    )


def _rasterise(
    xy: NDArray[np.float64],
    seg_start: NDArray[np.int64],
    seg_len: NDArray[np.float64],
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    nbx: int,
    block: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(cell key, segment) of every cell each segment passes through, sorted by key."""
    key_parts: list[NDArray[np.int64]] = []
    seg_parts: list[NDArray[np.int64]] = []
    step = 1_000_000
    for lo in range(0, seg_start.shape[0], step):
        sid = np.arange(lo, min(lo + step, seg_start.shape[0]), dtype=np.int64)
        pieces = np.maximum(1, np.ceil(seg_len[sid] / cell)).astype(np.int64)
        owner = np.repeat(sid, pieces)
        k = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        p = np.repeat(pieces, pieces).astype(np.float64)
        a = xy[seg_start[owner]]
        d = xy[seg_start[owner] + 1] - a
        pa = a + d * (k / p)[:, None]
        pb = a + d * ((k + 1) / p)[:, None]
        gx0 = np.floor((np.minimum(pa[:, 0], pb[:, 0]) - x0) / cell).astype(np.int64)
        gx1 = np.floor((np.maximum(pa[:, 0], pb[:, 0]) - x0) / cell).astype(np.int64)
        gy0 = np.floor((np.minimum(pa[:, 1], pb[:, 1]) - y0) / cell).astype(np.int64)
        gy1 = np.floor((np.maximum(pa[:, 1], pb[:, 1]) - y0) / cell).astype(np.int64)
        for ox in (0, 1):
            for oy in (0, 1):
                gx = np.minimum(gx0 + ox, gx1)
                gy = np.minimum(gy0 + oy, gy1)
                gx, gy = np.clip(gx, 0, nx - 1), np.clip(gy, 0, ny - 1)
                key = ((gy // block) * nbx + gx // block) * (block * block)
                key_parts.append(key + (gy % block) * block + gx % block)
                seg_parts.append(owner)
    if not key_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = np.concatenate(key_parts)
    segs = np.concatenate(seg_parts)
    n_seg = max(1, seg_start.shape[0])
    pair = np.unique(keys * n_seg + segs)
    return pair // n_seg, pair % n_seg
