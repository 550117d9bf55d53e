"""The three map pages, built with Folium from plain inputs.

Nothing here reads the database: the caller gives the settings values, the category,
commodity and vehicle lists and which optional API endpoints exist. Folium draws the
base map (tile layer and attribution); the data layers are loaded by our scripts in
``web/static`` from the API for the current view, so no large layer is ever inlined.
Every script and stylesheet is local (see :mod:`web.assets`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from html import escape
from typing import Any

import folium
from branca.element import Element, Figure

from web.assets import favicon_links, page_css, page_js, versioned
from web.classify import COVERAGE, POPULATION, REPORT_COUNT, REPORT_RATE
from web.i18n import DATA_ATTRIBUTION, check_lang, texts

# (code, name in Bahasa Indonesia, name in English)
Option = tuple[str, str, str]

VIEW_CAP = 2000  # features fetched per view; a note asks to zoom in beyond this
ROAD_CAP = 3000
PAGES = {
    "citizen": "/peta",
    "logistics": "/peta/logistik",
    "planning": "/peta/perencanaan",
}
PROFILES = ("motorcycle", "car", "walk", "truck")
THRESHOLDS = (10, 15, 20, 30, 45, 60)
LAMPUNG_BOUNDS = ((-6.0, 103.55), (-3.7, 106.0))
"""(south, west), (north, east) of the province: the citizen page's start view."""
ISO_MINUTES = (10, 20, 30)
PRICE_PERIODS = (30, 90, 365)
"""Days of a price chart (ending at the newest figure of the series)."""
PRICE_PERIOD_DEFAULT = 90
_VIEWPORT_FOLIUM = "initial-scale=1.0, maximum-scale=1.0, user-scalable=no"


def _label(option: Option, lang: str) -> str:
    return option[1] if lang == "id" else option[2]


def _select(name: str, label: str, options: Sequence[tuple[str, str]], selected: str = "") -> str:
    opts = "".join(
        f'<option value="{escape(v)}"{" selected" if v == selected else ""}>{escape(t)}</option>'
        for v, t in options
    )
    return (
        f'<div class="field"><label for="{name}">{escape(label)}</label>'
        f'<select id="{name}" name="{name}">{opts}</select></div>'
    )


def _header(page: str, lang: str, t: dict[str, str], title: str, intro: str) -> str:
    other = "en" if lang == "id" else "id"
    nav = "".join(
        f'<a href="{url}?lang={lang}"{" aria-current=page" if key == page else ""}>'
        f"{escape(t['nav_' + key])}</a>"
        for key, url in PAGES.items()
    )
    return (
        f'<header class="panel-head"><h1>{escape(title)}</h1>'
        f'<nav class="nav" aria-label="{escape(t["map"])}">{nav}'
        f'<a class="lang" href="?lang={other}" hreflang="{other}" lang="{other}">'
        f"{escape(t['other_lang'])}</a></nav>"
        f'<p class="intro">{escape(intro)}</p></header>'
    )


def _shell(
    page: str,
    lang: str,
    t: dict[str, str],
    title: str,
    intro: str,
    body: str,
    *,
    after: str = "",
    sheet: bool = False,
) -> str:
    """The panel: header, the page's ``body``, status and notes, then ``after``.

    ``sheet``: on phones the panel is a bottom sheet (a handle with a one-line summary
    that expands to the whole panel); on wider screens it stays a side panel.
    """
    handle = (
        (
            '<button type="button" id="sheet-toggle" class="sheet-handle" '
            'aria-expanded="false" aria-controls="panel">'
            '<span class="grip" aria-hidden="true"></span>'
            f'<span id="sheet-summary" class="sheet-summary">{escape(t["sheet_hint"])}</span>'
            "</button>"
        )
        if sheet
        else ""
    )
    panel_class = "panel sheet" if sheet else "panel"
    sheet_attr = ' data-sheet="collapsed"' if sheet else ""
    return (
        f'<a class="skip" href="#panel">{escape(t["skip"])}</a>'
        f'<div id="demo-banner" class="demo-banner" role="status" hidden>'
        f"{escape(t['demo_banner'])}</div>"
        f'<aside id="panel" class="{panel_class}" tabindex="-1" '
        f'aria-label="{escape(t["panel"])}"{sheet_attr}>'
        f"{handle}{_header(page, lang, t, title, intro)}{body}"
        '<p id="status" class="status" role="status" aria-live="polite"></p>'
        '<p id="cap-note" class="note" hidden></p>'
        '<p id="tile-note" class="note" hidden></p>'
        f"{after}</aside>"
    )


