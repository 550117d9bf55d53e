"""Scheduled ferry links added to a built graph (e.g. Bakauheni–Merak).

OSM often lacks the ferry line a planner needs, or has it without a usable
duration. :func:`add_ferry_links` adds a ferry between the graph nodes nearest
to two terminals, in both directions, with a travel time of

``crossing_minutes + expected_wait_minutes(departures_per_day)``.

The expected wait assumes travellers arrive at the terminal at a uniformly
random time and departures are evenly spaced over 24 hours, so the mean wait
is half the headway. The exact wait for a given departure time depends on the
timetable and is not modelled here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString

from routing.errors import GraphBuildError

__all__ = ["FerryLink", "FerryLinkResult", "add_ferry_links", "expected_wait_minutes"]

_GEOD = Geod(ellps="WGS84")
_EARTH_RADIUS_M = 6_371_009.0


@dataclass(frozen=True)
class FerryLink:
    """
    A scheduled ferry line between two terminals.

    Attributes
    ----------
    link_id
        Identifier, copied to the edges as ``ferry_link_id``.
    name
        Name of the line (``"Bakauheni–Merak"``).
    from_lonlat, to_lonlat
        Terminal locations (longitude, latitude).
    crossing_minutes
        Sailing time, berth to berth.
    departures_per_day
        Departures per direction per day, spread over 24 hours.
    geometry
        Sailing route from ``from_lonlat`` to ``to_lonlat`` (lon/lat); a
        straight line when None.
    """

    link_id: int | str
    name: str
    from_lonlat: tuple[float, float]
    to_lonlat: tuple[float, float]
    crossing_minutes: float
    departures_per_day: int
    geometry: LineString | None = None

    def __post_init__(self) -> None:
        """Validate the values."""
        if not self.crossing_minutes > 0:
            msg = f"ferry {self.link_id!r}: crossing_minutes must be > 0"
            raise GraphBuildError(msg)
        if int(self.departures_per_day) < 1:
            msg = f"ferry {self.link_id!r}: departures_per_day must be >= 1"
            raise GraphBuildError(msg)
        for lon, lat in (self.from_lonlat, self.to_lonlat):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                msg = f"ferry {self.link_id!r}: ({lon}, {lat}) is not a lon/lat pair"
                raise GraphBuildError(msg)


@dataclass(frozen=True)
class FerryLinkResult:
    """
    Where a ferry link was attached.

    Attributes
    ----------
    link_id
        The link's identifier.
    from_node, to_node
        Graph nodes at the two terminals.
    from_distance_m, to_distance_m
        Distance from each terminal location to its node.
    length_m
        Length of each added edge.
    travel_time_s
        Travel time of each added edge (crossing plus expected wait).
    wait_minutes
        The expected wait included in ``travel_time_s``.
    """

    link_id: int | str
    from_node: int
    to_node: int
    from_distance_m: float
    to_distance_m: float
    length_m: float
    travel_time_s: float
    wait_minutes: float


def expected_wait_minutes(departures_per_day: int) -> float:
    """
    Return the mean wait for a ferry with evenly spaced departures.

    Parameters
    ----------
    departures_per_day
        Departures per direction in 24 hours (>= 1).

    Returns
    -------
    float
        Half the headway, ``(24 * 60 / departures_per_day) / 2`` minutes,
        the mean wait of a traveller arriving at a uniformly random time.

    Raises
    ------
    GraphBuildError
        If ``departures_per_day`` is below 1.
    """
    if departures_per_day < 1:
        msg = "departures_per_day must be >= 1"
        raise GraphBuildError(msg)
    return (24 * 60 / departures_per_day) / 2


def _haversine_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    lam1, phi1 = np.radians(lon), np.radians(lat)
    lam2, phi2 = np.radians(lons), np.radians(lats)
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    return np.asarray(2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def add_ferry_links(
    graph: nx.MultiDiGraph,
    links: Iterable[FerryLink],
    *,
    max_connect_m: float = 5000.0,
) -> list[FerryLinkResult]:
    """
    Add scheduled ferry links to a built graph, in both directions.

    Parameters
    ----------
    graph
        A graph from :func:`routing.build.build_graph` (modified in place).
    links
        The ferry links.
    max_connect_m
        Largest allowed distance between a terminal and its nearest node.

    Returns
    -------
    list of FerryLinkResult
        One per link, in order.

    Raises
    ------
    GraphBuildError
        If the graph is empty or a terminal is farther than ``max_connect_m``
        from every node; nothing is added in that case.

    Notes
    -----
    Each edge gets ``ferry=True``, ``highway="ferry"``, ``name``,
    ``ferry_link_id``, ``oneway=False``, ``length`` (geodesic length of its
    geometry, which runs from the node at one terminal along the sailing route
    to the node at the other), ``travel_time`` (``crossing_minutes`` plus
    :func:`expected_wait_minutes`, in seconds) and the ``speed_kph`` this
    implies.
    """
    if graph.number_of_nodes() == 0:
        msg = "cannot add ferry links to an empty graph"
        raise GraphBuildError(msg)
    nodes = np.array(list(graph.nodes))
    lons = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
    lats = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
    planned = []
    for link in links:
        ends = []
        for label, (lon, lat) in (("from", link.from_lonlat), ("to", link.to_lonlat)):
            dist = _haversine_m(lon, lat, lons, lats)
            best = int(np.argmin(dist))
            if dist[best] > max_connect_m:
                msg = (
                    f"ferry {link.link_id!r} ({link.name}): {label} terminal ({lon}, {lat}) is "
                    f"{dist[best]:,.0f} m from the nearest road node, more than "
                    f"max_connect_m={max_connect_m:,.0f}"
                )
                raise GraphBuildError(msg)
            ends.append((nodes[best].item(), float(dist[best])))
        planned.append((link, ends))

    results = []
    for link, ((u, du), (v, dv)) in planned:
        route = link.geometry or LineString([link.from_lonlat, link.to_lonlat])
        coords = [tuple(c) for c in shapely.get_coordinates(route)]
        start = (float(graph.nodes[u]["x"]), float(graph.nodes[u]["y"]))
        stop = (float(graph.nodes[v]["x"]), float(graph.nodes[v]["y"]))
        coords = [start, *[c for c in coords if c not in (start, stop)], stop]
        forward = LineString(coords)
        length = max(float(_GEOD.geometry_length(forward)), 0.01)
        wait = expected_wait_minutes(link.departures_per_day)
        travel_time = (link.crossing_minutes + wait) * 60.0
        attrs = {
            "ferry": True,
            "highway": "ferry",
            "name": link.name,
            "ferry_link_id": link.link_id,
            "oneway": False,
            "length": length,
            "travel_time": travel_time,
            "speed_kph": length / 1000.0 / (travel_time / 3600.0),
        }
        graph.add_edge(u, v, geometry=forward, **attrs)
        graph.add_edge(v, u, geometry=forward.reverse(), **attrs)
        results.append(
            FerryLinkResult(
                link_id=link.link_id,
                from_node=u,
                to_node=v,
                from_distance_m=du,
                to_distance_m=dv,
                length_m=length,
                travel_time_s=travel_time,
                wait_minutes=wait,
            )
        )
    return results
