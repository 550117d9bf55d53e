"""Loading the bundled DEMO data into the database."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from data import demo
from layers.ingest_fields import json_safe
from layers.writer import SourceInfo, link_admin_parents, upsert_rows

DEMO = SourceInfo(
    id=demo.DEMO_SOURCE,
    title="lampung-geo DEMO data",
    attribution=demo.DEMO_ATTRIBUTION,
    license=(
        "CC0-1.0 for the generated data (lampung-geo); kabupaten/kecamatan outlines: "
        "RBI, Badan Informasi Geospasial (BIG), public use with attribution"
    ),
    is_demo=True,
)


def _rows(gdf: gpd.GeoDataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for rec, geom in zip(gdf[list(columns)].to_dict("records"), gdf.geometry, strict=True):
        row = {k: json_safe(v) for k, v in rec.items()}
        row["geom"] = f"SRID=4326;{geom.wkt}"
        rows.append(row)
    return rows


def load_demo(conn: Connection) -> dict[str, int]:
    """Upsert every demo layer in one transaction.

    Returns
    -------
    dict
        Rows written per table.
    """
    counts: dict[str, int] = {}
    with conn.begin():
        areas = _rows(
            demo.admin_areas(),
            (
                "code",
                "name",
                "level",
                "population",
                "population_year",
                "population_source",
                "attributes",
                "source_id",
            ),
        )
        counts["admin_areas"] = upsert_rows(conn, "admin_areas", DEMO, areas)
        link_admin_parents(conn, source=DEMO.id)
        counts["service_points"] = upsert_rows(
            conn,
            "service_points",
            DEMO,
            _rows(
                demo.service_points(),
                (
                    "category",
                    "name",
                    "address",
                    "phone",
                    "opening_hours",
                    "capacity",
                    "attributes",
                    "source_id",
                ),
            ),
        )
        counts["farms"] = upsert_rows(
            conn,
            "farms",
            DEMO,
            _rows(
                demo.farms(),
                ("name", "commodity", "production_t_per_year", "harvest_months", "source_id"),
            ),
        )
        counts["markets"] = upsert_rows(
            conn,
            "markets",
            DEMO,
            _rows(demo.markets(), ("name", "kind", "address", "demand_t_per_month", "source_id")),
        )
        counts["ports"] = upsert_rows(
            conn, "ports", DEMO, _rows(demo.ports(), ("code", "name", "kind", "source_id"))
        )
        port_ids: dict[str, int] = dict(conn.execute(text("SELECT code, id FROM ports")).all())
        links = _rows(
            demo.ferry_links(),
            (
                "from_port_code",
                "to_port_code",
                "name",
                "crossing_minutes",
                "departures_per_day",
                "daily_capacity_vehicles",
                "tariffs",
                "tariff_source",
                "source_id",
            ),
        )
        for link in links:
            link["from_port_id"] = port_ids[link.pop("from_port_code")]
            link["to_port_id"] = port_ids[link.pop("to_port_code")]
        counts["ferry_links"] = upsert_rows(conn, "ferry_links", DEMO, links)
    return counts
