"""``/peta/logistik`` on the demo as ``./dev demo`` serves it: the DEMO prices fill the
alert list and the chart, and both say DEMO (chromium, the read-only demo database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from layers.db.engine import make_engine
from tests.web.browser import VIEWPORTS, open_page, shot

END = "2026-11-27"


def test_demo_prices_on_the_logistics_page(
    browser: Any, live_url: str, demo_url: str, artifacts: Path
) -> None:
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            flagged = conn.execute(
                text(
                    "SELECT p.commodity, pl.name FROM prices p "
                    "JOIN price_places pl ON pl.id = p.place_id "
                    "JOIN prices w ON w.place_id = p.place_id AND w.commodity = p.commodity "
                    "AND w.date = p.date - 7 "
                    "WHERE p.date = :end AND p.price_idr > 1.10 * w.price_idr"
                ),
                {"end": END},
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in flagged] == [("jagung", "Pasar Induk Kramat Jati")]

    v = open_page(browser, f"{live_url}/peta/logistik?lang=id", VIEWPORTS["desktop"], "id")
    page = v.page
    try:
        page.wait_for_selector("#price-alert-list li", timeout=30_000)
        rows = page.locator("#price-alert-list li")
        assert rows.count() == 1
        assert page.get_attribute("#price-alert-list li", "data-commodity") == "jagung"
        row = rows.inner_text()
        assert "Pasar Induk Kramat Jati" in row
        assert rows.locator(".badge").inner_text() == "DEMO"
        # the alerted commodity's chart is drawn first, its newest day the series' end
        page.wait_for_selector("#price-last", timeout=30_000)
        assert page.input_value("#price-commodity") == "jagung"
        assert page.get_attribute("#price-last", "data-date") == END
        assert page.locator(".px-last-line .badge").inner_text() == "DEMO"
        assert page.locator("#price-svg").count() == 1
        shot(page, artifacts, "logistics-demo-prices")
        panel = page.locator("details:has(#price-alert-list)")
        panel.screenshot(path=str(artifacts / "logistics-demo-prices-panel.png"))
        v.clean()
    finally:
        v.context.close()
