"""Reading service points and ferry links for the routing side.

These return plain values (no routing types): ``geo_api`` hands them to ``routing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidParameterError


@dataclass(frozen=True, slots=True)
class PointRows:
    """Service points of one category, in id order."""

    ids: list[int]
    lons: list[float]
    lats: list[float]
    properties: list[dict[str, Any]]


def category_codes(conn: Connection) -> list[str]:
    """All service categories, sorted."""
    return list(conn.execute(text("SELECT code FROM categories ORDER BY code")).scalars())


def check_category(conn: Connection, category: str, *, field: str = "category") -> None:
    """Raise :class:`InvalidParameterError` naming the known categories if unknown."""
    codes = category_codes(conn)
    if category not in codes:
        msg = f"unknown category {category!r}; categories: {codes}"
        raise InvalidParameterError(msg, field=field)


def points_stamp(conn: Connection, category: str) -> tuple[int, int, int]:
    """A cheap fingerprint of a category's rows (count, max id, newest row version).

    It changes whenever a row of the category is inserted, updated or deleted, so
    snapped facilities can be cached until it does.
    """
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(max(id), 0), "
            "coalesce(max(xmin::text::bigint), 0) FROM service_points WHERE category = :c"
        ),
        {"c": category},
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def service_points_of(conn: Connection, category: str) -> PointRows:
    """All service points of a category with the properties a citizen needs."""
    rows = conn.execute(
        text(
            "SELECT p.id, ST_X(p.geom), ST_Y(p.geom), p.name, p.category, p.address, p.phone, "
            "p.opening_hours, p.capacity, s.is_demo "
            "FROM service_points p JOIN sources s ON s.id = p.source "
            "WHERE p.category = :c ORDER BY p.id"
        ),
        {"c": category},
    ).all()
    keys = ("name", "category", "address", "phone", "opening_hours", "capacity", "demo")
    return PointRows(
        ids=[int(r[0]) for r in rows],
        lons=[float(r[1]) for r in rows],
        lats=[float(r[2]) for r in rows],
        properties=[dict(zip(keys, r[3:], strict=True)) for r in rows],
    )


def ferry_link_rows(conn: Connection) -> list[dict[str, Any]]:
    """Ferry links with their terminals' coordinates and the sailing line as WKT."""
    rows = conn.execute(
        text(
            "SELECT f.id, f.name, ST_X(a.geom) AS from_lon, ST_Y(a.geom) AS from_lat, "
            "ST_X(b.geom) AS to_lon, ST_Y(b.geom) AS to_lat, f.crossing_minutes, "
            "f.departures_per_day, ST_AsText(f.geom) AS wkt "
            "FROM ferry_links f JOIN ports a ON a.id = f.from_port_id "
            "JOIN ports b ON b.id = f.to_port_id ORDER BY f.id"
        )
    ).mappings()
    return [dict(r) for r in rows]


def lookup_options(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    """``(code, name_id, name_en)`` of a lookup table, sorted by code.

    ``table`` is one of the fixed lookup tables (categories, commodities,
    vehicle_classes), never user input.
    """
    if table not in {"categories", "commodities", "vehicle_classes"}:
        msg = f"not a lookup table: {table!r}"
        raise ValueError(msg)
    rows = conn.execute(text(f"SELECT code, name_id, name_en FROM {table} ORDER BY code"))
    return [(str(c), str(i), str(e)) for c, i, e in rows]
