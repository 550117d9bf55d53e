"""The API's documented shapes: strict request types and response models (pydantic).

Request types are strict where a JSON value has one meaning: a coordinate, a count, a
number of tonnes or minutes is a JSON number (``false``, ``true`` and ``"8"`` are
refused, never read as 0, 1 or 8) and finite (``NaN``/``Infinity`` are refused).

Response models document what the routers send; they are **not** used to validate or
re-serialise answers (``/route``, ``/nearest`` and the feature endpoints write their JSON
once, by hand or in PostGIS). :func:`docs` puts a model under the right media type of
an operation's answer, with the error answers the operation can give;
:func:`install_openapi` adds the models to the OpenAPI document and removes FastAPI's
default "422 Validation Error" (this API answers schema errors with 400).
``tests/geo_api/test_openapi.py`` checks real answers against these models.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import JsonDict, JsonValue, models_json_schema
from pydantic_core import PydanticCustomError

from geo_api.schemas_reports import REPORT_MODELS, Margin

# -- strict request types ------------------------------------------------------------
Lon = Annotated[
    float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False, description="longitude")
]
Lat = Annotated[
    float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False, description="latitude")
]
LonLat = tuple[Lon, Lat]
"""A WGS 84 ``[lon, lat]`` position (two JSON numbers)."""


def _json_number(value: Any) -> Any:
    """Let JSON numbers through (``5`` and ``5.0``); refuse booleans and strings."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a boolean" if isinstance(value, bool) else type(value).__name__
        raise PydanticCustomError(
            "int_type", "Input should be a whole JSON number, not {kind}", {"kind": kind}
        )
    return value


StrictInt = Annotated[int, BeforeValidator(_json_number)]
"""A whole JSON number: ``5`` or ``5.0`` (an integer to JSON Schema), never ``true``/``"5"``."""
StrictNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, Field(strict=True)]
INT64_MAX = 2**63 - 1


def enum(values: Iterable[str], *, nullable: bool = False) -> JsonDict:
    """``json_schema_extra`` listing the values a text field accepts (and null)."""
    listed: list[JsonValue] = list(values)
    return {"enum": [*listed, None] if nullable else listed}


class RequestBody(BaseModel):
    """A JSON request body: unknown fields are refused (a misspelt ``tonne`` is not
    silently ignored), as ``additionalProperties: false`` says."""

    model_config = ConfigDict(extra="forbid")


# -- media types ----------------------------------------------------------------------
JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
CSV = "text/csv"
GPKG = "application/geopackage+sqlite3"
PNG = "image/png"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"


# -- shared pieces -------------------------------------------------------------------
class ErrorBody(BaseModel):
    """Every error answer: what went wrong and which field it is about."""

    code: str = Field(description="error kind, e.g. InvalidParameter, OffNetwork")
    description: str
    field: str | None = Field(description="the parameter, body field or header at fault")
    reason: str = Field(description="same as description")
    row: int | None = Field(None, description="row of an uploaded file, when relevant")
    distance_m: float | None = Field(
        None, description="OffNetwork: how far the point is from the nearest road, in metres"
    )
    max_distance_m: float | None = Field(
        None, description="OffNetwork: the snapping limit, in metres"
    )
    errors: list[dict[str, Any]] | None = Field(
        None, description="every schema error of the request (400 from validation)"
    )


class Link(BaseModel):
    """An OGC API link."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Point(BaseModel):
    """A GeoJSON Point."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=3)


class LineString(BaseModel):
    """A GeoJSON LineString."""

    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(min_length=2)


class Polygon(BaseModel):
    """A GeoJSON Polygon."""

    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class MultiPolygon(BaseModel):
    """A GeoJSON MultiPolygon."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]]


class AnyGeometry(BaseModel):
    """Any GeoJSON geometry (Point, LineString, Polygon, Multi*, GeometryCollection)."""

    type: Literal[
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ]
    coordinates: list[Any] | None = None
    geometries: list[dict[str, Any]] | None = None


Area = Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class Snap(BaseModel):
    """Where a location was placed on the road and how far it was from it."""

    lon: float
    lat: float
    distance_m: float


# -- OGC API - Features --------------------------------------------------------------
class Landing(BaseModel):
    """The landing page."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The conformance classes."""

    conformsTo: list[str]  # noqa: N815 (OGC name)


class Extent(BaseModel):
    """A collection's spatial extent."""

    spatial: dict[str, Any]


