"""Food-logistics endpoints: plans, allocation, cost figures, vehicle classes, shipments.

Reads are public; writes need an ``X-API-Key`` with the role ``planner`` or above
(:mod:`geo_api.auth`). ``PATCH /shipments/{id}`` needs an ``Idempotency-Key`` header.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import ConfigDict, Field
from sqlalchemy import Connection

from data.reference import COMMODITIES
from geo_api import schemas as sc
from geo_api.auth import OptionalKey, PlannerKey, check_key, require_role
from geo_api.deps import AllocationBudget, ConnectionDep, NetworksDep, SettingsDep, write
from geo_api.logistics import LOCAL_TZ, Plan, PlanInput, allocate_from_db, compute_plan, parse_time
from geo_api.logistics_output import (
    allocation_body,
    plan_feature,
    plan_properties,
    shipment_feature,
)
from geo_api.params import check_lonlat
from geo_api.settings import Settings
from layers import logistics_data as ld
from layers import shipments as sh
from layers.apikeys import ApiKeyInfo, role_rank
from layers.errors import InvalidParameterError
from layers.logistics_models import SHIPMENT_STATUSES
from layers.prices_margin import PriceBasis, compute_margin

router = APIRouter(tags=["logistics"])

LIST_MAX = 1000
TONNES_MIN, TONNES_MAX = 0.001, 100_000.0
"""Tonnes one planned shipment may move: from 1 kg to 5,000 heavy trucks."""
Fuel = Literal["solar", "dexlite"]
Status = Literal[
    "planned", "loading", "in_transit", "at_port", "on_ferry", "arrived", "delivered", "cancelled"
]
assert Status.__args__ == SHIPMENT_STATUSES  # type: ignore[attr-defined]
COMMODITY_ENUM = sc.enum(c.code for c in COMMODITIES)
# What _time reads: a date of 2000-2099, or a date and time with an optional offset.
TIME_PATTERN = (
    r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
YEARS = (2000, 2099)
ShipmentId = Annotated[int, Path(ge=1, le=sc.INT64_MAX, description="shipment id")]
WRITE_ERRORS = (401, 403, 413)


class PriceBasisRequest(sc.RequestBody):
    """Which prices a margin uses: observed on a day, or given (IDR per kg)."""

    on: sc.Text | None = Field(
        None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="ISO day; default: departure"
    )
    destination_idr_per_kg: sc.StrictNumber | None = Field(
        None, gt=0, le=100_000_000, description="Jakarta market price; default: observed"
    )
    origin_idr_per_kg: sc.StrictNumber | None = Field(
        None, gt=0, le=100_000_000, description="Lampung origin price; default: observed"
    )
    destination_region: sc.Text = Field(
        "31", pattern=r"^[0-9]{2,10}$", description="region of the destination prices"
    )
    origin_region: sc.Text = Field(
        "18", pattern=r"^[0-9]{2,10}$", description="region of the origin prices (18: Lampung)"
    )


class PlanRequest(sc.RequestBody):
    """A shipment to plan: from where, to which market, what, how much, when."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "origin": [105.26, -5.43],
                    "market": "cipinang",
                    "commodity": "padi",
                    "tonnes": 8,
                    "vehicle_class": "medium_truck",
                    "departure": "2026-03-02T06:00:00+07:00",
                }
            ]
        }
    )

    origin: sc.LonLat = Field(description="[lon, lat] of the pick-up point")
    market: sc.Text | Annotated[sc.StrictInt, Field(ge=1, le=sc.INT64_MAX)] = Field(
        description="market id, slug (e.g. 'cipinang') or name"
    )
    commodity: sc.Text = Field(
        description="commodities.code, e.g. 'padi'", json_schema_extra=COMMODITY_ENUM
    )
    tonnes: sc.StrictNumber = Field(
        ge=TONNES_MIN,
        le=TONNES_MAX,
        description=f"tonnes to move, {TONNES_MIN} (1 kg) to {TONNES_MAX:,.0f}",
    )
    vehicle_class: sc.Text = Field("heavy_truck", description="vehicle_classes.code")
    departure: sc.Text = Field(
        description="ISO 8601 departure time, e.g. 2026-03-02T06:00:00+07:00 (no offset: WIB)",
        pattern=TIME_PATTERN,
    )
    fuel: Fuel = Field("solar", description="'solar' (subsidised B35) or 'dexlite'")
    save: Annotated[bool, Field(strict=True)] = Field(
        False, description="also store it as a planned shipment (API key)"
    )
    code: sc.Text | None = Field(
        None, min_length=1, max_length=64, description="shipment code when saving"
    )
    price_basis: PriceBasisRequest | None = Field(
        None,
        description="add the margin (price gap minus transport) with these prices; {} for "
        "the observed prices on the departure day",
    )


