"""The distance-field isochrone grid against hand computations (straight roads, discs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing import isochrone_raster as raster

GRID = raster.Grid(x0=0.0, y0=0.0)
R = 150.0


def _samples(*lines: list[tuple[float, float]]) -> raster.RoadSamples:
    coords = np.array([p for line in lines for p in line], dtype=np.float64)
    counts = np.array([len(line) for line in lines], dtype=np.int64)
    return raster.road_samples(coords, counts)


def test_samples_are_no_farther_apart_than_the_spacing_and_keep_the_vertices():
    s = _samples([(0.0, 0.0), (100.0, 0.0), (100.0, 55.0)])
    pts = s.points
    # every vertex is a sample
    for v in ((0.0, 0.0), (100.0, 0.0), (100.0, 55.0)):
        assert np.any(np.all(np.isclose(pts, v), axis=1))
    # along each segment, consecutive samples are at most SAMPLE_M apart
    on_first = np.sort(pts[np.isclose(pts[:, 1], 0.0), 0])
    assert np.max(np.diff(on_first)) <= raster.SAMPLE_M + 1e-9
    # each sample's segment contains it
    a, b, p = s.seg_a, s.seg_b, s.points
    cross = (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
    np.testing.assert_allclose(cross, 0.0, atol=1e-6)


def test_field_is_the_distance_to_a_straight_road():
    # a road from (1000, 1000) to (3000, 1500): distance of a node = hand formula
    a, b = np.array([1000.0, 1000.0]), np.array([3000.0, 1500.0])
    field = raster.distance_field(_samples([tuple(a), tuple(b)]), GRID, reach_m=R)
    xs, ys = field.xs(GRID), field.ys(GRID)
    gx, gy = np.meshgrid(xs, ys)
    ab = b - a
    t = np.clip(((gx - a[0]) * ab[0] + (gy - a[1]) * ab[1]) / (ab @ ab), 0.0, 1.0)
    hand = np.hypot(gx - (a[0] + t * ab[0]), gy - (a[1] + t * ab[1]))
    near = hand <= R  # where the polygon is decided
    np.testing.assert_allclose(field.d[near], hand[near], atol=1e-6)
    assert np.all(field.d[hand > R + 3 * GRID.cell] >= raster.FAR)


def test_cumulative_polygon_of_one_road_is_its_stadium():
    # a 2 km straight road: the buffer is a 2 km x 300 m rectangle and two half discs
    field = raster.distance_field(_samples([(5000.0, 5000.0), (7000.0, 5000.0)]), GRID, reach_m=R)
    poly = raster.cumulative_polygon(field, GRID, level=R)
    hand = 2000.0 * 2 * R + math.pi * R**2
    assert poly.is_valid
    assert abs(poly.area - hand) / hand < 0.005
    x0, y0, x1, y1 = poly.bounds
    # the round ends are chords of the circle between grid lines: short by at most the
    # sagitta of a chord one cell long
    sagitta = GRID.cell**2 / (8 * R)
    assert x0 == pytest.approx(5000.0 - R, abs=sagitta + 0.5)
    assert x1 == pytest.approx(7000.0 + R, abs=sagitta + 0.5)
    assert y0 == pytest.approx(5000.0 - R, abs=0.5) and y1 == pytest.approx(5000.0 + R, abs=0.5)


def test_a_gap_wider_than_two_access_distances_stays_open():
    # two parallel roads 330 m apart: their buffers must not touch (30 m of gap)
    s = _samples([(0.0, 0.0), (3000.0, 0.0)], [(0.0, 330.0), (3000.0, 330.0)])
    field = raster.distance_field(s, GRID, reach_m=R)
    poly = raster.cumulative_polygon(field, GRID, level=R)
    assert poly.geom_type == "MultiPolygon" and len(poly.geoms) == 2
    # 290 m apart: one polygon, bridged by the two buffers
    s = _samples([(0.0, 0.0), (3000.0, 0.0)], [(0.0, 290.0), (3000.0, 290.0)])
    field = raster.distance_field(s, GRID, reach_m=R)
    assert raster.cumulative_polygon(field, GRID, level=R).geom_type == "Polygon"


def test_bands_nest_and_meet_without_overlap():
    small = raster.distance_field(_samples([(0.0, 0.0), (1000.0, 0.0)]), GRID, reach_m=R)
    large = raster.distance_field(
        _samples([(0.0, 0.0), (2500.0, 0.0)], [(1000.0, 0.0), (1000.0, 900.0)]), GRID, reach_m=R
    )
    raster.nest(small, large)
    inner = raster.cumulative_polygon(small, GRID, level=R)
    outer = raster.cumulative_polygon(large, GRID, level=R)
    band = raster.band_polygon(large, small, GRID, level=R)
    assert inner.difference(outer).area < 1e-6 * inner.area  # nested
    assert band.intersection(inner).area < 1e-6 * band.area  # disjoint
    # together they are the larger polygon, but for slivers where the smaller polygon's
    # edge runs within a cell of the larger one's (here along the first road's sides
    # near its old end: 0.12 %)
    assert 0.0 <= outer.area - band.area - inner.area < 0.005 * outer.area
    # the band by hand: 1.5 km more road, and the branch beyond the road's own buffer
    hand = 1500.0 * 2 * R + (900.0 - R) * 2 * R + 0.5 * math.pi * R**2
    assert abs(band.area - hand) / hand < 0.01


def test_window_cells_counts_the_grid_the_field_builds():
    s = _samples([(0.0, 0.0), (4000.0, 3000.0)])
    field = raster.distance_field(s, GRID, reach_m=R)
    assert raster.window_cells(s, GRID, reach_m=R) == field.d.size