class CollectionDoc(BaseModel):
    """One feature collection's metadata."""

    id: str
    title: str
    description: str
    itemType: Literal["feature"]  # noqa: N815
    crs: list[str] | None = Field(None, description="CRSs items can be asked in (?crs=)")
    storageCrs: str | None = None  # noqa: N815
    links: list[Link]
    demo: bool
    numberOfFeatures: int  # noqa: N815
    geometryType: str | None  # noqa: N815
    attribution: str
    sources: list[dict[str, Any]]
    extent: Extent | None = None


class Collections(BaseModel):
    """All collections."""

    links: list[Link]
    crs: list[str] = Field(description="every CRS any collection offers")
    collections: list[CollectionDoc]


class Queryables(BaseModel):
    """JSON Schema of a collection's filterable properties."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, dict[str, Any]]


class Feature(BaseModel):
    """A GeoJSON feature of a collection (``geometry`` null for a table without one)."""

    type: Literal["Feature"]
    id: int | str
    geometry: AnyGeometry | None
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    """A page of features with paging links."""

    type: Literal["FeatureCollection"]
    timeStamp: datetime  # noqa: N815
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    links: list[Link]
    features: list[Feature]


# -- routing -------------------------------------------------------------------------
class RouteLeg(BaseModel):
    """A road or ferry part of a route."""

    mode: Literal["road", "ferry"]
    duration_s: float
    distance_m: float
    ferry_link_id: int | None
    geometry: LineString


class RouteSnaps(BaseModel):
    """Where the route's ends were placed on the road."""

    model_config = ConfigDict(populate_by_name=True)

    from_: Snap = Field(alias="from")
    to: Snap


class RouteProperties(BaseModel):
    """Duration, distance, legs and street names of a route."""

    profile: str
    duration_s: float
    duration_min: float
    distance_m: float
    street_names: list[str]
    legs: list[RouteLeg]
    snap: RouteSnaps
    engine: str


class RouteFeature(BaseModel):
    """``GET /route``: the fastest route as a GeoJSON LineString feature."""

    type: Literal["Feature"]
    geometry: LineString
    properties: RouteProperties


class NearestProperties(BaseModel):
    """A reached service point: its own properties plus travel time and route."""

    name: str | None = None
    category: str | None = None
    rank: int
    duration_s: float
    duration_min: float
    distance_m: float
    snap_distance_m: float
    route: LineString


class NearestFeature(BaseModel):
    """One reached service point."""

    type: Literal["Feature"]
    id: int
    geometry: Point
    properties: NearestProperties


class NearestCollection(BaseModel):
    """``GET /nearest``: the k soonest-reached service points, soonest first."""

    type: Literal["FeatureCollection"]
    profile: str
    category: str
    origin: Snap
    numberReturned: int  # noqa: N815
    off_network_points: int = Field(description="points of the category too far from a road")
    features: list[NearestFeature]
    note: str | None = Field(None, description="why nothing was found")


class MatrixResult(BaseModel):
    """``POST /matrix``: seconds from each source (row) to each target (column)."""

    profile: str
    durations_s: list[list[float | None]] = Field(description="null: unreachable")
    sources: list[Snap]
    targets: list[Snap]


# -- coverage ------------------------------------------------------------------------
class BandProperties(BaseModel):
    """A travel-time band."""

    profile: str
    category: str | None = None
    minutes: float
    from_minutes: float
    area_km2: float
    road_km_within: float
    access_m: float


class BandFeature(BaseModel):
    """A travel-time band as a (Multi)Polygon."""

    type: Literal["Feature"]
    geometry: Area
    properties: BandProperties


class IsochroneOrigin(BaseModel):
    """Where the point was placed on the road."""

    lon: float
    lat: float
    snap_distance_m: float


class Isochrones(BaseModel):
    """``GET /isochrones``: nested, non-overlapping bands around a point."""

    type: Literal["FeatureCollection"]
    profile: str
    origin: IsochroneOrigin
    direction: str
    features: list[BandFeature]


class CoverageAreas(BaseModel):
    """``GET /coverage/areas``: bands from which a service point is reached in time."""

    type: Literal["FeatureCollection"]
    profile: str
    category: str
    direction: str
    facilities: int
    facilities_off_network: int
    demo: bool
    features: list[BandFeature]
    note: str | None = None


