"""Food prices: the real BPS Lampung panel file, other panel layouts, all-or-nothing,
latest prices with their 7- and 30-day change and the alert flag.

Expected values were read off ``harga_pangan.csv`` by hand (grep), not by the reader.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from layers.errors import IngestError
from layers.prices import ingest_prices
from layers.prices_query import latest_prices, region_place
from layers.writer import SourceInfo
from tests.conftest import shared_file

# 23,148 data lines: 22,224 quoted lines with a price, 924 plain lines ending in "-".
ROWS, PRICES, GAPS = 23_148, 22_224, 924
SPOT = [  # (commodity code, dd/mm/yyyy as in the file, price in the file)
    ("beras", "02/01/2018", 12_000.0),  # "Beras,02/01/2018,""12,000"""
    ("daging_ayam", "02/01/2018", 33_300.0),
    ("daging_sapi", "02/01/2018", 110_000.0),
    ("minyak_goreng", "06/08/2019", 11_600.0),
    ("cabai_merah_keriting", "06/08/2019", 67_750.0),
    ("cabai_merah_keriting", "29/05/2020", 17_150.0),  # named "Cabai Merah" in 2020
    ("bawang_merah", "21/01/2022", 23_400.0),
    ("telur_ayam", "23/05/2025", 27_150.0),
    ("gula_pasir", "23/05/2025", 18_450.0),
]


def _day(s: str) -> date:
    d, m, y = (int(x) for x in s.split("/"))
    return date(y, m, d)


def _price(engine: Engine, commodity: str, day: date, region: str = "18") -> float | None:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT p.price_idr FROM prices p JOIN price_places pl ON pl.id = p.place_id "
                "WHERE pl.region_code = :r AND p.commodity = :c AND p.date = :d"
            ),
            {"r": region, "c": commodity, "d": day},
        ).scalar_one()


@pytest.mark.shared_data
def test_real_lampung_panel_file(clean_engine: Engine) -> None:
    path = shared_file("lampung", "bps", "harga_pangan.csv")
    src = SourceInfo(id="bps-harga-pangan", title="Harga pangan Lampung")
    with clean_engine.connect() as conn:
        rep = ingest_prices(conn, path, region="18", source=src)
    assert (rep.rows_read, rep.observations, rep.prices, rep.gaps) == (ROWS, ROWS, PRICES, GAPS)
    assert (rep.first_date, rep.last_date) == (date(2018, 1, 1), date(2025, 5, 23))
    with clean_engine.connect() as conn:
        total, observed, gaps, commodities = conn.execute(
            text(
                "SELECT count(*), count(price_idr), count(*) - count(price_idr), "
                "count(DISTINCT commodity) FROM prices"
            )
        ).one()
    # 13 names in the file; "Cabai Merah" (2020-2021) is cabai merah keriting
    assert (total, observed, gaps, commodities) == (ROWS, PRICES, GAPS, 12)
    for code, day, value in SPOT:
        assert _price(clean_engine, code, _day(day)) == value, (code, day)
    assert _price(clean_engine, "beras", date(2018, 1, 1)) is None  # "Beras,01/01/2018,-"
    # loading the same file again changes nothing
    with clean_engine.connect() as conn:
        again = ingest_prices(conn, path, region="18", source=src)
    assert again.prices == PRICES
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar_one() == ROWS
        # latest cabai rawit merah: 23/05/2025 33,400; 7 days back (<= 16/05) 33,750;
        # 30 days back (<= 23/04) 56,900
        place = region_place(conn, "18")
        assert place is not None
        [latest] = latest_prices(
            conn, commodity="cabai_rawit_merah", places=[place], on=date(2025, 5, 23)
        )
    assert latest["price_idr"] == 33_400
    assert (latest["date_7d"], latest["price_7d_idr"]) == (date(2025, 5, 16), 33_750)
    assert latest["change_7d_pct"] == round(100 * (33_400 / 33_750 - 1), 2)
    assert (latest["date_30d"], latest["price_30d_idr"]) == (date(2025, 4, 23), 56_900)
    assert latest["change_30d_pct"] == round(100 * (33_400 / 56_900 - 1), 2)
    assert latest["alert"] is False and latest["age_days"] == 0


@pytest.mark.shared_data
def test_a_bad_row_writes_nothing(clean_engine: Engine, tmp_path: Path) -> None:
    lines = shared_file("lampung", "bps", "harga_pangan.csv").read_text().splitlines()
    lines[5000] = "Beras,31/02/2020,12.000"  # data row 5000: no 31 February
    lines[7000] = 'Gula Pasir,01/03/2020,"dua belas"'  # data row 7000: not a price
    bad = tmp_path / "harga_pangan_rusak.csv"
    bad.write_text("\n".join(lines) + "\n")
    with clean_engine.connect() as conn, pytest.raises(IngestError) as exc:
        ingest_prices(conn, bad, region="18")
    assert "row 5000 (date)" in exc.value.reason
    assert "row 7000 (price)" in exc.value.reason
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar_one() == 0


def test_wide_layout_separators_and_alert(clean_engine: Engine, tmp_path: Path) -> None:
    # a PIHPS-style wide table: one row per commodity, one column per day
    wide = tmp_path / "pihps_banten.csv"
    wide.write_text(
        "No,Komoditas,Satuan,01/03/2025,05/03/2025,08/03/2025,10/03/2025\n"
        '1,Bawang Merah,kg,"20.000",-,"23.000","23,500"\n'
        "2,Gula Pasir,kg,17.500,17.500,-,17.600\n"
    )
    with clean_engine.connect() as conn:
        rep = ingest_prices(conn, wide, region="36")
        assert (rep.prices, rep.gaps) == (6, 2)
        assert _price(clean_engine, "bawang_merah", date(2025, 3, 8), "36") == 23_000
        assert _price(clean_engine, "bawang_merah", date(2025, 3, 10), "36") == 23_500
        assert _price(clean_engine, "gula_pasir", date(2025, 3, 1), "36") == 17_500
        assert _price(clean_engine, "gula_pasir", date(2025, 3, 8), "36") is None
        place = region_place(conn, "36")
        found = {
            p["commodity"]: p
            for p in latest_prices(conn, places=[place], on=date(2025, 3, 10), alert_pct=10.0)
        }
    # bawang merah: 23,500 on 10/03 against 20,000 on 01/03 (newest <= 03/03): +17.5 %
    assert found["bawang_merah"]["change_7d_pct"] == 17.5
    assert found["bawang_merah"]["alert"] is True
    # gula pasir: 17,600 against 17,500: +0.57 %
    assert found["gula_pasir"]["change_7d_pct"] == round(100 * (17_600 / 17_500 - 1), 2)
    assert found["gula_pasir"]["alert"] is False
    assert found["gula_pasir"]["change_30d_pct"] is None  # nothing 30 days older


def test_unknown_commodity_and_missing_place_are_named(
    clean_engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "harga.csv"
    f.write_text("komoditas,tanggal,harga\nBeras,01/02/2024,13.000\nDurian,01/02/2024,50.000\n")
    with clean_engine.connect() as conn, pytest.raises(IngestError) as exc:
        ingest_prices(conn, f)
    assert exc.value.field == "place"
    with clean_engine.connect() as conn, pytest.raises(IngestError) as exc:
        ingest_prices(conn, f, region="18")
    assert "Durian" in exc.value.reason
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar_one() == 0
