"""Freight planning glue: database rows (``layers``) + road networks (``routing``).

:func:`compute_plan` answers ``POST /logistics/plan``: the fastest road–ferry–road
route, the actual wait at each port from the departure schedule, the ETA, cost by
component, CO2 and the number of vehicles. :func:`allocate` answers
``POST /logistics/allocate``: the month's minimum-cost flow from farms to markets.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from data.costs import FUEL_PARAMETERS
from geo_api.errors import ApiError, register_status
from geo_api.networks import network_for
from geo_api.routers.routing import NoRouteError, OffNetworkParamError, check_lonlat
from layers import logistics_data as ld
from layers.errors import InvalidParameterError
from layers.shipments import (
    IdempotencyMismatchError,
    IllegalTransitionError,
    ShipmentConflictError,
    VersionMismatchError,
)
from routing.allocation import AllocationError, solve_allocation
from routing.costing import (
    TOLL_REGIONS,
    CostingError,
    CostRates,
    TripCost,
    VehicleSpec,
    route_quantities,
    trip_cost,
    vehicles_needed,
)
from routing.errors import OffNetworkError, UnreachableError
from routing.geojson import ROUND, line, snap_json
from routing.network import Network
from routing.schedule import FerrySchedule, next_departure
from routing.snap import Snap
from routing.trees import cost_matrix, quantity_matrix

LOCAL_TZ = ZoneInfo("Asia/Jakarta")
#: Routing profile per vehicle class (default: truck, which may use toll roads).
PROFILE_FOR_CLASS = {"pickup": "car"}


class StaleGraphError(ApiError):
    """The road graph names a ferry link the database no longer has."""


register_status(StaleGraphError, 503)
register_status(IllegalTransitionError, 409)
register_status(ShipmentConflictError, 409)
register_status(IdempotencyMismatchError, 422)
register_status(VersionMismatchError, 412)
register_status(CostingError, 422)
register_status(AllocationError, 422)


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


def snap_point(net: Network, lon: float, lat: float, *, field: str, max_m: float) -> Snap:
    """Snap a position, or a 422 naming the field when it is off the network."""
    check_lonlat(lon, lat, field=field)
    try:
        snap: Snap = net.snapper.snap(lon, lat, max_distance_m=max_m)
    except OffNetworkError as exc:
        raise OffNetworkParamError(str(exc), field=field) from None
    return snap


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


def cost_json(cost: TripCost, *, tonnes: float, per_vehicle: TripCost) -> dict[str, Any]:
    """Cost components, totals, per vehicle and per tonne."""

    def parts(c: TripCost) -> dict[str, float]:
        return {
            "fuel_idr": round(c.fuel_idr),
            "toll_idr": round(c.toll_idr),
            "ferry_idr": round(c.ferry_idr),
            "driver_idr": round(c.driver_idr),
            "total_idr": round(c.total_idr),
        }

    return {
        **parts(cost),
        "currency": "IDR",
        "per_vehicle": parts(per_vehicle),
        "per_tonne_idr": round(cost.total_idr / tonnes),
        "fuel_l": round(cost.fuel_l, 1),
        "co2_kg": round(cost.co2_kg, 1),
    }


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


def compute_plan(
    conn: Connection, networks: dict[str, Network], inp: PlanInput, *, snap_max_m: float
) -> dict[str, Any]:
    """The plan as a GeoJSON Feature (LineString of the whole route).

    ``duration_s`` equals the sum of the legs' ``duration_s`` plus every ferry leg's
    ``wait_s``; the ETA is the departure plus ``duration_s``.
    """
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
    origin = snap_point(net, *inp.origin, field="origin", max_m=snap_max_m)
    dest = snap_point(
        net, float(market["lon"]), float(market["lat"]), field="market", max_m=snap_max_m
    )
    try:
        route = net.engine.route(origin, dest)
    except UnreachableError:
        msg = f"no {net.profile} route connects the origin with {market['name']}"
        raise NoRouteError(msg, field="market") from None
    links = {int(link["id"]): link for link in ld.ferry_links(conn)}
    params = ld.parameter_values(conn)
    rates = cost_rates(params, list(links.values()), fuel=inp.fuel)

    clock = inp.departure
    legs: list[dict[str, Any]] = []
    wait_total = 0.0
    for leg in route.legs:
        item: dict[str, Any] = {
            "mode": leg.mode,
            "distance_m": round(leg.distance_m, 1),
            "start": clock.isoformat(),
        }
        if leg.mode == "ferry":
            link = links.get(int(leg.ferry_link_id if leg.ferry_link_id is not None else -1))
            if link is None:
                msg = (
                    f"the road graph uses ferry link {leg.ferry_link_id}, which is not in the "
                    "database: rebuild the graphs (`lampung-geo graph build --ferries`)"
                )
                raise StaleGraphError(msg, field="profile")
            schedule = schedule_of(link)
            sailing = next_departure(schedule, clock)
            wait = (sailing - clock).total_seconds()
            crossing = float(link["crossing_minutes"]) * 60.0
            wait_total += wait
            item |= {
                "ferry_link_id": int(link["id"]),
                "name": link["name"],
                "wait_s": round(wait, 1),
                "sailing": sailing.isoformat(),
                "departures_per_day": int(link["departures_per_day"]),
                "duration_s": round(crossing, 1),
            }
            clock = sailing + timedelta(seconds=crossing)
        else:
            item["duration_s"] = round(leg.duration_s, 1)
            clock = clock + timedelta(seconds=leg.duration_s)
        item["end"] = clock.isoformat()
        item["geometry"] = line(leg.coords)
        legs.append(item)
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
        {k: rows[key][k] for k in ("key", "value", "unit", "source")} for key in used if key in rows
    ]
    for link_id in quantities.ferry_crossings:
        link = links[link_id]
        figures.append(
            {
                "key": f"ferry_tariff.{link_id}.{vehicle.ferry_class}",
                "value": float((link["tariffs"] or {}).get(vehicle.ferry_class, math.nan)),
                "unit": "IDR/vehicle/crossing",
                "source": link["tariff_source"],
            }
        )
    return {
        "type": "Feature",
        "geometry": line(route.coords),
        "properties": {
            "origin": {"lon": round(inp.origin[0], ROUND), "lat": round(inp.origin[1], ROUND)},
            "market": {"id": int(market["id"]), "name": market["name"]},
            "commodity": inp.commodity,
            "tonnes": inp.tonnes,
            "vehicle_class": vehicle.code,
            "payload_t": vehicle.payload_t,
            "vehicles": n,
            "profile": net.profile,
            "fuel": inp.fuel,
            "departure": inp.departure.isoformat(),
            "eta": clock.isoformat(),
            "duration_s": round(duration, 1),
            "duration_h": round(duration / 3600.0, 2),
            "wait_s": round(wait_total, 1),
            "distance_m": round(route.distance_m, 1),
            "road_m": round(quantities.road_m, 1),
            "toll_m": {k: round(v, 1) for k, v in quantities.toll_m.items()},
            "legs": legs,
            "cost": cost_json(total, tonnes=inp.tonnes, per_vehicle=per_vehicle),
            "co2_kg": round(total.co2_kg, 1),
            "figures": figures,
            "snap": {"origin": snap_json(origin), "market": snap_json(dest)},
            "notes": notes,
        },
    }


def ferry_capacity_t(link: dict[str, Any], *, share: float, days: int, payload_t: float) -> float:
    """Tonnes a ferry link can carry in ``days``: vehicles/day x share x days x payload."""
    vehicles = link["daily_capacity_vehicles"]
    if vehicles is None:
        return math.inf
    return float(vehicles) * share * days * payload_t


def _snap_rows(net: Network, rows: list[dict[str, Any]], *, max_m: float) -> list[Snap | None]:
    if not rows:
        return []
    lons = [float(r["lon"]) for r in rows]
    lats = [float(r["lat"]) for r in rows]
    return net.snapper.snap_many(lons, lats, max_distance_m=max_m).to_snaps()


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
    snap_max_m: float,
) -> dict[str, Any]:
    """Solve the allocation on plain rows; return a GeoJSON FeatureCollection of flows.

    ``farms`` need ``id, name, commodity, lon, lat, supply_t``; ``markets`` need
    ``id, name, lon, lat, demand_t_per_month``.
    """
    farms = [f for f in farms if f["supply_t"] > 0]
    f_snaps = _snap_rows(net, farms, max_m=snap_max_m)
    m_snaps = _snap_rows(net, markets, max_m=snap_max_m)
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
    qm = quantity_matrix(net.compiled, f_on, m_on)
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
    )
    features = []
    for fl in result.flows:
        f, m = fs[fl.farm], ms[fl.market]
        features.append(
            {
                "type": "Feature",
                "geometry": line(
                    [(float(f["lon"]), float(f["lat"])), (float(m["lon"]), float(m["lat"]))]
                ),
                "properties": {
                    "farm_id": int(f["id"]),
                    "farm": f["name"],
                    "market_id": int(m["id"]),
                    "market": m["name"],
                    "commodity": f["commodity"],
                    "tonnes": round(fl.tonnes, 3),
                    "cost_idr": round(fl.cost_idr),
                    "cost_per_t_idr": round(float(per_t[fl.farm, fl.market])),
                    "vehicle_trips": round(fl.tonnes / vehicle.payload_t, 2),
                    "duration_s": round(float(qm.duration_s[fl.farm, fl.market]), 1),
                    "road_m": round(float(qm.road_m[fl.farm, fl.market]), 1),
                    "crosses_ferry": bool(np.any(qm.ferry[:, fl.farm, fl.market] > 0)),
                },
            }
        )
    unmet = [
        {
            "market_id": int(ms[m]["id"]),
            "market": ms[m]["name"],
            "commodity": c,
            "tonnes": round(t, 3),
        }
        for (m, c), t in sorted(result.unmet.items())
    ]
    demand_total = sum(sum((m["demand_t_per_month"] or {}).values()) for m in ms)
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": len(features),
        "summary": {
            "status": result.status,
            "total_cost_idr": round(result.total_cost_idr),
            "delivered_t": round(sum(fl.tonnes for fl in result.flows), 3),
            "demand_t": round(demand_total, 3),
            "supply_t": round(sum(float(f["supply_t"]) for f in fs), 3),
            "unmet_t": round(sum(result.unmet.values()), 3),
            "unmet": unmet,
            "ferry": [
                {
                    "ferry_link_id": k,
                    "capacity_t": None if math.isinf(caps[i]) else round(caps[i], 1),
                    "used_t": round(result.ferry_used_t[i], 3),
                }
                for i, k in enumerate(qm.ferry_link_ids)
            ],
            "vehicle_class": vehicle.code,
            "profile": net.profile,
            "days": days,
            "ferry_freight_share": ferry_share,
            "solve_seconds": round(result.solve_seconds, 4),
            "variables": result.variables,
            "constraints": result.constraints,
            "off_network": off,
            "assumptions": [
                "cost per tonne = cost of one full vehicle trip / payload (empty return not "
                "charged)",
                "ferry capacity in tonnes = daily vehicles x freight share x days x payload",
                "farm supply in a month = yearly production / number of harvest months",
                "flows are drawn as straight lines farm → market; costs follow the road route",
            ],
        },
    }


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
    snap_max_m: float,
) -> dict[str, Any]:
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
    body = allocate(
        net,
        farms=ld.farm_supply(conn, month, commodity=commodity),
        markets=markets,
        links=links,
        rates=cost_rates(params, links, fuel=fuel),
        vehicle=vehicle,
        days=calendar.monthrange(year, month)[1],
        ferry_share=share,
        snap_max_m=snap_max_m,
    )
    body["summary"] |= {"month": month, "year": year, "fuel": fuel}
    return body
