"""Food prices over HTTP on the demo database: series, latest prices, the OGC collection
of markets, and margins in ``POST /logistics/plan`` checked against a hand computation.

Lampung prices are the real panel file; Cipinang (Jakarta) prices are a small file the
test writes itself, so every number used is known by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, PriceSettings, RoutingSettings, Settings
from layers.prices import ingest_prices
from layers.writer import SourceInfo
from tests.conftest import shared_file

PLAN = {
    "origin": [105.26, -5.43],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 8,
    "vehicle_class": "medium_truck",
    "departure": "2025-05-23T06:00:00+07:00",
}
# Beras in the Lampung panel file, by hand: 19/05/2025 14,450; 20-23/05/2025 14,400
LAMPUNG_BERAS = {"2025-05-19": 14_450, "2025-05-20": 14_400, "2025-05-21": 14_400,
                 "2025-05-22": 14_400, "2025-05-23": 14_400}  # fmt: skip


@pytest.fixture(scope="module")
def client(
    writable_demo_engine: Engine,
    writable_demo_url: str,
    demo_graph_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    panel = shared_file("lampung", "bps", "harga_pangan.csv")
    jakarta = tmp_path_factory.mktemp("prices") / "cipinang.csv"
    jakarta.write_text(
        "komoditas,tanggal,harga\n"
        'Beras,08/05/2025,"15.000"\n'
        'Beras,15/05/2025,"15.800"\n'
        'Beras,22/05/2025,"15.900"\n'
        "Bawang Merah,15/05/2025,30.000\n"
        "Bawang Merah,22/05/2025,36.000\n"
    )
    with writable_demo_engine.connect() as conn:
        ingest_prices(conn, panel, region="18", source=SourceInfo("bps-hp", "BPS Lampung"))
        ingest_prices(conn, jakarta, market="cipinang", source=SourceInfo("pic", "PIBC test"))
    settings = Settings(
        database=DatabaseSettings(database_url=writable_demo_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
        prices=PriceSettings(alert_pct=10.0, stale_days=14),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.shared_data
def test_series(client: TestClient) -> None:
    r = client.get(
        "/prices",
        params={"commodity": "beras", "region": "18", "from": "2025-05-19", "to": "2025-05-23"},
    )
    assert r.status_code == 200, r.text
    [series] = r.json()["series"]
    assert {p["date"]: p["price_idr"] for p in series["points"]} == LAMPUNG_BERAS
    gap = client.get("/prices", params={"commodity": "beras", "region": "18", "to": "2018-01-01"})
    assert gap.json()["series"][0]["points"] == [{"date": "2018-01-01", "price_idr": None}]
    assert client.get("/prices", params={"commodity": "durian"}).status_code == 422
    assert client.get("/prices", params={"market": "no-such-market"}).status_code in (404, 422)


@pytest.mark.shared_data
def test_latest_and_alerts(client: TestClient) -> None:
    r = client.get("/prices/latest", params={"market": "cipinang", "on": "2025-05-23"})
    assert r.status_code == 200, r.text
    body = r.json()
    found = {p["commodity"]: p for p in body["prices"]}
    # bawang merah 36,000 against 30,000 a week before: +20 % > 10 %
    assert found["bawang_merah"]["change_7d_pct"] == 20.0
    assert found["bawang_merah"]["alert"] is True
    # beras 15,900 against 15,800 (+0.63 %); 30 days: nothing 30-45 days older
    assert found["beras"]["change_7d_pct"] == round(100 * (15_900 / 15_800 - 1), 2)
    assert found["beras"]["alert"] is False
    assert found["beras"]["age_days"] == 1
    assert body["alerts"] == 1 and body["alert_pct"] == 10.0
    only = client.get("/prices/latest", params={"alerts_only": "true", "on": "2025-05-23"})
    assert {p["commodity"] for p in only.json()["prices"]} >= {"bawang_merah"}
    assert all(p["alert"] for p in only.json()["prices"])


@pytest.mark.shared_data
def test_markets_collection(client: TestClient) -> None:
    r = client.get("/collections/price_markets/items")
    assert r.status_code == 200, r.text
    [cipinang] = [f for f in r.json()["features"] if "Cipinang" in f["properties"]["name"]]
    latest = cipinang["properties"]["latest_prices"]
    assert latest["beras"]["price_idr"] == 15_900
    assert latest["bawang_merah"]["change_7d_pct"] == 20.0
    assert cipinang["geometry"]["type"] == "Point"


@pytest.mark.shared_data
def test_margin_observed_prices_by_hand(client: TestClient) -> None:
    plain = client.post("/logistics/plan", json=PLAN).json()["properties"]
    assert plain.get("margin") is None
    r = client.post("/logistics/plan", json=PLAN | {"price_basis": {}})
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    m = p["margin"]
    assert m["available"] is True and m["price_commodity"] == "beras"
    assert m["as_of"] == "2025-05-23"
    # by hand: Cipinang 15,900 (22/05, a day old), Lampung panel 14,400 (23/05)
    assert m["destination_price"]["idr_per_kg"] == 15_900
    assert m["destination_price"]["date"] == "2025-05-22"
    assert m["destination_price"]["age_days"] == 1
    assert m["origin_price"]["idr_per_kg"] == 14_400
    assert m["origin_price"]["place"]["region_code"] == "18"
    kg = 8 * 1000
    transport = p["cost"]["total_idr"] / kg
    assert m["price_gap_idr_per_kg"] == 1_500
    assert m["transport_idr_per_kg"] == pytest.approx(transport, abs=0.01)
    assert m["margin_idr_per_kg"] == pytest.approx(1_500 - transport, abs=0.02)
    per_trip_kg = kg / p["vehicles"]
    assert m["kg_per_trip"] == pytest.approx(per_trip_kg)
    assert m["margin_idr_per_trip"] == pytest.approx((1_500 - transport) * per_trip_kg, abs=1)
    assert m["margin_idr_total"] == pytest.approx((1_500 - transport) * kg, abs=1)
    assert any("retail" in n for n in m["notes"])


@pytest.mark.shared_data
def test_margin_given_prices_and_stale(client: TestClient) -> None:
    basis = {"destination_idr_per_kg": 16_000, "origin_idr_per_kg": 11_000}
    p = client.post("/logistics/plan", json=PLAN | {"price_basis": basis}).json()["properties"]
    m = p["margin"]
    transport = p["cost"]["total_idr"] / 8000
    assert m["destination_price"]["basis"] == "given"
    assert m["margin_idr_per_kg"] == pytest.approx(5_000 - transport, abs=0.02)
    # a year later the newest prices are stale, and said to be
    late = PLAN | {"departure": "2026-05-23T06:00:00+07:00", "price_basis": {}}
    m2 = client.post("/logistics/plan", json=late).json()["properties"]["margin"]
    assert m2["origin_price"]["stale"] is True and m2["origin_price"]["age_days"] == 365
    assert any("days old" in n for n in m2["notes"])
    # before any price: not available, and why
    early = PLAN | {"price_basis": {"on": "2017-01-01"}}
    m3 = client.post("/logistics/plan", json=early).json()["properties"]["margin"]
    assert m3["available"] is False and m3["margin_idr_per_kg"] is None
    assert any("no observed" in n for n in m3["notes"])
