"""The map pages as HTML: local assets only, both languages, small."""

from __future__ import annotations

import re

import folium
import pytest

from data.reference import CATEGORIES, COMMODITIES, VEHICLE_CLASSES
from web.assets import file_version, static_file
from web.classify import COVERAGE, POPULATION, FixedClasses
from web.csp import inline_hashes, page_policy, tile_origin
from web.i18n import TEXTS
from web.pages import build_citizen_page, build_logistics_page, build_planning_page

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
CATS = [(c.code, c.name_id, c.name_en) for c in CATEGORIES]
COMS = [(c.code, c.name_id, c.name_en) for c in COMMODITIES]
VEHS = [(v.code, v.name_id, v.name_en) for v in VEHICLE_CLASSES]
URL_RE = re.compile(r"(?:https?:)?//[^\s\\\"'<>)]+")


def build(page: str, lang: str, endpoints: tuple[str, ...] = ()) -> str:
    common = {"lang": lang, "tile_url": TILE_URL, "attribution": ATTRIBUTION}
    if page == "citizen":
        return build_citizen_page(**common, categories=CATS, endpoints=endpoints)
    if page == "logistics":
        return build_logistics_page(**common, commodities=COMS, vehicles=VEHS, endpoints=endpoints)
    return build_planning_page(**common, categories=CATS, endpoints=endpoints)


PAGES = ("citizen", "logistics", "planning")


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_is_small_and_offline(page: str, lang: str) -> None:
    html = build(page, lang)
    assert len(html.encode()) < 100_000  # far below the 1 MB budget: no layer is inlined
    assert f'<html lang="{lang}">' in html
    # The only absolute URLs are the configured tile template and attribution links.
    urls = set(URL_RE.findall(html))
    allowed = {TILE_URL, "https://www.openstreetmap.org/copyright"}
    assert urls <= allowed, urls - allowed
    assert "cdn" not in html.lower()
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert src.startswith("/static/"), src
        package, path = src.removeprefix("/static/").split("?", 1)[0].split("/", 1)
        found = static_file(package, path)
        assert found is not None, src
        assert src.endswith(f"?v={file_version(found)}"), src  # cache-busting version
    assert "user-scalable=no" not in html  # people can zoom the page
    assert '"type": "Feature"' not in html and '"features"' not in html


def test_folium_defaults_untouched() -> None:
    before = list(folium.Map.default_js), list(folium.Map.default_css)
    build("citizen", "id")
    assert (list(folium.Map.default_js), list(folium.Map.default_css)) == before


@pytest.mark.parametrize("page", PAGES)
def test_both_languages(page: str) -> None:
    html_id, html_en = build(page, "id"), build(page, "en")
    assert "DATA DEMO — bukan data survei" in html_id
    assert "DEMO DATA — not survey data" in html_en
    assert 'href="?lang=en"' in html_id and 'href="?lang=id"' in html_en
    assert build(page, "fr").startswith(html_id[:40])  # unknown languages fall back to id


def test_texts_complete() -> None:
    assert set(TEXTS["id"]) == set(TEXTS["en"])
    assert all(v.strip() for lang in TEXTS.values() for v in lang.values())


def test_controls_have_labels() -> None:
    for page in PAGES:
        html = build(page, "en")
        ids = re.findall(r'<(?:select|input)[^>]* id="([^"]+)"', html)
        assert ids
        for control in ids:
            assert f'<label for="{control}">' in html, (page, control)


def test_optional_endpoints_wired() -> None:
    assert 'id="isochrones" disabled' in build("citizen", "id")
    assert 'id="isochrones" disabled' not in build("citizen", "id", ("/isochrones",))
    assert '"plan": true' in build("logistics", "id", ("/logistics/plan",))
    assert '"stats": true' in build("planning", "id", ("/coverage/stats",))


