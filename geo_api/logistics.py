"""Freight planning glue: database rows (``layers``) + road networks (``routing``).

:func:`compute_plan` answers ``POST /logistics/plan`` with a typed :class:`Plan`: the
fastest road–ferry–road route, the actual wait at each port from the departure
schedule, the ETA, cost by component, CO2 and the number of vehicles.
:func:`allocate` answers ``POST /logistics/allocate`` with an :class:`Allocation`: the
month's minimum-cost flow from farms to markets. Their JSON forms are made once, in
:mod:`geo_api.logistics_output`, for the answer and for the stored shipment alike.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from data.budget import UNLIMITED, Budget
from data.costs import FUEL_PARAMETERS
from geo_api.errors import NoRouteError, StaleGraphError
from geo_api.networks import network_for
from geo_api.params import check_lonlat
from layers import logistics_data as ld
from layers.errors import InvalidParameterError
from routing.allocation import AllocationResult, solve_allocation
from routing.costing import (
    TOLL_REGIONS,
    CostingError,
    CostRates,
    TripCost,
    TripQuantities,
    VehicleSpec,
    route_quantities,
    trip_cost,
    vehicles_needed,
)
from routing.errors import UnreachableError
from routing.network import Network
from routing.paths import Route
from routing.schedule import FerrySchedule, next_departure
from routing.snap import Snap
from routing.trees import QuantityMatrix, cost_matrix, quantity_matrix

LOCAL_TZ = ZoneInfo("Asia/Jakarta")
#: Routing profile per vehicle class (default: truck, which may use toll roads).
PROFILE_FOR_CLASS = {"pickup": "car"}


def parse_time(raw: str, *, field: str, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 date or date-time; without an offset it is WIB (Asia/Jakarta).

    A bare date means its midnight, or the next midnight with ``end_of_day``.
    """
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            when = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
            return when + timedelta(days=1) if end_of_day else when
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = (
            f"expected an ISO 8601 date-time such as 2026-03-02T06:00:00+07:00 "
            f"(no offset: WIB), got {raw!r}"
        )
        raise InvalidParameterError(msg, field=field) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=LOCAL_TZ)


def snap_point(net: Network, lon: float, lat: float, *, field: str) -> Snap:
    """Snap a checked position, or a 422 naming the field when it is off the network."""
    check_lonlat(lon, lat, field=field)
    return net.snap(lon, lat, field=field)


def vehicle_spec(row: dict[str, Any]) -> VehicleSpec:
    """A ``vehicle_classes`` row as a costing vehicle."""
    return VehicleSpec(
        code=str(row["code"]),
        payload_t=float(row["payload_t"]),
        fuel_l_per_km=float(row["fuel_l_per_km"]),
        toll_group=str(row["toll_group"]),
        ferry_class=str(row["ferry_class"]),
    )


def _param(params: dict[str, float], key: str) -> float:
    if key not in params:
        msg = f"cost parameter {key!r} is missing from the cost_parameters table"
        raise CostingError(msg, field="parameters")
    return params[key]


def cost_rates(params: dict[str, float], links: list[dict[str, Any]], *, fuel: str) -> CostRates:
    """Prices from the ``cost_parameters`` values and the ferry links' tariffs."""
    toll: dict[str, dict[str, float]] = {r: {} for r in TOLL_REGIONS}
    for key, value in params.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "toll_per_km" and parts[1] in toll:
            toll[parts[1]][parts[2]] = value
    return CostRates(
        fuel_idr_per_l=_param(params, FUEL_PARAMETERS[fuel]),
        driver_idr_per_hour=_param(params, "driver_cost_per_hour"),
        co2_kg_per_l=_param(params, "co2_per_litre.diesel"),
        toll_idr_per_km=toll,
        ferry_tariffs={
            int(link["id"]): {str(k): float(v) for k, v in (link["tariffs"] or {}).items()}
            for link in links
        },
    )


def schedule_of(link: dict[str, Any]) -> FerrySchedule:
    """A ferry link row's departure schedule."""
    return FerrySchedule(
        departures_per_day=int(link["departures_per_day"]),
        first_departure_min=float(link["first_departure_min"] or 0.0),
        timetable=tuple(float(m) for m in link["timetable_min"] or ()),
        timezone=str(link["timezone"] or "Asia/Jakarta"),
    )


@dataclass(frozen=True)
class PlanInput:
    """A validated plan request."""

    origin: tuple[float, float]
    market: str | int
    commodity: str
    tonnes: float
    vehicle_class: str
    departure: datetime
    fuel: str = "solar"


