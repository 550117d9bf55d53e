"""/peta/perencanaan in Debian's chromium, as a Bappeda analyst uses it, at 1366x768 and
390x844, in both languages: choose a threshold and a level, download the GeoPackage
and the PNG the map shows (names with category, travel mode, threshold, level and
date; the GeoPackage read back with geopandas), compare 15/30/60 minutes, read the
underserved list, and ask for proposed sites with their kecamatan and kabupaten.

Oracles are independent of the page: the date is today's in WIB computed here, the
kecamatan/kabupaten of each site is found with shapely in the boundaries the test
fetches from the OGC API, colours are the fixed classes counted by hand, and the
percentages must grow with the threshold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
import shapely.geometry
from PIL import Image

from tests.web.browser import VIEWPORTS, open_page, shot
from web.classify import COVERAGE

pytestmark = pytest.mark.browser

TEXT = {
    "id": {"mode": "Sepeda motor", "after": "cakupan menjadi", "rank": "Usulan {}"},
    "en": {"mode": "Motorcycle", "after": "coverage becomes", "rank": "Proposal {}"},
}


def fmt1(value: float, lang: str) -> str:
    """A percentage as the page writes it: at most one decimal, none when whole.

    Rounded half away from zero on the shortest decimal form of the number, as
    ECMA-402 (``toLocaleString``) does: 93.55 -> 93.6.
    """
    exact = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{exact:,.1f}".removesuffix(".0")
    if lang == "id":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


def areas(live_url: str, level: str) -> list[tuple[str, Any]]:
    """(name, shapely geometry) of the admin areas at ``level``, from the OGC API."""
    fc = httpx.get(
        f"{live_url}/collections/admin_areas/items",
        params={"level": level, "limit": 1000},
        timeout=30,
    ).json()
    return [
        (f["properties"]["name"], shapely.geometry.shape(f["geometry"])) for f in fc["features"]
    ]


# Each language once and each viewport once (phone in Indonesian, as most analysts in the
# field; desktop in English): the four combinations took 80 s of the suite's 15 minutes,
# and the page's texts and its layout do not depend on each other.
@pytest.mark.parametrize(("viewport", "lang"), [("phone", "id"), ("desktop", "en")])
def test_analyst_flow(
    browser: Any, live_url: str, artifacts: Path, tmp_path: Path, viewport: str, lang: str
) -> None:
    tx = TEXT[lang]
    v = open_page(browser, f"{live_url}/peta/perencanaan?lang={lang}", VIEWPORTS[viewport], lang)
    page = v.page
    try:
        page.wait_for_selector("#download-what:not(:empty)", state="attached")
        # -- choose 15 minutes per kecamatan: the map, the legend and the links follow -----
        with page.expect_response(
            lambda r: "/coverage/stats" in r.url and "f=geojson" in r.url and "minutes=15" in r.url
        ):
            page.locator("#threshold").select_option("15")
        with page.expect_response(
            lambda r: (
                "/coverage/stats" in r.url and "level=kecamatan" in r.url and "f=geojson" in r.url
            )
        ) as shown:
            page.locator("#level").select_option("kecamatan")
        fc = shown.value.json()
        page.wait_for_function(
            "n => document.querySelectorAll('path.lgeo-area').length === n", arg=len(fc["features"])
        )
        page.wait_for_function(
            "() => document.getElementById('download-gpkg').href.includes('kecamatan')"
        )
        legend = page.locator("#legend").inner_text()
        assert "15" in legend and tx["mode"] in legend
        assert fc["profile"] == "motorcycle"

        # -- downloads: names carry what the map shows and today's date (WIB) -------------
        today = (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()
        stem = f"coverage_puskesmas_motorcycle_15min_kecamatan_{today}"
        page.locator("#download-gpkg").scroll_into_view_if_needed()
        with page.expect_download() as got:
            page.locator("#download-gpkg").click()
        assert got.value.suggested_filename == f"{stem}.gpkg"
        gpkg = tmp_path / got.value.suggested_filename
        got.value.save_as(gpkg)
        read = gpd.read_file(gpkg, layer="areas", engine="pyogrio")
        # the areas on screen, no more (kecamatan names repeat across kabupaten: by code)
        mapped = {f["properties"]["code"]: f["properties"]["percent_15min"] for f in fc["features"]}
        assert sorted(read["code"]) == sorted(mapped)
        for code, pct in zip(read["code"], read["percent_15min"], strict=True):
            assert pct == pytest.approx(mapped[code], abs=0.01)
        assert read.crs is not None and read.crs.to_epsg() == 4326
        assert read.geometry.is_valid.all() and not read.geometry.is_empty.any()
        with page.expect_download() as got_png:
            page.locator("#download-png").click()
        assert got_png.value.suggested_filename == f"{stem}.png"
        png = tmp_path / got_png.value.suggested_filename
        got_png.value.save_as(png)
        with Image.open(png) as im:
            assert im.format == "PNG" and im.width >= 600 and im.height >= 400

        # -- compare 15 / 30 / 60 minutes in one table ------------------------------------
        page.locator("#sec-compare summary").click()
        page.wait_for_selector("#compare-table")
        truth = httpx.get(
            f"{live_url}/coverage/stats",
            params={"category": "puskesmas", "minutes": "15,30,60", "level": "kecamatan"},
            timeout=60,
        ).json()
        rows = page.locator("#compare-table tr").all()
        assert len(rows) == len(truth["areas"]) + 2  # header, areas, total
        for area, row in zip(truth["areas"], rows[1:-1], strict=True):
            cells = row.locator("td").all()
            values = [area[f"percent_{m}min"] for m in (15, 30, 60)]
            assert values == sorted(values)  # more minutes never reach fewer people
            assert row.locator("th").inner_text() == area["name"]
            for cell, value in zip(cells, values, strict=True):
                assert cell.inner_text() == f"{fmt1(value, lang)} %"
                cls = sum(value >= b for b in (50, 70, 85, 95))
                bg = cell.evaluate("e => getComputedStyle(e).backgroundColor")
                assert bg == rgb(COVERAGE.colors[cls])

        # -- underserved: only areas with people beyond the threshold ---------------------
        page.wait_for_selector("#underserved li")
        listed = page.locator("#underserved li").all_inner_texts()
        beyond = [a for a in fc["features"] if a["properties"]["uncovered_15min"] > 0]
        if beyond:
            assert 1 <= len(listed) <= min(10, len(beyond))
            names = {a["properties"]["name"] for a in beyond}
            assert all(any(line.startswith(n) for n in names) for line in listed)
        else:
            assert len(listed) == 1

        # -- proposed sites: how many, where (kecamatan, kabupaten), coverage before/after -
        with page.expect_response(lambda r: r.url.endswith("/plan/sites")) as sited:
            page.locator("#site-count").select_option("2")
        answer = sited.value.json()
        assert sited.value.request.post_data_json["count"] == 2
        assert sited.value.request.post_data_json["minutes"] == 15
        page.wait_for_function(
            "() => document.querySelectorAll('#sites li[data-rank]').length === 2"
        )
        kec = areas(live_url, "kecamatan")
        kab = areas(live_url, "kabupaten")
        items = page.locator("#sites li").all_inner_texts()
        for item, f in zip(items, answer["features"], strict=True):
            point = shapely.geometry.shape(f["geometry"])
            in_kec = [n for n, g in kec if g.covers(point)]
            in_kab = [n for n, g in kab if g.covers(point)]
            assert in_kec and in_kab
            assert item.startswith(tx["rank"].format(f["properties"]["rank"]))
            assert in_kec[0] in item and in_kab[0] in item
            assert tx["after"] in item
        before = page.locator("#sites-before").inner_text()
        after = page.locator("#sites-after").inner_text()
        assert before == f"{fmt1(answer['percent_before'], lang)} %"
        assert after == f"{fmt1(answer['percent_after'], lang)} %"
        assert answer["percent_after"] >= answer["percent_before"]
        assert page.locator(".lgeo-site").count() == 2
        v.clean()
        shot(page, artifacts, f"perencanaan-{lang}-{viewport}")
    finally:
        v.context.close()
