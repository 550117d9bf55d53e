"""The food-price part of ``/peta/logistik`` as HTML: the panel only when the API serves
prices, its script by a versioned local URL, and every text the script asks for in both
languages (read from the script's source, not from the list the page uses)."""

from __future__ import annotations

import json
import re

import pytest

from data.reference import COMMODITIES, VEHICLE_CLASSES
from web.assets import APP_DIR
from web.csp import inline_hashes
from web.i18n import TEXTS
from web.pages import build_logistics_page
from web.price_texts import PRICE_TEXTS

COMS = [(c.code, c.name_id, c.name_en) for c in COMMODITIES]
VEHS = [(v.code, v.name_id, v.name_en) for v in VEHICLE_CLASSES]
WITH_PRICES = ("/logistics/plan", "/prices", "/prices/latest")
CONFIG_RE = re.compile(r'<script type="application/json" id="lgeo-config">(.*?)</script>', re.S)


def build(lang: str, endpoints: tuple[str, ...]) -> str:
    return build_logistics_page(
        lang=lang,
        tile_url="",
        attribution="",
        commodities=COMS,
        vehicles=VEHS,
        endpoints=endpoints,
    )


def config(html: str) -> dict[str, object]:
    found = CONFIG_RE.search(html)
    assert found is not None
    parsed: dict[str, object] = json.loads(found.group(1))
    return parsed


@pytest.mark.parametrize("lang", ["id", "en"])
def test_panel_when_prices_are_served(lang: str) -> None:
    html = build(lang, WITH_PRICES)
    for node in ("price-alerts", "price-form", "price-chart", "price-caption", "price-tip"):
        assert f'id="{node}"' in html, node
    periods = re.findall(r'<option value="(\d+)"[^>]*>(\d+ \w+)</option>', html)
    assert [p[0] for p in periods] == ["30", "90", "365"]
    assert '<option value="90" selected>' in html
    assert re.search(r'<script src="/static/app/prices\.js\?v=[0-9a-f]{12}"></script>', html)
    cfg = config(html)
    assert cfg["endpoints"]["prices"] is True  # type: ignore[index]
    scripts, _ = inline_hashes(html)
    assert len(scripts) == len(inline_hashes(build(lang, ("/logistics/plan",)))[0])  # none added


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_panel_without_prices(lang: str) -> None:
    html = build(lang, ("/logistics/plan",))
    assert 'id="price-form"' not in html
    assert TEXTS[lang]["prices_missing"] in html
    assert config(html)["endpoints"]["prices"] is False  # type: ignore[index]


def test_every_text_of_the_script_exists_in_both_languages() -> None:
    source = (APP_DIR / "prices.js").read_text()
    keys = set(re.findall(r'\bt\("([a-z0-9_]+)"', source))
    assert len(keys) > 30
    assert set(PRICE_TEXTS["id"]) == set(PRICE_TEXTS["en"])
    for lang in ("id", "en"):
        missing = keys - set(TEXTS[lang])
        assert not missing, (lang, missing)
    unused = set(PRICE_TEXTS["id"]) - keys - {"prices_title", "prices_missing", "price_commodity"}
    assert unused <= {"price_place", "price_period", "price_days"}, unused  # used by pages.py
