"""/peta as its users use it, in Debian's chromium: a phone (390×844, touch) and a
laptop (1366×768, mouse and keyboard), in Bahasa Indonesia and English.

What the user sees is asserted: the place search finds "Sukarame" from a misspelling,
the picked place's nearest puskesmas are visible in the bottom sheet without scrolling,
a tap in the sea gives a message in the page's language and clears old results, a
service point's popup searches from it, the isochrone bands come with a legend, Enter
on the focused map searches from its centre. The oracles are the API's own JSON answers
fetched separately with httpx (the page must show what /search and /nearest say) and
fixed facts of the demo data (the Sukarame kecamatan of Bandar Lampung, the sea south
of the province).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from web.pages import LAMPUNG_BOUNDS

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SEA = (104.6, -6.35)  # Indian Ocean, south-west of Tanggamus: tens of km from any road
MESSAGES = {
    "id": {
        "sea": re.compile(
            r"^Titik ini [\d.,]+ km dari jalan terdekat\. Pilih titik di dekat jalan\.$"
        ),
        "unit": "menit",
        "zoom_in": "Perbesar",
        "zoom_out": "Perkecil",
        "hours": "Senin–Kamis 08.00–14.00",
        "search_here": "Cari dari sini",
        "route_here": "Rute ke sini",
    },
    "en": {
        "sea": re.compile(
            r"^This point is [\d.,]+ km from the nearest road\. Choose a point near a road\.$"
        ),
        "unit": "min",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "hours": "Monday–Thursday 08:00–14:00",
        "search_here": "Search from here",
        "route_here": "Route here",
    },
}


@dataclass
class Session:
    """One page in chromium, with what it asked and what went wrong."""

    page: Any
    api: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_peta(browser: Any, live_url: str) -> Iterator[Any]:
    contexts = []

    def start(lang: str, viewport: dict[str, int]) -> Session:
        phone = viewport is PHONE
        context = browser.new_context(
            viewport=viewport, has_touch=phone, is_mobile=phone, locale="id-ID"
        )
        contexts.append(context)
        page = context.new_page()
        s = Session(page)

        def route(r: Any) -> None:
            if urlsplit(r.request.url).hostname == "127.0.0.1":
                s.api.append(r.request.url)
                r.continue_()
            else:
                r.abort()  # base-map tiles: offline

        context.route("**/*", route)

        def on_console(msg: Any) -> None:
            if msg.type == "error" and "127.0.0.1" in msg.location.get("url", "127.0.0.1"):
                s.errors.append(msg.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: s.errors.append(str(exc)))
        page.goto(f"{live_url}/peta?lang={lang}")
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=15_000)
        return s

    yield start
    for context in contexts:
        context.close()


def in_viewport(page: Any, selector: str, viewport: dict[str, int]) -> bool:
    """Every match is fully on screen and is the topmost element at its centre."""
    return bool(
        page.evaluate(
            """([sel, w, h]) => Array.from(document.querySelectorAll(sel)).every(e => {
                const r = e.getBoundingClientRect();
                if (r.width === 0 || r.top < 0 || r.left < 0 || r.bottom > h || r.right > w)
                    return false;
                const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return top !== null && (top === e || e.contains(top));
            })""",
            [selector, viewport["width"], viewport["height"]],
        )
    )


def tap_map_at(s: Session, lon: float, lat: float, zoom: int) -> None:
    """Bring (lon, lat) into the visible upper part of the map and tap (or click) it."""
    page = s.page
    page.evaluate(f"LGEO.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.evaluate("LGEO.map.panBy([0, LGEO.map.getSize().y / 2 - 200], {animate: false})")
    page.wait_for_function("() => document.body.getAttribute('data-pending') === '0'")
    xy = page.evaluate(f"LGEO.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".folium-map").bounding_box()
    x, y = box["x"] + xy["x"], box["y"] + xy["y"]
    if page.viewport_size == PHONE:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_phone_place_search_to_nearest_in_sheet(
    open_peta: Any, live_url: str, artifacts: Path, lang: str
) -> None:
    s = open_peta(lang, PHONE)
    page = s.page
    # the start view shows the whole province; the scale bar is visible
    (south, west), (north, east) = LAMPUNG_BOUNDS
    view = page.evaluate("LGEO.map.getBounds().toBBoxString()").split(",")
    w, sth, e, nth = (float(v) for v in view)
    assert w <= west + 0.05 and e >= east - 0.05 and sth <= south + 0.05 and nth >= north - 0.05
    assert in_viewport(page, ".leaflet-control-scale", PHONE)
    assert in_viewport(page, "#place-q", PHONE)

    # a misspelt kecamatan name; the list offers Sukarame first
    page.locator("#place-q").tap()
    page.locator("#place-q").fill("Sukarme")
    page.wait_for_selector("#place-list [role=option]")
    truth = httpx.get(f"{live_url}/search", params={"q": "Sukarme", "limit": 8}).json()
    top = truth["features"][0]
    assert top["properties"]["name"] == "Sukarame"
    first = page.locator("#place-list [role=option]").first
    assert first.locator(".name").inner_text() == "Sukarame"
    assert in_viewport(page, "#place-list [role=option]:first-child", PHONE)
    with page.expect_response(lambda r: "/nearest?" in r.url) as answer:
        first.tap()
    sent = parse_qs(urlsplit(answer.value.url).query)
    lon, lat = top["geometry"]["coordinates"]
    assert abs(float(sent["lon"][0]) - lon) < 1e-5 and abs(float(sent["lat"][0]) - lat) < 1e-5
    nearest = httpx.get(
        f"{live_url}/nearest", params={k: vals[0] for k, vals in sent.items()}
    ).json()["features"]
    page.wait_for_selector("#results li[data-name]")
    names = page.eval_on_selector_all(
        "#results li[data-name]", "els => els.map(e => e.dataset.name)"
    )
    assert names == [f["properties"]["name"] for f in nearest] and len(names) == 3
    # all three are visible in the sheet, on screen, without scrolling anything
    assert in_viewport(page, "#results li[data-name] button", PHONE)
    assert page.evaluate("document.getElementById('panel').scrollTop") == 0
    assert page.evaluate("window.scrollY") == 0
    summary = page.locator("#sheet-summary").inner_text()
    assert summary.startswith(nearest[0]["properties"]["name"] + " · ")
    assert MESSAGES[lang]["unit"] in summary
    # the accessible name of each result carries its travel time
    label = page.locator("#results li button").first.get_attribute("aria-label")
    assert label.startswith("1. " + names[0]) and MESSAGES[lang]["unit"] in label
    # collapse: the map is free again, the summary stays
    page.locator("#sheet-toggle").tap()
    assert page.locator("#results").is_hidden()
    assert page.locator("#sheet-summary").is_visible()
    assert in_viewport(page, ".leaflet-control-scale", PHONE)
    assert s.errors == []
    page.screenshot(path=str(artifacts / f"peta-{lang}-phone-search.png"))


# Each language once and each viewport once (the message's language and the layout do
# not depend on each other; four combinations cost 30 s of the suite).
@pytest.mark.parametrize(
    ("viewport", "lang"), [(PHONE, "id"), (LAPTOP, "en")], ids=["phone-id", "laptop-en"]
)
def test_tap_in_the_sea_says_so_in_the_page_language(
    open_peta: Any, artifacts: Path, lang: str, viewport: dict[str, int]
) -> None:
    s = open_peta(lang, viewport)
    page = s.page
    page.evaluate("LGEO.search(L.latLng(-5.40, 105.30))")  # first a good result
    page.wait_for_selector("#results li[data-name]")
    tap_map_at(s, *SEA, zoom=9)
    target = "#sheet-summary" if viewport is PHONE else "#status"
    page.wait_for_function(
        "sel => document.querySelector(sel).textContent.includes('km')", arg=target
    )
    text = page.locator(target).inner_text()
    assert MESSAGES[lang]["sea"].match(text), text
    assert page.locator(target).is_visible()
    assert page.locator("#results li[data-name]").count() == 0  # stale results cleared
    assert page.locator(".leaflet-routes-pane path").count() == 0
    # the message is shown once, not twice (a 1-pixel screen-reader copy aside)
    shown = page.evaluate(
        """t => Array.from(document.querySelectorAll('body *')).filter(e =>
            e.children.length === 0 && e.textContent.trim() === t &&
            e.getBoundingClientRect().width > 2 && e.getBoundingClientRect().height > 2
        ).length""",
        text,
    )
    assert shown == 1
    assert "snapping" not in page.locator("body").inner_text()
    page.screenshot(path=str(artifacts / f"peta-{lang}-{viewport['width']}-sea.png"))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_laptop_marker_popup_searches_and_routes(
    open_peta: Any, live_url: str, artifacts: Path, lang: str
) -> None:
    s = open_peta(lang, LAPTOP)
    page = s.page
    texts = MESSAGES[lang]
    zoom_in = page.locator(".leaflet-control-zoom-in")
    assert zoom_in.get_attribute("title") == texts["zoom_in"]
    assert (
        page.locator(".leaflet-control-zoom-out").get_attribute("aria-label") == texts["zoom_out"]
    )
    # each layer fetched once on load (the DEMO banner must not repeat them)
    for path in ("/roads", "/collections/service_points/items", "/collections/admin_areas/items"):
        assert sum(urlsplit(u).path == path for u in s.api) == 1, path
    assert "/favicon.ico" not in [urlsplit(u).path for u in s.api]  # the page names its icon

    # at the start zoom, click a puskesmas marker (one not hidden under another) whose
    # opening hours are not 24/7, according to the API
    items = httpx.get(
        f"{live_url}/collections/service_points/items",
        params={"category": "puskesmas", "limit": 2000},
    ).json()["features"]
    hours = {f["properties"]["name"]: f["properties"]["opening_hours"] for f in items}
    free = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-points-pane path.lgeo-point'))
            .filter(e => { const r = e.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                return document.elementFromPoint(x, y) === e; })
            .map(e => e.getAttribute('aria-label'))"""
    )
    name = next(
        n for n in free if hours.get(n.rsplit(" (", 1)[0], "").startswith("Mo-Th 08:00-14:00")
    )
    marker = page.locator(f'.leaflet-points-pane path[aria-label="{name}"]')
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert texts["hours"] in popup.inner_text()
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") in (
        "Tutup",
        "Close",
    )
    # "Rute ke sini" without a start: asks for one
    popup.get_by_role("button", name=texts["route_here"]).click()
    assert page.locator("#status").inner_text() != ""
    marker.click()
    with page.expect_response(lambda r: "/nearest?" in r.url) as answer:
        page.locator(".leaflet-popup-content").get_by_role(
            "button", name=texts["search_here"]
        ).click()
    sent = parse_qs(urlsplit(answer.value.url).query)
    truth = httpx.get(f"{live_url}/nearest", params={k: v[0] for k, v in sent.items()}).json()[
        "features"
    ]
    page.wait_for_selector("#results li[data-name]")
    names = page.eval_on_selector_all(
        "#results li[data-name]", "els => els.map(e => e.dataset.name)"
    )
    assert names == [f["properties"]["name"] for f in truth]
    point_name = name.rsplit(" (", 1)[0]
    assert names[0] == point_name  # searching from a puskesmas finds that one first

    # route to another service point from this start
    page.wait_for_function("() => document.body.getAttribute('data-pending') === '0'")
    other = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-points-pane path.lgeo-point'))
            .filter(e => { const r = e.getBoundingClientRect();
                return r.top > 0 && r.left > 0 && r.bottom < innerHeight && r.right < innerWidth &&
                document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === e; })
            .map(e => e.getAttribute('aria-label'))"""
    )
    other_name = next(n for n in other if n != name)
    page.locator(f'.leaflet-points-pane path[aria-label="{other_name}"]').click()
    with page.expect_response(lambda r: "/route?" in r.url) as routed:
        page.locator(".leaflet-popup-content").get_by_role(
            "button", name=texts["route_here"]
        ).click()
    feature = routed.value.json()
    page.wait_for_selector("#results li[data-name]")
    assert page.locator("#results li[data-name]").count() == 1
    minutes = float(page.locator("#results li[data-name]").get_attribute("data-minutes"))
    assert minutes == feature["properties"]["duration_min"]

    # isochrone bands with a legend
    with page.expect_response(lambda r: "/isochrones?" in r.url):
        page.locator("#isochrones").check()
    page.wait_for_selector("#iso-legend li")
    legend = page.locator("#iso-legend").inner_text()
    assert all(f"{m} " in legend for m in (10, 20, 30))
    assert page.locator("path.lgeo-iso").count() == 3
    assert s.errors == []
    page.screenshot(path=str(artifacts / f"peta-{lang}-laptop-popup.png"))


def test_keyboard_only(open_peta: Any, live_url: str) -> None:
    s = open_peta("id", LAPTOP)
    page = s.page
    # Enter on the focused map searches from its centre (the crosshair)
    page.evaluate("LGEO.map.setView([-5.40, 105.30], 13, {animate: false})")
    assert page.locator(".crosshair").count() == 1
    page.locator(".folium-map").focus()
    with page.expect_response(lambda r: "/nearest?" in r.url) as answer:
        page.keyboard.press("Enter")
    sent = parse_qs(urlsplit(answer.value.url).query)
    assert abs(float(sent["lon"][0]) - 105.30) < 1e-3 and abs(float(sent["lat"][0]) + 5.40) < 1e-3
    page.wait_for_selector("#results li[data-name]")
    # the place search works with arrows and Enter
    page.locator("#place-q").focus()
    page.keyboard.type("kantor camat sukarame")
    page.wait_for_selector("#place-list [role=option]")
    page.keyboard.press("ArrowDown")
    active = page.locator("#place-q").get_attribute("aria-activedescendant")
    assert active == "place-opt-0"
    chosen = page.locator("#place-opt-0 .name").inner_text()
    truth = httpx.get(f"{live_url}/search", params={"q": "kantor camat sukarame"}).json()
    assert chosen == truth["features"][0]["properties"]["name"]
    with page.expect_response(lambda r: "/nearest?" in r.url):
        page.keyboard.press("Enter")
    assert page.locator("#place-list").is_hidden()
    page.wait_for_selector("#results li[data-name]")
    # a query with no match says so
    page.locator("#place-q").fill("zzqxw")
    page.wait_for_selector("#place-list li.none")
    assert "zzqxw" in page.locator("#place-list").inner_text()
    assert s.errors == []