@dataclass(frozen=True)
class PlanLeg:
    """One leg of a plan on the clock: road, or a ferry crossing with its wait."""

    mode: str
    distance_m: float
    duration_s: float
    start: datetime
    end: datetime
    coords: list[tuple[float, float]]
    ferry_link_id: int | None = None
    ferry_name: str | None = None
    wait_s: float = 0.0
    sailing: datetime | None = None
    departures_per_day: int | None = None


@dataclass(frozen=True)
class Plan:
    """A planned shipment: route, legs on the clock, vehicles, cost and the figures used.

    ``duration_s`` is the sum of the legs' durations plus every ferry wait; ``eta`` is
    the departure plus ``duration_s``.
    """

    input: PlanInput
    market_id: int
    market_name: str
    vehicle: VehicleSpec
    vehicles: int
    profile: str
    eta: datetime
    duration_s: float
    wait_s: float
    distance_m: float
    quantities: TripQuantities
    legs: list[PlanLeg]
    cost: TripCost
    per_vehicle: TripCost
    figures: list[dict[str, Any]]
    notes: list[str]
    coords: list[tuple[float, float]]
    origin_snap: Snap
    market_snap: Snap


def compute_plan(conn: Connection, networks: dict[str, Network], inp: PlanInput) -> Plan:
    """Plan a shipment: the route, each leg on the clock, the waits, cost and figures."""
    if not (inp.tonnes > 0 and math.isfinite(inp.tonnes)):
        msg = f"tonnes must be > 0, got {inp.tonnes}"
        raise InvalidParameterError(msg, field="tonnes")
    ld.check_commodity(conn, inp.commodity)
    market = ld.find_market(conn, inp.market)
    vrow = ld.vehicle_class(conn, inp.vehicle_class)
    if inp.fuel not in FUEL_PARAMETERS:
        msg = f"unknown fuel {inp.fuel!r}; fuels: {sorted(FUEL_PARAMETERS)}"
        raise InvalidParameterError(msg, field="fuel")
    vehicle = vehicle_spec(vrow)
    net = network_for(networks, PROFILE_FOR_CLASS.get(vehicle.code, "truck"))
    origin = snap_point(net, *inp.origin, field="origin")
    dest = snap_point(net, float(market["lon"]), float(market["lat"]), field="market")
    try:
        route = net.engine.route(origin, dest)
    except UnreachableError:
        msg = f"no {net.profile} route connects the origin with {market['name']}"
        raise NoRouteError(msg, field="market") from None
    links = {int(link["id"]): link for link in ld.ferry_links(conn)}
    params = ld.parameter_values(conn)
    rates = cost_rates(params, list(links.values()), fuel=inp.fuel)

    clock = inp.departure
    legs: list[PlanLeg] = []
    wait_total = 0.0
    for leg in route.legs:
        start = clock
        if leg.mode == "ferry":
            link = links.get(int(leg.ferry_link_id if leg.ferry_link_id is not None else -1))
            if link is None:
                msg = (
                    f"the road graph uses ferry link {leg.ferry_link_id}, which is not in the "
                    "database: rebuild the graphs (`lampung-geo graph build --ferries`)"
                )
                raise StaleGraphError(msg, field="profile")
            sailing = next_departure(schedule_of(link), clock)
            wait = (sailing - clock).total_seconds()
            crossing = float(link["crossing_minutes"]) * 60.0
            wait_total += wait
            clock = sailing + timedelta(seconds=crossing)
            legs.append(
                PlanLeg(
                    mode="ferry",
                    distance_m=leg.distance_m,
                    duration_s=crossing,
                    start=start,
                    end=clock,
                    coords=leg.coords,
                    ferry_link_id=int(link["id"]),
                    ferry_name=str(link["name"]),
                    wait_s=wait,
                    sailing=sailing,
                    departures_per_day=int(link["departures_per_day"]),
                )
            )
        else:
            clock = clock + timedelta(seconds=leg.duration_s)
            legs.append(
                PlanLeg(
                    mode=leg.mode,
                    distance_m=leg.distance_m,
                    duration_s=leg.duration_s,
                    start=start,
                    end=clock,
                    coords=leg.coords,
                )
            )
    duration = (clock - inp.departure).total_seconds()
    quantities = route_quantities(net.compiled, route, origin, dest, duration_s=duration)
    n = vehicles_needed(inp.tonnes, vehicle.payload_t)
    per_vehicle = trip_cost(quantities, vehicle, rates)
    total = per_vehicle.times(n)
    notes = []
    demand = (market["demand_t_per_month"] or {}).get(inp.commodity)
    if not demand:
        notes.append(f"{market['name']} has no recorded demand for {inp.commodity}")
    used = [
        FUEL_PARAMETERS[inp.fuel],
        "driver_cost_per_hour",
        "co2_per_litre.diesel",
        *(
            f"toll_per_km.{r}.{vehicle.toll_group}"
            for r in TOLL_REGIONS
            if quantities.toll_m.get(r, 0) > 0
        ),
    ]
    rows = {p["key"]: p for p in ld.cost_parameters(conn)}
    figures = [
        figure({k: rows[key][k] for k in ("key", "value", "unit", "source")})
        for key in used
        if key in rows
    ]
    for link_id in quantities.ferry_crossings:
        link = links[link_id]
        figures.append(
            figure(
                {
                    "key": f"ferry_tariff.{link_id}.{vehicle.ferry_class}",
                    "value": float((link["tariffs"] or {}).get(vehicle.ferry_class, math.nan)),
                    "unit": "IDR/vehicle/crossing",
                    "source": link["tariff_source"],
                }
            )
        )
    return Plan(
        input=inp,
        market_id=int(market["id"]),
        market_name=str(market["name"]),
        vehicle=vehicle,
        vehicles=n,
        profile=net.profile,
        eta=clock,
        duration_s=duration,
        wait_s=wait_total,
        distance_m=route.distance_m,
        quantities=quantities,
        legs=legs,
        cost=total,
        per_vehicle=per_vehicle,
        figures=figures,
        notes=notes,
        coords=route.coords,
        origin_snap=origin,
        market_snap=dest,
    )


