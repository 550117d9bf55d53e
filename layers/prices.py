"""Food prices (harga pangan): loading price tables, series, latest prices and changes.

A price belongs to a **price place**: a market of the ``markets`` table (a Jakarta
wholesale market, a Lampung pasar) or a region by its BPS code (``18``: the panel's
average for Provinsi Lampung). Names in files become price commodities through
``price_commodities.aliases`` (matched without case or punctuation; ``Cabai Merah`` is
the Lampung panel's 2020-2021 name of *cabai merah keriting*) or an explicit mapping.
A farm commodity values its shipments with the price commodity whose
``farm_commodity`` it is (``padi`` ↔ ``beras``).

:func:`ingest_prices` is all or nothing: the whole file is read and checked
(:mod:`layers.prices_read`), every commodity and place resolved, duplicates refused,
then every row written in one statement; a gap (``-``) is stored as a day without a
price. Loading the same file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, text

from layers.errors import IngestError, UnknownReferenceError
from layers.prices_read import read_price_table
from layers.writer import SourceInfo, upsert_source

PROVINCES = {"18": "Provinsi Lampung", "31": "Provinsi DKI Jakarta", "36": "Provinsi Banten"}
"""Regions a price can belong to without naming them (BPS province codes)."""
CHANGE_WINDOWS = {7: 14, 30: 45}
"""Change over N days: against the newest price at least N and at most M days older."""


def _key(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", value.lower())


@dataclass(frozen=True, slots=True)
class PriceIngestReport:
    """What a price file held and what was written."""

    file: str
    source: str
    layout: str
    rows_read: int
    observations: int
    prices: int
    gaps: int
    commodities: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    places: list[str] = field(default_factory=list)
    first_date: date | None = None
    last_date: date | None = None


def commodity_names(conn: Connection) -> dict[str, str]:
    """Name key → price commodity code (codes, Indonesian names and aliases)."""
    names: dict[str, str] = {}
    for code, name_id, aliases in conn.execute(
        text("SELECT code, name_id, aliases FROM price_commodities")
    ).all():
        for n in (code, name_id, *(aliases or ())):
            names.setdefault(_key(n), code)
    return names


def place_for_region(conn: Connection, code: str, name: str | None = None) -> int:
    """The price place of a region (created on first use)."""
    if not re.fullmatch(r"[0-9]{2}(?:[0-9]{2}(?:[0-9]{3})?)?", code):
        msg = f"region must be a BPS code of 2, 4 or 7 digits (18 = Lampung), got {code!r}"
        raise UnknownReferenceError(msg, field="region")
    label = name or PROVINCES.get(code) or f"Wilayah {code}"
    return int(
        conn.execute(
            text(
                "INSERT INTO price_places (kind, region_code, name) VALUES ('region', :c, :n) "
                "ON CONFLICT ON CONSTRAINT uq_price_places_region DO UPDATE "
                "SET name = CASE WHEN :named THEN EXCLUDED.name ELSE price_places.name END "
                "RETURNING id"
            ),
            {"c": code, "n": label, "named": name is not None},
        ).scalar_one()
    )


def find_market_id(conn: Connection, market: str | int) -> tuple[int, str]:
    """A market by id, slug (``cipinang``: the end of its source id) or name (422 if none)."""
    raw = str(market).strip()
    row = conn.execute(
        text(
            "SELECT id, name FROM markets WHERE id::text = :m OR lower(name) = lower(:m) "
            "OR source_id = :m OR source_id LIKE '%:' || :m ORDER BY id LIMIT 1"
        ),
        {"m": raw},
    ).one_or_none()
    if row is None:
        known = conn.execute(text("SELECT name FROM markets ORDER BY id")).scalars().all()
        msg = f"unknown market {raw!r}; markets: {list(known)}"
        raise UnknownReferenceError(msg, field="market")
    return int(row[0]), str(row[1])


def place_for_market(conn: Connection, market: str | int) -> int:
    """The price place of a market (created on first use)."""
    market_id, name = find_market_id(conn, market)
    return int(
        conn.execute(
            text(
                "INSERT INTO price_places (kind, market_id, name) VALUES ('market', :m, :n) "
                "ON CONFLICT ON CONSTRAINT uq_price_places_market "
                "DO UPDATE SET name = EXCLUDED.name "
                "RETURNING id"
            ),
            {"m": market_id, "n": name},
        ).scalar_one()
    )


def ingest_prices(
    conn: Connection,
    path: str | Path,
    *,
    market: str | None = None,
    region: str | None = None,
    region_name: str | None = None,
    source: SourceInfo | None = None,
    commodity_map: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> PriceIngestReport:
    """Load a price table in one transaction (the caller's connection, committed here).

    Parameters
    ----------
    market, region
        Where the file's prices were collected, when it has no market/region column:
        a market (id, slug or name) or a region's BPS code (``18``).
    commodity_map
        File name → price commodity code, for names the aliases do not know
        (``{"Beras Medium": "beras"}``).
    """
    path = Path(path)
    table = read_price_table(path, sheet=sheet)
    src = source or SourceInfo(id=path.name, title=path.name)
    with conn.begin():
        names = commodity_names(conn)
        known = set(names.values())
        mapping = {_key(k): v for k, v in (commodity_map or {}).items()}
        for name, target in mapping.items():
            if target not in known:
                msg = (
                    f"--commodity {name}={target}: no price commodity {target!r}; "
                    f"known: {sorted(known)}"
                )
                raise IngestError(msg, field="commodity")
        if table.place_column is None and (market is None) == (region is None):
            msg = (
                "say where these prices were collected: --market (a market) or --region "
                "(a BPS region code, 18 = Lampung), one of the two"
            )
            raise IngestError(msg, field="place")
        fixed = None
        if table.place_column is None:
            fixed = (
                place_for_market(conn, market)
                if market is not None
                else place_for_region(conn, region, region_name)  # type: ignore[arg-type]
            )
        place_ids: dict[str, int] = {}
        rows: dict[tuple[int, str, date], tuple[int, float | None, str]] = {}
        unknown: dict[str, int] = {}
        for ob in table.observations:
            code = mapping.get(_key(ob.label)) or names.get(_key(ob.label))
            if code is None:
                unknown.setdefault(ob.label, ob.row)
                continue
            if fixed is not None:
                place = fixed
            else:
                where = ob.place or ""
                if where not in place_ids:
                    try:
                        place_ids[where] = (
                            place_for_market(conn, where)
                            if table.place_column == "market"
                            else place_for_region(conn, _region_code(where), None)
                        )
                    except UnknownReferenceError as exc:
                        raise IngestError(
                            exc.reason, row=ob.row, field=table.place_column
                        ) from None
                place = place_ids[where]
            key = (place, code, ob.date)
            if key in rows:
                first = rows[key][0]
                msg = (
                    f"{ob.label} on {ob.date:%d/%m/%Y} is given twice (rows {first} and "
                    f"{ob.row}); one price per commodity, place and day"
                )
                raise IngestError(msg, row=ob.row, field="date")
            rows[key] = (ob.row, ob.price, ob.label)
        if unknown:
            listed = ", ".join(f"{k!r} (row {r})" for k, r in list(unknown.items())[:10])
            msg = (
                f"unknown commodities: {listed}; known: {sorted(known)}. Map a name with "
                '--commodity "NAME=code"'
            )
            raise IngestError(msg, row=min(unknown.values()), field="commodity")
        upsert_source(conn, src)
        if rows:
            keys = list(rows)
            conn.execute(
                text(
                    """
                    INSERT INTO prices (place_id, commodity, date, price_idr, label, source)
                    SELECT * FROM unnest(CAST(:p AS bigint[]), CAST(:c AS text[]),
                        CAST(:d AS date[]), CAST(:v AS float8[]), CAST(:l AS text[]),
                        CAST(:s AS text[]))
                    ON CONFLICT ON CONSTRAINT uq_prices_day DO UPDATE SET
                        price_idr = EXCLUDED.price_idr, label = EXCLUDED.label,
                        source = EXCLUDED.source
                    """
                ),
                {
                    "p": [k[0] for k in keys],
                    "c": [k[1] for k in keys],
                    "d": [k[2] for k in keys],
                    "v": [rows[k][1] for k in keys],
                    "l": [rows[k][2] for k in keys],
                    "s": [src.id] * len(keys),
                },
            )
        per_code: dict[str, int] = {}
        labels: dict[str, str] = {}
        for (_, code, _), (_, _, label) in rows.items():
            per_code[code] = per_code.get(code, 0) + 1
            labels.setdefault(label, code)
        place_names = conn.execute(
            text("SELECT name FROM price_places WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": sorted({k[0] for k in rows})},
        ).scalars()
    dates = [k[2] for k in rows]
    return PriceIngestReport(
        file=path.name,
        source=src.id,
        layout=table.layout,
        rows_read=table.rows_read,
        observations=len(table.observations),
        prices=sum(1 for v in rows.values() if v[1] is not None),
        gaps=sum(1 for v in rows.values() if v[1] is None),
        commodities=dict(sorted(per_code.items())),
        labels=labels,
        places=list(place_names),
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
    )


def _region_code(value: str) -> str:
    """A region cell: a BPS code, or a province name we know."""
    if re.fullmatch(r"[0-9]+", value):
        return value
    key = _key(value.removeprefix("Provinsi ").removeprefix("Prov. "))
    for code, name in PROVINCES.items():
        if _key(name.removeprefix("Provinsi ")) == key:
            return code
    msg = f"unknown region {value!r}: use a BPS code (18 = Lampung) or {sorted(PROVINCES.values())}"
    raise UnknownReferenceError(msg, field="region")


__all__ = [
    "CHANGE_WINDOWS",
    "PROVINCES",
    "PriceIngestReport",
    "commodity_names",
    "find_market_id",
    "ingest_prices",
    "place_for_market",
    "place_for_region",
]
