"""The DEMO price generator (``data.demo_prices``): deterministic, every day of the year,
values in the stated band around the documented reference prices, a few ``-`` days and
one 7-day jump above the alert threshold."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import date, timedelta

import pytest

from data import demo_prices as dp
from data import facts
from tests.conftest import shared_file

# The reference figures as published (written here by hand, not read from the module):
# HET beras premium zona 1 (Perbadan 5/2024), HAP jagung konsumen (Perbadan 5/2022),
# the Lampung panel's 2025 beras mean; the rest are the module's stated assumptions.
REFERENCES = {
    ("beras", "18"): 14_590,
    ("beras", "cipinang"): 14_900,
    ("beras", "31"): 14_900,
    ("jagung", "18"): 5_000,
    ("jagung", "kramat-jati"): 5_800,
    ("jagung", "31"): 5_800,
    ("ubi_kayu", "18"): 3_000,
    ("ubi_kayu", "kramat-jati"): 5_000,
    ("ubi_kayu", "31"): 5_000,
    ("pisang", "18"): 8_000,
    ("pisang", "kramat-jati"): 12_000,
    ("pisang", "31"): 12_000,
}
END = date(2026, 11, 27)


def _by_series() -> dict[tuple[str, str], list[dp.DemoPrice]]:
    out: dict[tuple[str, str], list[dp.DemoPrice]] = defaultdict(list)
    for row in dp.demo_prices():
        out[(row.commodity, row.place)].append(row)
    return out


def test_same_rows_every_time() -> None:
    first = dp.demo_prices()
    assert first == dp.demo_prices()
    assert len(first) == 12 * 365


def test_every_day_of_a_year_ending_on_the_fixed_date() -> None:
    year = [END - timedelta(days=i) for i in range(364, -1, -1)]
    series = _by_series()
    assert set(series) == set(REFERENCES)
    for key, rows in series.items():
        assert [r.date for r in rows] == year, key


def test_values_within_the_stated_band_of_the_reference_prices() -> None:
    assert {(r.commodity, r.place): r.idr_per_kg for r in dp.REFERENCE_PRICES} == REFERENCES
    for key, rows in _by_series().items():
        ref = REFERENCES[key]
        jump_week = {END - timedelta(days=i) for i in range(6)} if key == dp.JUMP else set()
        for r in rows:
            if r.price_idr is None:
                continue
            band = 27.0 if r.date in jump_week else 10.0
            assert abs(r.price_idr / ref - 1) * 100 <= band, (key, r)
            assert r.price_idr % 50 == 0, (key, r)


def test_gaps_and_one_jump_above_the_alert_threshold() -> None:
    last_fortnight = {END - timedelta(days=i) for i in range(15)}
    rises = {}
    for key, rows in _by_series().items():
        gaps = [r.date for r in rows if r.price_idr is None]
        assert 2 <= len(gaps) <= 12, key
        assert not set(gaps) & last_fortnight, key
        by_day = {r.date: r.price_idr for r in rows}
        newest, week_before = by_day[END], by_day[END - timedelta(days=7)]
        assert newest is not None and week_before is not None
        rises[key] = 100 * (newest / week_before - 1)
    alerted = {k for k, pct in rises.items() if pct > 10.0}
    assert alerted == {("jagung", "kramat-jati")}
    assert rises[("jagung", "kramat-jati")] == pytest.approx(16.0, abs=0.5)


def test_places_are_demo_markets_or_regions() -> None:
    slugs = {m.slug for m in facts.MARKETS}
    for ref in dp.REFERENCE_PRICES:
        assert ref.place in slugs | {"18", "31"}
        assert ref.source and ref.kind in {"HET", "HAP", "panel average", "assumption"}
        if ref.kind == "assumption":
            assert "ASSUMPTION" in ref.source


@pytest.mark.shared_data
def test_lampung_beras_reference_is_the_panel_average_of_2025() -> None:
    """The documented average, recomputed from the real panel file with csv alone."""
    path = shared_file("lampung", "bps", "harga_pangan.csv")
    values = []
    with path.open(newline="", encoding="utf-8") as f:
        for raw in csv.reader(f):
            row = next(csv.reader([raw[0]])) if len(raw) == 1 else raw
            name, day, price = row[0], row[1], row[2]
            if name == "Beras" and day.endswith("/2025") and price.strip() != "-":
                values.append(float(price.replace(",", "").replace(".", "")))
    assert len(values) == 103
    assert min(values) == 14_400 and max(values) == 14_750
    assert statistics.mean(values) == pytest.approx(REFERENCES[("beras", "18")], abs=1)
