"""Documented answers of the citizen-report, price and margin endpoints (pydantic).

Kept apart from :mod:`geo_api.schemas` (which lists them in its ``MODELS`` and adds
:class:`Margin` to a plan's properties) so each stays a readable size.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from data.reference import AGENCY_CODES, REPORT_CATEGORY_CODES

ReportStatus = Literal[
    "diterima", "diverifikasi", "diteruskan", "ditindaklanjuti", "selesai", "ditolak", "duplikat"
]


# -- reports: reference ---------------------------------------------------------------
class ReportCategoryDoc(BaseModel):
    """A report category with its SLA and the agency per level of government."""

    code: str
    name_id: str
    name_en: str
    sla_response_h: float = Field(description="hours to the first officer step")
    sla_resolution_h: float = Field(description="hours to Selesai")
    level: str = Field(description="level of government that handles it first")
    agencies: dict[str, str] = Field(description="level → agency code (report_routing)")


class ReportStatusDoc(BaseModel):
    """A status of the lifecycle and the steps that may follow it."""

    code: ReportStatus
    label_id: str
    label_en: str
    open: bool
    next: list[ReportStatus]


class AgencyDoc(BaseModel):
    """An agency (OPD) that handles reports, and how many offices are loaded."""

    code: str
    name_id: str
    name_en: str
    offices: int


class ReportCategories(BaseModel):
    """``GET /reports/categories``: categories, statuses and agencies."""

    categories: list[ReportCategoryDoc]
    statuses: list[ReportStatusDoc]
    agencies: list[AgencyDoc]
    rate_limit_per_hour: int
    photo_max_bytes: int
    text_min: int
    text_max: int


# -- reports: submission and the citizen's view --------------------------------------
class SimilarReport(BaseModel):
    """An open report of the same category nearby ("sama dengan laporan #…?")."""

    id: int = Field(description="the report's public number")
    category: str
    status: ReportStatus
    status_label: str
    submitted_at: datetime
    kecamatan: str | None
    followers: int
    distance_m: float = Field(description="to the nearest 10 m")
    message: str


class SimilarReports(BaseModel):
    """``GET /reports/similar``: open same-category reports within 50 m, last 7 days."""

    radius_m: float
    days: int
    numberReturned: int  # noqa: N815
    reports: list[SimilarReport]


class NamedCode(BaseModel):
    """A code and its name."""

    code: str
    name: str | None


class ReportReceipt(BaseModel):
    """``POST /reports``: the tracking code and where the report went."""

    id: int = Field(description="public number (the OGC feature id)")
    code: str = Field(description="tracking code: the citizen's key, keep it")
    status: ReportStatus
    status_label: str
    submitted_at: datetime
    kabupaten: str
    kecamatan: str | None
    desa: str | None
    agency: NamedCode | None
    office: str | None
    routing_note: str | None
    photo: bool
    similar: list[SimilarReport] = Field(
        description="open reports of the same category within 50 m of the last 7 days"
    )
    tracking_url: str
    message: str
    message_en: str


class ReportSla(BaseModel):
    """The report's SLA: deadlines, flags and outcomes."""

    response_hours: float
    resolution_hours: float
    response_due: datetime
    resolution_due: datetime
    overdue_response: bool = Field(description="no response and past the deadline")
    overdue_resolution: bool = Field(description="not closed and past the deadline")
    response_within_sla: bool | None = Field(description="null: no response yet")
    resolution_within_sla: bool | None = Field(description="null: not resolved")


class TimelineEntry(BaseModel):
    """One step of a report (officers also see ``id``, ``actor``, ``actor_agency``)."""

    kind: Literal["status", "merged_in"]
    status: ReportStatus
    status_label: str
    from_status: ReportStatus | None
    at: datetime
    note: str | None = Field(description="public note")
    related_report_id: int | None = Field(description="merged from / into this report")
    id: int | None = None
    actor: str | None = None
    actor_agency: str | None = None


class ReportLocation(BaseModel):
    """Where the report is: rounded to 0.001° for citizens, exact for officers."""

    lon: float
    lat: float
    rounded: bool
    source: str | None = Field(None, description="map or gps (officers)")
    accuracy_m: float | None = None


class PhotoLinks(BaseModel):
    """Links to the report's photo (re-encoded, without EXIF) and its thumbnail."""

    url: str
    thumbnail_url: str
    media_type: str
    width: int
    height: int


class MergedInto(BaseModel):
    """The report a duplicate was merged into: follow it here."""

    id: int
    status: ReportStatus
    status_label: str
    updated_at: datetime
    timeline: list[TimelineEntry]