def _render(
    *,
    page: str,
    lang: str,
    title: str,
    panel: str,
    config: dict[str, Any],
    tile_url: str,
    attribution: str,
    location: tuple[float, float],
    zoom: int,
    static_base: str,
) -> str:
    m = folium.Map(
        location=list(location),
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        min_zoom=5,
        max_zoom=19,
    )
    # Local assets for this map only; folium's class lists (CDNs) stay untouched.
    m.default_js = page_js(page, static_base=static_base)
    m.default_css = page_css(static_base=static_base)
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=attribution, name="basemap", max_zoom=19, max_native_zoom=19
        ).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(f"<title>{escape(title)} — lampung-geo</title>"), name="title")
    root.header.add_child(Element(favicon_links(static_base=static_base)), name="favicon")
    root.html.add_child(Element(panel), name="lgeo_panel")
    cfg = config | {
        "page": page,
        "map": m.get_name(),
        "lang": lang,
        "texts": texts(lang),
        "dataAttribution": DATA_ATTRIBUTION[lang],
        "tileAttribution": attribution,
        "hasTiles": bool(tile_url),
    }
    blob = json.dumps(cfg, ensure_ascii=False).replace("</", "<\\/")
    root.html.add_child(
        Element(f'<script type="application/json" id="lgeo-config">{blob}</script>'),
        name="lgeo_config",
    )
    html: str = root.render()
    html = html.replace("<html>", f'<html lang="{lang}">', 1)
    return html.replace(_VIEWPORT_FOLIUM, "initial-scale=1.0")


