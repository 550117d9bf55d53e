"""The grid isochrones against the old exact union of buffers, on random origins.

The oracle (``tests/routing/isochrone_oracle.py``) is the slow implementation the
product used before: each reached stretch buffered with shapely and all unioned. On the
demo network, real Jakarta and a real RBI graph: each cumulative polygon differs from
the oracle's by less than 2 % of its area (issue 13), and the guarantees are checked
directly (nesting, no overlap, every point of a polygon near a reached road: nothing
bridges water or an unreached gap).
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from routing.compiled import CompiledGraph, compile_graph
from routing.isochrone_raster import CELL_M
from routing.isochrones import ACCESS_M, Band, isochrone_bands
from routing.network import Network
from tests.routing import isochrone_oracle as oracle
from tests.routing.coverage_fixtures import fixture_demo_net  # noqa: F401 - fixture

MINUTES = [10.0, 20.0, 30.0]
#: Points of a polygon may lie this much beyond the access distance (metres): where two
#: buffers meet at a notch, the contour interpolates linearly across a cell of the
#: grid, which can cut the notch (at most half a cell).
TOLERANCE_M = 0.5 * CELL_M
BOUND = 0.02
#: Share of a cumulative polygon left between its band and the previous polygon
#: (measured: 0.03-0.05 % in Jakarta).
SLIVERS = 0.002


def _origins(cg: CompiledGraph, seed: int, n: int) -> list[int]:
    rng = np.random.default_rng(seed)
    # nodes with an outgoing road (not isolated), picked at random
    cand = np.unique(cg.edge_tail[~cg.edge_ferry])
    return [int(x) for x in rng.choice(cand, size=n, replace=False)]


def _to_xy(cg: CompiledGraph):
    pe = oracle.projected_edges(cg)
    fwd = pyproj.Transformer.from_crs(4326, pe.crs, always_xy=True)
    return lambda g: shapely.transform(g, lambda xy: np.column_stack(fwd.transform(*xy.T)))


def _check(net: Network, node: int, minutes: list[float]) -> list[float]:
    """Compare with the oracle and check the guarantees; return the symmetric differences."""
    cg = net.compiled
    origin = net.snap(float(cg.node_lon[node]), float(cg.node_lat[node]), field="origin")
    times, _ = net.engine.multi_source([origin])
    new = isochrone_bands(cg, times, minutes, sources=[origin], method="grid")
    old = oracle.isochrone_bands(cg, times, minutes, sources=[origin])
    to_xy = _to_xy(cg)
    ratios = []
    for k, (a, b) in enumerate(zip(new, old, strict=True)):
        assert a.minutes == b.minutes and a.band.is_valid and a.cumulative.is_valid
        if b.cumulative.is_empty:
            assert a.cumulative.is_empty or a.cumulative.area < 1e-9
            ratios.append(0.0)
            continue
        sym = shapely.symmetric_difference(to_xy(a.cumulative), to_xy(b.cumulative)).area
        ratios.append(sym / to_xy(b.cumulative).area)
        _guarantees(cg, times, origin, new, k, to_xy)
    return ratios


def _guarantees(cg, times, origin, bands: list[Band], k: int, to_xy) -> None:
    b = bands[k]
    if k:
        prev = bands[k - 1].cumulative
        assert prev.difference(b.cumulative).area <= 1e-9 * prev.area  # nested
        assert b.band.intersection(prev).area <= 1e-9 * max(b.band.area, 1e-12)  # disjoint
        # the band and the previous polygon make up this one, but for slivers along
        # edges that run within a grid cell of each other
        gap = b.cumulative.difference(shapely.union(prev, b.band)).area
        assert gap <= SLIVERS * b.cumulative.area
    # reached roads by the oracle's own code (a separate copy of the interval rule)
    e, lo, hi = oracle.reached_intervals(cg, times, b.minutes * 60.0, sources=[origin])
    tree = shapely.STRtree(oracle.reached_lines(cg, e, lo, hi))
    poly = to_xy(b.cumulative)
    # every vertex of the boundary, and random points inside, are near a reached road
    rng = np.random.default_rng(int(b.minutes))
    x0, y0, x1, y1 = poly.bounds
    xs, ys = rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)
    inside = shapely.contains_xy(poly, xs, ys)
    pts = np.concatenate(
        [shapely.points(shapely.get_coordinates(poly)), shapely.points(xs[inside], ys[inside])]
    )
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    assert dist.max() <= ACCESS_M + TOLERANCE_M


def test_demo_random_origins_match_the_oracle(demo_net: Network):
    cg = demo_net.compiled
    worst = []
    for node in _origins(cg, seed=13, n=4):
        worst.append(max(_check(demo_net, node, MINUTES)))
    assert max(worst) < BOUND, worst


@pytest.mark.shared_data
def test_jakarta_random_origins_match_the_oracle(jakarta_graph_motorcycle):
    net = Network.from_compiled(compile_graph(jakarta_graph_motorcycle), kind="scipy")
    nodes = _origins(net.compiled, seed=7, n=2)
    monas = net.snap(106.8272, -6.1754, field="origin")
    nodes.append(int(net.compiled.edge_tail[monas.edge]))
    for node in nodes:
        ratios = _check(net, node, MINUTES)
        assert max(ratios) < BOUND, (node, ratios)


@pytest.mark.shared_data
def test_rbi_random_origins_match_the_oracle(rbi_build_motorcycle):
    net = Network.from_compiled(compile_graph(rbi_build_motorcycle[0]), kind="scipy")
    for node in _origins(net.compiled, seed=5, n=2):
        ratios = _check(net, node, [15.0, 30.0])
        assert max(ratios) < BOUND, (node, ratios)