def _time(raw: str, *, field: str, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time in 2000-2099 (a plan's arithmetic stays in range)."""
    when = parse_time(raw, field=field, end_of_day=end_of_day)
    if not YEARS[0] <= when.year <= YEARS[1] + (1 if end_of_day else 0):
        msg = f"{field} must lie in the years {YEARS[0]}-{YEARS[1]}, got {raw!r}"
        raise InvalidParameterError(msg, field=field)
    return when


def _plan_input(body: PlanRequest) -> PlanInput:
    check_lonlat(*body.origin, field="origin")
    if not math.isfinite(body.tonnes):
        msg = "tonnes must be a finite number > 0"
        raise InvalidParameterError(msg, field="tonnes")
    return PlanInput(
        origin=body.origin,
        market=body.market,
        commodity=body.commodity,
        tonnes=body.tonnes,
        vehicle_class=body.vehicle_class,
        departure=_time(body.departure, field="departure"),
        fuel=body.fuel,
    )


def _margin(
    conn: Connection, plan: Plan, basis: PriceBasisRequest, settings: Settings
) -> dict[str, Any]:
    """The plan's margin with the request's price basis (prices as of its day)."""
    try:
        day = (
            date.fromisoformat(basis.on)
            if basis.on
            else plan.input.departure.astimezone(LOCAL_TZ).date()
        )
    except ValueError:
        msg = f"price_basis.on must be a real day (YYYY-MM-DD), got {basis.on!r}"
        raise InvalidParameterError(msg, field="price_basis.on") from None
    return compute_margin(
        conn,
        commodity=plan.input.commodity,
        market_id=plan.market_id,
        tonnes=plan.input.tonnes,
        vehicles=plan.vehicles,
        transport_idr=plan.cost.total_idr,
        basis=PriceBasis(
            on=day,
            destination_idr_per_kg=basis.destination_idr_per_kg,
            origin_idr_per_kg=basis.origin_idr_per_kg,
            destination_region=basis.destination_region,
            origin_region=basis.origin_region,
        ),
        alert_pct=settings.prices.alert_pct,
        stale_days=settings.prices.stale_days,
    )


def _save(conn: Connection, plan: Plan, *, code: str | None, actor: str) -> dict[str, Any]:
    """Store a plan as a ``planned`` shipment (its own transaction, on the request's
    connection)."""
    inp = plan.input
    props = plan_properties(plan)
    with write(conn):
        row = sh.create_shipment(
            conn,
            commodity=inp.commodity,
            tonnes=inp.tonnes,
            vehicle_class=inp.vehicle_class,
            vehicles=plan.vehicles,
            market_id=plan.market_id,
            origin=inp.origin,
            departure=inp.departure,
            eta=plan.eta,
            route=list(plan.coords),
            plan={k: v for k, v in props.items() if k != "cost"},
            cost=props["cost"],
            code=code,
            actor=actor,
        )
    return shipment_feature(row)


@router.post(
    "/logistics/plan",
    summary="Plan a farm-to-market shipment (route, ETA, cost)",
    operation_id="planShipment",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.PlanFeature}, *WRITE_ERRORS, 409, 422, 503),
    # The key is needed only with save: true.
    openapi_extra={"security": [{}, {"ApiKey": []}]},
)
def plan(
    body: PlanRequest,
    conn: ConnectionDep,
    networks: NetworksDep,
    settings: SettingsDep,
    api_key: OptionalKey = None,
) -> dict[str, Any]:
    """The road–ferry–road route as GeoJSON with each leg's time, distance and geometry.

    The wait at the port comes from the ferry's departure schedule; ``duration_s`` =
    sum of the legs + ``wait_s``; ``eta`` = departure + ``duration_s``. Cost is split
    into fuel, toll, ferry and driver; ``figures`` lists every number used with its
    source. With ``save: true`` (needs an ``X-API-Key``, role planner) the plan is
    stored as a ``planned`` shipment and ``shipment`` is added to the answer.
    """
    key = check_key(conn, api_key, "planner") if body.save else None
    plan = compute_plan(conn, networks, _plan_input(body))
    feature = plan_feature(plan)
    if body.price_basis is not None:
        feature["properties"]["margin"] = _margin(conn, plan, body.price_basis, settings)
    if key is not None:
        feature["properties"]["shipment"] = _save(conn, plan, code=body.code, actor=key.prefix)
    return feature