class PopulationModel(BaseModel):
    """How the population was spread over H3 cells."""

    method: str
    description: str
    source_level: str
    cells: str
    h3_resolution: int
    n_cells: int
    n_rows: int
    weighting: str
    population: int
    data: dict[str, Any]
    areas_by_method: dict[str, int]
    fallbacks: list[dict[str, Any]]
    assumptions: list[str]
    cell_snap_max_m: float


class AreaRow(BaseModel):
    """One area's coverage. Per threshold ``m`` the row also has ``covered_<m>min``,
    ``percent_<m>min`` (null without population) and ``uncovered_<m>min``."""

    model_config = ConfigDict(extra="allow")

    id: int
    code: str | None
    name: str
    level: str
    population: int
    median_min: float | None
    p90_min: float | None
    underserved_rank: int


class CoverageStats(BaseModel):
    """``GET /coverage/stats`` (and ``/coverage/underserved``, with ``numberReturned``)."""

    category: str
    profile: str
    level: str
    minutes: list[float]
    demo: bool
    population_model: PopulationModel
    facilities: int
    facilities_off_network: int
    totals: dict[str, float | None]
    underserved_ranked_by: str
    areas: list[AreaRow]
    numberReturned: int | None = None  # noqa: N815


class AreaFeature(BaseModel):
    """An area with its coverage row as properties."""

    type: Literal["Feature"]
    id: int
    geometry: AnyGeometry
    properties: AreaRow


class CoverageAreasGeoJSON(BaseModel):
    """``GET /coverage/stats?f=geojson``: the same rows with the areas' outlines."""

    type: Literal["FeatureCollection"]
    category: str
    profile: str
    level: str
    minutes: list[float]
    demo: bool
    population_model: PopulationModel
    totals: dict[str, float | None]
    features: list[AreaFeature]


class SiteProperties(BaseModel):
    """A proposed site: its rank, where it lies, and what it adds."""

    rank: int
    candidate: int
    candidate_kind: str
    newly_covered_population: int
    kecamatan: str | None = Field(description="the kecamatan it lies in (null: none loaded)")
    kabupaten: str | None = Field(description="the kabupaten/kota it lies in")
    covered_after: int = Field(description="people covered with this and the better sites")
    percent_after: float | None = Field(description="the same as a share of the population")


class SiteFeature(BaseModel):
    """A proposed site as a point."""

    type: Literal["Feature"]
    geometry: Point
    properties: SiteProperties


class SitingSolution(BaseModel):
    """How good the proposed sites are (greedy vs exact MILP, bound and gap)."""

    method: str
    objective: int
    greedy_objective: int
    milp_objective: int | None
    milp_status: str | None
    bound: int
    gap: float
    greedy_gap: float
    seconds: float
    capacity_aware: bool
    notes: list[str]


class Sites(BaseModel):
    """``POST /plan/sites``: new sites that newly cover the most people."""

    type: Literal["FeatureCollection"]
    category: str
    profile: str
    minutes: float
    count: int
    demo: bool
    population: int
    covered_before: int
    percent_before: float | None
    covered_after: int
    percent_after: float | None
    newly_covered: int
    candidates: int
    solution: SitingSolution
    population_model: PopulationModel
    features: list[SiteFeature]


# -- logistics -----------------------------------------------------------------------
class CostParts(BaseModel):
    """Cost components in IDR."""

    fuel_idr: int
    toll_idr: int
    ferry_idr: int
    driver_idr: int
    total_idr: int


class PlanCost(CostParts):
    """A plan's cost: totals, per vehicle and per tonne."""

    currency: Literal["IDR"]
    per_vehicle: CostParts
    per_tonne_idr: int
    fuel_l: float
    co2_kg: float


class PlanLeg(BaseModel):
    """A road or ferry leg with its times (ferry legs: the wait and the sailing)."""

    mode: Literal["road", "ferry"]
    distance_m: float
    start: datetime
    duration_s: float
    end: datetime
    geometry: LineString
    ferry_link_id: int | None = None
    name: str | None = None
    wait_s: float | None = None
    sailing: datetime | None = None
    departures_per_day: int | None = None


class NamedRef(BaseModel):
    """An id and a name."""

    id: int
    name: str


class LonLatObject(BaseModel):
    """A position as an object."""

    lon: float
    lat: float


class Figure(BaseModel):
    """A number costing used, with its unit and source."""

    key: str
    value: float
    unit: str | None
    source: str | None
    component: Literal["fuel", "toll", "ferry", "driver", "co2"] | None = Field(
        None, description="the cost component it prices"
    )
    assumption: bool = Field(
        False, description="true: an assumption or approximation (its source says so)"
    )