def build_citizen_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    categories: Sequence[Option],
    api_base: str = "",
    static_base: str = "/static",
    endpoints: Collection[str] = (),
    profiles: Sequence[str] = PROFILES,
) -> str:
    """``/peta``: the k nearest service points by travel time from a clicked point.

    Parameters
    ----------
    lang
        ``"id"`` or ``"en"`` (anything else falls back to ``"id"``).
    tile_url, attribution
        The base map's tile URL template and attribution (HTML).
    categories
        Service categories as (code, name_id, name_en); the first is selected.
    api_base
        Prefix of the API's URLs (empty: same origin).
    static_base
        Where ``/static`` is served.
    endpoints
        Paths of optional API endpoints that exist (``/isochrones``).
    profiles
        Travel profiles to offer; motorcycle is selected.
    """
    lang = check_lang(lang)
    t = texts(lang)
    cats = [(c[0], _label(c, lang)) for c in categories]
    default_cat = "puskesmas" if any(c[0] == "puskesmas" for c in cats) else cats[0][0]
    iso = "/isochrones" in endpoints
    search = "/search" in endpoints
    search_box = (
        (
            '<div id="place-search" class="place-search" role="search">'
            f'<label for="place-q">{escape(t["place_search"])}</label>'
            '<input id="place-q" type="search" role="combobox" autocomplete="off" '
            'aria-autocomplete="list" aria-expanded="false" aria-controls="place-list" '
            f'enterkeyhint="search" placeholder="{escape(t["place_placeholder"])}">'
            f'<ul id="place-list" class="place-list" role="listbox" '
            f'aria-label="{escape(t["place_results"])}" hidden></ul></div>'
        )
        if search
        else ""
    )
    body = (
        search_box
        + '<form id="citizen-form" class="form" data-nosubmit>'
        + _select("category", t["category"], cats, default_cat)
        + _select("profile", t["profile"], [(p, t.get(f"profile_{p}", p)) for p in profiles])
        + _select("k", t["k"], [(str(i), str(i)) for i in (1, 2, 3, 4, 5)], "3")
        + '<div class="buttons">'
        f'<button type="button" id="locate">{escape(t["locate"])}</button>'
        f'<button type="button" id="search-center">{escape(t["search_center"])}</button></div>'
        '<div class="field check"><input type="checkbox" id="isochrones"'
        + ("" if iso else " disabled")
        + f'><label for="isochrones">{escape(t["isochrones"])}</label></div>'
        + ("" if iso else f'<p class="note">{escape(t["isochrones_missing"])}</p>')
        + "</form>"
    )
    after = (
        f'<h2 id="results-title" class="results-title">{escape(t["results"])}</h2>'
        f'<ol id="results" class="results" aria-labelledby="results-title">'
        f'<li class="empty">{escape(t["results_empty"])}</li></ol>'
        f'<div id="iso-legend" class="legend iso-legend" hidden></div>'
    )
    title = t["citizen_title"]
    return _render(
        page="citizen",
        lang=lang,
        title=title,
        panel=_shell("citizen", lang, t, title, t["citizen_intro"], body, after=after, sheet=True),
        config={
            "api": api_base,
            "cap": VIEW_CAP,
            "roadCap": ROAD_CAP,
            "endpoints": {"isochrones": iso, "search": search},
            "categories": dict(cats),
            "startBounds": LAMPUNG_BOUNDS,
            "isoMinutes": list(ISO_MINUTES),
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-4.9, 105.0),
        zoom=8,
        static_base=static_base,
    )


def _prices_panel(t: dict[str, str], available: bool) -> str:
    """The food-price part of ``/peta/logistik``: the alert list, the chart's picker
    (commodity, market or region, period) and the chart, drawn by ``prices.js``."""
    if not available:
        return f'<p class="note">{escape(t["prices_missing"])}</p>'
    periods = [(str(d), t["price_days"].format(n=d)) for d in PRICE_PERIODS]
    return (
        '<div id="price-alerts" class="price-alerts" aria-live="polite"></div>'
        '<form id="price-form" class="form lx-grid px-form" data-nosubmit>'
        + _select("price-commodity", t["price_commodity"], [])
        + _select("price-period", t["price_period"], periods, str(PRICE_PERIOD_DEFAULT))
        + _select("price-place", t["price_place"], [])
        + "</form>"
        '<figure id="price-figure" class="price-figure">'
        '<div id="price-chart" class="price-chart"></div>'
        '<figcaption id="price-caption" class="price-caption" aria-live="polite">'
        f"{escape(t['prices_loading'])}</figcaption></figure>"
        '<p id="price-tip" class="hint price-tip"></p>'
    )


