"""The OGC API – Features collections the platform publishes.

A :class:`Collection` says which table backs it, which columns become feature
properties and which of those can be used as ``?name=value`` filters. A lookup table
such as ``vehicle_classes`` is published too: no geometry (features carry
``"geometry": null``), its text key as feature id, and no ``sources`` row. SQL is built
only from these fixed names; values always travel as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PropertyType = Literal["string", "integer", "number", "boolean", "object", "array"]


@dataclass(frozen=True, slots=True)
class Property:
    """A feature property backed by a column."""

    name: str
    type: PropertyType
    queryable: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Collection:
    """A published feature collection.

    ``geometry_type`` is None for a table without geometry; ``id_column`` is the
    column used as feature id (``id``, an integer, unless given); ``sourced`` says
    whether rows name a dataset in ``sources`` (``source``, ``source_id``).
    """

    id: str
    title: str
    description: str
    table: str
    geometry_type: str | None
    properties: tuple[Property, ...]
    id_column: str = "id"
    sourced: bool = True

    @property
    def has_geometry(self) -> bool:
        """Whether features have a geometry (column ``geom``)."""
        return self.geometry_type is not None

    @property
    def queryables(self) -> dict[str, Property]:
        """Properties that can be filtered on with ``?name=value``."""
        return {p.name: p for p in self.properties if p.queryable}


_SOURCE = (
    Property("source", "string", queryable=True, description="dataset the feature came from"),
    Property("source_id", "string", queryable=True, description="id in that dataset"),
    Property("attributes", "object", description="free-form attributes from the source"),
)

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "service_points",
            "Public-service points",
            "Puskesmas, hospitals, Dukcapil, Samsat, public-service malls, police and "
            "kantor camat that citizens travel to.",
            "service_points",
            "Point",
            (
                Property("category", "string", queryable=True, description="categories.code"),
                Property("name", "string", queryable=True),
                Property("address", "string"),
                Property("phone", "string"),
                Property("opening_hours", "string", description="OSM opening_hours syntax"),
                Property("capacity", "integer", queryable=True),
                *_SOURCE,
            ),
        ),
        Collection(
            "admin_areas",
            "Administrative areas",
            "Provinsi, kabupaten/kota, kecamatan and desa/kelurahan with population.",
            "admin_areas",
            "MultiPolygon",
            (
                Property("level", "string", queryable=True),
                Property("code", "string", queryable=True, description="official code"),
                Property("name", "string", queryable=True),
                Property("parent_id", "integer", queryable=True),
                Property("population", "integer"),
                Property("population_year", "integer"),
                Property("population_source", "string"),
                *_SOURCE,
            ),
        ),
        Collection(
            "farms",
            "Farms and production sites",
            "Where food for Jakarta is grown, with yearly production in tonnes.",
            "farms",
            "Point",
            (
                Property("name", "string", queryable=True),
                Property("commodity", "string", queryable=True, description="commodities.code"),
                Property("production_t_per_year", "number"),
                Property("harvest_months", "array"),
                *_SOURCE,
            ),
        ),
        Collection(
            "markets",
            "Destination markets",
            "Wholesale markets with monthly demand per commodity (tonnes).",
            "markets",
            "Point",
            (
                Property("name", "string", queryable=True),
                Property("kind", "string", queryable=True),
                Property("address", "string"),
                Property("demand_t_per_month", "object"),
                *_SOURCE,
            ),
        ),
        Collection(
            "ports",
            "Ports",
            "Ferry terminals and seaports.",
            "ports",
            "Point",
            (
                Property("code", "string", queryable=True),
                Property("name", "string", queryable=True),
                Property("kind", "string", queryable=True),
                *_SOURCE,
            ),
        ),
        Collection(
            "ferry_links",
            "Ferry links",
            "Ferry crossings with crossing time, departures per day and tariffs per "
            "ASDP vehicle class (golongan, IDR).",
            "ferry_links",
            "LineString",
            (
                Property("name", "string", queryable=True),
                Property("from_port_id", "integer", queryable=True),
                Property("to_port_id", "integer", queryable=True),
                Property("crossing_minutes", "number"),
                Property("departures_per_day", "integer"),
                Property("daily_capacity_vehicles", "integer"),
                Property("tariffs", "object"),
                Property("tariff_source", "string"),
                *_SOURCE,
            ),
        ),
        Collection(
            "shipments",
            "Shipments",
            "Tracked farm-to-market shipments with status, ETA and cost; geometry is the "
            "planned route (or the origin when there is none). Managed at /shipments.",
            "shipment_features",
            "LineString",
            (
                Property("code", "string", queryable=True),
                Property("status", "string", queryable=True),
                Property("commodity", "string", queryable=True, description="commodities.code"),
                Property("tonnes", "number"),
                Property("vehicle_class", "string", queryable=True),
                Property("vehicles", "integer"),
                Property("market_id", "integer", queryable=True),
                Property("departure", "string", description="ISO 8601"),
                Property("eta", "string", description="ISO 8601"),
                Property("cost_idr", "number"),
                *_SOURCE,
            ),
        ),
        Collection(
            "vehicle_classes",
            "Vehicle classes",
            "Freight vehicle classes with payload, fuel use, toll group and ASDP ferry "
            "class (golongan); planning defaults that planners edit (lampung-geo ingest "
            "table). No geometry; the feature id is the class code.",
            "vehicle_classes",
            None,
            (
                Property("code", "string", queryable=True),
                Property("name_id", "string"),
                Property("name_en", "string"),
                Property("payload_t", "number", description="tonnes per vehicle"),
                Property("fuel_l_per_km", "number", description="litres per km, loaded"),
                Property("toll_group", "string", queryable=True, description="golongan I-V"),
                Property("ferry_class", "string", queryable=True, description="ASDP golongan"),
            ),
            id_column="code",
            sourced=False,
        ),
        Collection(
            "reports",
            "Citizen reports (laporan warga)",
            "Problems citizens reported (category, status, dates, area, public notes, SLA "
            "flags). The location is rounded to 0.001 degree (about 100 m); no text, photo, "
            "contact or exact point. Submitted at POST /reports.",
            "report_features",
            "Point",
            (
                Property("category", "string", queryable=True, description="report category"),
                Property("category_name", "string"),
                Property("status", "string", queryable=True),
                Property("submitted_at", "string", description="ISO 8601"),
                Property("first_response_at", "string", description="ISO 8601"),
                Property("resolved_at", "string", description="ISO 8601"),
                Property("closed_at", "string", description="ISO 8601"),
                Property("updated_at", "string", description="ISO 8601"),
                Property("kabupaten", "string", queryable=True),
                Property("kecamatan", "string", queryable=True),
                Property("desa", "string"),
                Property("agency", "string", queryable=True, description="agencies.code"),
                Property("overdue_response", "boolean", description="past the response SLA"),
                Property("overdue_resolution", "boolean", description="past the resolution SLA"),
                Property("followers", "integer"),
                Property("merged_into", "integer", description="duplicate of this report"),
                Property("public_notes", "array", description="officers' public notes"),
                *_SOURCE,
            ),
        ),
        Collection(
            "price_markets",
            "Markets with their latest food prices",
            "Markets with price records: per price commodity the newest price (IDR per kg "
            "or litre), its date and the change against a week earlier.",
            "price_market_features",
            "Point",
            (
                Property("name", "string", queryable=True),
                Property("kind", "string", queryable=True),
                Property("place_id", "integer"),
                Property("latest_date", "string", description="ISO date"),
                Property("latest_prices", "object", description="commodity -> price"),
                *_SOURCE,
            ),
        ),
    )
}
