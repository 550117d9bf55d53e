"""/peta/logistik in Debian's chromium, as a planner uses it, at 1366x768 and 390x844,
in both languages: sign in with an API key, plan, read the whole plan, save it as a
shipment, move it to ``loading``, see the timeline; the messages for 401, 403 and 409;
the allocation of a month with its summary, drawn along the routes.

The page runs against its own writable copy of the demo (one server for the module).
Every expected text is computed here from the API's JSON with this file's own
formatting (``tests/web/browser.py``), not by the page's code.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, PriceSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from layers.demo import load_demo
from layers.prices import ingest_prices
from tests.conftest import create_database
from tests.web.browser import MONTHS, VIEWPORTS, duration, number, open_page, shot, wib

pytestmark = pytest.mark.browser

TEXT = {
    "id": {
        "planned": "Direncanakan",
        "loading": "Dimuat",
        "in_transit": "Dalam perjalanan",
        "at_port": "Di pelabuhan",
        "arrived": "Tiba",
        "cancelled": "Dibatalkan",
        "on_ferry": "Di kapal feri",
        "move": "Ubah ke: {}",
        "wait": "Menunggu kapal",
        "401": "Kunci API tidak dikenal atau sudah dicabut",
        "403": "Kunci ini tidak berhak mengubah pengiriman",
        "409": "Langkah ini tidak diizinkan dari status sekarang",
        "no_demand": "tidak punya catatan permintaan untuk",
        "unmet_none": "Semua permintaan terpenuhi.",
    },
    "en": {
        "planned": "Planned",
        "loading": "Loading",
        "in_transit": "In transit",
        "at_port": "At the port",
        "arrived": "Arrived",
        "cancelled": "Cancelled",
        "on_ferry": "On the ferry",
        "move": "Move to: {}",
        "wait": "Waiting for the ferry",
        "401": "This API key is unknown or revoked",
        "403": "This key may not change shipments",
        "409": "This step is not allowed from the current status",
        "no_demand": "has no recorded demand for",
        "unmet_none": "All demand is met.",
    },
}
ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WIB_RE = {
    "id": re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}\.\d{2} WIB\b"),
    "en": re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} WIB\b"),
}


@dataclass
class Site:
    url: str
    keys: dict[str, str]
    db: str


@pytest.fixture(scope="module")
def site(pg_cluster: PostgresCluster, demo_graph_dir: Path) -> Iterator[Site]:
    """The demo in a database of its own (shipments are written), served by uvicorn."""
    db = create_database(pg_cluster, "web_logistics")
    engine = make_engine(db)
    upgrade(engine)
    with engine.connect() as conn:
        # without the DEMO prices: the price tests load series of their own on the same
        # places and check the chart, alerts and margin against them by hand
        load_demo(conn, prices=False)
    with engine.begin() as conn:
        keys = {r: create_key(conn, role=r, name=f"web {r}")[0] for r in ("viewer", "planner")}
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(database_url=db),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-web-logistics", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the logistics test server did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", keys, db)
    server.should_exit = True
    thread.join(timeout=15)


def visible_text(page: Any, selector: str) -> str:
    loc = page.locator(selector)
    assert loc.is_visible(), selector
    return str(loc.inner_text())


def sign_in(page: Any, key: str) -> None:
    page.locator("#api-key").fill(key)
    with page.expect_response(lambda r: "/logistics/key" in r.url):
        page.locator("#signin").click()
    # the answer is read and shown a moment after it arrives
    page.wait_for_function(
        "() => !document.getElementById('signed-in').hidden"
        " || !document.getElementById('ship-msg').hidden"
    )


def sign_out(page: Any) -> None:
    page.locator("#signout").click()
    page.wait_for_selector("#signed-out", state="visible")


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_planner_flow(browser: Any, site: Site, artifacts: Path, viewport: str, lang: str) -> None:
    tx = TEXT[lang]
    v = open_page(browser, f"{site.url}/peta/logistik?lang={lang}", VIEWPORTS[viewport], lang)
    page = v.page
    try:
        if viewport == "phone":
            # the whole plan form sits in the top panel's first screens, not 900 px down
            reach = page.evaluate(
                "(() => { const p = document.getElementById('panel').getBoundingClientRect();"
                " const b = document.getElementById('plan').getBoundingClientRect();"
                " return [b.bottom - p.top, p.height]; })()"
            )
            assert reach[0] < reach[1] + 200, reach
        page.wait_for_function("() => document.querySelectorAll('#farm option').length > 0")
        page.wait_for_function("() => document.querySelectorAll('#market option').length > 1")

        # -- sign in: the key goes to sessionStorage and the header, never a URL --------
        sign_in(page, site.keys["planner"])
        who = visible_text(page, "#who")
        assert "planner" in who
        assert page.evaluate("sessionStorage.getItem('lgeo.apiKey')") == site.keys["planner"]

        # -- a plan to the market without padi demand: its note shows --------------------
        markets = httpx.get(f"{site.url}/collections/markets/items").json()["features"]
        no_padi = next(m for m in markets if "padi" not in m["properties"]["demand_t_per_month"])
        farms = httpx.get(
            f"{site.url}/collections/farms/items", params={"commodity": "padi", "limit": 1}
        ).json()["features"]
        page.locator("#farm").select_option(str(farms[0]["id"]))
        page.locator("#market").select_option(str(no_padi["id"]))
        page.locator("#tonnes").fill("30")
        page.locator("#vehicle").select_option("heavy_truck")
        page.locator("#departure").fill("2026-11-30T06:00")
        with page.expect_response(lambda r: r.url.endswith("/logistics/plan")) as answer:
            page.locator("#plan").click()
        plan = answer.value.json()["properties"]
        assert answer.value.request.post_data_json["departure"] == "2026-11-30T06:00:00+07:00"
        page.wait_for_selector("#plan-eta")
        result = visible_text(page, "#plan-result")
        assert ISO_RE.search(result) is None  # never raw ISO/UTC
        assert visible_text(page, "#plan-eta").endswith(
            wib(plan["eta"], lang)
            + " ("
            + ("Berangkat " if lang == "id" else "Departs ")
            + wib(plan["departure"], lang)
            + ")"
        )
        assert visible_text(page, "#plan-duration") == duration(plan["duration_s"], lang)
        for leg in plan["legs"]:  # each leg's clock times and duration
            assert wib(leg["end"], lang) in result
            assert duration(leg["duration_s"], lang) in result
            if leg["mode"] == "ferry":
                assert tx["wait"] in result and duration(leg["wait_s"], lang) in result
                assert wib(leg["sailing"], lang) in result and wib(leg["start"], lang) in result
            else:
                assert wib(leg["start"], lang) in result
        cost = plan["cost"]
        assert number(cost["total_idr"], lang) in result
        assert number(cost["fuel_l"], lang) in visible_text(page, "#plan-fuel")
        assert number(plan["co2_kg"], lang) in visible_text(page, "#plan-co2")
        notes = visible_text(page, "#plan-notes")
        assert tx["no_demand"] in notes and no_padi["properties"]["name"] in notes
        # cost figures that are assumptions carry a mark linking to their source
        assumed = [f for f in plan["figures"] if f["assumption"]]
        assert assumed
        marks = page.locator("#plan-result a.assumption")
        assert marks.count() >= 1
        target = marks.first.get_attribute("href")
        marks.first.click()
        figure = page.locator(target)
        assert figure.is_visible()
        assert any(f["source"] in figure.inner_text() for f in assumed)

        # -- save it; move it to loading; the timeline shows the event --------------------
        with page.expect_response(
            lambda r: r.url.endswith("/shipments") and r.request.method == "POST"
        ) as made:
            page.locator("#save-shipment").click()
        assert made.value.status == 201
        shipment = made.value.json()
        code = shipment["properties"]["code"]
        page.wait_for_selector("#detail-status")
        assert code in visible_text(page, "#save-msg")
        assert visible_text(page, "#detail-status") == tx["planned"]
        steps = page.locator("#shipment-detail button.step")
        assert steps.all_inner_texts() == [
            tx["move"].format(tx["loading"]),
            tx["move"].format(tx["cancelled"]),
        ]
        with page.expect_response(lambda r: r.request.method == "PATCH") as moved:
            page.locator("#shipment-detail button.step[data-status='loading']").click()
        assert moved.value.status == 200
        assert moved.value.request.headers["idempotency-key"]
        page.wait_for_function(
            "() => document.querySelectorAll('#timeline li').length === 2"
            " && document.getElementById('detail-status').textContent.length > 0"
        )
        assert visible_text(page, "#detail-status") == tx["loading"]
        events = httpx.get(f"{site.url}/shipments/{shipment['id']}/events").json()["events"]
        timeline = page.locator("#timeline li").all_inner_texts()
        assert timeline[1].startswith(wib(events[1]["at"], lang))
        assert tx["loading"] in timeline[1] and tx["planned"] in timeline[1]
        # an illegal step is not offered: from loading only in_transit or cancelled
        offered = page.eval_on_selector_all(
            "#shipment-detail button.step", "els => els.map(e => e.dataset.status)"
        )
        assert offered == ["in_transit", "cancelled"]
        assert ISO_RE.search(visible_text(page, "#shipment-detail")) is None
        assert WIB_RE[lang].search(timeline[0])

        # -- 409: someone else moved it meanwhile; the stale step is refused -------------
        other = httpx.patch(
            f"{site.url}/shipments/{shipment['id']}",
            json={"status": "cancelled"},
            headers={"X-API-Key": site.keys["planner"], "Idempotency-Key": f"other-{lang}"},
        )
        assert other.status_code == 200
        with page.expect_response(lambda r: r.request.method == "PATCH") as refused:
            page.locator("#shipment-detail button.step[data-status='in_transit']").click()
        assert refused.value.status == 409
        page.wait_for_selector("#step-msg.error", state="visible")
        assert tx["409"] in visible_text(page, "#step-msg")
        assert visible_text(page, "#detail-status") == tx["cancelled"]
        assert page.locator("#shipment-detail button.step").count() == 0  # final

        # -- 403: a viewer's key may look but not save ------------------------------------
        sign_out(page)
        sign_in(page, site.keys["viewer"])
        assert "viewer" in visible_text(page, "#who")
        with page.expect_response(
            lambda r: r.url.endswith("/shipments") and r.request.method == "POST"
        ) as denied:
            page.locator("#save-shipment").click()
        assert denied.value.status == 403
        page.wait_for_selector("#save-msg.error", state="visible")
        assert tx["403"] in visible_text(page, "#save-msg")

        # -- 401: an unknown key ----------------------------------------------------------
        sign_out(page)
        sign_in(page, "lgk_000000000000_not-a-key")
        assert tx["401"] in visible_text(page, "#ship-msg")
        assert page.evaluate("sessionStorage.getItem('lgeo.apiKey')") is None
        for key in site.keys.values():
            assert all(key not in url for url in v.requests)  # never in a URL

        # -- allocation for a month, with its summary, along the routes ------------------
        page.locator("#sec-alloc summary").click()
        with page.expect_response(lambda r: r.url.endswith("/logistics/allocate")) as alloc:
            page.locator("#month").select_option("3")
        body = alloc.value.json()
        assert alloc.value.request.post_data_json["month"] == 3
        s = body["summary"]
        page.wait_for_selector("#alloc-cost")
        assert visible_text(page, "#alloc-cost") == "Rp " + number(s["total_cost_idr"], lang)
        unmet = [u for u in s["unmet"] if u["tonnes"] > 0]
        shown = visible_text(page, "#alloc-unmet")
        if unmet:
            for u in unmet:
                assert u["market"] in shown and number(u["tonnes"], lang) in shown
        else:
            assert shown == tx["unmet_none"]
        ferry = visible_text(page, "#alloc-ferry")
        used = s["ferry"][0]
        assert number(used["used_t"], lang) in ferry and number(used["capacity_t"], lang) in ferry
        n = len(body["features"])
        page.wait_for_function(
            f"() => document.querySelectorAll('path.lgeo-flow-ferry').length === {n}"
        )
        assert v.page.locator("path.lgeo-flow-road").count() == 2 * n  # road, ferry, road
        widths = page.eval_on_selector_all(
            "#flow-scale line", "els => els.map(e => Number(e.getAttribute('stroke-width')))"
        )
        assert len(widths) >= 2 and widths == sorted(widths, reverse=True)
        v.clean(provoked=(401, 403, 409))
        shot(page, artifacts, f"logistik-{lang}-{viewport}")
    finally:
        v.context.close()


# -- food prices: alerts, the chart, the plan's margin ------------------------------------
PRICE_END = date(2026, 11, 20)  # a Friday: the newest figure of every test series
BERAS_GAPS = {date(2026, 10, 1), date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)}
RISES = {"bawang_putih": (40_000, 50_000), "bawang_merah": (30_000, 32_400)}  # +25 %, +8 %
CIPINANG_BERAS = 15_800
TEXT_GAP = {"id": "tidak ada angka", "en": "no figure"}


def _weekdays(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5]  # the panels publish on working days


def _dotted(value: int) -> str:
    """``40.000``: the panels' Indonesian thousands separator."""
    return f"{value:,}".replace(",", ".")


