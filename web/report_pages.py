"""The citizen-report pages: the report form (``/lapor``), a report's status by its
tracking code (``/lapor/{code}``) and the officers' queue (``/peta/laporan``).

Built like the map pages of :mod:`web.pages` (same panel, Folium base map, local
scripts, per-page CSP): nothing here reads the database; the caller gives the
report categories and statuses. The browser talks to ``/reports`` and
``/officer/reports`` (see the README section "Citizen reports").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from web.assets import versioned
from web.i18n import check_lang, texts
from web.pages import LAMPUNG_BOUNDS, Option, _label, _render, _select, _shell

TEXT_MIN, TEXT_MAX = 10, 2000
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"
REPORT_PAGES = {"report": "/lapor", "report_status": "/lapor/{code}", "officer": "/peta/laporan"}


def _assets(static_base: str) -> str:
    """The report pages' stylesheet and shared script (run before the page boots)."""
    css = escape(versioned("app", "reports.css", static_base=static_base))
    js = escape(versioned("app", "reports-base.js", static_base=static_base))
    return f'<link rel="stylesheet" href="{css}"><script src="{js}"></script>'


def _field(inner: str) -> str:
    return f'<div class="field">{inner}</div>'


def build_report_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    categories: Sequence[Option],
    statuses: Sequence[Option] = (),
    api_base: str = "",
    static_base: str = "/static",
    photo_max_bytes: int = 5 * 1024 * 1024,
) -> str:
    """``/lapor``: the phone-first report form (category, text, point, photo, contact).

    Parameters
    ----------
    lang
        ``"id"`` or ``"en"`` (anything else falls back to ``"id"``).
    tile_url, attribution
        The base map's tile URL template and attribution (HTML).
    categories
        Report categories as (code, name_id, name_en).
    statuses
        Report statuses as (code, label_id, label_en), for the similar reports.
    api_base, static_base
        Prefixes of the API's and of the static files' URLs.
    photo_max_bytes
        The largest photo the API takes (checked in the browser too).
    """
    lang = check_lang(lang)
    t = texts(lang)
    cats = [(c[0], _label(c, lang)) for c in categories]
    body = (
        _assets(static_base)
        + '<form id="report-form" class="form rp-form" novalidate>'
        + _select("category", t["report_category"], cats)
        + _field(
            f'<label for="description">{escape(t["report_text"])}</label>'
            f'<textarea id="description" name="description" rows="4" minlength="{TEXT_MIN}" '
            f'maxlength="{TEXT_MAX}" required aria-describedby="counter"></textarea>'
            f'<span id="counter" class="hint" aria-live="polite">'
            f"{escape(t['report_counter'].format(n=0, max=TEXT_MAX))}</span>"
        )
        + '<fieldset class="field rp-place">'
        f"<legend>{escape(t['report_place'])}</legend>"
        f'<p class="hint">{escape(t["report_place_hint"])}</p>'
        f'<p id="place" class="rp-place-text">{escape(t["report_place_none"])}</p>'
        f'<div class="buttons"><button type="button" id="locate">{escape(t["report_locate"])}'
        "</button></div></fieldset>"
        + _field(
            f'<label for="photo">{escape(t["report_photo"])}</label>'
            f'<input id="photo" name="photo" type="file" accept="image/*" capture="environment" '
            'aria-describedby="photo-hint">'
            f'<span id="photo-hint" class="hint">{escape(t["report_photo_hint"])}</span>'
        )
        + f'<details class="rp-contact"><summary>{escape(t["report_contact"])}</summary>'
        + _field(
            f'<label for="phone">{escape(t["report_phone"])}</label>'
            '<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" '
            'maxlength="20">'
        )
        + _field(
            f'<label for="email">{escape(t["report_email"])}</label>'
            '<input id="email" name="email" type="email" autocomplete="email" maxlength="254">'
        )
        + "</details>"
        + '<div id="similar" class="rp-similar" aria-live="polite" hidden></div>'
        + '<p id="report-msg" class="msg" role="alert" hidden></p>'
        + f'<div class="buttons"><button type="submit" id="send">{escape(t["report_send"])}'
        "</button></div></form>"
        + '<section id="receipt" class="rp-receipt" tabindex="-1" hidden aria-live="polite">'
        f"<h2>{escape(t['report_done'])}</h2>"
        f'<p>{escape(t["report_code_label"])}</p><p id="code" class="rp-code"></p>'
        f'<p class="hint">{escape(t["report_code_keep"])}</p>'
        '<p id="routed" class="hint"></p>'
        f'<p class="buttons"><a id="follow" class="button" href="#">{escape(t["report_follow"])}'
        f'</a> <a id="again" href="?lang={lang}">{escape(t["report_again"])}</a></p></section>'
    )
    title = t["report_title"]
    return _render(
        page="report",
        lang=lang,
        title=title,
        panel=_shell("report", lang, t, title, t["report_intro"], body, sheet=False),
        config={
            "api": api_base,
            "roadCap": 3000,
            "categories": dict(cats),
            "statuses": {s[0]: _label(s, lang) for s in statuses},
            "textMin": TEXT_MIN,
            "textMax": TEXT_MAX,
            "photoMaxBytes": photo_max_bytes,
            "startBounds": LAMPUNG_BOUNDS,
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-4.9, 105.0),
        zoom=8,
        static_base=static_base,
    )