def build_logistics_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    commodities: Sequence[Option],
    vehicles: Sequence[Option],
    api_base: str = "",
    static_base: str = "/static",
    endpoints: Collection[str] = (),
) -> str:
    """``/peta/logistik``: farms, ports, ferry, markets, shipments, flows and a plan form.

    ``endpoints`` says which of ``/logistics/plan``, ``/logistics/allocate`` and
    ``/shipments`` exist; without ``/logistics/plan`` the form draws the truck route
    (``/route``) with its road and ferry legs but no cost.
    """
    lang = check_lang(lang)
    t = texts(lang)
    coms = [(c[0], _label(c, lang)) for c in commodities]
    vehs = [(v[0], _label(v, lang)) for v in vehicles]
    has = {p: p in endpoints for p in ("/logistics/plan", "/logistics/allocate", "/shipments")}
    has_prices = "/prices" in endpoints and "/prices/latest" in endpoints
    months = [(str(i), t[f"month_{i}"]) for i in range(1, 13)]

    def section(key: str, title: str, inner: str, *, open_: bool = False) -> str:
        return (
            f'<details id="sec-{key}" class="lx-section"{" open" if open_ else ""}>'
            f'<summary><h2 id="{key}-title">{escape(title)}</h2></summary>{inner}</details>'
        )

    plan = (
        '<form id="plan-form" class="form lx-grid" aria-labelledby="plan-title">'
        + _select("farm", t["origin_farm"], [])
        + _select("market", t["destination_market"], [])
        + _select("plan-commodity", t["commodity"], coms)
        + '<div class="field"><label for="tonnes">'
        f"{escape(t['tonnes'])}</label>"
        '<input id="tonnes" name="tonnes" type="number" min="0.1" step="0.1" value="8"></div>'
        + _select("vehicle", t["vehicle"], vehs, "medium_truck")
        + f'<div class="field"><label for="departure">{escape(t["departure"])}</label>'
        '<input id="departure" name="departure" type="datetime-local" required></div>'
        + f'<div class="buttons wide"><button type="submit" id="plan">{escape(t["plan"])}</button>'
        "</div></form>"
        + ("" if has["/logistics/plan"] else f'<p class="note">{escape(t["plan_fallback"])}</p>')
        + '<div id="plan-result" class="plan-result" aria-live="polite"></div>'
        + (
            '<p class="buttons"><button type="button" id="save-shipment" hidden>'
            f"{escape(t['save_shipment'])}</button></p>"
            '<p id="save-msg" class="msg" role="alert" hidden></p>'
            if has["/shipments"]
            else ""
        )
    )
    shipments = (
        (
            '<div id="signed-out"><form id="signin-form" class="form">'
            f'<div class="field"><label for="api-key">{escape(t["api_key"])}</label>'
            '<input id="api-key" name="api-key" type="password" autocomplete="off" '
            'spellcheck="false" required></div>'
            f'<p class="hint">{escape(t["api_key_hint"])}</p>'
            f'<div class="buttons"><button type="submit" id="signin">{escape(t["signin"])}</button>'
            "</div></form></div>"
            '<div id="signed-in" hidden><p><span id="who"></span> '
            f'<button type="button" id="signout" class="secondary">{escape(t["signout"])}</button>'
            "</p></div>"
            '<p id="ship-msg" class="msg" role="alert" hidden></p>'
            f'<h3 id="shipments-title">{escape(t["shipments_list"])}</h3>'
            '<ol id="shipments" class="results" aria-labelledby="shipments-title"></ol>'
            '<div id="shipment-detail" class="detail" hidden aria-live="polite"></div>'
        )
        if has["/shipments"]
        else f'<p class="note">{escape(t["shipments_missing"])}</p>'
    )
    allocation = (
        (
            '<form id="alloc-form" class="form lx-grid">'
            + _select("month", t["month"], months)
            + f'<div class="buttons"><button type="submit" id="allocate">'
            f"{escape(t['allocate'])}</button></div></form>"
            '<div id="alloc-summary" class="summary" aria-live="polite"></div>'
            '<div id="flow-scale" class="scale"></div>'
        )
        if has["/logistics/allocate"]
        else f'<p class="note">{escape(t["flows_missing"])}</p>'
    )
    css = escape(versioned("app", "logistics.css", static_base=static_base))
    # prices.js (chart, alerts, the plan's margin) before the page boots on DOMContentLoaded
    prices_js = escape(versioned("app", "prices.js", static_base=static_base))
    body = (
        f'<link rel="stylesheet" href="{css}">'
        f'<script src="{prices_js}"></script>'
        '<div class="lx">'
        '<form id="filter-form" class="form lx-filter" data-nosubmit>'
        + _select("commodity", t["commodity_map"], [("", t["all"]), *coms])
        + "</form>"
        + section("plan", t["plan_title"], plan, open_=True)
        + section("prices", t["prices_title"], _prices_panel(t, has_prices), open_=True)
        + section("shipments", t["layer_shipments"], shipments, open_=True)
        + section("alloc", t["allocation_title"], allocation)
        + section(
            "legend",
            t["legend"],
            f'<div id="legend" class="legend" aria-label="{escape(t["legend"])}"></div>',
        )
        + "</div>"
    )
    title = t["logistics_title"]
    return _render(
        page="logistics",
        lang=lang,
        title=title,
        panel=_shell("logistics", lang, t, title, t["logistics_intro"], body),
        config={
            "api": api_base,
            "cap": VIEW_CAP,
            "roadCap": ROAD_CAP,
            "endpoints": {
                "plan": has["/logistics/plan"],
                "allocate": has["/logistics/allocate"],
                "shipments": has["/shipments"],
                "prices": has_prices,
            },
            "commodities": dict(coms),
            "vehicles": dict(vehs),
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-5.6, 106.0),
        zoom=7,
        static_base=static_base,
    )