class ShipmentEvent(BaseModel):
    """A status change or position report."""

    id: int
    shipment_id: int
    from_status: str | None
    to_status: str
    at: datetime
    recorded_at: datetime
    position: Point | None
    note: str | None
    idempotency_key: str | None
    actor: str | None


class ShipmentProperties(BaseModel):
    """A shipment's state."""

    code: str
    status: str
    commodity: str
    tonnes: float
    vehicle_class: str
    vehicles: int
    departure: datetime
    eta: datetime | None
    cost: dict[str, Any] | None
    plan: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    next_statuses: list[str] = Field(
        description="the statuses it may move to next, in lifecycle order ([] when final)"
    )
    market: NamedRef
    origin: LonLatObject
    events: list[ShipmentEvent] | None = None


class ShipmentFeature(BaseModel):
    """A shipment as a GeoJSON feature (its planned route, else its origin)."""

    type: Literal["Feature"]
    id: int
    geometry: AnyGeometry
    properties: ShipmentProperties


class PlanProperties(BaseModel):
    """Everything about a planned shipment: legs, ETA, cost and the figures used."""

    origin: LonLatObject
    market: NamedRef
    commodity: str
    tonnes: float
    vehicle_class: str
    payload_t: float
    vehicles: int
    profile: str
    fuel: str
    departure: datetime
    eta: datetime
    duration_s: float
    duration_h: float
    wait_s: float
    distance_m: float
    road_m: float
    toll_m: dict[str, float]
    legs: list[PlanLeg]
    cost: PlanCost
    co2_kg: float
    figures: list[Figure]
    snap: dict[str, Snap]
    notes: list[str]
    shipment: ShipmentFeature | None = Field(None, description="with save: true")
    margin: Margin | None = Field(
        None,
        description="price gap Jakarta market - Lampung origin minus transport, per kg and "
        "trip (with the prices used and their age); see price_basis",
    )


class PlanFeature(BaseModel):
    """``POST /logistics/plan``: the road-ferry-road route as a GeoJSON feature."""

    type: Literal["Feature"]
    geometry: LineString
    properties: PlanProperties


class FlowLeg(BaseModel):
    """A leg of a flow's route: road or ferry, simplified for drawing."""

    mode: Literal["road", "ferry"]
    distance_m: float
    duration_s: float
    geometry: LineString
    ferry_link_id: int | None = None


class FlowProperties(BaseModel):
    """Tonnes sent from a farm to a market, what it costs, and its route's legs."""

    farm_id: int
    farm: str
    market_id: int
    market: str
    commodity: str
    tonnes: float
    cost_idr: int
    cost_per_t_idr: int
    vehicle_trips: float
    duration_s: float
    road_m: float
    crosses_ferry: bool
    legs: list[FlowLeg] = Field(description="road, ferry, road: the route's legs")


class FlowFeature(BaseModel):
    """A flow along its fastest route farm → market (simplified to ~100 m)."""

    type: Literal["Feature"]
    geometry: LineString
    properties: FlowProperties


class AllocationSummary(BaseModel):
    """The LP's status, totals, unmet demand and ferry use."""

    status: str
    total_cost_idr: int
    delivered_t: float
    demand_t: float
    supply_t: float
    unmet_t: float
    unmet: list[dict[str, Any]]
    ferry: list[dict[str, Any]]
    vehicle_class: str
    profile: str
    days: int
    ferry_freight_share: float
    solve_seconds: float
    variables: int
    constraints: int
    month: int | None = None
    year: int | None = None
    fuel: str | None = None
    off_network: dict[str, list[Any]]
    assumptions: list[str]


class AllocationResult(BaseModel):
    """``POST /logistics/allocate``: minimum-cost flows farm → market."""

    type: Literal["FeatureCollection"]
    features: list[FlowFeature]
    numberReturned: int  # noqa: N815
    summary: AllocationSummary


class CostParameter(BaseModel):
    """A cost figure with its unit and source."""

    key: str
    value: float
    unit: str
    description: str | None
    source: str
    updated_at: datetime | None
    updated_by: str | None


class CostParameters(BaseModel):
    """``GET /logistics/parameters``: every figure costing uses, and the ferry links."""

    parameters: list[CostParameter]
    ferry_links: list[dict[str, Any]]


