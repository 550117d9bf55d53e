"""The grid snapping index against brute force (shapely distances to every segment)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from routing.snap_index import build_grid_index


def _lines(rng: np.random.Generator, n_lines: int) -> tuple[np.ndarray, np.ndarray]:
    """Random polylines (2-6 vertices, steps of 5-400 m) in a 20 km square, as
    ``xy`` and ``geom_offsets``; some lines cluster in a small town."""
    coords, offsets = [], [0]
    for i in range(n_lines):
        k = int(rng.integers(2, 7))
        centre = rng.uniform(0, 2000, 2) if i % 3 == 0 else rng.uniform(0, 20_000, 2)
        steps = rng.normal(0, 1, (k, 2)) * rng.uniform(5, 400)
        pts = centre + np.cumsum(steps, axis=0)
        coords.append(pts + np.array([500_000.0, 9_300_000.0]))
        offsets.append(offsets[-1] + k)
    return np.concatenate(coords), np.asarray(offsets, dtype=np.int64)


def _brute(
    xy: np.ndarray, off: np.ndarray, arcs: np.ndarray, px: np.ndarray, py: np.ndarray
) -> np.ndarray:
    """Distance from each point to the nearest of the given arcs' lines (shapely)."""
    lines = np.asarray([shapely.LineString(xy[off[a] : off[a + 1]]) for a in arcs])
    pts = shapely.points(px, py)
    return np.min(shapely.distance(pts[:, None], lines[None, :]), axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy, off = _lines(rng, 400)
    m = off.shape[0] - 1
    arcs = np.sort(rng.choice(m, size=300, replace=False))  # some arcs are not indexed
    index = build_grid_index(xy, off, arcs, n_arcs=m, epsg=32748)
    # points on the network, near it, in empty parts of it, and far outside the grid
    near = xy[rng.integers(xy.shape[0], size=300)] + rng.normal(0, 60, (300, 2))
    inside = rng.uniform(xy.min(axis=0), xy.max(axis=0), (300, 2))
    far = xy.mean(axis=0) + rng.normal(0, 1, (50, 2)) * 80_000
    pts = np.concatenate([near, inside, far])
    seg, dist = index.nearest(pts[:, 0], pts[:, 1], None)
    want = _brute(xy, off, arcs, pts[:, 0], pts[:, 1])
    np.testing.assert_allclose(dist, want, rtol=0, atol=1e-6)
    # the segment returned is at that distance and belongs to an indexed arc
    got = index.point_segment(pts[:, 0], pts[:, 1], seg)[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert set(np.asarray(index.seg_edge)[seg].tolist()) <= set(arcs.tolist())


def test_usable_mask_and_empty_answers() -> None:
    rng = np.random.default_rng(5)
    xy, off = _lines(rng, 200)
    m = off.shape[0] - 1
    arcs = np.arange(m)
    index = build_grid_index(xy, off, arcs, n_arcs=m, epsg=32748)
    usable_arcs = np.sort(rng.choice(m, size=40, replace=False))
    seg_ok = np.isin(np.asarray(index.seg_edge), usable_arcs)
    pts = xy[rng.integers(xy.shape[0], size=400)] + rng.normal(0, 200, (400, 2))
    seg, dist = index.nearest(pts[:, 0], pts[:, 1], seg_ok)
    np.testing.assert_allclose(
        dist, _brute(xy, off, usable_arcs, pts[:, 0], pts[:, 1]), rtol=0, atol=1e-6
    )
    assert np.all(seg_ok[seg])
    # nothing usable: -1 and inf, never a wrong segment
    seg, dist = index.nearest(pts[:5, 0], pts[:5, 1], np.zeros_like(seg_ok))
    assert np.all(seg == -1) and np.all(np.isinf(dist))


def test_positions_along_arcs() -> None:
    """``seg_before`` / ``arc_len`` against lengths measured by shapely."""
    rng = np.random.default_rng(9)
    xy, off = _lines(rng, 50)
    m = off.shape[0] - 1
    index = build_grid_index(xy, off, np.arange(m), n_arcs=m, epsg=32748)
    lines = np.asarray([shapely.LineString(xy[off[a] : off[a + 1]]) for a in range(m)])
    np.testing.assert_allclose(index.arc_len, shapely.length(lines), rtol=1e-12)
    for s in rng.integers(index.n_segments, size=50).tolist():
        arc = int(index.seg_edge[s])
        start = int(index.seg_start[s])
        before = shapely.LineString(xy[off[arc] : start + 1]).length if start > off[arc] else 0.0
        assert abs(float(index.seg_before[s]) - before) < 1e-6