class AllocateRequest(sc.RequestBody):
    """The month to allocate and the vehicles to use."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"month": 3, "year": 2026}]})

    month: sc.StrictInt = Field(ge=1, le=12, description="month 1-12")
    year: sc.StrictInt | None = Field(None, ge=2000, le=2100, description="default: this year")
    vehicle_class: sc.Text = "heavy_truck"
    fuel: Fuel = "solar"
    ferry_freight_share: sc.StrictNumber | None = Field(
        None, ge=0, le=1, description="default: the 'ferry_freight_share' cost parameter"
    )
    commodity: sc.Text | None = Field(
        None,
        description="only this commodity",
        json_schema_extra=sc.enum((c.code for c in COMMODITIES), nullable=True),
    )


@router.post(
    "/logistics/allocate",
    summary="Minimum-cost allocation of farm supply to markets",
    operation_id="allocate",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.AllocationResult}, 413, 422, 503),
)
def allocate(
    budget: AllocationBudget, body: AllocateRequest, conn: ConnectionDep, networks: NetworksDep
) -> dict[str, Any]:
    """Flows farm → market (GeoJSON lines with tonnes and cost), unmet demand, ferry use.

    A transportation LP solved with HiGHS: each farm ships at most its month's supply,
    each market receives at most its demand per commodity (the rest is reported as
    unmet), the ferry carries at most its monthly freight capacity.
    """
    answer = allocate_from_db(
        conn,
        networks,
        month=body.month,
        year=body.year or datetime.now().year,
        vehicle_class=body.vehicle_class,
        fuel=body.fuel,
        ferry_share=body.ferry_freight_share,
        commodity=body.commodity,
        budget=budget,
    )
    return allocation_body(answer)


@router.get(
    "/logistics/parameters",
    summary="Cost figures with their sources",
    operation_id="costParameters",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.CostParameters}, 503),
)
def parameters(conn: ConnectionDep) -> dict[str, Any]:
    """Every figure costing uses (fuel, driver, CO2, toll per km, ferry freight share) and
    the ferry links' tariffs per ASDP class, schedules and capacity."""
    return {
        "parameters": ld.cost_parameters(conn),
        "ferry_links": ld.ferry_links(conn),
    }


class ParameterUpdate(sc.RequestBody):
    """A new value for a cost parameter, and where it comes from."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"value": 6800, "source": "Pertamina price list, 2024"}]}
    )

    value: sc.StrictNumber = Field(ge=0, le=1e15, description="the figure, in its unit (>= 0)")
    source: sc.Text = Field(
        min_length=3, max_length=2000, description="where the figure comes from"
    )


@router.put(
    "/logistics/parameters/{key}",
    summary="Update a cost figure (API key)",
    operation_id="updateCostParameter",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.CostParameter}, *WRITE_ERRORS, 404, 503),
)
def update_parameter(
    key: Annotated[
        str,
        Path(max_length=200, description="the parameter's key", examples=["fuel_price.solar"]),
    ],
    body: ParameterUpdate,
    api_key: PlannerKey,
    conn: ConnectionDep,
) -> dict[str, Any]:
    """Set a parameter's value and source; needs a key with role planner or admin."""
    if not math.isfinite(body.value) or body.value < 0:
        msg = "value must be a finite number >= 0"
        raise InvalidParameterError(msg, field="value")
    with write(conn):
        return ld.set_parameter(
            conn, key, value=body.value, source=body.source, actor=api_key.prefix
        )


