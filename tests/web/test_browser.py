"""The map pages in a real browser (Debian's chromium through playwright).

For every page: it loads with no console error, asks nothing of any host but
127.0.0.1 (base-map tile requests are aborted, as if offline), draws the expected
Leaflet layers from the API and works on a phone-sized viewport. On /peta a click on
the map gives the routes and the result list that /nearest gives for that point.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from geo_api.settings import Settings
from web.classify import COVERAGE

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CLICK_LON, CLICK_LAT = 105.30, -5.40


@dataclass
class Visit:
    """A page opened in chromium and what it did."""

    page: Any
    response: Any = None
    console_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    tiles_aborted: int = 0

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())


@pytest.fixture
def visit(browser: Any, live_url: str, demo_settings: Settings) -> Iterator[Any]:
    tile_host = urlsplit(demo_settings.web.tile_url.replace("{s}", "a")).hostname
    contexts = []

    def open_page(path: str, viewport: dict[str, int] = DESKTOP) -> Visit:
        context = browser.new_context(viewport=viewport, locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)

        def route(r: Any) -> None:
            host = urlsplit(r.request.url).hostname
            if host == "127.0.0.1":
                r.continue_()
                return
            if host == tile_host:
                v.tiles_aborted += 1
            else:
                v.outside.append(r.request.url)
            r.abort()

        def on_console(msg: Any) -> None:
            if msg.type != "error":
                return
            where = urlsplit(msg.location.get("url", "")).hostname
            if where == tile_host and "Failed to load resource" in msg.text:
                return  # the aborted base-map tiles
            v.console_errors.append(f"{msg.text} @ {msg.location}")

        context.route("**/*", route)
        # Every Content-Security-Policy violation (also those that print nothing).
        context.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', "
            "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.on("console", on_console)
        page.on("pageerror", lambda exc: v.console_errors.append(f"page error: {exc}"))
        v.response = page.goto(live_url + path)
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=15_000)
        return v

    yield open_page
    for context in contexts:
        context.close()


def check_clean(v: Visit) -> None:
    assert v.console_errors == []
    assert v.page.evaluate("window.__csp") == [], "Content-Security-Policy violations"
    headers = v.response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert v.outside == [], "requests to hosts other than 127.0.0.1 and the tile server"
    assert v.tiles_aborted > 0, "the base map asked for tiles (and they were aborted)"
    assert v.page.locator("#demo-banner").is_visible()
    attribution = v.page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap" in attribution and "BIG" in attribution


def shot(v: Visit, artifacts: Path, name: str) -> None:
    path = artifacts / f"{name}.png"
    v.page.wait_for_timeout(400)  # let popups finish fading in
    v.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def check_phone(v: Visit) -> None:
    page = v.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator(".folium-map").bounding_box()
    panel = page.locator("#panel").bounding_box()
    assert box is not None and panel is not None
    assert box["width"] == PHONE["width"] and box["height"] > 300
    assert panel["y"] + panel["height"] <= box["y"] + 1  # the panel sits above the map


def check_keyboard(v: Visit, first_control: str) -> None:
    page = v.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == first_control:
            return
    pytest.fail(f"#{first_control} cannot be reached with the keyboard")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_citizen_page(visit: Any, artifacts: Path, live_url: str, lang: str) -> None:
    v = visit(f"/peta?lang={lang}")
    check_clean(v)
    page = v.page
    assert v.count(".leaflet-roads-pane path") > 50
    assert v.count(".leaflet-areas-pane path") == 15  # kabupaten/kota outlines
    points = v.count(".leaflet-points-pane path.lgeo-point")
    bbox = page.evaluate("LGEO.bbox(LGEO.map, 0.1)")
    expected = httpx.get(
        f"{live_url}/collections/service_points/items",
        params={"category": "puskesmas", "bbox": bbox, "limit": 2000},
    ).json()["numberReturned"]
    assert points == expected > 0
    banner = "DATA DEMO — bukan data survei" if lang == "id" else "DEMO DATA — not survey data"
    assert page.locator("#demo-banner").inner_text() == banner
    check_keyboard(v, "category")

    # Zoom in so that the click lands on the map, not on a service point.
    page.evaluate(f"LGEO.map.setView([{CLICK_LAT}, {CLICK_LON}], 14, {{animate: false}})")
    page.wait_for_function("() => document.body.getAttribute('data-pending') === '0'")
    xy = page.evaluate(f"LGEO.map.latLngToContainerPoint([{CLICK_LAT}, {CLICK_LON}])")
    origin = page.locator(".folium-map").bounding_box()
    assert origin is not None
    with page.expect_response(lambda r: "/nearest?" in r.url) as answer:
        page.mouse.click(origin["x"] + xy["x"], origin["y"] + xy["y"])
    sent = parse_qs(urlsplit(answer.value.url).query)
    assert sent["category"] == ["puskesmas"] and sent["profile"] == ["motorcycle"]
    assert abs(float(sent["lon"][0]) - CLICK_LON) < 1e-4
    assert abs(float(sent["lat"][0]) - CLICK_LAT) < 1e-4
    page.wait_for_selector("#results li[data-name]")
    truth = httpx.get(
        f"{live_url}/nearest", params={k: vals[0] for k, vals in sent.items()}
    ).json()["features"]
    shown = page.eval_on_selector_all(
        "#results li[data-name]",
        "els => els.map(e => [e.dataset.name, Number(e.dataset.minutes)])",
    )
    assert shown == [[f["properties"]["name"], f["properties"]["duration_min"]] for f in truth]
    assert len(shown) == 3
    assert v.count(".leaflet-routes-pane path.lgeo-route") == len(truth)
    assert v.count(".leaflet-results-pane path.lgeo-result") == len(truth)
    unit = "menit" if lang == "id" else "min"
    assert unit in page.locator("#results").inner_text()
    with page.expect_response(lambda r: "/isochrones?" in r.url) as bands:
        page.locator("#isochrones").check()
    minutes = sorted(f["properties"]["minutes"] for f in bands.value.json()["features"])
    assert minutes == [10, 20, 30]
    page.wait_for_function("() => document.querySelectorAll('path.lgeo-iso').length === 3")
    page.locator("#results li button").first.click()
    page.wait_for_selector(".leaflet-popup-content h3")
    assert truth[0]["properties"]["name"] in page.locator(".leaflet-popup-content").inner_text()
    assert v.console_errors == []
    shot(v, artifacts, f"peta-{lang}-desktop")


def test_citizen_page_phone(visit: Any, artifacts: Path) -> None:
    v = visit("/peta", PHONE)
    check_clean(v)
    # a full-screen map under a bottom sheet (tests/web/test_citizen_browser.py)
    box = v.page.locator(".folium-map").bounding_box()
    assert box is not None and box["width"] == PHONE["width"] and box["height"] == PHONE["height"]
    v.page.evaluate(f"LGEO.search(L.latLng({CLICK_LAT}, {CLICK_LON}))")
    v.page.wait_for_selector("#results li[data-name]")
    assert v.count(".leaflet-routes-pane path.lgeo-route") == 3
    shot(v, artifacts, "peta-id-phone")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_logistics_page(visit: Any, artifacts: Path, viewport: str) -> None:
    v = visit("/peta/logistik?lang=en", PHONE if viewport == "phone" else DESKTOP)
    check_clean(v)
    page = v.page
    assert v.count("path.lgeo-farm") > 10
    assert v.count("path.lgeo-port") == 4
    assert v.count("path.lgeo-market") == 2
    assert v.count("path.lgeo-ferry") == 1
    assert v.count(".leaflet-roads-pane path") > 20
    assert v.count("#legend li") >= 10  # commodities, symbols and shipment statuses
    colors = set(
        page.eval_on_selector_all("path.lgeo-farm", "els => els.map(e => e.getAttribute('fill'))")
    )
    assert len(colors) >= 4  # one colour per commodity
    if viewport == "phone":
        check_phone(v)
    else:
        check_keyboard(v, "commodity")
    page.wait_for_function("() => document.querySelectorAll('#farm option').length > 0")
    page.wait_for_function("() => document.querySelectorAll('#market option').length > 0")
    page.wait_for_function("() => document.querySelectorAll('path.lgeo-flow').length > 0")
    widths = {
        float(w)
        for w in page.eval_on_selector_all(
            "path.lgeo-flow", "els => els.map(e => e.getAttribute('stroke-width'))"
        )
    }
    assert len(widths) > 1  # the width follows the tonnes
    with page.expect_response(lambda r: r.url.endswith("/logistics/plan")) as answer:
        page.locator("#plan").click()
    plan = answer.value.json()["properties"]
    page.wait_for_selector("#plan-eta")
    assert v.count("path.lgeo-leg-road") == sum(leg["mode"] != "ferry" for leg in plan["legs"])
    assert v.count("path.lgeo-leg-ferry") == 1  # farm in Lampung, market in Jakarta
    text = page.locator("#plan-result").inner_text()
    assert "Ferry" in text and "Fuel" in text and "ETA" in text
    total = f"{plan['cost']['total_idr']:,}"
    assert total in text.replace(".", ",")
    assert v.console_errors == []
    shot(v, artifacts, f"logistik-en-{viewport}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_planning_page(visit: Any, artifacts: Path, live_url: str, viewport: str) -> None:
    v = visit("/peta/perencanaan", PHONE if viewport == "phone" else DESKTOP)
    check_clean(v)
    page = v.page
    page.wait_for_selector("#legend li")
    page.wait_for_selector("#underserved li")
    page.wait_for_function("() => document.body.getAttribute('data-pending') === '0'")
    assert v.count("path.lgeo-area") == 15  # the demo kabupaten/kota
    fills = page.eval_on_selector_all(
        "path.lgeo-area", "els => els.map(e => e.getAttribute('fill'))"
    )
    names = page.evaluate("LGEO.planning.current().features.map(f => f.properties.name)")
    truth = httpx.get(
        f"{live_url}/coverage/stats",
        params={"category": "puskesmas", "minutes": "30", "level": "kabupaten"},
    ).json()
    percent = {a["name"]: a["percent_30min"] for a in truth["areas"]}
    # fixed classes < 50, 50-70, 70-85, 85-95, >= 95 %, counted here by hand
    expected = [COVERAGE.colors[sum(percent[n] >= b for b in (50, 70, 85, 95))] for n in names]
    assert fills == expected
    assert len(set(fills)) >= 2  # the demo's coverage differs by kabupaten
    legend = page.locator("#legend").inner_text()
    assert "30" in legend and "Sepeda motor" in legend  # threshold and travel mode
    assert v.count("#legend li") == 6  # five classes and "no data"
    swatches = page.eval_on_selector_all(
        "#legend li .swatch", "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert swatches[0] == "rgb(179, 0, 0)"  # the worst class first, darkest
    assert v.count("#underserved li") == 10
    assert v.count("#sites li") >= 1
    href = page.locator("#download-csv").get_attribute("href")
    assert href.startswith("/coverage/stats?") and "f=csv" in href
    csv = page.evaluate("fetch(document.querySelector('#download-csv').href).then(r => r.text())")
    lines = csv.splitlines()
    assert lines[0].startswith("id,") and "percent_30min" in lines[0] and len(lines) == 16
    geo = page.evaluate(
        "fetch(document.querySelector('#download-geojson').href).then(r => r.json())"
    )
    assert len(geo["features"]) == 15
    if viewport == "phone":
        check_phone(v)
    else:
        check_keyboard(v, "category")
    shot(v, artifacts, f"perencanaan-id-{viewport}")