def build_report_status_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    code: str,
    statuses: Sequence[Option] = (),
    api_base: str = "",
    static_base: str = "/static",
) -> str:
    """``/lapor/{code}``: status, category, area, timeline, SLA flag and rating.

    ``code`` is the tracking code as asked (the script fetches ``/reports/{code}``);
    ``statuses`` as (code, label_id, label_en) name the timeline's steps.
    """
    lang = check_lang(lang)
    t = texts(lang)
    stars = [(str(i), "★" * i) for i in range(5, 0, -1)]
    body = (
        _assets(static_base) + '<section id="report" class="rp-status" aria-live="polite">'
        f'<p>{escape(t["status_code"])}: <strong id="code" class="rp-code">{escape(code)}'
        "</strong></p>"
        '<dl class="rp-facts">'
        f'<dt>{escape(t["status_now"])}</dt><dd id="status-now">…</dd>'
        f'<dt>{escape(t["report_category"])}</dt><dd id="category">…</dd>'
        f'<dt>{escape(t["status_area"])}</dt><dd id="area">…</dd>'
        f'<dt>{escape(t["status_submitted"])}</dt><dd id="submitted">…</dd>'
        f'<dt>{escape(t["status_agency"])}</dt><dd id="agency">…</dd></dl>'
        '<p id="sla" class="rp-sla"></p>'
        '<p id="merged" class="note" hidden></p>'
        '<p id="description" class="rp-text"></p>'
        '<p id="photo-box" hidden></p>'
        f'<h2 id="timeline-title">{escape(t["status_timeline"])}</h2>'
        '<ol id="timeline" class="rp-timeline" aria-labelledby="timeline-title"></ol>'
        "</section>" + '<form id="rating-form" class="form" hidden>'
        f"<h2>{escape(t['status_rating'])}</h2>"
        + _select("stars", t["status_rating_stars"], stars)
        + _field(
            f'<label for="comment">{escape(t["status_rating_comment"])}</label>'
            '<input id="comment" name="comment" maxlength="1000">'
        )
        + f'<div class="buttons"><button type="submit" id="rate">{escape(t["status_rating_send"])}'
        "</button></div></form>"
        + '<p id="rated" class="note" hidden></p>'
        + '<p id="report-msg" class="msg" role="alert" hidden></p>'
    )
    title = t["status_page_title"]
    return _render(
        page="report_status",
        lang=lang,
        title=title,
        panel=_shell("report_status", lang, t, title, t["status_page_intro"], body),
        config={
            "api": api_base,
            "roadCap": 3000,
            "code": code,
            "statuses": {s[0]: _label(s, lang) for s in statuses},
            "startBounds": LAMPUNG_BOUNDS,
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-4.9, 105.0),
        zoom=8,
        static_base=static_base,
    )


