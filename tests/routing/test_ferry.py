"""Scheduled ferry links and ferry ways read from PBF."""

from __future__ import annotations

import json

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString, Point

from routing.errors import GraphBuildError
from routing.ferry import FerryLink, add_ferry_links, expected_wait_minutes
from routing.osm import _add_pbf_ferries, parse_duration_minutes
from tests.routing.conftest import assert_graph_contract

BAKAUHENI = (105.7522, -5.8714)
MERAK = (106.0068, -5.9302)


def two_towns() -> nx.MultiDiGraph:
    """Two road stubs near Bakauheni and Merak, in the build contract."""
    graph = nx.MultiDiGraph(crs="EPSG:4326", profile="truck", source="test")
    coords = {1: (105.7500, -5.8700), 2: (105.7520, -5.8710), 11: (106.0050, -5.9300)}
    coords[12] = (106.0070, -5.9300)
    for n, (x, y) in coords.items():
        graph.add_node(n, x=x, y=y)
    for u, v in ((1, 2), (11, 12)):
        for a, b in ((u, v), (v, u)):
            line = LineString([coords[a], coords[b]])
            length = 230.0
            graph.add_edge(
                a,
                b,
                length=length,
                speed_kph=30.0,
                travel_time=length / (30 / 3.6),
                highway="primary",
                name="",
                ferry=False,
                oneway=False,
                geometry=line,
            )
    return graph


def test_expected_wait() -> None:
    assert expected_wait_minutes(24) == 30.0
    assert expected_wait_minutes(48) == 15.0
    assert expected_wait_minutes(1) == 720.0
    with pytest.raises(GraphBuildError):
        expected_wait_minutes(0)


def test_ferry_link_validation() -> None:
    with pytest.raises(GraphBuildError, match="crossing_minutes"):
        FerryLink(1, "x", BAKAUHENI, MERAK, crossing_minutes=0, departures_per_day=10)
    with pytest.raises(GraphBuildError, match="departures_per_day"):
        FerryLink(1, "x", BAKAUHENI, MERAK, crossing_minutes=120, departures_per_day=0)
    with pytest.raises(GraphBuildError, match="lon/lat"):
        FerryLink(1, "x", (-5.87, 105.75), MERAK, crossing_minutes=120, departures_per_day=5)


def test_add_ferry_links() -> None:
    graph = two_towns()
    route = LineString([BAKAUHENI, (105.88, -5.95), MERAK])
    link = FerryLink(
        link_id="bkh-mrk",
        name="Bakauheni–Merak",
        from_lonlat=BAKAUHENI,
        to_lonlat=MERAK,
        crossing_minutes=120.0,
        departures_per_day=48,
        geometry=route,
    )
    [result] = add_ferry_links(graph, [link])
    assert (result.from_node, result.to_node) == (2, 12)
    assert result.from_distance_m < 300 and result.to_distance_m < 300
    assert result.wait_minutes == 15.0
    assert result.travel_time_s == (120 + 15) * 60
    assert_graph_contract(graph)
    forward = graph.edges[2, 12, 0]
    back = graph.edges[12, 2, 0]
    for edge in (forward, back):
        assert edge["ferry"] is True
        assert edge["highway"] == "ferry"
        assert edge["ferry_link_id"] == "bkh-mrk"
        assert edge["name"] == "Bakauheni–Merak"
        assert edge["travel_time"] == 8100.0
        assert edge["length"] == pytest.approx(result.length_m)
    # the sailing route is kept and bends south, so it is longer than the straight line
    assert len(forward["geometry"].coords) == 5
    assert result.length_m > 29_000
    assert forward["geometry"].coords[0] == (105.7520, -5.8710)
    assert back["geometry"].coords[0] == (106.0070, -5.9300)
    assert nx.is_strongly_connected(graph)
    assert nx.shortest_path_length(graph, 1, 12, weight="travel_time") > 8100


def test_add_ferry_link_straight_line_and_too_far() -> None:
    graph = two_towns()
    [result] = add_ferry_links(
        graph,
        [FerryLink(7, "Direct", BAKAUHENI, MERAK, crossing_minutes=90, departures_per_day=24)],
    )
    assert len(graph.edges[2, 12, 0]["geometry"].coords) == 4  # node, 2 terminals, node
    assert result.travel_time_s == 120 * 60
    far = FerryLink(
        8, "Panjang", (105.32, -5.47), MERAK, crossing_minutes=300, departures_per_day=2
    )
    edges = graph.number_of_edges()
    with pytest.raises(GraphBuildError, match=r"from terminal .* m from the nearest road node"):
        add_ferry_links(graph, [far], max_connect_m=5000)
    assert graph.number_of_edges() == edges  # nothing added
    with pytest.raises(GraphBuildError, match="empty graph"):
        add_ferry_links(nx.MultiDiGraph(), [far])


@pytest.mark.parametrize(
    ("value", "minutes"),
    [("02:00", 120.0), ("0:45", 45.0), ("1:30:30", 90.5), ("30", 30.0), ("PT1H30M", 90.0)],
)
def test_parse_duration(value: str, minutes: float) -> None:
    assert parse_duration_minutes(value) == pytest.approx(minutes)


@pytest.mark.parametrize("value", [None, "", "soon", "1:2:3:4", "0"])
def test_parse_duration_garbage(value: str | None) -> None:
    assert parse_duration_minutes(value) is None


def test_pbf_ferry_ways_join_shared_nodes_or_new_nodes() -> None:
    graph = two_towns()
    ferries = gpd.GeoDataFrame(
        {
            "id": [1, 2, 3, 4],
            "tags": [
                json.dumps({"name": "Bakauheni-Merak", "duration": "02:00"}),
                json.dumps({"name": "Terpotong"}),
                None,
                None,
            ],
        },
        geometry=[
            LineString([(105.7520, -5.8710), (105.9, -5.9), (106.0050, -5.9300)]),
            LineString([(105.8, -5.9), (105.8, -5.9)]),  # clipped to one point
            Point(0, 0),  # not a line
            LineString([(105.7501, -5.8701), (105.76, -5.88)]),  # ends on no node
        ],
        crs="EPSG:4326",
    )
    parsed, skipped = _add_pbf_ferries(graph, ferries)
    assert (parsed, skipped) == (3, 1)
    new = sorted(set(graph.nodes) - {1, 2, 11, 12})
    assert new == [13, 14]  # fresh ids for the loose ends; the builder connects them
    assert graph.has_edge(13, 14) and graph.nodes[13]["x"] == 105.7501
    assert graph.has_edge(2, 11) and graph.has_edge(11, 2)  # exact coordinates: shared
    edge = graph.edges[2, 11, 0]
    assert edge["ferry"] is True and edge["duration_min"] == 120.0
    assert edge["name"] == "Bakauheni-Merak"
    assert graph.edges[11, 2, 0]["geometry"].coords[0] == (106.0050, -5.9300)