class VehicleClass(BaseModel):
    """A freight vehicle class."""

    code: str
    name_id: str
    name_en: str
    payload_t: float
    fuel_l_per_km: float
    toll_group: str
    ferry_class: str


class VehicleClasses(BaseModel):
    """``GET /logistics/vehicle-classes``."""

    vehicle_classes: list[VehicleClass]


class KeyInfo(BaseModel):
    """``GET /logistics/key``: whose API key this is (never the key itself)."""

    prefix: str
    role: Literal["viewer", "planner", "admin"]
    name: str | None
    can_write: bool = Field(description="true for planner and admin: may change shipments")


class Shipments(BaseModel):
    """``GET /shipments``: newest departure first."""

    type: Literal["FeatureCollection"]
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    features: list[ShipmentFeature]


class ShipmentEvents(BaseModel):
    """``GET /shipments/{id}/events``: oldest first."""

    shipment_id: int
    numberReturned: int  # noqa: N815
    events: list[ShipmentEvent]


class ShipmentChange(BaseModel):
    """``PATCH /shipments/{id}``: the shipment after the change, and the change."""

    shipment: ShipmentFeature
    event: ShipmentEvent
    replayed: bool = Field(description="true: the Idempotency-Key was seen before")


# -- place search --------------------------------------------------------------------
class PlaceProperties(BaseModel):
    """A place found by name, with where it lies."""

    name: str
    kind: Literal["kabupaten", "kecamatan", "desa", "service_point", "settlement"]
    layer: Literal["admin_areas", "service_points", "settlements"] = Field(
        description="the collection it comes from (feature_id is its id there)"
    )
    feature_id: int
    category: str | None = Field(description="a service point's category code")
    kecamatan: str | None = Field(description="the kecamatan it lies in (areas: their parent)")
    kabupaten: str | None = Field(description="the kabupaten/kota it lies in")
    match: Literal["exact", "prefix", "word", "similar"] = Field(
        description="exact name, name starts with the query, a word starts with it, or a "
        "similar word (typo tolerant)"
    )
    score: float = Field(description="rank score: the match class (4..1) plus parts below 1")
    bbox: list[float] | None = Field(
        description="an area's or settlement's extent [minx, miny, maxx, maxy]"
    )
    distance_m: float | None = Field(description="from `near`, when given")
    demo: bool


class PlaceFeature(BaseModel):
    """A place: its point is where a trip starts (an area's government office, else a
    point inside it)."""

    type: Literal["Feature"]
    id: str = Field(description="<layer>.<feature_id>")
    geometry: Point
    properties: PlaceProperties


class PlaceResults(BaseModel):
    """``GET /search``: places whose name matches the query, best first."""

    type: Literal["FeatureCollection"]
    query: str
    numberReturned: int  # noqa: N815
    features: list[PlaceFeature]


# -- pages and the rest --------------------------------------------------------------
class RoadLines(BaseModel):
    """``GET /roads``: road lines of the loaded network for a view."""

    type: Literal["FeatureCollection"]
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    features: list[dict[str, Any]]
    note: str | None = None


class Health(BaseModel):
    """``GET /health`` and ``GET /health/ready``: the database and the road graphs."""

    status: Literal["ok", "unavailable"]
    database: dict[str, Any]
    graphs: dict[str, Any]


class Liveness(BaseModel):
    """``GET /health/live``: the process answers (no database involved)."""

    status: Literal["ok"]
    uptime_s: float
    graphs: list[str]


MODELS: tuple[type[BaseModel], ...] = (
    ErrorBody,
    Landing,
    Conformance,
    Collections,
    CollectionDoc,
    Queryables,
    Feature,
    FeatureCollection,
    RouteFeature,
    NearestCollection,
    MatrixResult,
    Isochrones,
    CoverageAreas,
    CoverageStats,
    CoverageAreasGeoJSON,
    Sites,
    PlanFeature,
    AllocationResult,
    CostParameters,
    CostParameter,
    VehicleClasses,
    KeyInfo,
    Shipments,
    ShipmentFeature,
    ShipmentEvents,
    ShipmentChange,
    PlaceResults,
    RoadLines,
    Health,
    Liveness,
    *REPORT_MODELS,
)
"""Every model the OpenAPI document refers to (added to its components)."""

