"""The citizen-report pages as HTML: local assets only, both languages, the form's
fields, the config the scripts read, and a CSP that covers every inline block."""

from __future__ import annotations

import json
import re

import pytest

from data.reference import REPORT_CATEGORIES
from web.assets import file_version, static_file
from web.csp import page_policy
from web.i18n import TEXTS
from web.report_pages import build_officer_page, build_report_page, build_report_status_page

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
CATS = [(c.code, c.name_id, c.name_en) for c in REPORT_CATEGORIES]
STATUSES = [
    ("diterima", "Diterima", "Received"),
    ("diverifikasi", "Diverifikasi", "Verified"),
    ("selesai", "Selesai", "Resolved"),
]
CODE = "LPR-7K3Q-9XW2-ABCD"
URL_RE = re.compile(r"(?:https?:)?//[^\s\\\"'<>)]+")
PAGES = ("report", "report_status", "officer")


def build(page: str, lang: str) -> str:
    common = {"lang": lang, "tile_url": TILE_URL, "attribution": ATTRIBUTION}
    if page == "report":
        return build_report_page(**common, categories=CATS, statuses=STATUSES)
    if page == "report_status":
        return build_report_status_page(**common, code=CODE, statuses=STATUSES)
    return build_officer_page(**common, categories=CATS, statuses=STATUSES)


def config(html: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="lgeo-config">(.*?)</script>', html, re.S)
    assert m is not None
    loaded: dict[str, object] = json.loads(m.group(1))
    return loaded


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_is_small_offline_and_versioned(page: str, lang: str) -> None:
    html = build(page, lang)
    assert len(html.encode()) < 100_000
    assert f'<html lang="{lang}">' in html
    urls = set(URL_RE.findall(html))
    assert urls <= {TILE_URL, "https://www.openstreetmap.org/copyright"}, urls
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    names = {s.split("?", 1)[0].rsplit("/", 1)[1] for s in srcs}
    assert {f"{page}.js", "reports-base.js", "reports.css", "common.js"} <= names, names
    for src in srcs:
        assert src.startswith("/static/"), src
        package, path = src.removeprefix("/static/").split("?", 1)[0].split("/", 1)
        found = static_file(package, path)
        assert found is not None, src
        assert src.endswith(f"?v={file_version(found)}"), src
    assert config(html)["page"] == page
    assert config(html)["lang"] == lang


@pytest.mark.parametrize("page", PAGES)
def test_csp_has_no_unsafe_sources(page: str) -> None:
    policy = page_policy(build(page, "id"), tile_url=TILE_URL)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy
    assert ' style="' not in build(page, "id")  # the CSP allows no style attributes


def test_report_form_fields() -> None:
    html = build("report", "id")
    # phone camera, category options from the caller, the text limits, contacts
    assert (
        '<input id="photo" name="photo" type="file" accept="image/*" capture="environment"' in html
    )
    for code, name_id, _ in CATS:
        assert f'<option value="{code}">{name_id}</option>' in html
    assert 'minlength="10"' in html and 'maxlength="2000"' in html
    assert 'id="phone"' in html and 'type="tel"' in html and 'type="email"' in html
    assert ">Gunakan lokasi saya<" in html and ">Kirim laporan<" in html
    cfg = config(html)
    assert cfg["textMin"] == 10 and cfg["textMax"] == 2000
    assert cfg["photoMaxBytes"] == 5 * 1024 * 1024
    assert cfg["statuses"] == {"diterima": "Diterima", "diverifikasi": "Diverifikasi",
                               "selesai": "Selesai"}  # fmt: skip


def test_report_form_in_english() -> None:
    html = build("report", "en")
    assert ">Use my location<" in html and ">Send report<" in html
    for code, _, name_en in CATS:
        assert f'<option value="{code}">{name_en}</option>' in html
    assert config(html)["statuses"] == {"diterima": "Received", "diverifikasi": "Verified",
                                        "selesai": "Resolved"}  # fmt: skip


def test_status_page_carries_the_code_escaped() -> None:
    html = build("report_status", "id")
    assert f">{CODE}</strong>" in html and config(html)["code"] == CODE
    hostile = build_report_status_page(
        lang="id", tile_url="", attribution="", code="<script>alert(1)</script>"
    )
    assert "<script>alert(1)</script>" not in hostile
    assert 'id="rating-form"' in html and 'id="timeline"' in html


def test_officer_page_has_sign_in_and_filters() -> None:
    html = build("officer", "en")
    assert 'id="api-key"' in html and 'type="password"' in html
    for select in ("status-filter", "category", "overdue"):
        assert f'<select id="{select}"' in html
    assert html.count('id="status"') == 1  # the panel's status line only, not a select
    assert '<option value="true">Overdue</option>' in html
    assert config(html)["openStatuses"] == [
        "diterima", "diverifikasi", "diteruskan", "ditindaklanjuti"
    ]  # fmt: skip


def test_texts_complete_in_both_languages() -> None:
    from web.report_texts import REPORT_TEXTS

    assert set(REPORT_TEXTS["id"]) == set(REPORT_TEXTS["en"])
    for lang in ("id", "en"):
        for key, value in REPORT_TEXTS[lang].items():
            assert TEXTS[lang][key] == value  # merged, not overridden by another page


def test_officer_page_area_filter() -> None:
    areas = {
        "kabupaten": [{"code": "1871", "name": "Kota Bandar Lampung"}],
        "kecamatan": [{"id": 7, "name": "Sukarame", "kabupaten": "1871"}],
    }
    html = build_officer_page(
        lang="id",
        tile_url=TILE_URL,
        attribution=ATTRIBUTION,
        categories=CATS,
        statuses=STATUSES,
        areas=areas,
    )
    assert '<option value="1871">Kota Bandar Lampung</option>' in html
    assert '<select id="kecamatan" name="kecamatan">' in html
    assert config(html)["kecamatan"] == [[7, "Sukarame", "1871"]]
    plain = build("officer", "id")
    assert 'id="kabupaten"' not in plain and config(plain)["kecamatan"] == []
