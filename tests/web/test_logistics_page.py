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
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from geo_api.app import create_app
from geo_api.settings import DatabaseSettings, RoutingSettings, Settings
from layers.apikeys import create_key
from layers.db.cluster import PostgresCluster, free_port
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from layers.demo import load_demo
from tests.conftest import create_database
from tests.web.browser import VIEWPORTS, duration, number, open_page, shot, wib

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


@pytest.fixture(scope="module")
def site(pg_cluster: PostgresCluster, demo_graph_dir: Path) -> Iterator[Site]:
    """The demo in a database of its own (shipments are written), served by uvicorn."""
    db = create_database(pg_cluster, "web_logistics")
    engine = make_engine(db)
    upgrade(engine)
    with engine.connect() as conn:
        load_demo(conn)
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
    yield Site(f"http://127.0.0.1:{port}", keys)
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