#: Which cost component a figure prices, by the start of its key.
FIGURE_COMPONENTS = (
    ("fuel_price.", "fuel"),
    ("toll_per_km.", "toll"),
    ("ferry_tariff.", "ferry"),
    ("driver_cost_per_hour", "driver"),
    ("co2_per_litre.", "co2"),
)
#: Words in a figure's source that make it an assumption rather than a published price.
ASSUMPTION_WORDS = ("assumption", "approximate", "asumsi", "perkiraan")


def figure(row: dict[str, Any]) -> dict[str, Any]:
    """A figure used by a plan, with the cost component it prices and whether it is an
    assumption (its source says ASSUMPTION or APPROXIMATE) rather than a published price.
    """
    key = str(row["key"])
    source = str(row.get("source") or "").lower()
    component = next((c for prefix, c in FIGURE_COMPONENTS if key.startswith(prefix)), None)
    return row | {
        "component": component,
        "assumption": any(word in source for word in ASSUMPTION_WORDS),
    }


def ferry_capacity_t(link: dict[str, Any], *, share: float, days: int, payload_t: float) -> float:
    """Tonnes a ferry link can carry in ``days``: vehicles/day x share x days x payload."""
    vehicles = link["daily_capacity_vehicles"]
    if vehicles is None:
        return math.inf
    return float(vehicles) * share * days * payload_t


def _snap_rows(net: Network, rows: list[dict[str, Any]]) -> list[Snap | None]:
    if not rows:
        return []
    lons = [float(r["lon"]) for r in rows]
    lats = [float(r["lat"]) for r in rows]
    return net.snap_many(lons, lats).to_snaps()


@dataclass(frozen=True)
class Allocation:
    """The month's optimal flows on the snapped farms and markets, with their costs."""

    result: AllocationResult
    farms: list[dict[str, Any]]
    markets: list[dict[str, Any]]
    quantities: QuantityMatrix
    cost_per_t: np.ndarray
    ferry_capacity_t: list[float]
    vehicle: VehicleSpec
    profile: str
    days: int
    ferry_share: float
    off_network: dict[str, list[Any]]
    routes: list[Route | None] = dataclasses.field(default_factory=list)
    month: int = 0
    year: int = 0
    fuel: str = "solar"


