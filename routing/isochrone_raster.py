"""Buffered road stretches as polygons by anti-aliased rasterisation and contouring.

The slow part of an isochrone was the exact union of tens of thousands of buffered
road stretches (``shapely.union_all``). Here the union is *drawn* instead: every
stretch is stroked onto a canvas in the graph's UTM zone with a pen as wide as twice
the access distance (round caps and joins: exactly the stretch's buffer), with
anti-aliasing, by matplotlib's Agg rasteriser in one call per chunk of stretches. Each
pixel then holds the share of its area that lies inside the union of buffers, and the
polygon is the 50 % contour of that field (``contourpy``, marching squares with linear
interpolation), which finds the boundary to a fraction of a pixel.

Bands share one canvas: the stretches of the first threshold are drawn, the field is
contoured, the new stretches of the next threshold are drawn over it, and so on.
Drawing only adds ink, so each field is pointwise at least the previous one and the
contours nest.

Accuracy (see ``bench/isochrones.py`` and the oracle tests): with :data:`CELL_M`
(10 m) pixels the cumulative polygons differ from the old exact union of buffers by
about 1 % of their area in Jakarta (up to 2.3 % on the sparse demo roads). A pocket of
the union narrower than about a pixel (a spot a little farther than the access distance
from every road, ringed by buffers) is filled, so a point of a polygon can lie up to
about one pixel beyond the access distance (10.7 m measured in Jakarta; the old exact
union allowed 6 m through its simplification). Gaps wider than a pixel, water and
unreached land stay open. :data:`MARGIN_CELLS` can narrow the pen (0 by default: any
narrowing shrinks every corridor and costs more area than it saves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import contourpy
import numpy as np
import shapely
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.path import Path
from matplotlib.transforms import Affine2D
from shapely.geometry.base import BaseGeometry

from data.budget import UNLIMITED, Budget

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CELL_M", "DRAW_CHUNK", "MARGIN_CELLS", "MAX_PIXELS", "Canvas"]

CELL_M = 10.0
"""Pixel size (m) of the canvas, unless the extent needs coarser pixels (20 m: ~2x faster,
about 2x the error)."""
MAX_PIXELS = 16_000_000
"""Pixels of one canvas at most (64 MB of RGBA); larger extents get coarser pixels."""
MIN_RADIUS_CELLS = 4.0
"""The access distance spans at least this many pixels (finer pixels for small buffers)."""
MARGIN_CELLS = 0.0
"""The pen is narrowed by this share of a pixel on each side (see the module notes)."""
SHARPEN = 4.0
"""Slope of each snapshot's coverage around one half in the summed band field."""
DRAW_CHUNK = 50_000
"""Stretches drawn in one Agg path (a bounded step of a budget)."""
_LEVEL = 127.5
"""Contour level on the 8-bit alpha channel: half of a pixel's area covered."""