# -- operation documentation ---------------------------------------------------------
ERRORS: dict[int, str] = {
    400: "Malformed request: a parameter, header or body field is not valid (named in "
    "`field`), holds a control character, or the JSON cannot be read",
    401: "No API key, or an unknown or revoked one (header X-API-Key)",
    403: "The API key's role is too small for this operation",
    404: "No such resource (collection, feature, shipment, cost parameter or market)",
    409: "The change conflicts with the resource's state (illegal status jump, code taken)",
    412: "If-Match names a version that is not the current one",
    413: "The request body (or a photo in it) is larger than the configured limit",
    415: "The photo is not a JPEG, PNG or WebP image (judged by its content)",
    422: "Well-formed, but the data cannot answer it (a point too far from any road, no "
    "route, unknown market, no population figures, ...)",
    429: "Too many submissions from this client; retry after Retry-After seconds",
    503: "The database or a road graph is not available, or a query took too long; "
    "retry after Retry-After seconds",
}


def ref(model: type[BaseModel]) -> dict[str, str]:
    """A JSON Schema reference to a model of :data:`MODELS`."""
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def docs(
    ok: dict[str, type[BaseModel] | dict[str, Any]],
    *errors: int,
    status: int = 200,
    description: str = "Success",
    headers: dict[str, Any] | None = None,
    links: dict[str, Any] | None = None,
    extra: dict[int, dict[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: its answer per media type and its errors.

    Parameters
    ----------
    ok
        Media type → model (or a raw JSON Schema, e.g. ``{"type": "string"}`` for CSV).
    errors
        HTTP statuses of :data:`ERRORS` the operation can answer (400 is always added).
    status
        The success status.
    """
    content = {media: {"schema": ref(m) if isinstance(m, type) else m} for media, m in ok.items()}
    out: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": content}
    }
    if headers:
        out[status]["headers"] = headers
    if links:
        out[status]["links"] = links
    for code in sorted({400, *errors}):
        item: dict[str, Any] = {
            "description": ERRORS[code],
            "content": {JSON: {"schema": ref(ErrorBody)}},
        }
        if code in (429, 503):
            item["headers"] = {
                "Retry-After": {"description": "seconds", "schema": {"type": "integer"}}
            }
        out[code] = item
    for code, item in (extra or {}).items():
        out[code] = item
    return out


TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
"""Text without control characters (what :mod:`geo_api.middleware` lets through)."""
NOTE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
"""Free text: tab, LF and CR allowed (``FREE_TEXT_FIELDS`` of the middleware)."""


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _no_controls(schema: dict[str, Any], components: dict[str, Any], *, name: str = "") -> None:
    """Add :data:`TEXT_PATTERN` to every free string of ``schema`` (in place)."""
    # pydantic writes a bound on a validated int inside a union as ge/le, not JSON Schema
    for pyd, js in _BOUNDS.items():
        if pyd in schema:
            schema[js] = schema.pop(pyd)
    if "$ref" in schema:
        target = components.get(schema["$ref"].rsplit("/", 1)[-1])
        if target is not None and not target.get("x-text-checked"):
            target["x-text-checked"] = True
            _no_controls(target, components)
        return
    if schema.get("type") == "string" and not (
        {"pattern", "enum", "const", "format"} & set(schema)
    ):
        schema["pattern"] = NOTE_PATTERN if name in ("note",) else TEXT_PATTERN
    for key, sub in schema.get("properties", {}).items():
        _no_controls(sub, components, name=key)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _no_controls(schema[key], components, name=name)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            _no_controls(sub, components, name=name)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` tell the truth about this API.

    - adds :data:`MODELS` to ``components.schemas``;
    - removes FastAPI's default 422 "Validation Error" (schema errors answer 400 with
      :class:`ErrorBody`) and its now unused schemas;
    - states the rule of :mod:`geo_api.middleware` in every text parameter and body
      field: no control characters (:data:`TEXT_PATTERN`).
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [(m, "serialization") for m in MODELS],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.get("$defs", {}))
        for item in schema.get("paths", {}).values():
            for op in item.values():
                for param in op.get("parameters", []):
                    _no_controls(param.get("schema", {}), components, name=param["name"])
                body = op.get("requestBody", {}).get("content", {}).get(JSON, {})
                _no_controls(body.get("schema", {}), components)
                responses = op.get("responses", {})
                auto = responses.get("422", {}).get("content", {}).get(JSON, {})
                if auto.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    del responses["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for component in components.values():
            component.pop("x-text-checked", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
