"""Reading prices: series, the latest price with its 7- and 30-day change, one price.

**Change over N days** compares the newest price with the newest price at least N days
older, if there is one no more than :data:`~layers.prices.CHANGE_WINDOWS` ``[N]`` days
older (14 for 7, 45 for 30): panels skip weekends and holidays, so the exact day N days
back often has no figure. ``alert`` is true when the 7-day rise is more than the
threshold the caller gives (``LAMPUNG_GEO_PRICES_ALERT_PCT``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import UnknownReferenceError
from layers.prices import CHANGE_WINDOWS, find_market_id

_PLACE_JSON = """
    jsonb_build_object('id', pl.id, 'kind', pl.kind, 'name', pl.name,
                       'market_id', pl.market_id, 'region_code', pl.region_code)
"""


def _where(
    first: str, commodity: str | None, places: list[int] | None
) -> tuple[list[str], dict[str, Any]]:
    """The clauses on ``prices p`` shared by the queries: ``first``, commodity, places."""
    clauses: list[str] = [first]
    params: dict[str, Any] = {}
    if commodity is not None:
        clauses.append("p.commodity = :commodity")
        params["commodity"] = commodity
    if places is not None:
        clauses.append("p.place_id = ANY(:places)")
        params["places"] = places
    return clauses, params


def price_commodities(conn: Connection) -> list[dict[str, Any]]:
    """Every price commodity with its unit, farm commodity and aliases."""
    rows = conn.execute(
        text(
            "SELECT code, name_id, name_en, unit, farm_commodity, aliases "
            "FROM price_commodities ORDER BY code"
        )
    ).mappings()
    return [dict(r) | {"aliases": list(r["aliases"] or [])} for r in rows]


def check_price_commodity(conn: Connection, code: str) -> None:
    """422 naming the known price commodities when ``code`` is not one."""
    found = conn.execute(
        text("SELECT 1 FROM price_commodities WHERE code = :c"), {"c": code}
    ).scalar()
    if found is None:
        known = [c["code"] for c in price_commodities(conn)]
        msg = f"unknown price commodity {code!r}; commodities: {known}"
        raise UnknownReferenceError(msg, field="commodity")


def place_ids(conn: Connection, *, market: str | None, region: str | None) -> list[int] | None:
    """Price places selected by a market (id, slug, name) or region code; None: all."""
    if market is None and region is None:
        return None
    ids: list[int] = []
    if market is not None:
        market_id, _ = find_market_id(conn, market)
        ids += conn.execute(
            text("SELECT id FROM price_places WHERE market_id = :m"), {"m": market_id}
        ).scalars()
    if region is not None:
        ids += conn.execute(
            text("SELECT id FROM price_places WHERE region_code = :r"), {"r": region}
        ).scalars()
    return [int(i) for i in ids]


def price_series(
    conn: Connection,
    *,
    commodity: str | None,
    places: list[int] | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
) -> list[dict[str, Any]]:
    """One series per place and commodity: daily points (``price_idr`` null for a gap),
    oldest first, at most ``limit`` newest points each (``truncated`` says so)."""
    clauses, params = _where("true", commodity, places)
    params["limit"] = limit
    if date_from is not None:
        clauses.append("p.date >= :from_")
        params["from_"] = date_from
    if date_to is not None:
        clauses.append("p.date <= :to_")
        params["to_"] = date_to
    rows = conn.execute(
        text(
            f"""
            WITH sel AS (
                SELECT p.*, row_number() OVER (PARTITION BY p.place_id, p.commodity
                                               ORDER BY p.date DESC) AS k,
                       count(*) OVER (PARTITION BY p.place_id, p.commodity) AS n
                FROM prices p WHERE {" AND ".join(clauses)}
            )
            SELECT sel.commodity, pc.name_id, pc.unit, {_PLACE_JSON} AS place,
                   bool_or(s.is_demo) AS demo, max(sel.n) AS n,
                   array_agg(DISTINCT sel.source) AS sources,
                   jsonb_agg(jsonb_build_object('date', sel.date, 'price_idr', sel.price_idr)
                             ORDER BY sel.date) AS points
            FROM sel
            JOIN price_places pl ON pl.id = sel.place_id
            JOIN price_commodities pc ON pc.code = sel.commodity
            JOIN sources s ON s.id = sel.source
            WHERE sel.k <= :limit
            GROUP BY sel.commodity, pc.name_id, pc.unit, pl.id
            ORDER BY pl.id, sel.commodity
            """
        ),
        params,
    ).mappings()
    out = []
    for r in rows:
        out.append(
            {
                "commodity": r["commodity"],
                "name": r["name_id"],
                "unit": r["unit"],
                "place": r["place"],
                "demo": bool(r["demo"]),
                "sources": sorted(r["sources"]),
                "numberReturned": len(r["points"]),
                "truncated": int(r["n"]) > len(r["points"]),
                "points": r["points"],
            }
        )
    return out


def latest_prices(
    conn: Connection,
    *,
    commodity: str | None = None,
    places: list[int] | None = None,
    on: date | None = None,
    alert_pct: float = 10.0,
) -> list[dict[str, Any]]:
    """Per place and commodity: the newest price (on or before ``on``), its change over
    7 and 30 days, its age in days (against ``on``, default today) and the alert flag."""
    clauses, params = _where("p.price_idr IS NOT NULL", commodity, places)
    if on is not None:
        clauses.append("p.date <= :on")
        params["on"] = on
    windows = []
    for days, span in CHANGE_WINDOWS.items():
        windows.append(
            f"""
            LEFT JOIN LATERAL (
                SELECT q.date, q.price_idr FROM prices q
                WHERE q.place_id = l.place_id AND q.commodity = l.commodity
                  AND q.price_idr IS NOT NULL
                  AND q.date <= l.date - {days} AND q.date >= l.date - {span}
                ORDER BY q.date DESC LIMIT 1) w{days} ON true
            """
        )
    rows = conn.execute(
        text(
            f"""
            SELECT l.commodity, pc.name_id, pc.unit, pc.farm_commodity, {_PLACE_JSON} AS place,
                   l.date, l.price_idr, l.source, s.is_demo AS demo,
                   w7.date AS date_7d, w7.price_idr AS price_7d,
                   w30.date AS date_30d, w30.price_idr AS price_30d,
                   coalesce(CAST(:on AS date), CURRENT_DATE) - l.date AS age_days
            FROM (SELECT DISTINCT ON (p.place_id, p.commodity) p.place_id, p.commodity,
                         p.date, p.price_idr, p.source
                  FROM prices p WHERE {" AND ".join(clauses)}
                  ORDER BY p.place_id, p.commodity, p.date DESC) l
            JOIN price_places pl ON pl.id = l.place_id
            JOIN price_commodities pc ON pc.code = l.commodity
            JOIN sources s ON s.id = l.source
            {"".join(windows)}
            ORDER BY pl.id, l.commodity
            """
        ),
        params | {"on": on},
    ).mappings()
    out = []
    for r in rows:
        item = {k: r[k] for k in ("commodity", "unit", "farm_commodity", "place", "date")}
        item |= {"name": r["name_id"], "price_idr": r["price_idr"], "source": r["source"]}
        item |= {"demo": bool(r["demo"]), "age_days": int(r["age_days"])}
        for days in CHANGE_WINDOWS:
            before = r[f"price_{days}d"]
            item[f"price_{days}d_idr"] = before
            item[f"date_{days}d"] = r[f"date_{days}d"]
            item[f"change_{days}d_pct"] = (
                None if before is None else round(100.0 * (r["price_idr"] / before - 1.0), 2)
            )
        change = item["change_7d_pct"]
        item["alert"] = change is not None and change > alert_pct
        out.append(item)
    return out


def price_at(
    conn: Connection, *, commodity: str, place_id: int, on: date, alert_pct: float
) -> dict[str, Any] | None:
    """The newest price of a commodity at a place on or before ``on`` (with changes)."""
    found = latest_prices(conn, commodity=commodity, places=[place_id], on=on, alert_pct=alert_pct)
    return found[0] if found else None


def region_place(conn: Connection, code: str) -> int | None:
    """The price place of a region code, if any prices were loaded for it."""
    found = conn.execute(
        text("SELECT id FROM price_places WHERE region_code = :c"), {"c": code}
    ).scalar()
    return None if found is None else int(found)


def market_place(conn: Connection, market_id: int) -> int | None:
    """The price place of a market, if any prices were loaded for it."""
    found = conn.execute(
        text("SELECT id FROM price_places WHERE market_id = :m"), {"m": market_id}
    ).scalar()
    return None if found is None else int(found)


__all__ = [
    "check_price_commodity",
    "latest_prices",
    "market_place",
    "place_ids",
    "price_at",
    "price_commodities",
    "price_series",
    "region_place",
]
