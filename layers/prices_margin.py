"""Margins for planners: the price gap between the destination market and the origin,
minus the transport cost, per kg, per trip and for the whole shipment.

``margin/kg = destination price/kg - origin price/kg - transport cost/kg`` where the
transport cost per kg is the plan's total cost (all vehicles, IDR) divided by the kg
shipped; ``margin/trip = margin/kg x kg per vehicle``; ``margin total = margin/kg x kg``.

Each price is either **given** in the request's price basis or **observed**: the newest
price of the farm commodity's price commodity (``padi`` -> ``beras``) on or before the
basis day, at the destination market's price place, else at the destination region
(``31``, DKI Jakarta), and at the origin region (``18``, the Lampung panel). Each price
used says where it is from, its date, its age in days and whether it is older than
``stale_days``. Panel prices are consumer (retail) prices at both ends: the gap is a
signal for planners, not a farm-gate margin, and the notes say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from layers import prices_query as pq

DESTINATION_REGION = "31"
ORIGIN_REGION = "18"


@dataclass(frozen=True, slots=True)
class PriceBasis:
    """Which prices a margin uses (each ``None``: the observed one)."""

    on: date
    destination_idr_per_kg: float | None = None
    origin_idr_per_kg: float | None = None
    destination_region: str = DESTINATION_REGION
    origin_region: str = ORIGIN_REGION


def _given(value: float) -> dict[str, Any]:
    return {
        "idr_per_kg": float(value),
        "basis": "given",
        "place": None,
        "date": None,
        "age_days": None,
        "stale": False,
        "source": "price basis of the request",
        "demo": False,
        "change_7d_pct": None,
        "alert": False,
    }


def _observed(found: dict[str, Any], *, stale_days: int) -> dict[str, Any]:
    return {
        "idr_per_kg": float(found["price_idr"]),
        "basis": "observed",
        "place": found["place"],
        "date": found["date"],
        "age_days": found["age_days"],
        "stale": found["age_days"] > stale_days,
        "source": found["source"],
        "demo": found["demo"],
        "change_7d_pct": found["change_7d_pct"],
        "alert": found["alert"],
    }


def compute_margin(
    conn: Connection,
    *,
    commodity: str,
    market_id: int,
    tonnes: float,
    vehicles: int,
    transport_idr: float,
    basis: PriceBasis,
    alert_pct: float,
    stale_days: int,
) -> dict[str, Any]:
    """The margin of a planned shipment (see the module docstring for the formula).

    ``available`` is false, with a note, when a price is neither given nor observed.
    """
    row = (
        conn.execute(
            text(
                "SELECT code, unit FROM price_commodities WHERE farm_commodity = :c ORDER BY code"
            ),
            {"c": commodity},
        )
        .mappings()
        .first()
    )
    kg = tonnes * 1000.0
    kg_per_trip = kg / max(vehicles, 1)
    transport_per_kg = transport_idr / kg
    notes: list[str] = []
    alerts: list[str] = []
    price_code = None if row is None else str(row["code"])
    unit = None if row is None else str(row["unit"])

    def pick(given: float | None, places: list[int | None], what: str) -> dict[str, Any] | None:
        if given is not None:
            return _given(given)
        if price_code is None:
            return None
        for place in places:
            if place is None:
                continue
            found = pq.price_at(
                conn, commodity=price_code, place_id=place, on=basis.on, alert_pct=alert_pct
            )
            if found is not None:
                price = _observed(found, stale_days=stale_days)
                if price["stale"]:
                    notes.append(
                        f"the {what} price is {price['age_days']} days old "
                        f"(stale after {stale_days})"
                    )
                if price["alert"]:
                    alerts.append(
                        f"{price_code} at {found['place']['name']} rose "
                        f"{found['change_7d_pct']}% in 7 days"
                    )
                return price
        notes.append(f"no observed {what} price of {price_code} on or before {basis.on}")
        return None

    if row is None:
        notes.append(f"no price commodity values {commodity}: give both prices in price_basis")
    dest = pick(
        basis.destination_idr_per_kg,
        [pq.market_place(conn, market_id), pq.region_place(conn, basis.destination_region)],
        "destination",
    )
    origin = pick(basis.origin_idr_per_kg, [pq.region_place(conn, basis.origin_region)], "origin")
    available = dest is not None and origin is not None
    gap = per_kg = None
    if dest is not None and origin is not None:
        gap = dest["idr_per_kg"] - origin["idr_per_kg"]
        per_kg = gap - transport_per_kg
    if any(p is not None and p["basis"] == "observed" for p in (dest, origin)):
        notes.append(
            "observed panel prices are consumer (retail) prices: the gap is a signal, "
            "not a farm-gate margin"
        )
    if unit is not None and unit != "kg":
        notes.append(f"{price_code} prices are per {unit}, counted as per kg")
    return {
        "available": available,
        "commodity": commodity,
        "price_commodity": price_code,
        "unit": unit,
        "as_of": basis.on,
        "destination_price": dest,
        "origin_price": origin,
        "price_gap_idr_per_kg": None if gap is None else round(gap, 2),
        "transport_idr_per_kg": round(transport_per_kg, 2),
        "margin_idr_per_kg": None if per_kg is None else round(per_kg, 2),
        "kg_per_trip": round(kg_per_trip, 3),
        "margin_idr_per_trip": None if per_kg is None else round(per_kg * kg_per_trip, 0),
        "margin_idr_total": None if per_kg is None else round(per_kg * kg, 0),
        "alerts": alerts,
        "notes": notes,
    }


__all__ = ["PriceBasis", "compute_margin"]
