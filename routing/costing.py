"""What a freight trip costs: fuel, toll, ferry and driver, plus CO2.

Pure functions. A trip is first reduced to :class:`TripQuantities` (road metres,
toll metres per toll region, ferry crossings per link, duration), either from one
:class:`~routing.paths.Route` (:func:`route_quantities`) or for many origin–target
pairs at once (:mod:`routing.trees`); :func:`trip_cost` then prices it with
:class:`CostRates` for one vehicle of a :class:`VehicleSpec`.

The cost model, per vehicle:

* fuel = road km x ``fuel_l_per_km`` x fuel price (ferry legs burn no road fuel);
* toll = toll km per region x the region's tariff per km for the vehicle's toll group
  (a toll edge is a ``motorway``/``motorway_link``; its region is the side of the
  Sunda Strait its midpoint lies on, see :data:`SUNDA_STRAIT_LON`);
* ferry = the link's tariff for the vehicle's ASDP class (driver included), per crossing;
* driver = hours of the whole trip (port waiting included) x driver cost per hour;
* CO2 = fuel litres x emission factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from routing.errors import RoutingError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.paths import Route
    from routing.snap import Snap

__all__ = [
    "SUNDA_STRAIT_LON",
    "TOLL_REGIONS",
    "CostRates",
    "CostingError",
    "EdgeClasses",
    "TripCost",
    "TripQuantities",
    "VehicleSpec",
    "edge_classes",
    "route_quantities",
    "trip_cost",
    "vehicles_needed",
]

#: Toll edges west of this longitude are Trans-Sumatera, east of it Java (Merak–Jakarta).
SUNDA_STRAIT_LON = 105.9
#: Toll regions, in the order used by the arrays of :class:`EdgeClasses`.
TOLL_REGIONS: tuple[str, ...] = ("trans_sumatera", "jakarta_merak")
_TOLL_HIGHWAYS = frozenset({"motorway", "motorway_link"})


class CostingError(RoutingError):
    """A figure needed to price a trip is missing (a tariff, a rate)."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class VehicleSpec:
    """The figures of a vehicle class that costing needs."""

    code: str
    payload_t: float
    fuel_l_per_km: float
    toll_group: str
    ferry_class: str