def test_static_files_stay_inside() -> None:
    assert static_file("leaflet", "leaflet.js") is not None
    assert static_file("app", "common.js") is not None
    assert static_file("app", "../pages.py") is None
    assert static_file("leaflet", "../__init__.py") is None
    assert static_file("nope", "x.js") is None


def test_fixed_coverage_classes() -> None:
    """< 50, 50-70, 70-85, 85-95, >= 95 %: a value on a break is in the class above it."""
    cases = {
        0.0: 0,
        49.99: 0,
        50.0: 1,
        69.9: 1,
        70.0: 2,
        84.99: 2,
        85.0: 3,
        94.999: 3,
        95.0: 4,
        100.0: 4,
        None: None,
        float("nan"): None,
    }
    for value, cls in cases.items():
        assert COVERAGE.index(value) == cls, value
    assert COVERAGE.labels() == ["< 50", "50–70", "70–85", "85–95", "≥ 95"]
    # darkest (lowest luminance) for the worst areas, lightest for the best
    lum = [sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in COVERAGE.colors]
    assert lum == sorted(lum)
    assert COVERAGE.color(None) == COVERAGE.no_data
    assert POPULATION.index(99_999) == 0 and POPULATION.index(1_000_000) == 4
    with pytest.raises(ValueError, match="colours"):
        FixedClasses("x", (1.0,), ("#000000",), "")


def test_planning_page_carries_the_fixed_classes() -> None:
    html = build("planning", "en", ("/coverage/stats",))
    assert '"breaks": [50.0, 70.0, 85.0, 95.0]' in html
    assert "/peta/classify" not in html


@pytest.mark.parametrize("page", PAGES)
def test_page_policy_allows_only_its_own_inline_blocks(page: str) -> None:
    html = build(page, "id")
    scripts, styles = inline_hashes(html)
    assert len(scripts) >= 1 and len(styles) >= 1  # folium's map set-up and size
    policy = page_policy(html, tile_url=TILE_URL)
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"].split() == ["'self'", *scripts]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["img-src"].split() == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert directives["frame-ancestors"] == "'none'"
    assert "onsubmit=" not in html and "onclick=" not in html and " style=" not in html


def test_tile_origin() -> None:
    assert tile_origin("https://{s}.tile.osm.org/{z}/{x}/{y}.png") == "https://*.tile.osm.org"
    assert tile_origin("http://127.0.0.1:8080/t/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    assert tile_origin("/tiles/{z}/{x}/{y}.png") is None
    assert tile_origin("") is None


@pytest.mark.parametrize("lang", ["id", "en"])
def test_planning_reports_section_only_with_the_stats_endpoint(lang: str) -> None:
    common = {"lang": lang, "tile_url": TILE_URL, "attribution": ATTRIBUTION}
    cats = [("sampah", "Sampah", "Waste"), ("banjir", "Banjir", "Flood")]
    without = build_planning_page(**common, categories=CATS, report_categories=cats)
    assert 'id="sec-reports"' not in without and "planning_reports.js" not in without
    html = build_planning_page(
        **common, categories=CATS, report_categories=cats, endpoints=("/reports/stats",)
    )
    assert 'id="sec-reports"' in html
    src = re.search(r'<script src="(/static/app/planning_reports\.js\?v=[0-9a-f]{12})"', html)
    assert src is not None
    assert TEXTS[lang]["rmap_title"] in html
    waste = "Sampah" if lang == "id" else "Waste"
    assert f'<option value="sampah">{waste}</option>' in html
    assert f'<option value="" selected>{TEXTS[lang]["rmap_all"]}</option>' in html
    for name in ("r-level", "r-category", "r-from", "r-to"):
        assert f'id="{name}"' in html
    assert '"reportRate": {"kind": "report_rate", "breaks": [0.5, 2.0, 5.0, 20.0]' in html
    assert '"reports": true' in html
    assert set(TEXTS["id"]) == set(TEXTS["en"])  # every text in both languages
