"""The DEMO food prices as ``./dev demo`` loads them (the read-only demo database):
rows by direct SQL, the DEMO label in the API, the alert, and margins of demo shipments
checked against a hand computation from the DEMO rows read back with SQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from layers.db.engine import make_engine
from layers.demo import load_demo
from layers.prices import ingest_prices
from layers.writer import SourceInfo

END = date(2026, 11, 27)
SOURCE = "DEMO harga pangan"


def _sql(url: str, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def _newest(url: str, commodity: str, where: str, on: date, **params: Any) -> tuple[date, float]:
    """The newest DEMO figure on or before ``on`` at a place (``where`` on price_places)."""
    [(day, price)] = _sql(
        url,
        "SELECT p.date, p.price_idr FROM prices p JOIN price_places pl ON pl.id = p.place_id "
        f"WHERE p.commodity = :c AND {where} AND p.date <= :on AND p.price_idr IS NOT NULL "
        "AND p.source = :s ORDER BY p.date DESC LIMIT 1",
        c=commodity,
        on=on,
        s=SOURCE,
        **params,
    )
    return day, float(price)


def test_demo_prices_are_loaded_and_marked(demo_url: str) -> None:
    per_place = dict(
        _sql(
            demo_url,
            "SELECT pl.name, count(*) FROM prices p JOIN price_places pl ON pl.id = p.place_id "
            "WHERE p.source = :s GROUP BY pl.name",
            s=SOURCE,
        )
    )
    assert per_place == {
        "Provinsi Lampung": 4 * 365,
        "Provinsi DKI Jakarta": 4 * 365,
        "Pasar Induk Beras Cipinang": 365,
        "Pasar Induk Kramat Jati": 3 * 365,
    }
    [(first, last, gaps, labels)] = _sql(
        demo_url,
        "SELECT min(date), max(date), count(*) FILTER (WHERE price_idr IS NULL), "
        "array_agg(DISTINCT label) FROM prices WHERE source = :s",
        s=SOURCE,
    )
    assert (first, last) == (END - timedelta(days=364), END)
    assert 0 < gaps < 12 * 12 and labels == ["DEMO"]
    assert _sql(demo_url, "SELECT is_demo FROM sources WHERE id = :s", s=SOURCE) == [(True,)]
    assert _sql(demo_url, "SELECT count(*) FROM prices WHERE source <> :s", s=SOURCE) == [(0,)]


def test_the_api_says_demo(demo_client: TestClient) -> None:
    r = demo_client.get("/prices", params={"commodity": "beras", "market": "cipinang"})
    assert r.status_code == 200, r.text
    [series] = r.json()["series"]
    assert series["demo"] is True and series["sources"] == [SOURCE]
    assert series["points"][-1]["date"] == END.isoformat()
    latest = demo_client.get("/prices/latest", params={"on": END.isoformat()}).json()
    assert latest["numberReturned"] == 12
    assert all(p["demo"] is True and p["source"] == SOURCE for p in latest["prices"])
    markets = demo_client.get("/collections/price_markets/items").json()["features"]
    assert {f["properties"]["name"] for f in markets} == {
        "Pasar Induk Beras Cipinang",
        "Pasar Induk Kramat Jati",
    }
    assert all(f["properties"]["latest_date"] == END.isoformat() for f in markets)


def test_the_alert_list_holds_the_demo_jump(demo_client: TestClient, demo_url: str) -> None:
    r = demo_client.get("/prices/latest", params={"on": END.isoformat(), "alerts_only": True})
    assert r.status_code == 200, r.text
    [alert] = r.json()["prices"]
    assert alert["commodity"] == "jagung" and alert["place"]["name"] == "Pasar Induk Kramat Jati"
    # by hand from SQL: the newest price against the newest one 7-14 days older
    where = "pl.name = 'Pasar Induk Kramat Jati'"
    day, now = _newest(demo_url, "jagung", where, END)
    before_day, before = _newest(demo_url, "jagung", where, day - timedelta(days=7))
    assert day - before_day <= timedelta(days=14)
    assert alert["price_idr"] == now and alert["price_7d_idr"] == before
    assert alert["change_7d_pct"] == round(100 * (now / before - 1), 2)
    assert alert["change_7d_pct"] > r.json()["alert_pct"] and alert["demo"] is True


@pytest.mark.parametrize(
    ("commodity", "price_code", "market", "market_name"),
    [
        ("padi", "beras", "cipinang", "Pasar Induk Beras Cipinang"),
        ("pisang", "pisang", "kramat-jati", "Pasar Induk Kramat Jati"),
    ],
)
def test_margin_of_a_demo_shipment_by_hand(
    demo_client: TestClient, demo_url: str, commodity: str, price_code: str, market: str,
    market_name: str,
) -> None:  # fmt: skip
    [(lon, lat)] = _sql(
        demo_url,
        "SELECT ST_X(geom), ST_Y(geom) FROM farms WHERE commodity = :c ORDER BY id LIMIT 1",
        c=commodity,
    )
    tonnes = 8.0
    plan = {
        "origin": [lon, lat],
        "market": market,
        "commodity": commodity,
        "tonnes": tonnes,
        "vehicle_class": "medium_truck",
        "departure": f"{END.isoformat()}T06:00:00+07:00",
        "price_basis": {},
    }
    r = demo_client.post("/logistics/plan", json=plan)
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    m = p["margin"]
    assert m["available"] is True and m["price_commodity"] == price_code
    dest_day, dest = _newest(demo_url, price_code, "pl.name = :n", END, n=market_name)
    origin_day, origin = _newest(demo_url, price_code, "pl.region_code = '18'", END)
    assert m["destination_price"]["idr_per_kg"] == dest
    assert m["destination_price"]["date"] == dest_day.isoformat()
    assert m["origin_price"]["idr_per_kg"] == origin
    assert m["origin_price"]["date"] == origin_day.isoformat()
    for side in ("destination_price", "origin_price"):
        assert m[side]["demo"] is True and m[side]["source"] == SOURCE
        assert m[side]["stale"] is False
    kg = tonnes * 1000
    transport = p["cost"]["total_idr"] / kg
    assert m["price_gap_idr_per_kg"] == pytest.approx(dest - origin, abs=0.01)
    assert m["margin_idr_per_kg"] == pytest.approx(dest - origin - transport, abs=0.02)
    per_trip_kg = kg / p["vehicles"]
    assert m["margin_idr_per_trip"] == pytest.approx(
        (dest - origin - transport) * per_trip_kg, abs=1
    )
    assert m["margin_idr_total"] == pytest.approx((dest - origin - transport) * kg, abs=1)


def test_load_is_all_or_nothing_and_repeatable(clean_engine: Engine, tmp_path: Path) -> None:
    """A price that cannot be written leaves no demo layer behind; loading twice (as
    ``./dev demo`` does on every start) writes the same rows, not more, and never
    overwrites a price some other source gave for the same place, commodity and day."""
    counts = "SELECT (SELECT count(*) FROM admin_areas), (SELECT count(*) FROM prices)"
    with clean_engine.begin() as conn:
        pisang = conn.execute(text("SELECT * FROM price_commodities WHERE code = 'pisang'"))
        saved = dict(pisang.mappings().one())
        conn.execute(text("DELETE FROM price_commodities WHERE code = 'pisang'"))
    try:
        with clean_engine.connect() as conn, pytest.raises(IntegrityError):
            load_demo(conn)
        with clean_engine.connect() as conn:
            assert tuple(conn.execute(text(counts)).one()) == (0, 0)
    finally:
        with clean_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO price_commodities (code, name_id, name_en, unit, "
                    "farm_commodity, aliases) VALUES (:code, :name_id, :name_en, :unit, "
                    ":farm_commodity, :aliases)"
                ),
                saved,
            )
    for _ in range(2):
        with clean_engine.connect() as conn:
            written = load_demo(conn)
        with clean_engine.connect() as conn:
            areas, prices = conn.execute(text(counts)).one()
        assert written["prices"] == prices == 12 * 365 and areas > 0
    own = tmp_path / "cipinang.csv"
    own.write_text(f'komoditas,tanggal,harga\nBeras,{END:%d/%m/%Y},"20.000"\n')
    with clean_engine.connect() as conn:
        ingest_prices(conn, own, market="cipinang", source=SourceInfo("pibc", "PIBC file"))
    with clean_engine.connect() as conn:
        written = load_demo(conn)
    day = (
        "SELECT p.price_idr, p.source FROM prices p JOIN price_places pl ON pl.id = p.place_id "
        "WHERE pl.name = 'Pasar Induk Beras Cipinang' AND p.commodity = 'beras' AND p.date = :d"
    )
    with clean_engine.connect() as conn:
        assert tuple(conn.execute(text(day), {"d": END}).one()) == (20_000, "pibc")
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar() == 12 * 365
    assert written["prices"] == 12 * 365 - 1
