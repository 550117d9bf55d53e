"""Food prices (harga pangan): series, the latest price per place with its 7- and 30-day
change and the alert flag, the price commodities.

Markets with their latest prices are also the OGC collection ``price_markets``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_api import schemas as sc
from geo_api import schemas_reports as sr
from geo_api.deps import ConnectionDep, SettingsDep
from layers import prices_query as pq

router = APIRouter(tags=["prices"])

CommodityQ = Annotated[
    str | None,
    Query(
        max_length=64, pattern=r"^[a-z_]+$", description="price commodity (GET /prices/commodities)"
    ),
]
MarketQ = Annotated[str | None, Query(max_length=200, description="a market: id, slug or name")]
RegionQ = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{2,10}$", description="a region's BPS code (18: Provinsi Lampung)"),
]


def _check(conn: ConnectionDep, commodity: str | None) -> None:
    if commodity is not None:
        pq.check_price_commodity(conn, commodity)


@router.get(
    "/prices/commodities",
    summary="Price commodities (unit, farm commodity, names in panel files)",
    operation_id="priceCommodities",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.PriceCommodities}, 503),
)
def commodities(conn: ConnectionDep) -> dict[str, Any]:
    """Every commodity prices are kept for."""
    return {"commodities": pq.price_commodities(conn)}


@router.get(
    "/prices",
    summary="Price series per place and commodity",
    operation_id="prices",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.PriceSeriesList}, 404, 422, 503),
)
def prices(
    conn: ConnectionDep,
    commodity: CommodityQ = None,
    market: MarketQ = None,
    region: RegionQ = None,
    from_: Annotated[
        sr.IsoDay | None, Query(alias="from", description="first day (ISO date)")
    ] = None,
    to: Annotated[sr.IsoDay | None, Query(description="last day, included (ISO date)")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="newest points per series")] = 400,
) -> dict[str, Any]:
    """Daily prices, oldest first, one series per place and commodity; a day the panel
    published ``-`` has ``price_idr: null``."""
    _check(conn, commodity)
    places = pq.place_ids(conn, market=market, region=region)
    series = pq.price_series(
        conn, commodity=commodity, places=places, date_from=from_, date_to=to, limit=limit
    )
    return {"numberReturned": len(series), "series": series}


@router.get(
    "/prices/latest",
    summary="Latest price per place and commodity, change over 7 and 30 days, alerts",
    operation_id="latestPrices",
    response_model=None,
    responses=sc.docs({sc.JSON: sr.LatestPrices}, 404, 422, 503),
)
def latest(
    conn: ConnectionDep,
    settings: SettingsDep,
    commodity: CommodityQ = None,
    market: MarketQ = None,
    region: RegionQ = None,
    on: Annotated[
        sr.IsoDay | None,
        Query(description="as of this day (default today): prices on or before it"),
    ] = None,
    alerts_only: Annotated[bool, Query(description="only the flagged ones")] = False,
) -> dict[str, Any]:
    """The newest observed price per place and commodity, compared with the newest price
    at least 7 (30) days older within 14 (45) days; ``alert`` when the 7-day rise is more
    than ``LAMPUNG_GEO_PRICES_ALERT_PCT`` percent."""
    _check(conn, commodity)
    places = pq.place_ids(conn, market=market, region=region)
    pct = settings.prices.alert_pct
    found = pq.latest_prices(conn, commodity=commodity, places=places, on=on, alert_pct=pct)
    if alerts_only:
        found = [p for p in found if p["alert"]]
    return {
        "alert_pct": pct,
        "numberReturned": len(found),
        "alerts": sum(1 for p in found if p["alert"]),
        "prices": found,
    }


__all__ = ["router"]