def allocate(
    net: Network,
    *,
    farms: list[dict[str, Any]],
    markets: list[dict[str, Any]],
    links: list[dict[str, Any]],
    rates: CostRates,
    vehicle: VehicleSpec,
    days: int,
    ferry_share: float,
    budget: Budget = UNLIMITED,
) -> Allocation:
    """Solve the allocation on plain rows (the JSON is :func:`allocation_body`).

    ``farms`` need ``id, name, commodity, lon, lat, supply_t``; ``markets`` need
    ``id, name, lon, lat, demand_t_per_month``. ``budget`` bounds the trees and the LP.
    """
    farms = [f for f in farms if f["supply_t"] > 0]
    f_snaps = _snap_rows(net, farms)
    m_snaps = _snap_rows(net, markets)
    on_f = [i for i, s in enumerate(f_snaps) if s is not None]
    on_m = [j for j, s in enumerate(m_snaps) if s is not None]
    off = {
        "farms": [farms[i]["id"] for i, s in enumerate(f_snaps) if s is None],
        "markets": [markets[j]["id"] for j, s in enumerate(m_snaps) if s is None],
    }
    fs = [farms[i] for i in on_f]
    ms = [markets[j] for j in on_m]
    f_on = [s for s in f_snaps if s is not None]
    m_on = [s for s in m_snaps if s is not None]
    qm = quantity_matrix(net.compiled, f_on, m_on, budget=budget)
    per_trip = cost_matrix(qm, vehicle, rates)
    per_t = per_trip / vehicle.payload_t
    by_id = {int(link["id"]): link for link in links}
    caps = [
        ferry_capacity_t(by_id[k], share=ferry_share, days=days, payload_t=vehicle.payload_t)
        if k in by_id
        else math.inf
        for k in qm.ferry_link_ids
    ]
    result = solve_allocation(
        [float(f["supply_t"]) for f in fs],
        [str(f["commodity"]) for f in fs],
        [{str(k): float(v) for k, v in (m["demand_t_per_month"] or {}).items()} for m in ms],
        per_t,
        ferry_use=np.minimum(qm.ferry, 1.0),
        ferry_capacity_t=caps,
        budget=budget,
    )
    return Allocation(
        result=result,
        routes=flow_routes(
            net, [(f_on[fl.farm], m_on[fl.market]) for fl in result.flows], budget=budget
        ),
        farms=fs,
        markets=ms,
        quantities=qm,
        cost_per_t=per_t,
        ferry_capacity_t=caps,
        vehicle=vehicle,
        profile=net.profile,
        days=days,
        ferry_share=ferry_share,
        off_network=off,
    )


ROUTES_PER_CHECK = 32
"""Flow routes computed between two budget checks."""


def flow_routes(
    net: Network, pairs: list[tuple[Snap, Snap]], *, budget: Budget = UNLIMITED
) -> list[Route | None]:
    """The fastest route of each (farm, market) pair, with its road and ferry legs.

    One point-to-point query per flow (an LP's basic solution has at most farms +
    market-commodities + ferry links flows, so a few hundred at most); ``None`` where
    no route exists (a flow never takes such a pair: its cost is infinite).
    """
    routes: list[Route | None] = []
    for i, (origin, dest) in enumerate(pairs):
        if i % ROUTES_PER_CHECK == 0:
            budget.check()
        try:
            routes.append(net.engine.route(origin, dest))
        except UnreachableError:
            routes.append(None)
    return routes


def allocate_from_db(
    conn: Connection,
    networks: dict[str, Network],
    *,
    month: int,
    year: int,
    vehicle_class: str,
    fuel: str,
    ferry_share: float | None,
    commodity: str | None,
    budget: Budget = UNLIMITED,
) -> Allocation:
    """Read the month's farms, markets, ferry links and prices, then :func:`allocate`."""
    vehicle = vehicle_spec(ld.vehicle_class(conn, vehicle_class))
    if fuel not in FUEL_PARAMETERS:
        msg = f"unknown fuel {fuel!r}; fuels: {sorted(FUEL_PARAMETERS)}"
        raise InvalidParameterError(msg, field="fuel")
    if commodity is not None:
        ld.check_commodity(conn, commodity)
    net = network_for(networks, PROFILE_FOR_CLASS.get(vehicle.code, "truck"))
    params = ld.parameter_values(conn)
    share = ferry_share if ferry_share is not None else _param(params, "ferry_freight_share")
    if not 0.0 <= share <= 1.0:
        msg = f"ferry freight share must be in [0, 1], got {share}"
        raise InvalidParameterError(msg, field="ferry_freight_share")
    links = ld.ferry_links(conn)
    markets = ld.markets(conn)
    if commodity is not None:
        markets = [
            m
            | {
                "demand_t_per_month": {
                    k: v for k, v in m["demand_t_per_month"].items() if k == commodity
                }
            }
            for m in markets
        ]
    answer = allocate(
        net,
        farms=ld.farm_supply(conn, month, commodity=commodity),
        markets=markets,
        links=links,
        rates=cost_rates(params, links, fuel=fuel),
        vehicle=vehicle,
        days=calendar.monthrange(year, month)[1],
        ferry_share=share,
        budget=budget,
    )
    return dataclasses.replace(answer, month=month, year=year, fuel=fuel)
