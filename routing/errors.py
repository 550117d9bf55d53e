"""Exceptions raised by the routing package."""

from __future__ import annotations

__all__ = [
    "CompiledGraphError",
    "GraphBuildError",
    "OffNetworkError",
    "RoutingError",
    "UnknownProfileError",
    "UnreachableError",
]


class RoutingError(Exception):
    """Base class of every error raised by :mod:`routing`.

    Parameters
    ----------
    msg : str
        Human-readable message (also ``reason``).
    field : str, optional
        The request field the error is about (``from``, ``sources.3``, ...).
    """

    def __init__(self, msg: str = "", *, field: str | None = None) -> None:
        super().__init__(msg)
        self.reason = msg
        self.field = field


class GraphBuildError(RoutingError):
    """A routable graph could not be built from the given input."""


class OffNetworkError(RoutingError):
    """A location is too far from the road network to be snapped to it.

    Parameters
    ----------
    msg : str
        Human-readable message.
    distance_m : float, optional
        Distance from the location to the nearest road, in metres.
    max_distance_m : float, optional
        The snapping limit that was exceeded, in metres.
    lon, lat : float, optional
        The location that could not be snapped.
    """

    def __init__(
        self,
        msg: str,
        *,
        distance_m: float | None = None,
        max_distance_m: float | None = None,
        lon: float | None = None,
        lat: float | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(msg, field=field)
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        self.lon = lon
        self.lat = lat


class UnknownProfileError(RoutingError):
    """A travel profile name is not one of the known profiles."""


class CompiledGraphError(RoutingError):
    """A graph cannot be compiled, or a compiled-graph file cannot be read."""


class UnreachableError(RoutingError):
    """No route exists between the requested origin and destination."""