@router.get(
    "/logistics/vehicle-classes",
    summary="Freight vehicle classes",
    operation_id="vehicleClasses",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.VehicleClasses}, 503),
)
def vehicle_classes(conn: ConnectionDep) -> dict[str, Any]:
    """Payload, fuel use, toll group and ferry class (ASDP golongan) per vehicle class."""
    return {"vehicle_classes": list(ld.vehicle_classes(conn).values())}


ViewerKey = Annotated[ApiKeyInfo, Depends(require_role("viewer"))]


@router.get(
    "/logistics/key",
    summary="The API key's role (sign-in check)",
    operation_id="apiKeyInfo",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.KeyInfo}, 401, 403, 503),
)
def key_info(api_key: ViewerKey) -> dict[str, Any]:
    """Who the ``X-API-Key`` belongs to: its prefix, role and name, and whether it may
    change shipments (role planner or admin). The map page signs in with it; an unknown
    or revoked key answers 401. Never returns the key itself."""
    return {
        "prefix": api_key.prefix,
        "role": api_key.role,
        "name": api_key.name,
        "can_write": role_rank(api_key.role) >= role_rank("planner"),
    }


SHIPMENT_LINKS = {
    "GetShipment": {
        "operationId": "getShipment",
        "parameters": {"shipment_id": "$response.body#/id"},
        "description": "the shipment just made",
    },
    "GetShipmentEvents": {
        "operationId": "shipmentEvents",
        "parameters": {"shipment_id": "$response.body#/id"},
    },
    "PatchShipment": {
        "operationId": "patchShipment",
        "parameters": {"shipment_id": "$response.body#/id"},
    },
}


@router.post(
    "/shipments",
    status_code=201,
    summary="Create a planned shipment (API key)",
    operation_id="createShipment",
    response_model=None,
    responses=sc.docs(
        {sc.JSON: sc.ShipmentFeature},
        *WRITE_ERRORS,
        409,
        422,
        503,
        status=201,
        description="Created; Location names the new shipment",
        headers={"Location": {"description": "/shipments/{id}", "schema": {"type": "string"}}},
        links=SHIPMENT_LINKS,
    ),
)
def create_shipment(
    request: Request,
    body: PlanRequest,
    api_key: PlannerKey,
    conn: ConnectionDep,
    networks: NetworksDep,
    response: Response,
) -> dict[str, Any]:
    """Plan the shipment and store it with its planned route, ETA and cost (status planned)."""
    plan = compute_plan(conn, networks, _plan_input(body))
    made = _save(conn, plan, code=body.code, actor=api_key.prefix)
    response.headers["Location"] = f"{str(request.base_url).rstrip('/')}/shipments/{made['id']}"
    return made


@router.get(
    "/shipments",
    summary="Shipments, filtered",
    operation_id="listShipments",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.Shipments}, 422, 503),
)
def list_shipments(
    conn: ConnectionDep,
    status: Annotated[
        str | None,
        Query(
            description="planned, loading, …",
            json_schema_extra=sc.enum(list(SHIPMENT_STATUSES)),
        ),
    ] = None,
    commodity: Annotated[str | None, Query(json_schema_extra=COMMODITY_ENUM)] = None,
    market: Annotated[
        str | None, Query(min_length=1, description="market id, slug or name")
    ] = None,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            description="departure at or after (ISO date/time)",
            pattern=TIME_PATTERN,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="departure before (a date: through that day)", pattern=TIME_PATTERN),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX, description="how many")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9, description="how many to skip")] = 0,
) -> dict[str, Any]:
    """A FeatureCollection of shipments, newest departure first."""
    if commodity is not None:
        ld.check_commodity(conn, commodity)
    market_id = int(ld.find_market(conn, market)["id"]) if market is not None else None
    rows, matched = sh.list_shipments(
        conn,
        status=status,
        commodity=commodity,
        market_id=market_id,
        departure_from=_time(from_, field="from") if from_ else None,
        departure_to=_time(to, field="to", end_of_day=True) if to else None,
        limit=limit,
        offset=offset,
    )
    return {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(rows),
        "features": [shipment_feature(r) for r in rows],
    }


