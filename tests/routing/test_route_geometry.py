"""Route geometry, lengths, legs and street names against the networkx graph itself.

The oracle walks the route's node path in the osmnx graph the network was compiled
from: between consecutive nodes it takes the fastest parallel edge (as the engines
do), and concatenates that edge's LineString, sums its lengths and collects its
names. Nothing of :mod:`routing.paths` or :mod:`routing.compiled` is used.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from routing.compiled import CompiledGraph, compile_graph
from routing.engine import make_engine
from routing.errors import UnreachableError
from routing.snap import Snap, node_snap


def _fastest(graph: nx.MultiDiGraph, u: int, v: int) -> dict[str, Any]:
    return min(graph.get_edge_data(u, v).values(), key=lambda d: d["travel_time"])


def _line(
    graph: nx.MultiDiGraph, u: int, v: int, data: dict[str, Any]
) -> list[tuple[float, float]]:
    geom = data.get("geometry")
    if geom is None:
        p, q = graph.nodes[u], graph.nodes[v]
        geom = LineString([(p["x"], p["y"]), (q["x"], q["y"])])
    return [(float(x), float(y)) for x, y in geom.coords]


def _oracle(graph: nx.MultiDiGraph, node_ids: list[int]) -> tuple[list[Any], float, list[str]]:
    coords: list[tuple[float, float]] = []
    length = 0.0
    names: list[str] = []
    for u, v in itertools.pairwise(node_ids):
        data = _fastest(graph, u, v)
        line = _line(graph, u, v, data)
        coords.extend(line if not coords else line[1:])
        length += float(data["length"])
        name = data.get("name") or ""
        name = name if isinstance(name, str) else ""
        if name and (not names or names[-1] != name):
            names.append(name)
    return coords, length, names


@pytest.fixture(scope="module")
def jakarta(jakarta_graph_car: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, CompiledGraph]:
    return jakarta_graph_car, compile_graph(jakarta_graph_car)


@pytest.mark.shared_data
@pytest.mark.parametrize("kind", ["cch", "scipy"])
def test_jakarta_route_geometry_equals_graph_edges(jakarta, kind: str) -> None:
    G, cg = jakarta
    engine = make_engine(cg, kind=kind)
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        a, b = (int(x) for x in rng.choice(cg.n_nodes, size=2, replace=False))
        try:
            route = engine.route(node_snap(cg, a), node_snap(cg, b))
        except UnreachableError:
            continue
        coords, length, names = _oracle(G, route.nodes)
        start = (float(cg.node_lon[a]), float(cg.node_lat[a]))
        end = (float(cg.node_lon[b]), float(cg.node_lat[b]))
        assert route.coords[1:-1] == coords[1:-1]
        assert route.coords[0] == start and route.coords[-1] == end
        assert route.distance_m == pytest.approx(length, rel=1e-9)
        assert [leg.mode for leg in route.legs] == ["road"]
        assert route.legs[0].coords == route.coords
        assert route.street_names == names
        checked += 1
    assert checked >= 40


def test_partial_ends_cut_the_edge_lines() -> None:
    """Snapped ends inside a road: the cut keeps the inner bends and interpolates."""
    G = nx.MultiDiGraph(crs="EPSG:4326", profile="motorcycle")
    G.add_node(1, x=105.0, y=-5.0)
    G.add_node(2, x=105.01, y=-5.0)
    G.add_node(3, x=105.01, y=-5.01)
    bent = LineString([(105.0, -5.0), (105.005, -5.0), (105.01, -5.0)])
    for u, v, line, name in ((1, 2, bent, "Jalan A"), (2, 3, None, "")):
        for x, y, geom in ((u, v, line), (v, u, None if line is None else line.reverse())):
            attrs = {"geometry": geom} if geom is not None else {}
            G.add_edge(x, y, travel_time=60.0, length=1000.0, name=name, highway="primary",
                       ferry=False, oneway=False, **attrs)  # fmt: skip
    cg = compile_graph(G)
    engine = make_engine(cg, kind="cch")
    e12 = int(cg.best_edges([0], [1])[0])
    e23 = int(cg.best_edges([1], [2])[0])
    o = Snap(edge=e12, t=0.25, lon=105.0025, lat=-5.0)
    d = Snap(edge=e23, t=0.5, lon=105.01, lat=-5.005)
    route = engine.route(o, d)
    assert route.coords == [(105.0025, -5.0), (105.005, -5.0), (105.01, -5.0), (105.01, -5.005)]
    assert route.distance_m == pytest.approx(0.75 * 1000 + 0.5 * 1000)
    assert route.duration_s == pytest.approx(0.75 * 60 + 0.5 * 60)
    assert route.street_names == ["Jalan A"]
    # both ends on the same road, past the bend: the bend stays, nothing else
    far = Snap(edge=e12, t=0.75, lon=105.0075, lat=-5.0)
    along = engine.route(o, far)
    assert along.coords == [(105.0025, -5.0), (105.005, -5.0), (105.0075, -5.0)]
    assert along.distance_m == pytest.approx(500.0)
    # and the other way round runs on the reversed road
    back = engine.route(far, o)
    assert back.coords == [(105.0075, -5.0), (105.005, -5.0), (105.0025, -5.0)]