def _reports_section(
    lang: str, t: dict[str, str], categories: Sequence[Option], *, static_base: str
) -> str:
    """The "Laporan warga" section of the planning page: level, category and period of
    the reports choropleth (``web/static/planning_reports.js``), its legend and list.

    Opening the section puts the reports on the map in place of the coverage; closing
    it brings the coverage back.
    """
    js = escape(versioned("app", "planning_reports.js", static_base=static_base))
    cats = [("", t["rmap_all"]), *((c[0], _label(c, lang)) for c in categories)]
    levels = [("kecamatan", t["level_kecamatan"]), ("kabupaten", t["level_kabupaten"])]
    return (
        f'<script src="{js}"></script>'
        f'<details id="sec-reports" class="pl-section"><summary>{escape(t["rmap_title"])}'
        f'</summary><p class="hint">{escape(t["rmap_intro"])}</p>'
        '<form id="reports-form" class="form pl-inline">'
        + _select("r-level", t["level"], levels, "kecamatan")
        + _select("r-category", t["rmap_category"], cats)
        + '<div class="field"><label for="r-from">'
        f'{escape(t["rmap_from"])}</label><input id="r-from" name="r-from" type="date"></div>'
        '<div class="field"><label for="r-to">'
        f'{escape(t["rmap_to"])}</label><input id="r-to" name="r-to" type="date"></div>'
        f'<div class="buttons"><button type="submit" id="r-show">{escape(t["show"])}</button>'
        "</div></form>"
        '<p id="reports-msg" class="msg" role="status" aria-live="polite" hidden></p>'
        '<div id="reports-legend" class="legend" aria-live="polite"></div>'
        '<p id="reports-total" class="hint"></p>'
        f'<h3 id="reports-list-title">{escape(t["rmap_list"])}</h3>'
        '<ol id="reports-areas" class="results" aria-labelledby="reports-list-title"></ol>'
        "</details>"
    )