@dataclass
class Canvas:
    """A UTM raster on which buffered stretches accumulate.

    Parameters
    ----------
    bounds : tuple of float
        ``(xmin, ymin, xmax, ymax)`` in metres of everything that will be drawn.
    access_m : float
        The buffer distance (metres).
    """

    x0: float
    y0: float
    cell: float
    width: int
    height: int
    access_m: float
    renderer: RendererAgg
    coverage: NDArray[np.uint8]

    @classmethod
    def for_bounds(cls, bounds: tuple[float, float, float, float], *, access_m: float) -> Canvas:
        """A canvas covering ``bounds`` plus the buffer, with pixels of :data:`CELL_M`."""
        cell = min(CELL_M, access_m / MIN_RADIUS_CELLS)
        pad = access_m + 2.0 * CELL_M
        xmin, ymin, xmax, ymax = bounds
        span_x = xmax - xmin + 2 * pad
        span_y = ymax - ymin + 2 * pad
        if span_x * span_y / cell**2 > MAX_PIXELS:
            cell = math.sqrt(span_x * span_y / MAX_PIXELS)
        pad = access_m + 2.0 * cell
        width = math.ceil((xmax - xmin + 2 * pad) / cell)
        height = math.ceil((ymax - ymin + 2 * pad) / cell)
        return cls(
            x0=xmin - pad,
            y0=ymin - pad,
            cell=cell,
            width=max(width, 2),
            height=max(height, 2),
            access_m=access_m,
            renderer=RendererAgg(max(width, 2), max(height, 2), 72),
            coverage=np.zeros((max(height, 2), max(width, 2)), dtype=np.uint8),
        )

    def draw(
        self,
        coords: NDArray[np.float64],
        counts: NDArray[np.int64],
        *,
        budget: Budget = UNLIMITED,
    ) -> None:
        """Stroke polylines (``coords`` in metres, ``counts`` vertices each) with the pen.

        Each chunk of :data:`DRAW_CHUNK` lines is one Agg path, whose anti-aliased
        coverage is that of the exact union of its strokes (non-zero fill); chunks are
        combined by the pixel maximum, never by alpha compositing (which would count a
        pixel half covered by two coinciding strokes as three quarters covered and push
        the contour outwards). The maximum can only under-estimate the union's coverage
        where boundaries of two chunks cross one pixel: the polygon stays inside.

        Parameters
        ----------
        coords : numpy.ndarray
            ``(n, 2)`` vertices of all lines, one after the other.
        counts : numpy.ndarray
            Vertices of each line (at least 2).
        budget : Budget, default UNLIMITED
            Checked before each chunk of :data:`DRAW_CHUNK` lines.
        """
        if counts.shape[0] == 0:
            return
        gc = self.renderer.new_gc()
        # 1 point = 1 pixel at 72 dpi
        radius = self.access_m / self.cell - MARGIN_CELLS
        gc.set_linewidth(2.0 * max(radius, 0.5))
        gc.set_capstyle("round")
        gc.set_joinstyle("round")
        gc.set_antialiased(True)
        gc.set_snap(False)
        gc.set_foreground((0.0, 0.0, 0.0, 1.0))
        px = np.empty_like(coords)
        px[:, 0] = (coords[:, 0] - self.x0) / self.cell
        px[:, 1] = (coords[:, 1] - self.y0) / self.cell
        first = np.cumsum(counts) - counts
        codes = np.full(coords.shape[0], Path.LINETO, dtype=np.uint8)
        codes[first] = Path.MOVETO
        identity = Affine2D()
        for lo in range(0, counts.shape[0], DRAW_CHUNK):
            budget.check()
            hi = min(lo + DRAW_CHUNK, counts.shape[0])
            a = int(first[lo])
            b = int(first[hi - 1] + counts[hi - 1])
            path = Path(px[a:b], codes[a:b])
            path.should_simplify = False
            self.renderer.clear()
            self.renderer.draw_path(gc, path, identity)
            # Agg rows run from the top
            np.maximum(
                self.coverage,
                np.asarray(self.renderer.buffer_rgba())[::-1, :, 3],
                out=self.coverage,
            )
        gc.restore()

    def snapshot(self) -> NDArray[np.uint8]:
        """The coverage drawn so far (0-255 per pixel; row ``i`` at ``y0 + (i + 0.5) cell``)."""
        return self.coverage.copy()

    def bands(
        self, snapshots: list[NDArray[np.uint8]], *, budget: Budget = UNLIMITED
    ) -> list[tuple[BaseGeometry, BaseGeometry]]:
        """Band and cumulative polygons (metres) of successive snapshots of this canvas.

        The snapshots are pointwise non-decreasing (drawing only adds ink). Each is
        sharpened around half coverage (``clip(SHARPEN * (c - 1/2) + 1/2, 0, 1)``) and
        they are summed into one field ``Z``: ``Z >= n - k - 1/2`` is the cumulative
        polygon of snapshot ``k`` (0-based), and band ``k`` lies between two successive
        levels of the *same* field, so bands share their boundaries exactly and never
        overlap. Where the other snapshots are flat (0 or 1, i.e. away from their own
        boundaries), a level of ``Z`` crosses exactly where snapshot ``k`` crosses half
        coverage; where boundaries of several snapshots meet in one pixel, within a
        fraction of a pixel.
        """
        n = len(snapshots)
        if n == 0:
            return []
        last = snapshots[-1]
        rows = np.flatnonzero(last.any(axis=1))
        if rows.shape[0] == 0:
            return [(shapely.Polygon(), shapely.Polygon()) for _ in snapshots]
        cols = np.flatnonzero(last.any(axis=0))
        # contour only the inked window (plus one blank pixel all round)
        r0, r1 = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, self.height)
        c0, c1 = max(int(cols[0]) - 1, 0), min(int(cols[-1]) + 2, self.width)
        z = np.zeros((r1 - r0 + 2, c1 - c0 + 2), dtype=np.float64)
        inner = z[1:-1, 1:-1]
        for snap in snapshots:
            # sharpen each coverage around one half: 0 or 1 away from its own boundary
            inner += np.clip(snap[r0:r1, c0:c1] * (SHARPEN / 255.0) + (0.5 - SHARPEN / 2), 0, 1)
        xs = self.x0 + (np.arange(c0 - 1, c1 + 1) + 0.5) * self.cell
        ys = self.y0 + (np.arange(r0 - 1, r1 + 1) + 0.5) * self.cell
        gen = contourpy.contour_generator(xs, ys, z, fill_type="OuterOffset")
        out = []
        for k in range(n):
            budget.check()
            level = n - k - 0.5
            cumulative = _polygons(*gen.filled(level, n + 1.0))
            band = cumulative if k == 0 else _polygons(*gen.filled(level, level + 1.0))
            out.append((band, cumulative))
        return out


def _polygons(points: list[NDArray[np.float64]], offsets: list[NDArray[np.uint32]]) -> BaseGeometry:
    """Shapely polygons from contourpy's ``OuterOffset`` output (first ring = shell)."""
    if not points:
        return shapely.Polygon()
    ring_sizes = np.concatenate([np.diff(o.astype(np.int64)) for o in offsets])
    rings_per_poly = np.array([o.shape[0] - 1 for o in offsets], dtype=np.int64)
    coords = np.concatenate(points)
    ring_id = np.repeat(np.arange(ring_sizes.shape[0]), ring_sizes)
    rings = np.asarray(shapely.linearrings(coords, indices=ring_id), dtype=object)
    polys = np.asarray(
        shapely.polygons(rings, indices=np.repeat(np.arange(len(points)), rings_per_poly)),
        dtype=object,
    )
    if polys.shape[0] == 1:
        return cast("BaseGeometry", polys[0])
    return cast("BaseGeometry", shapely.multipolygons(polys))