class Rating(BaseModel):
    """The citizen's rating."""

    stars: int
    at: datetime


class ReportBase(BaseModel):
    """What citizens and officers both see."""

    id: int
    category: str
    category_name: str
    category_name_en: str
    status: ReportStatus
    status_label: str
    status_label_en: str
    open: bool
    submitted_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    kabupaten: str
    kecamatan: str | None
    desa: str | None
    agency: NamedCode | None
    office: str | None
    sla: ReportSla
    followers: int = Field(description="citizens following it (merged reports' included)")
    demo: bool
    rating: Rating | None


class CitizenReport(ReportBase):
    """``GET /reports/{code}``: the citizen's view (no contacts, location rounded)."""

    code: str
    description: str
    location: ReportLocation
    photo: PhotoLinks | None
    timeline: list[TimelineEntry]
    merged_into: MergedInto | None
    can_rate: bool


class OfficerRouting(BaseModel):
    """How the report was routed."""

    agency: str | None
    level: str | None
    office_id: int | None
    office: str | None
    travel_s: float | None = Field(description="from the office to the report by road")
    note: str | None
    kabupaten_code: str | None


class Contact(BaseModel):
    """A follower's contact (officers with role planner or admin)."""

    via: Literal["reporter", "merged"]
    from_report_id: int | None
    phone: str | None
    email: str | None
    created_at: datetime


class OfficerReport(ReportBase):
    """``GET /officer/reports/{id}``: exact point, routing, actors, contacts."""

    description: str
    location: ReportLocation
    routing: OfficerRouting
    photo: PhotoLinks | None
    timeline: list[TimelineEntry]
    merged_into: MergedInto | None
    version: int
    contacts: list[Contact] | None = Field(description="null: the key may not see contacts")


class OfficerReportFeature(BaseModel):
    """A report in the officer queue, at its exact point."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: dict[str, Any]


class OfficerScope(BaseModel):
    """What the key covers: one agency's reports (null: every agency) in the kabupaten
    whose BPS code starts with ``area_code`` (null: everywhere)."""

    agency: str | None
    area_code: str | None


class OfficerReports(BaseModel):
    """``GET /officer/reports``: the queue the key covers, open and oldest first."""

    type: Literal["FeatureCollection"]
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    scope: OfficerScope
    features: list[OfficerReportFeature]


class ReportStep(BaseModel):
    """``POST /officer/reports/{id}/events``: the step made and the report after it."""

    event: TimelineEntry
    report: OfficerReport


class RatingAnswer(BaseModel):
    """``POST /reports/{code}/rating``."""

    stars: int
    comment: str | None
    created_at: datetime


# -- reports: statistics -------------------------------------------------------------
class StatsMetrics(BaseModel):
    """Counts, rate, medians and SLA shares (see ``definitions``)."""

    count: int
    per_10k: float | None
    median_response_h: float | None
    median_resolution_h: float | None
    pct_response_within_sla: float | None
    pct_resolution_within_sla: float | None
    open: int
    overdue: int


class StatsCategory(StatsMetrics):
    """One category in one area."""

    category: str


class StatsArea(StatsMetrics):
    """One area: all categories, then each category with reports."""

    id: int
    code: str | None
    name: str
    parent: str | None
    population: int | None
    categories: list[StatsCategory]


class ReportStats(BaseModel):
    """``GET /reports/stats``: per area and category."""

    level: str
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    category: str | None
    kabupaten: str | None
    definitions: dict[str, str]
    totals: StatsMetrics
    unplaced: int = Field(description="reports with no area at this level (desa not loaded)")
    areas: list[StatsArea]
    numberReturned: int  # noqa: N815
    areas_not_listed: list[str]


class HotspotProperties(BaseModel):
    """A hexagon's report count."""

    h3: str
    resolution: int
    count: int
    open: int
    share: float
    rank: int
    area_km2: float


class HotspotFeature(BaseModel):
    """An H3 cell as a polygon."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: HotspotProperties


class Hotspots(BaseModel):
    """``GET /reports/hotspots``: H3 cells by number of reports, most first."""

    type: Literal["FeatureCollection"]
    resolution: int
    numberReturned: int  # noqa: N815
    total: int
    features: list[HotspotFeature]


# -- prices ---------------------------------------------------------------------------
class PricePlace(BaseModel):
    """Where a price was collected: a market or a region (BPS code)."""

    id: int
    kind: Literal["market", "region"]
    name: str
    market_id: int | None
    region_code: str | None


class PricePoint(BaseModel):
    """One day's price (null: the panel published no figure that day)."""

    date: dt.date
    price_idr: float | None


