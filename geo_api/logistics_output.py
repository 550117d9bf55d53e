"""The answers of the logistics planners as GeoJSON: plans, allocations, shipments.

Made once from the typed results of :mod:`geo_api.logistics`; the API answer and the
stored shipment (``plan`` and ``cost`` columns) use the same JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from geo_api.logistics import Allocation, Plan, PlanLeg
from layers.shipments import next_statuses
from routing.costing import TripCost
from routing.geojson import ROUND, line, snap_json
from routing.paths import Route

#: Flow lines are simplified to about this many degrees (~100 m) for drawing: an
#: allocation's map shows a province, and the exact route is one ``/logistics/plan`` away.
FLOW_SIMPLIFY_DEG = 0.001

__all__ = ["allocation_body", "cost_json", "plan_feature", "plan_properties", "shipment_feature"]


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


def _leg_json(leg: PlanLeg) -> dict[str, Any]:
    item: dict[str, Any] = {
        "mode": leg.mode,
        "distance_m": round(leg.distance_m, 1),
        "start": leg.start.isoformat(),
    }
    if leg.mode == "ferry":
        assert leg.sailing is not None
        item |= {
            "ferry_link_id": leg.ferry_link_id,
            "name": leg.ferry_name,
            "wait_s": round(leg.wait_s, 1),
            "sailing": leg.sailing.isoformat(),
            "departures_per_day": leg.departures_per_day,
        }
    item["duration_s"] = round(leg.duration_s, 1)
    item["end"] = leg.end.isoformat()
    item["geometry"] = line(leg.coords)
    return item


def plan_properties(plan: Plan) -> dict[str, Any]:
    """The plan's properties (as stored with a saved shipment, and in the answer)."""
    inp, q = plan.input, plan.quantities
    return {
        "origin": {"lon": round(inp.origin[0], ROUND), "lat": round(inp.origin[1], ROUND)},
        "market": {"id": plan.market_id, "name": plan.market_name},
        "commodity": inp.commodity,
        "tonnes": inp.tonnes,
        "vehicle_class": plan.vehicle.code,
        "payload_t": plan.vehicle.payload_t,
        "vehicles": plan.vehicles,
        "profile": plan.profile,
        "fuel": inp.fuel,
        "departure": inp.departure.isoformat(),
        "eta": plan.eta.isoformat(),
        "duration_s": round(plan.duration_s, 1),
        "duration_h": round(plan.duration_s / 3600.0, 2),
        "wait_s": round(plan.wait_s, 1),
        "distance_m": round(plan.distance_m, 1),
        "road_m": round(q.road_m, 1),
        "toll_m": {k: round(v, 1) for k, v in q.toll_m.items()},
        "legs": [_leg_json(leg) for leg in plan.legs],
        "cost": cost_json(plan.cost, tonnes=inp.tonnes, per_vehicle=plan.per_vehicle),
        "co2_kg": round(plan.cost.co2_kg, 1),
        "figures": plan.figures,
        "snap": {"origin": snap_json(plan.origin_snap), "market": snap_json(plan.market_snap)},
        "notes": plan.notes,
    }


def plan_feature(plan: Plan) -> dict[str, Any]:
    """The plan as a GeoJSON Feature (LineString of the whole route)."""
    return {"type": "Feature", "geometry": line(plan.coords), "properties": plan_properties(plan)}


def allocation_body(ans: Allocation) -> dict[str, Any]:
    """The allocation as a GeoJSON FeatureCollection of flows with a summary."""
    result, fs, ms, qm = ans.result, ans.farms, ans.markets, ans.quantities
    per_t, caps, vehicle = ans.cost_per_t, ans.ferry_capacity_t, ans.vehicle
    features = []
    for k, fl in enumerate(result.flows):
        f, m = fs[fl.farm], ms[fl.market]
        route = ans.routes[k] if k < len(ans.routes) else None
        legs = _flow_legs(route) if route is not None else []
        features.append(
            {
                "type": "Feature",
                "geometry": _simplified(route.coords)
                if route is not None
                else line([(float(f["lon"]), float(f["lat"])), (float(m["lon"]), float(m["lat"]))]),
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
                    "legs": legs,
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
            "profile": ans.profile,
            "days": ans.days,
            "ferry_freight_share": ans.ferry_share,
            "solve_seconds": round(result.solve_seconds, 4),
            "variables": result.variables,
            "constraints": result.constraints,
            **({"month": ans.month, "year": ans.year, "fuel": ans.fuel} if ans.month else {}),
            "off_network": ans.off_network,
            "assumptions": [
                "cost per tonne = cost of one full vehicle trip / payload (empty return not "
                "charged)",
                "ferry capacity in tonnes = daily vehicles x freight share x days x payload",
                "farm supply in a month = yearly production / number of harvest months",
                "each flow's geometry is its fastest route (road, ferry, road) from the "
                "routing engine, simplified to ~100 m for drawing; costs follow the same route",
            ],
        },
    }


def _simplified(coords: list[tuple[float, float]]) -> dict[str, Any]:
    """A route as a LineString simplified for drawing (end points kept)."""
    if len(coords) < 3:
        return line(coords)
    geom = shapely.simplify(shapely.LineString(coords), FLOW_SIMPLIFY_DEG)
    return line([(float(x), float(y)) for x, y in geom.coords])


def _flow_legs(route: Route) -> list[dict[str, Any]]:
    """A flow's route legs: mode, distance, driving/sailing time and the line."""
    legs = []
    for leg in route.legs:
        item: dict[str, Any] = {
            "mode": leg.mode,
            "distance_m": round(leg.distance_m, 1),
            "duration_s": round(leg.duration_s, 1),
            "geometry": _simplified(leg.coords),
        }
        if leg.ferry_link_id is not None:
            item["ferry_link_id"] = int(leg.ferry_link_id)
        legs.append(item)
    return legs


def shipment_feature(
    row: dict[str, Any], events: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A shipment row as a GeoJSON Feature (planned route, else the origin point)."""
    geometry = row["route"] or {
        "type": "Point",
        "coordinates": [row["origin_lon"], row["origin_lat"]],
    }
    props = {
        k: row[k]
        for k in (
            "code",
            "status",
            "commodity",
            "tonnes",
            "vehicle_class",
            "vehicles",
            "departure",
            "eta",
            "cost",
            "plan",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        )
    }
    props["next_statuses"] = next_statuses(str(row["status"]))
    props["market"] = {"id": row["market_id"], "name": row["market_name"]}
    props["origin"] = {"lon": row["origin_lon"], "lat": row["origin_lat"]}
    if events is not None:
        props["events"] = events
    return {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": props}