def build_officer_page(
    *,
    lang: str,
    tile_url: str,
    attribution: str,
    categories: Sequence[Option],
    statuses: Sequence[Option],
    areas: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    api_base: str = "",
    static_base: str = "/static",
) -> str:
    """``/peta/laporan``: the officers' queue (API key in sessionStorage, X-API-Key).

    A list and map markers filtered by status, category, area (kabupaten, then one of
    its kecamatan) and overdue; a selected report can be moved to one of its allowed
    next statuses with a public note, or merged into another report as its duplicate
    (after a confirmation).

    ``areas``: ``{"kabupaten": [{code, name}], "kecamatan": [{id, name, kabupaten}]}``
    (:func:`layers.reports_views.area_options`); without it there is no area filter.
    """
    lang = check_lang(lang)
    t = texts(lang)
    cats = [(c[0], _label(c, lang)) for c in categories]
    stats = [(s[0], _label(s, lang)) for s in statuses]
    overdue = [
        ("", t["officer_overdue_any"]),
        ("true", t["officer_overdue_yes"]),
        ("false", t["officer_overdue_no"]),
    ]
    body = (
        _assets(static_base)
        + '<div id="signed-out"><form id="signin-form" class="form">'
        + _field(
            f'<label for="api-key">{escape(t["api_key"])}</label>'
            '<input id="api-key" name="api-key" type="password" autocomplete="off" '
            'spellcheck="false" required>'
        )
        + f'<p class="hint">{escape(t["api_key_hint"])}</p>'
        f'<div class="buttons"><button type="submit" id="signin">{escape(t["signin"])}</button>'
        "</div></form></div>"
        '<div id="signed-in" hidden><p><span id="who"></span> '
        f'<button type="button" id="signout" class="secondary">{escape(t["signout"])}</button>'
        "</p></div>"
        '<p id="queue-msg" class="msg" role="alert" hidden></p>'
        '<form id="filter-form" class="form rp-filter" data-nosubmit>'
        + _select(
            "status-filter",
            t["officer_status"],
            [("open", t["officer_open"]), ("", t["officer_all"]), *stats],
        )
        + _select("category", t["officer_category"], [("", t["officer_all"]), *cats])
        + (
            _select(
                "kabupaten",
                t["officer_kabupaten"],
                [("", t["officer_all_kabupaten"])]
                + [(str(k["code"]), str(k["name"])) for k in areas.get("kabupaten", ())],
            )
            + _select("kecamatan", t["officer_kecamatan"], [("", t["officer_all_kecamatan"])])
            if areas
            else ""
        )
        + _select("overdue", t["officer_overdue"], overdue)
        + "</form>"
        f'<h2 id="queue-title">{escape(t["officer_list"])} <span id="queue-count"></span></h2>'
        '<ol id="queue" class="results" aria-labelledby="queue-title"></ol>'
        '<section id="detail" class="detail" hidden aria-live="polite"></section>'
    )
    title = t["officer_title"]
    return _render(
        page="officer",
        lang=lang,
        title=title,
        panel=_shell("officer", lang, t, title, t["officer_intro"], body),
        config={
            "api": api_base,
            "roadCap": 3000,
            "categories": dict(cats),
            "statuses": dict(stats),
            "openStatuses": ["diterima", "diverifikasi", "diteruskan", "ditindaklanjuti"],
            "kecamatan": [
                [int(k["id"]), str(k["name"]), str(k["kabupaten"])]
                for k in (areas or {}).get("kecamatan", ())
            ],
            "startBounds": LAMPUNG_BOUNDS,
        },
        tile_url=tile_url,
        attribution=attribution,
        location=(-4.9, 105.0),
        zoom=8,
        static_base=static_base,
    )