@router.get(
    "/shipments/{shipment_id}",
    summary="One shipment with its events",
    operation_id="getShipment",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.ShipmentFeature}, 404, 503),
)
def get_shipment(shipment_id: ShipmentId, conn: ConnectionDep) -> dict[str, Any]:
    """The shipment as a Feature, its events (oldest first) in ``properties.events``."""
    row = sh.get_shipment(conn, shipment_id)
    return shipment_feature(row, sh.list_events(conn, shipment_id))


@router.get(
    "/shipments/{shipment_id}/events",
    summary="A shipment's events",
    operation_id="shipmentEvents",
    response_model=None,
    responses=sc.docs({sc.JSON: sc.ShipmentEvents}, 404, 503),
)
def shipment_events(shipment_id: ShipmentId, conn: ConnectionDep) -> dict[str, Any]:
    """Status changes and position reports, oldest first."""
    events = sh.list_events(conn, shipment_id)
    return {"shipment_id": shipment_id, "numberReturned": len(events), "events": events}


class ShipmentPatch(sc.RequestBody):
    """A status change or position report."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "loading", "position": [105.26, -5.43], "note": "muat"}]
        }
    )

    status: Status | None = Field(None, description="new status; omit for a position report")
    position: sc.LonLat | None = Field(None, description="[lon, lat]")
    note: sc.Text | None = Field(
        None, max_length=2000, description="free text (tab and line breaks allowed)"
    )
    at: sc.Text | None = Field(
        None, description="when it happened (ISO 8601; default now)", pattern=TIME_PATTERN
    )


@router.patch(
    "/shipments/{shipment_id}",
    summary="Change status / report position (API key)",
    operation_id="patchShipment",
    response_model=None,
    responses=sc.docs(
        {sc.JSON: sc.ShipmentChange},
        *WRITE_ERRORS,
        404,
        409,
        412,
        422,
        503,
        headers={
            "Idempotent-Replayed": {
                "description": "true when the Idempotency-Key was seen before",
                "schema": {"type": "string", "enum": ["true", "false"]},
            },
            "ETag": {"description": "the shipment's version", "schema": {"type": "string"}},
        },
    ),
)
def patch_shipment(
    shipment_id: ShipmentId,
    body: ShipmentPatch,
    api_key: PlannerKey,
    conn: ConnectionDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            min_length=1,
            max_length=200,
            description="a unique key per change; a retry with it is a no-op",
        ),
    ],
    if_match: Annotated[
        str | None,
        Header(
            pattern=r'^(?:W/)?"?[0-9]{1,18}"?$',
            description="optional: the version the change is based on",
        ),
    ] = None,
) -> dict[str, Any]:
    """Apply one lifecycle step exactly once.

    planned → loading → in_transit → at_port → on_ferry → arrived → delivered, or
    cancelled (before the ferry). An illegal jump answers 409. A repeat with the same
    ``Idempotency-Key`` returns the first answer (header ``Idempotent-Replayed: true``).
    """
    if not idempotency_key:
        msg = "the Idempotency-Key header is required"
        raise InvalidParameterError(msg, field="Idempotency-Key")
    if body.position is not None:
        check_lonlat(*body.position, field="position")
    version = None
    if if_match is not None:
        try:
            version = int(if_match.strip().strip('"'))
        except ValueError:
            msg = f"If-Match must be a shipment version number, got {if_match!r}"
            raise InvalidParameterError(msg, field="If-Match") from None
    with write(conn):
        result = sh.apply_event(
            conn,
            shipment_id,
            to_status=body.status,
            idempotency_key=idempotency_key,
            position=body.position,
            note=body.note,
            at=_time(body.at, field="at") if body.at else None,
            actor=api_key.prefix,
            expected_version=version,
        )
    response.headers["Idempotent-Replayed"] = "true" if result.replayed else "false"
    response.headers["ETag"] = f'"{result.shipment["version"]}"'
    return {
        "shipment": shipment_feature(result.shipment),
        "event": result.event,
        "replayed": result.replayed,
    }