@pytest.fixture(scope="module")
def prices(site: Site, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Lampung (region 18) and Cipinang prices loaded through the real ingest, with
    ``-`` gaps in the Lampung rice series, a +25 % week for garlic and +8 % for shallots."""
    folder = tmp_path_factory.mktemp("prices")
    lampung = ["komoditas,tanggal,harga"]
    for i, day in enumerate(_weekdays(date(2026, 7, 1), PRICE_END)):
        d = day.strftime("%d/%m/%Y")
        beras = "-" if day in BERAS_GAPS else f'"{13_000 + 50 * ((i * 7) % 11):,}"'
        lampung.append(f"Beras,{d},{beras}")
        for code, (before, after) in RISES.items():
            name = code.replace("_", " ").title()
            value = after if day > date(2026, 11, 13) else before
            lampung.append(f"{name},{d},{_dotted(value)}")
    (folder / "lampung.csv").write_text("\n".join(lampung) + "\n")
    cipinang = ["komoditas,tanggal,harga"]
    for day in _weekdays(date(2026, 10, 1), PRICE_END):
        cipinang.append(f"Beras,{day.strftime('%d/%m/%Y')},{_dotted(CIPINANG_BERAS)}")
    (folder / "cipinang.csv").write_text("\n".join(cipinang) + "\n")
    engine = make_engine(site.db)
    try:
        with engine.connect() as conn:
            ingest_prices(conn, folder / "lampung.csv", region="18")
        with engine.connect() as conn:
            ingest_prices(conn, folder / "cipinang.csv", market="cipinang")
    finally:
        engine.dispose()


def _sql(site: Site, sql: str, **params: Any) -> list[Any]:
    """A direct query on the site's database (the test's own oracle)."""
    engine = make_engine(site.db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def _day(d: date, lang: str) -> str:
    return f"{d.day} {MONTHS[lang][d.month - 1]} {d.year}"


def _amount(shown: str) -> float:
    """A whole-rupiah figure as the page writes it (``-1.234`` / ``-1,234``)."""
    return float(shown.replace("−", "-").replace(".", "").replace(",", "").strip())


@pytest.mark.parametrize(("lang", "viewport"), [("id", "desktop"), ("en", "phone")])
def test_prices_chart_alerts_and_margin(
    browser: Any, site: Site, prices: None, artifacts: Path, lang: str, viewport: str
) -> None:
    pct = PriceSettings().alert_pct
    series = _sql(
        site,
        "SELECT p.date, p.price_idr FROM prices p JOIN price_places pl ON pl.id = p.place_id "
        "WHERE pl.region_code = '18' AND p.commodity = 'beras' ORDER BY p.date",
    )
    region_name = _sql(site, "SELECT name FROM price_places WHERE region_code = '18'")[0][0]
    last = next(r for r in reversed(series) if r.price_idr is not None)
    window = [r for r in series if r.date >= last.date - timedelta(days=89)]
    figures = [r.price_idr for r in window if r.price_idr is not None]
    runs = sum(
        1
        for k, r in enumerate(window)
        if r.price_idr is not None and (k == 0 or window[k - 1].price_idr is None)
    )
    null_runs = sum(
        1
        for k, r in enumerate(window)
        if r.price_idr is None and (k == 0 or window[k - 1].price_idr is not None)
    )
    assert runs >= 2 and null_runs >= 1  # the data the test made has a gap in the window

    v = open_page(browser, f"{site.url}/peta/logistik?lang={lang}", VIEWPORTS[viewport], lang)
    page = v.page
    try:
        # -- alerts: the +25 % week is listed, the +8 % one is not -----------------------
        page.wait_for_function(
            "() => document.querySelector('#price-alert-list li, #price-alert-none') !== null"
        )
        expected = sorted(c for c, (a, b) in RISES.items() if 100 * (b / a - 1) > pct)
        assert expected == ["bawang_putih"]  # with the default threshold (10 %)
        listed = page.eval_on_selector_all(
            "#price-alert-list li", "els => els.map(e => e.dataset.commodity)"
        )
        assert sorted(listed) == expected
        row = visible_text(page, "#price-alert-list li[data-commodity='bawang_putih']")
        assert region_name in row and ("naik 25 %" if lang == "id" else "up 25 %") in row
        assert "Rp " + number(50_000, lang) in row and "Rp " + number(40_000, lang) in row
        assert _day(PRICE_END, lang) in row and _day(date(2026, 11, 13), lang) in row
        assert f"{number(pct, lang, 0)} %" in visible_text(page, "#price-alerts-title")
        marked = page.eval_on_selector_all(
            "#price-commodity option[data-alert]", "els => els.map(e => e.value)"
        )
        assert marked == expected  # highlighted in the chart's picker too

        # -- the chart of Lampung's rice over 90 days ----------------------------------
        page.locator("#price-commodity").select_option("beras")
        page.locator("#price-place").select_option("r:18")
        page.locator("#price-period").select_option("90")
        page.wait_for_function(
            "k => document.getElementById('price-chart').dataset.key === k"
            " && document.getElementById('price-last') !== null",
            arg="beras|r:18|90",
        )
        assert visible_text(page, "#price-last") == "Rp " + number(last.price_idr, lang)
        summary = visible_text(page, "#price-summary")
        assert "Rp " + number(min(figures), lang) in summary
        assert "Rp " + number(max(figures), lang) in summary
        assert _day(last.date, lang) in summary
        d = page.get_attribute("#price-svg path.px-line", "d") or ""
        assert d.count("M") == runs  # each "-" run breaks the line: a new segment
        assert d.count("L") == len(figures) - runs  # and no point is drawn at zero
        assert page.locator("#price-svg rect.px-gap").count() == null_runs
        nulls = sum(1 for r in window if r.price_idr is None)
        assert page.get_attribute("#price-caption", "data-gaps") == str(nulls)
        box = page.evaluate(
            "(() => [document.getElementById('price-svg').getBoundingClientRect().width,"
            " document.getElementById('panel').clientWidth])()"
        )
        assert 200 < box[0] <= box[1], box  # fits the panel at this viewport
        # the read-out: pointing at the right end gives the newest day; the keys go back
        # from there to the newest "-" day
        newest = f"{_day(last.date, lang)}: Rp {number(last.price_idr, lang)}"
        hit = page.locator("#price-svg rect.px-hit")
        size = hit.bounding_box()
        assert size is not None
        hit.hover(position={"x": size["width"] - 1, "y": size["height"] / 2})
        assert visible_text(page, "#price-tip") == newest
        page.locator("#price-svg").focus()
        page.keyboard.press("Home")
        assert visible_text(page, "#price-tip").startswith(_day(window[0].date, lang))
        page.keyboard.press("End")
        assert visible_text(page, "#price-tip") == newest
        back = len(window) - 1 - max(k for k, r in enumerate(window) if r.price_idr is None)
        for _ in range(back):
            page.keyboard.press("ArrowLeft")
        gap_day = max(r.date for r in window if r.price_idr is None)
        assert visible_text(page, "#price-tip") == f"{_day(gap_day, lang)}: {TEXT_GAP[lang]}"

        # -- the plan's margin: Cipinang − Lampung − transport, by hand -------------------
        markets = httpx.get(f"{site.url}/collections/markets/items").json()["features"]
        cip = next(m for m in markets if "padi" in m["properties"]["demand_t_per_month"])
        farm = httpx.get(
            f"{site.url}/collections/farms/items", params={"commodity": "padi", "limit": 1}
        ).json()["features"][0]
        page.locator("#farm").select_option(str(farm["id"]))
        page.locator("#market").select_option(str(cip["id"]))
        page.locator("#plan-commodity").select_option("padi")
        page.locator("#tonnes").fill("8")
        page.locator("#vehicle").select_option("medium_truck")
        page.locator("#departure").fill("2026-11-25T06:00")
        with page.expect_response(lambda r: r.url.endswith("/logistics/plan")) as answer:
            page.locator("#plan").click()
        assert answer.value.request.post_data_json["price_basis"] == {}
        plan = answer.value.json()["properties"]
        page.wait_for_selector("#plan-margin-kg")
        kg = 8 * 1000
        per_kg = (CIPINANG_BERAS - last.price_idr) - plan["cost"]["total_idr"] / kg
        assert abs(_amount(visible_text(page, "#plan-margin-kg")) - per_kg) <= 0.5 + 1e-9
        per_trip = per_kg * kg / plan["vehicles"]
        assert abs(_amount(visible_text(page, "#plan-margin-trip")) - per_trip) <= 1
        assert f"{number(kg / plan['vehicles'], lang)} kg" in visible_text(
            page, "#plan-margin-trip-row"
        )
        assert abs(_amount(visible_text(page, "#plan-margin-total")) - per_kg * kg) <= 1
        transport = _amount(visible_text(page, "#plan-margin-transport"))
        assert abs(transport - plan["cost"]["total_idr"] / kg) <= 0.5 + 1e-9
        gap = visible_text(page, "#plan-margin-gap")
        assert _amount(gap) == CIPINANG_BERAS - last.price_idr
        age = (date(2026, 11, 25) - PRICE_END).days
        dest = visible_text(page, "#margin-dest")
        assert cip["properties"]["name"] in dest and number(CIPINANG_BERAS, lang) in dest
        assert _day(PRICE_END, lang) in dest and f"{age} " in dest
        origin = visible_text(page, "#margin-origin")
        assert region_name in origin and number(last.price_idr, lang) in origin
        v.clean()  # no console error, no CSP violation, nothing from another host
        page.locator("#plan-margin-block").screenshot(path=str(artifacts / f"margin-{lang}.png"))
        page.locator("#sec-prices").screenshot(path=str(artifacts / f"harga-{lang}.png"))
        shot(page, artifacts, f"logistik-harga-{lang}-{viewport}")
    finally:
        v.context.close()