def build_planning_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    categories: Sequence[Option],
    api_base: str = "",
    static_base: str = "/static",
    endpoints: Collection[str] = (),
    thresholds: Sequence[int] = THRESHOLDS,
    report_categories: Sequence[Option] = (),
) -> str:
    """``/peta/perencanaan``: coverage choropleth, underserved ranking, proposed sites,
    and the citizen reports per area ("Laporan warga").

    ``endpoints`` says which of ``/coverage/stats``, ``/coverage/underserved``,
    ``/plan/sites`` and ``/reports/stats`` exist; without ``/coverage/stats`` the
    choropleth shows population. ``report_categories`` (code, name_id, name_en) fill the
    reports layer's category filter (:func:`_reports_section`).
    Classes are fixed (:mod:`web.classify`): coverage < 50, 50–70, 70–85, 85–95 and
    ≥ 95 %, darkest for the worst areas; the legend's title gives the threshold and the
    travel mode.
    """
    lang = check_lang(lang)
    t = texts(lang)
    cats = [(c[0], _label(c, lang)) for c in categories]
    default_cat = "puskesmas" if any(c[0] == "puskesmas" for c in cats) else cats[0][0]
    paths = ("/coverage/stats", "/coverage/underserved", "/plan/sites", "/reports/stats")
    has = {p: p in endpoints for p in paths}
    counts = [(str(n), str(n)) for n in (1, 2, 3, 5, 10)]
    css = escape(versioned("app", "planning.css", static_base=static_base))
    body = (
        f'<link rel="stylesheet" href="{css}">'
        '<form id="planning-form" class="form">'
        + _select("category", t["category"], cats, default_cat)
        + _select("threshold", t["threshold"], [(str(m), str(m)) for m in thresholds], "30")
        + _select(
            "level",
            t["level"],
            [("kabupaten", t["level_kabupaten"]), ("kecamatan", t["level_kecamatan"])],
        )
        + f'<div class="buttons"><button type="submit" id="show">{escape(t["show"])}</button>'
        "</div></form>"
        + ("" if has["/coverage/stats"] else f'<p class="note">{escape(t["coverage_missing"])}</p>')
        + f'<h2 id="legend-title">{escape(t["legend"])}</h2>'
        '<div id="legend" class="legend" aria-labelledby="legend-title"></div>'
        + (
            f'<details id="sec-compare" class="pl-section"><summary>{escape(t["compare"])}'
            '</summary><div id="compare" class="compare" aria-live="polite"></div></details>'
            if has["/coverage/stats"]
            else ""
        )
        + (
            _reports_section(lang, t, report_categories, static_base=static_base)
            if has["/reports/stats"]
            else ""
        )
        + f'<h2 id="download-title">{escape(t["download"])}</h2>'
        '<p id="download-what" class="hint"></p><p class="buttons">'
        f'<a id="download-gpkg" class="button" href="#" download>{escape(t["download_gpkg"])}</a> '
        f'<a id="download-png" class="button" href="#" download>{escape(t["download_png"])}</a> '
        f'<a id="download-geojson" class="button" href="#" download="coverage.geojson">'
        f"{escape(t['download_geojson'])}</a> "
        f'<a id="download-csv" class="button" href="#" download="coverage.csv">'
        f"{escape(t['download_csv'])}</a></p>"
        f'<h2 id="underserved-title">{escape(t["underserved"])}</h2>'
        '<ol id="underserved" class="results" aria-labelledby="underserved-title"></ol>'
        f'<h2 id="sites-title">{escape(t["sites"])}</h2>'
        + (
            '<form id="sites-form" class="form pl-inline">'
            + _select("site-count", t["sites_count"], counts, "5")
            + f'<div class="buttons"><button type="submit" id="find-sites">'
            f"{escape(t['find_sites'])}</button></div></form>"
            '<div id="sites-summary" class="summary" aria-live="polite"></div>'
            if has["/plan/sites"]
            else f'<p class="note">{escape(t["sites_missing"])}</p>'
        )
        + '<ol id="sites" class="results" aria-labelledby="sites-title"></ol>'
    )
    title = t["planning_title"]
    return _render(
        page="planning",
        lang=lang,
        title=title,
        panel=_shell("planning", lang, t, title, t["planning_intro"], body),
        config={
            "api": api_base,
            "cap": VIEW_CAP,
            "roadCap": ROAD_CAP,
            "endpoints": {
                "stats": has["/coverage/stats"],
                "underserved": has["/coverage/underserved"],
                "sites": has["/plan/sites"],
                "reports": has["/reports/stats"],
            },
            "categories": dict(cats),
            "reportCategories": {c[0]: _label(c, lang) for c in report_categories},
            "classes": {
                "coverage": COVERAGE.as_config(),
                "population": POPULATION.as_config(),
                "reportRate": REPORT_RATE.as_config(),
                "reportCount": REPORT_COUNT.as_config(),
            },
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-5.1, 105.2),
        zoom=8,
        static_base=static_base,
    )