class PriceSeries(BaseModel):
    """A commodity's prices at one place, oldest first."""

    commodity: str
    name: str
    unit: str
    place: PricePlace
    demo: bool
    sources: list[str]
    numberReturned: int  # noqa: N815
    truncated: bool = Field(description="older points left out (limit)")
    points: list[PricePoint]


class PriceSeriesList(BaseModel):
    """``GET /prices``."""

    numberReturned: int  # noqa: N815
    series: list[PriceSeries]


class LatestPrice(BaseModel):
    """The newest price of a commodity at a place, its changes and the alert flag."""

    commodity: str
    name: str
    unit: str
    farm_commodity: str | None
    place: PricePlace
    date: dt.date
    price_idr: float
    source: str
    demo: bool
    age_days: int
    price_7d_idr: float | None
    date_7d: dt.date | None
    change_7d_pct: float | None
    price_30d_idr: float | None
    date_30d: dt.date | None
    change_30d_pct: float | None
    alert: bool = Field(description="rose more than alert_pct in 7 days")


class LatestPrices(BaseModel):
    """``GET /prices/latest``."""

    alert_pct: float
    numberReturned: int  # noqa: N815
    alerts: int
    prices: list[LatestPrice]


class PriceCommodityDoc(BaseModel):
    """A price commodity."""

    code: str
    name_id: str
    name_en: str
    unit: str
    farm_commodity: str | None
    aliases: list[str]


class PriceCommodities(BaseModel):
    """``GET /prices/commodities``."""

    commodities: list[PriceCommodityDoc]


# -- margins --------------------------------------------------------------------------
class MarginPrice(BaseModel):
    """A price a margin used: where, when, how old, from where it came."""

    idr_per_kg: float
    basis: Literal["observed", "given"]
    place: PricePlace | None
    date: dt.date | None
    age_days: int | None = Field(description="days before the price date of the plan")
    stale: bool
    source: str | None
    demo: bool
    change_7d_pct: float | None
    alert: bool


class Margin(BaseModel):
    """Jakarta market price minus Lampung origin price, minus transport, per kg and trip."""

    available: bool
    commodity: str
    price_commodity: str | None
    unit: str | None
    as_of: dt.date = Field(description="prices on or before this day were used")
    destination_price: MarginPrice | None
    origin_price: MarginPrice | None
    price_gap_idr_per_kg: float | None
    transport_idr_per_kg: float
    margin_idr_per_kg: float | None
    kg_per_trip: float
    margin_idr_per_trip: float | None
    margin_idr_total: float | None
    alerts: list[str]
    notes: list[str]


REPORT_MODELS: tuple[type[BaseModel], ...] = (
    ReportCategories,
    SimilarReports,
    ReportReceipt,
    CitizenReport,
    OfficerReport,
    OfficerReports,
    ReportStep,
    RatingAnswer,
    ReportStats,
    Hotspots,
    PriceSeriesList,
    LatestPrices,
    PriceCommodities,
    Margin,
)
"""Models the OpenAPI document refers to (added to :data:`geo_api.schemas.MODELS`)."""


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` strings (Pydantic alone also takes ``0`` as 1970-01-01)."""
    if isinstance(value, str) and not _DAY_RE.fullmatch(value):
        msg = "an ISO date, YYYY-MM-DD"
        raise PydanticCustomError("iso_date", msg)
    return value


def _iso_time(value: object) -> object:
    """Only ISO 8601 date-time strings (not a number of seconds)."""
    if isinstance(value, str) and not _TIME_RE.match(value):
        msg = "an ISO 8601 date-time, e.g. 2026-03-02T06:00:00+07:00"
        raise PydanticCustomError("iso_datetime", msg)
    return value


_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}|$)")
IsoDay = Annotated[dt.date, BeforeValidator(_iso_day)]
"""A day as ``YYYY-MM-DD`` only."""
IsoTime = Annotated[datetime, BeforeValidator(_iso_time)]
"""An ISO 8601 date-time string only."""


def _one_of(known: frozenset[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in known:
            msg = f"unknown {what}; one of: {', '.join(sorted(known))}"
            raise PydanticCustomError("enum", msg)
        return value

    return AfterValidator(check)


CategoryCode = Annotated[str, _one_of(REPORT_CATEGORY_CODES, "report category")]
"""A report category code (checked, 400 otherwise)."""
AgencyCode = Annotated[str, _one_of(AGENCY_CODES, "agency")]
"""An agency code (checked, 400 otherwise)."""