@dataclass(frozen=True)
class CostRates:
    """Prices: fuel (IDR/l), driver (IDR/h), CO2 factor, toll and ferry tariffs.

    ``toll_idr_per_km[region][group]`` and ``ferry_tariffs[link_id][ferry_class]``.
    """

    fuel_idr_per_l: float
    driver_idr_per_hour: float
    co2_kg_per_l: float
    toll_idr_per_km: Mapping[str, Mapping[str, float]]
    ferry_tariffs: Mapping[int, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class TripQuantities:
    """The physical quantities of one vehicle's trip."""

    duration_s: float
    road_m: float
    toll_m: Mapping[str, float] = field(default_factory=dict)
    ferry_crossings: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TripCost:
    """Cost in IDR by component, fuel litres and CO2 (kg), for ``vehicles`` vehicles."""

    fuel_idr: float
    toll_idr: float
    ferry_idr: float
    driver_idr: float
    fuel_l: float
    co2_kg: float
    vehicles: int = 1

    @property
    def total_idr(self) -> float:
        """Sum of the components."""
        return self.fuel_idr + self.toll_idr + self.ferry_idr + self.driver_idr

    def times(self, n: int) -> TripCost:
        """The cost of ``n`` identical vehicles."""
        return TripCost(
            self.fuel_idr * n,
            self.toll_idr * n,
            self.ferry_idr * n,
            self.driver_idr * n,
            self.fuel_l * n,
            self.co2_kg * n,
            vehicles=self.vehicles * n,
        )


def vehicles_needed(tonnes: float, payload_t: float) -> int:
    """Vehicles needed to carry ``tonnes`` (> 0) with ``payload_t`` each (at least 1)."""
    if not (tonnes > 0 and payload_t > 0):
        msg = "tonnes and payload must be > 0"
        raise ValueError(msg)
    return max(1, math.ceil(tonnes / payload_t - 1e-9))


def toll_rate(rates: CostRates, region: str, group: str) -> float:
    """IDR per km on a region's toll roads for a toll group."""
    try:
        return float(rates.toll_idr_per_km[region][group])
    except KeyError:
        msg = f"no toll tariff for region {region!r}, group {group!r}"
        raise CostingError(msg, field="vehicle_class") from None


def ferry_tariff(rates: CostRates, link_id: int, ferry_class: str) -> float:
    """IDR per crossing of a ferry link for an ASDP vehicle class."""
    try:
        return float(rates.ferry_tariffs[link_id][ferry_class])
    except KeyError:
        msg = f"ferry link {link_id} has no tariff for vehicle class (golongan) {ferry_class!r}"
        raise CostingError(msg, field="vehicle_class") from None


def trip_cost(q: TripQuantities, vehicle: VehicleSpec, rates: CostRates) -> TripCost:
    """Price one vehicle's trip.

    Parameters
    ----------
    q
        Road and toll distances, ferry crossings and duration (port wait included).
    vehicle
        The vehicle class.
    rates
        Prices and tariffs.

    Returns
    -------
    TripCost
        Per-vehicle cost.
    """
    fuel_l = q.road_m / 1000.0 * vehicle.fuel_l_per_km
    toll = sum(
        m / 1000.0 * toll_rate(rates, region, vehicle.toll_group)
        for region, m in q.toll_m.items()
        if m > 0
    )
    ferry = sum(
        n * ferry_tariff(rates, link, vehicle.ferry_class)
        for link, n in q.ferry_crossings.items()
        if n
    )
    return TripCost(
        fuel_idr=fuel_l * rates.fuel_idr_per_l,
        toll_idr=toll,
        ferry_idr=ferry,
        driver_idr=q.duration_s / 3600.0 * rates.driver_idr_per_hour,
        fuel_l=fuel_l,
        co2_kg=fuel_l * rates.co2_kg_per_l,
    )


@dataclass(frozen=True, eq=False)
class EdgeClasses:
    """Per-edge costing classes of a compiled graph.

    ``toll_region[e]`` is an index into :data:`TOLL_REGIONS` or -1 (no toll);
    ``ferry_link[e]`` is the ferry link id or -1 (road edge).
    """

    toll_region: NDArray[np.int8]
    ferry_link: NDArray[np.int64]

    @property
    def ferry_link_ids(self) -> list[int]:
        """The distinct ferry link ids of the graph, sorted."""
        ids = np.unique(self.ferry_link[self.ferry_link >= 0])
        return [int(i) for i in ids]


@lru_cache(maxsize=16)
def edge_classes(cg: CompiledGraph) -> EdgeClasses:
    """Classify a compiled graph's edges into toll regions and ferry links (cached)."""
    highways = np.asarray(cg.highways).astype(str)
    is_toll = np.isin(highways, sorted(_TOLL_HIGHWAYS))[np.asarray(cg.edge_highway)]
    mid_lon = (cg.node_lon[cg.edge_tail] + cg.node_lon[cg.edge_head]) / 2.0
    region = np.where(mid_lon < SUNDA_STRAIT_LON, 0, 1).astype(np.int8)
    region = np.where(is_toll & ~np.asarray(cg.edge_ferry), region, -1).astype(np.int8)
    link = np.where(np.asarray(cg.edge_ferry), np.asarray(cg.edge_ferry_link), -1)
    return EdgeClasses(toll_region=region, ferry_link=link.astype(np.int64))


def _edge_shares(cg: CompiledGraph, route: Route, origin: Snap, destination: Snap) -> list[float]:
    """Share of each route edge actually travelled (partial first and last edges)."""
    edges = route.edges
    shares = [1.0] * len(edges)
    if not edges:
        return shares
    oe, de = int(origin.edge), int(destination.edge)
    o_rev, d_rev = int(cg.edge_twin[oe]), int(cg.edge_twin[de])
    if len(edges) == 1:
        e = edges[0]
        o_pos = origin.t if e == oe else 1.0 - origin.t
        d_pos = destination.t if e == de else 1.0 - destination.t
        on_o, on_d = e in (oe, o_rev), e in (de, d_rev)
        if on_o and on_d:
            shares[0] = abs(d_pos - o_pos)
        elif on_o:
            shares[0] = 1.0 - o_pos
        elif on_d:
            shares[0] = d_pos
        return shares
    first, last = edges[0], edges[-1]
    if first == oe:
        shares[0] = 1.0 - origin.t
    elif first == o_rev:
        shares[0] = origin.t
    if last == de:
        shares[-1] = destination.t
    elif last == d_rev:
        shares[-1] = 1.0 - destination.t
    return shares


def route_quantities(
    cg: CompiledGraph, route: Route, origin: Snap, destination: Snap, *, duration_s: float
) -> TripQuantities:
    """Road metres, toll metres per region and ferry crossings of a route.

    Parameters
    ----------
    cg
        The graph the route was found on.
    route
        The route.
    origin, destination
        The snaps the route was computed between.
    duration_s
        Trip duration to bill the driver for (the route's, with the actual port wait).
    """
    classes = edge_classes(cg)
    toll = dict.fromkeys(TOLL_REGIONS, 0.0)
    for e, share in zip(route.edges, _edge_shares(cg, route, origin, destination), strict=True):
        r = int(classes.toll_region[e])
        if r >= 0:
            toll[TOLL_REGIONS[r]] += share * float(cg.edge_length[e])
    crossings: dict[int, int] = {}
    road_m = 0.0
    for leg in route.legs:
        if leg.mode == "ferry":
            link = int(leg.ferry_link_id) if leg.ferry_link_id is not None else -1
            crossings[link] = crossings.get(link, 0) + 1
        else:
            road_m += leg.distance_m
    toll = {k: min(v, road_m) for k, v in toll.items()}
    return TripQuantities(
        duration_s=duration_s, road_m=road_m, toll_m=toll, ferry_crossings=crossings
    )


def with_duration(q: TripQuantities, duration_s: float) -> TripQuantities:
    """The same quantities with another duration."""
    return replace(q, duration_s=duration_s)
