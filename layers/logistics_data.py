"""Reading (and updating) what freight planning needs: figures, vehicles, farms, markets.

Monthly farm supply is derived from the farm row: a farm produces
``production_t_per_year / len(harvest_months)`` tonnes in each of its harvest months
and nothing in the others; a farm without a harvest calendar produces 1/12 of its
year every month.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.errors import FeatureNotFoundError, InvalidParameterError, UnknownReferenceError


def cost_parameters(conn: Connection) -> list[dict[str, Any]]:
    """Every cost parameter with unit, description, source and last update, by key."""
    rows = conn.execute(
        text(
            "SELECT key, value, unit, description, source, updated_at, updated_by "
            "FROM cost_parameters ORDER BY key"
        )
    ).mappings()
    return [dict(r) for r in rows]


def parameter_values(conn: Connection) -> dict[str, float]:
    """Cost parameters as ``{key: value}``."""
    rows = conn.execute(text("SELECT key, value FROM cost_parameters")).all()
    return {str(k): float(v) for k, v in rows}


def set_parameter(
    conn: Connection, key: str, *, value: float, source: str, actor: str | None = None
) -> dict[str, Any]:
    """Update one parameter's value and source (the caller commits).

    Raises
    ------
    FeatureNotFoundError
        When no parameter has this key.
    """
    row = (
        conn.execute(
            text(
                "UPDATE cost_parameters SET value = :v, source = :s, updated_at = now(), "
                "updated_by = :a WHERE key = :k "
                "RETURNING key, value, unit, description, source, updated_at, updated_by"
            ),
            {"k": key, "v": value, "s": source, "a": actor},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        keys = [str(k) for k in conn.execute(text("SELECT key FROM cost_parameters")).scalars()]
        msg = f"no cost parameter {key!r}; parameters: {sorted(keys)}"
        raise FeatureNotFoundError(msg, field="key")
    return dict(row)


def vehicle_classes(conn: Connection) -> dict[str, dict[str, Any]]:
    """Vehicle classes by code."""
    rows = conn.execute(
        text(
            "SELECT code, name_id, name_en, payload_t, fuel_l_per_km, toll_group, ferry_class "
            "FROM vehicle_classes ORDER BY payload_t, code"
        )
    ).mappings()
    return {str(r["code"]): dict(r) for r in rows}


def vehicle_class(conn: Connection, code: str, *, field: str = "vehicle_class") -> dict[str, Any]:
    """One vehicle class, or an error naming the known ones."""
    classes = vehicle_classes(conn)
    if code not in classes:
        msg = f"unknown vehicle class {code!r}; vehicle classes: {sorted(classes)}"
        raise UnknownReferenceError(msg, field=field)
    return classes[code]


def check_commodity(conn: Connection, code: str, *, field: str = "commodity") -> None:
    """Raise :class:`InvalidParameterError` naming the known commodities if unknown."""
    codes = sorted(str(c) for c in conn.execute(text("SELECT code FROM commodities")).scalars())
    if code not in codes:
        msg = f"unknown commodity {code!r}; commodities: {codes}"
        raise InvalidParameterError(msg, field=field)


_MARKET_COLS = (
    "SELECT m.id, m.name, m.source_id, ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat, "
    "m.demand_t_per_month FROM markets m"
)


def markets(conn: Connection) -> list[dict[str, Any]]:
    """All markets with location and monthly demand per commodity, by id."""
    return [dict(r) for r in conn.execute(text(f"{_MARKET_COLS} ORDER BY m.id")).mappings()]


def find_market(conn: Connection, ref: str | int, *, field: str = "market") -> dict[str, Any]:
    """A market by id, by ``source_id`` (or its last ``:`` part, e.g. ``cipinang``) or name.

    Raises
    ------
    UnknownReferenceError
        Naming the known markets when none matches.
    """
    raw = str(ref).strip()
    params: dict[str, Any]
    if raw.isdigit():
        sql, params = f"{_MARKET_COLS} WHERE m.id = :id", {"id": int(raw)}
    else:
        sql = (
            f"{_MARKET_COLS} WHERE m.source_id = :r OR m.source_id LIKE '%:' || :r "
            "OR lower(m.name) = lower(:r) ORDER BY m.id LIMIT 1"
        )
        params = {"r": raw}
    row = conn.execute(text(sql), params).mappings().one_or_none() if raw else None
    if row is None:
        known = [f"{m['id']} ({m['name']})" for m in markets(conn)]
        msg = f"unknown market {ref!r}; markets: {known}"
        raise UnknownReferenceError(msg, field=field)
    return dict(row)


def month_supply_t(
    production_t_per_year: float, harvest_months: list[int] | None, month: int
) -> float:
    """Tonnes a farm supplies in ``month`` (1-12), from its year and harvest calendar."""
    months = sorted({int(m) for m in harvest_months or [] if 1 <= int(m) <= 12})
    if not months:
        return production_t_per_year / 12.0
    return production_t_per_year / len(months) if month in months else 0.0


def farm_supply(
    conn: Connection, month: int, *, commodity: str | None = None
) -> list[dict[str, Any]]:
    """Farms with location and the tonnes they supply in ``month``, by id.

    Raises
    ------
    InvalidParameterError
        When ``month`` is not 1-12.
    """
    if not 1 <= month <= 12:
        msg = f"month must be 1-12, got {month}"
        raise InvalidParameterError(msg, field="month")
    where = " WHERE f.commodity = :c" if commodity else ""
    rows = conn.execute(
        text(
            "SELECT f.id, f.name, f.commodity, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, "
            f"f.production_t_per_year, f.harvest_months FROM farms f{where} ORDER BY f.id"
        ),
        {"c": commodity},
    ).mappings()
    out = []
    for r in rows:
        row = dict(r)
        row["supply_t"] = month_supply_t(
            float(row["production_t_per_year"]), row["harvest_months"], month
        )
        out.append(row)
    return out


def ferry_links(conn: Connection) -> list[dict[str, Any]]:
    """Ferry links with tariffs, capacity and schedule (defaults when none is stored)."""
    rows = conn.execute(
        text(
            "SELECT f.id, f.name, f.crossing_minutes, f.departures_per_day, "
            "f.daily_capacity_vehicles, f.tariffs, f.tariff_source, "
            "coalesce(s.first_departure_min, 0) AS first_departure_min, "
            "coalesce(s.timetable_min, '{}') AS timetable_min, "
            "coalesce(s.timezone, 'Asia/Jakarta') AS timezone, s.source AS schedule_source "
            "FROM ferry_links f LEFT JOIN ferry_schedules s ON s.ferry_link_id = f.id "
            "ORDER BY f.id"
        )
    ).mappings()
    return [dict(r) for r in rows]
