"""The reports layer of /peta/perencanaan and the officer queue's area filter and merge
in Debian's chromium, on the reports test server of this package (``site``).

Oracles are the database, read here with the test's own SQL: reports per kecamatan
(and kabupaten) without merged duplicates, populations, the reports of an area, the
state and followers after a merge. Class breaks and colours are written out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from layers.apikeys import create_key, revoke_key
from layers.db.engine import make_engine
from tests.web.browser import DESKTOP, PHONE, number, open_page, shot
from tests.web.conftest import Site

pytestmark = pytest.mark.browser

RATE_BREAKS = (0.5, 2, 5, 20)  # reports per 10,000 people (README, web/classify.py)
COUNT_BREAKS = (1, 3, 10, 30)
PURPLES = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")  # ColorBrewer, by hand
NO_DATA = "#cccccc"
STORY = "Laporan uji untuk peta dan antrean petugas, cukup panjang."


@dataclass
class Seeded:
    engine: Engine
    kab_a: str  # 4-digit BPS codes of two kabupaten with reports
    kab_b: str
    kec_a: int  # a kecamatan of kab_a with two reports
    ids: dict[str, int]  # name -> report id


def points(engine: Engine) -> list[tuple[str, int, float, float]]:
    """(kabupaten code, kecamatan id, lon, lat) of two kecamatan in each of two
    kabupaten (the first one Bandar Lampung), a point inside each."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT k.code, a.id, ST_X(p), ST_Y(p) FROM (SELECT a.*, "
                "ST_PointOnSurface(a.geom) AS p, row_number() OVER (PARTITION BY a.parent_id "
                "ORDER BY a.id) AS n FROM admin_areas a WHERE a.level = 'kecamatan') a "
                "JOIN admin_areas k ON k.id = a.parent_id WHERE a.n <= 2 AND k.code LIKE '18%' "
                "ORDER BY k.code <> '1871', k.code, a.id"
            )
        ).all()
    kabs = list(dict.fromkeys(r[0] for r in rows))[:2]
    return [(r[0], int(r[1]), float(r[2]), float(r[3])) for r in rows if r[0] in kabs]


@pytest.fixture(scope="module")
def seeded(site: Site) -> Iterator[Seeded]:
    """Reports sent through the API in two kecamatan of two kabupaten; one answered."""
    engine = make_engine(site.db)
    pts = points(engine)
    (kab_a, kec_a, lon_a, lat_a), (_, _, lon_a2, lat_a2) = pts[0], pts[1]
    kab_b, _, lon_b, lat_b = pts[2]
    plan = {
        # name: (category, lon, lat, contact)
        "target": ("jalan_rusak", lon_a, lat_a, {"email": "warga.a@example.org"}),
        "dup": ("jalan_rusak", lon_a + 0.0002, lat_a, {"phone": "0812 3456 7890"}),
        "other": ("sampah", lon_a2, lat_a2, {}),
        "far": ("jalan_rusak", lon_b, lat_b, {}),
        "clinic": ("layanan_puskesmas", lon_b + 0.001, lat_b, {}),
    }
    ids = {}
    for name, (cat, lon, lat, contact) in plan.items():
        made = httpx.post(
            f"{site.url}/reports",
            data={"category": cat, "description": STORY, "lon": str(lon), "lat": str(lat)}
            | contact,
            timeout=30,
        )
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    step = httpx.post(
        f"{site.url}/officer/reports/{ids['other']}/events",
        json={"status": "diverifikasi"},
        headers={"X-API-Key": site.key},
    )
    assert step.status_code == 201, step.text
    yield Seeded(engine, kab_a, kab_b, kec_a, ids)
    engine.dispose()


def per_area(engine: Engine, level: str, category: str | None = None) -> dict[int, Any]:
    """Per admin area of ``level`` in Lampung: (population, reports without merged
    duplicates), by the test's own SQL."""
    column = {"kabupaten": "kabupaten_id", "kecamatan": "kecamatan_id"}[level]
    parent = "a.code" if level == "kabupaten" else "k.code"
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT a.id, a.population, (SELECT count(*) FROM reports r JOIN report_state s "
                f"ON s.report_id = r.id WHERE r.{column} = a.id AND s.status <> 'duplikat' "
                "AND (CAST(:cat AS text) IS NULL OR r.category = :cat)) "
                "FROM admin_areas a LEFT JOIN admin_areas k ON k.id = a.parent_id "
                f"WHERE a.level = :level AND {parent} LIKE '18%'"
            ),
            {"level": level, "cat": category},
        ).all()
    return {int(i): (pop, int(n)) for i, pop, n in rows}


def expected_colours(truth: dict[int, Any]) -> dict[int, str]:
    """The fill of each area: rate classes when every area has people, else counts."""
    rate = all(pop for pop, _ in truth.values())
    out = {}
    for i, (pop, n) in truth.items():
        value = n / pop * 10_000 if rate else n
        out[i] = PURPLES[sum(value >= b for b in (RATE_BREAKS if rate else COUNT_BREAKS))]
    return out


def painted(page: Any) -> dict[int, str]:
    return {
        int(k): v
        for k, v in page.locator("path.lgeo-report-area").evaluate_all(
            "els => els.map(e => [e.getAttribute('data-id'), e.getAttribute('fill')])"
        )
    }


def test_reports_choropleth(browser: Any, site: Site, seeded: Seeded, artifacts: Path) -> None:
    v = open_page(browser, f"{site.url}/peta/perencanaan", DESKTOP, "id")
    page = v.page
    try:
        # -- open "Laporan warga": kecamatan coloured by reports per 10,000 people ---------
        with page.expect_response(
            lambda r: "/reports/stats" in r.url and "level=kecamatan" in r.url
        ) as got:
            page.locator("#sec-reports summary").click()
        assert got.value.status == 200
        truth = per_area(seeded.engine, "kecamatan")
        page.wait_for_function(
            "n => document.querySelectorAll('path.lgeo-report-area').length === n",
            arg=len(truth),
        )
        assert page.locator("path.lgeo-area").count() == 0  # the coverage left the map
        assert page.locator("#legend").is_hidden()
        assert all(pop for pop, _ in truth.values())  # the demo has every population
        assert painted(page) == expected_colours(truth)
        legend = page.locator("#reports-legend")
        assert legend.locator(".legend-title").inner_text() == (
            "Laporan per 10.000 penduduk, semua waktu"
        )
        assert legend.locator("li").all_inner_texts() == [
            "≥ 20",
            "5–20",
            "2–5",
            "0,5–2",
            "< 0,5",
            "tanpa data",
        ]
        swatches = legend.locator(".swatch").evaluate_all(
            "els => els.map(e => getComputedStyle(e).backgroundColor)"
        )
        assert swatches[:5] == [rgb(c) for c in reversed(PURPLES)] and swatches[5] == rgb(NO_DATA)
        shot(page, artifacts, "perencanaan-laporan")
        # the list: the areas with reports, each with its count and rate
        with_reports = {i for i, (_, n) in truth.items() if n}
        items = page.locator("#reports-areas li[data-id]")
        assert {int(x) for x in items.evaluate_all("els => els.map(e => e.dataset.id)")} == (
            with_reports
        )
        pop, n = truth[seeded.kec_a]
        item = page.locator(f"#reports-areas li[data-id='{seeded.kec_a}']").inner_text()
        assert f"{n} laporan · {number(n / pop * 10_000, 'id', 2).rstrip('0').rstrip(',')}" in item
        total = sum(n for _, n in truth.values())
        assert page.locator("#reports-total").inner_text().startswith(f"{total} laporan di ")
        # a popup: count, per 10,000, median hours to first response, % within SLA
        page.locator(f"path.lgeo-report-area[data-id='{seeded.kec_a}']").dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text_ = popup.inner_text()
        assert f"Laporan\t{n}" in text_ and "Median jam sampai tanggapan pertama" in text_

        # -- one category: the colours follow the SQL count of that category ---------------
        with page.expect_response(lambda r: "category=sampah" in r.url):
            page.locator("#r-category").select_option("sampah")
        sampah = per_area(seeded.engine, "kecamatan", "sampah")
        page.wait_for_function(
            "id => document.querySelector(`#reports-areas li[data-id='${id}']`) !== null",
            arg=str(seeded_other_kec(seeded)),
        )
        assert painted(page) == expected_colours(sampah)

        # -- kabupaten level ---------------------------------------------------------------
        page.locator("#r-category").select_option("")
        kab = per_area(seeded.engine, "kabupaten")
        with page.expect_response(lambda r: "level=kabupaten" in r.url and "category" not in r.url):
            page.locator("#r-level").select_option("kabupaten")
        page.wait_for_function(
            "n => document.querySelectorAll('path.lgeo-report-area').length === n", arg=len(kab)
        )
        assert painted(page) == expected_colours(kab)

        # -- a period without reports: "tidak ada data", every area grey -------------------
        tomorrow = (datetime.now(UTC) + timedelta(hours=7, days=1)).date().isoformat()
        with page.expect_response(lambda r: f"from={tomorrow}" in r.url):
            page.locator("#r-from").fill(tomorrow)
        page.wait_for_function(
            "() => document.getElementById('reports-msg').textContent.startsWith('Tidak ada data')"
        )
        assert set(painted(page).values()) == {NO_DATA}
        assert page.locator("#reports-legend li").all_inner_texts() == ["tanpa data"]
        # the last day before the first: said, nothing asked
        page.locator("#r-to").fill("2020-01-01")
        assert page.locator("#reports-msg").inner_text() == (
            "Tanggal awal harus sama dengan atau sebelum tanggal akhir."
        )
        # -- closing the section brings the coverage back ------------------------------------
        page.locator("#sec-reports summary").click()
        page.wait_for_function("() => document.querySelectorAll('path.lgeo-area').length > 0")
        assert page.locator("path.lgeo-report-area").count() == 0
        assert page.locator("#legend").is_visible()
        v.clean()
    finally:
        v.context.close()

    # English: the same layer, the page's English texts
    e = open_page(browser, f"{site.url}/peta/perencanaan?lang=en", PHONE, "en")
    try:
        with e.page.expect_response(lambda r: "/reports/stats" in r.url):
            e.page.locator("#sec-reports summary").click()
        e.page.wait_for_selector("#reports-legend .legend-title")
        assert e.page.locator("#reports-legend .legend-title").inner_text() == (
            "Reports per 10,000 people, all time"
        )
        e.clean()
    finally:
        e.context.close()


def seeded_other_kec(seeded: Seeded) -> int:
    with seeded.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT kecamatan_id FROM reports WHERE id = :i"), {"i": seeded.ids["other"]}
            ).scalar_one()
        )


def rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


def listed(page: Any) -> set[int]:
    return {
        int(x)
        for x in page.locator("#queue li[data-id]").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        )
    }


def sql_ids(engine: Engine, where: str, params: dict[str, Any]) -> set[int]:
    with engine.connect() as conn:
        return {
            int(i) for (i,) in conn.execute(text(f"SELECT id FROM reports WHERE {where}"), params)
        }


def test_officer_area_filter_and_merge(
    browser: Any, site: Site, seeded: Seeded, artifacts: Path
) -> None:
    ids = seeded.ids
    # bad area values: 4xx naming the field (checked in one place, layers.reports_views)
    head = {"X-API-Key": site.key}
    for params, status, field in (
        ({"kabupaten": "1899"}, 422, "kabupaten"),
        ({"kabupaten": "18x"}, 400, "kabupaten"),
        ({"kabupaten": seeded.kab_b, "kecamatan_id": str(seeded.kec_a)}, 422, "kecamatan_id"),
        ({"kecamatan_id": "999999999"}, 422, "kecamatan_id"),
    ):
        r = httpx.get(f"{site.url}/officer/reports", params=params, headers=head)
        assert r.status_code == status, r.text
        assert r.json()["field"].startswith(field), r.json()

    v = open_page(browser, f"{site.url}/peta/laporan", PHONE, "id")
    page = v.page
    try:
        page.locator("#api-key").fill(site.key)
        page.locator("#signin").click()
        page.wait_for_selector("#queue li[data-id]")
        page.locator("#status-filter").select_option("")  # every status
        # -- kabupaten, then one of its kecamatan: only their reports (SQL) -----------------
        with page.expect_response(lambda r: f"kabupaten={seeded.kab_a}" in r.url) as got:
            page.locator("#kabupaten").select_option(seeded.kab_a)
        assert got.value.status == 200
        page.wait_for_function("() => !document.getElementById('kecamatan').disabled")
        want = sql_ids(seeded.engine, "kabupaten_code = :k", {"k": seeded.kab_a})
        page.wait_for_function(
            "n => document.querySelectorAll('#queue li[data-id]').length === n", arg=len(want)
        )
        assert listed(page) == want and ids["far"] not in want
        with page.expect_response(lambda r: f"kecamatan_id={seeded.kec_a}" in r.url):
            page.locator("#kecamatan").select_option(str(seeded.kec_a))
        want = sql_ids(seeded.engine, "kecamatan_id = :k", {"k": seeded.kec_a})
        page.wait_for_function(
            "n => document.querySelectorAll('#queue li[data-id]').length === n", arg=len(want)
        )
        assert listed(page) == want and {ids["target"], ids["dup"]} <= want

        # -- merge "dup" into "target": a confirmation first, then Duplikat --------------------
        page.locator(f"#queue button[data-id='{ids['dup']}']").click()
        page.wait_for_selector("#merge-box")
        # the candidates offered: open, same category, within 50 m, last 7 days (SQL)
        page.wait_for_selector("#merge-nearby:not([hidden]) button[data-id]")
        offered = page.locator("#merge-nearby button[data-id]").evaluate_all(
            "els => els.map(e => Number(e.dataset.id))"
        )
        with seeded.engine.connect() as conn:
            near = conn.execute(
                text(
                    "SELECT r.id FROM reports r JOIN report_state st ON st.report_id = r.id, "
                    "reports d WHERE d.id = :dup AND r.id <> d.id AND r.category = d.category "
                    "AND st.status IN ('diterima', 'diverifikasi', 'diteruskan', "
                    "'ditindaklanjuti') "
                    "AND r.submitted_at >= now() - interval '7 days' "
                    "AND ST_DWithin(r.geom::geography, d.geom::geography, 50) "
                    "ORDER BY ST_Distance(r.geom::geography, d.geom::geography), r.id"
                ),
                {"dup": ids["dup"]},
            ).scalars()
            want_near = [int(i) for i in near]
        assert offered == want_near[:5] and ids["target"] in offered
        page.locator(f"#merge-nearby button[data-id='{ids['target']}']").click()
        assert page.locator("#merge-target").input_value() == str(ids["target"])
        page.locator("#merge-target").fill(str(ids["dup"]))
        page.locator("#merge-check").click()
        assert page.locator("#merge-msg").inner_text() == "Laporan induk harus laporan lain."
        page.locator("#merge-target").fill(str(ids["target"]))
        page.locator("#merge-check").click()
        assert page.locator("#merge-question").inner_text() == (
            f"Tandai #{ids['dup']} sebagai duplikat dari #{ids['target']}? "
            "Langkah ini tidak bisa dibatalkan."
        )
        page.locator("#merge-no").click()  # cancelled: nothing sent
        assert page.locator("#merge-confirm").is_hidden()
        page.locator("#merge-check").click()
        with page.expect_response(lambda r: r.url.endswith("/events")) as merged:
            page.locator("#merge-yes").click()
        assert merged.value.status == 201
        assert merged.value.request.post_data_json == {
            "status": "duplikat",
            "duplicate_of": ids["target"],
        }
        page.wait_for_function(
            "() => (document.getElementById('detail-status') || {}).textContent === 'Duplikat'"
        )
        page.wait_for_selector(f"#queue li[data-id='{ids['dup']}'][data-status='duplikat']")
        assert page.locator("#queue-msg").inner_text() == (
            f"#{ids['dup']} digabung ke #{ids['target']} (Duplikat)."
        )
        with seeded.engine.connect() as conn:
            status, into = conn.execute(
                text("SELECT status, merged_into FROM report_state WHERE report_id = :i"),
                {"i": ids["dup"]},
            ).one()
            followers = conn.execute(
                text("SELECT phone, email FROM report_followers WHERE report_id = :i"),
                {"i": ids["target"]},
            ).all()
        assert (status, into) == ("duplikat", ids["target"])
        assert {"0812 3456 7890", "warga.a@example.org"} <= {x for f in followers for x in f}

        # -- 409: merging into a closed report ------------------------------------------------
        page.locator(f"#queue button[data-id='{ids['target']}']").click()
        page.wait_for_function(
            "() => (document.querySelector('#detail h3') || {}).textContent"
            f".startsWith('#{ids['target']} ')"
        )
        page.locator("#merge-target").fill(str(ids["dup"]))
        page.locator("#merge-check").click()
        with page.expect_response(lambda r: r.url.endswith("/events")) as refused:
            page.locator("#merge-yes").click()
        assert refused.value.status == 409
        page.wait_for_selector("#merge-msg:not([hidden])")
        assert page.locator("#merge-msg").inner_text().startswith("Tidak bisa digabung")
        shot(page, artifacts, "officer-merge-phone")
        v.clean(provoked=(409,))
    finally:
        v.context.close()


def test_officer_merge_403_and_401(browser: Any, site: Site, seeded: Seeded) -> None:
    """A Dinkes key may not merge into a Dinas PU report (403); a revoked key is 401."""
    with seeded.engine.begin() as conn:
        key, info = create_key(conn, role="planner", name="dinkes", agency="dinkes")
    v = open_page(browser, f"{site.url}/peta/laporan?lang=en", PHONE, "en")
    page = v.page
    try:
        page.locator("#api-key").fill(key)
        page.locator("#signin").click()
        page.wait_for_selector(f"#queue button[data-id='{seeded.ids['clinic']}']")
        page.locator(f"#queue button[data-id='{seeded.ids['clinic']}']").click()
        page.locator("#merge-target").fill(str(seeded.ids["far"]))
        page.locator("#merge-check").click()
        with page.expect_response(lambda r: r.url.endswith("/events")) as refused:
            page.locator("#merge-yes").click()
        assert refused.value.status == 403
        page.wait_for_selector("#merge-msg:not([hidden])")
        assert page.locator("#merge-msg").inner_text() == (
            "This key may not act on this report or on the original one."
        )
        with seeded.engine.begin() as conn:
            revoke_key(conn, info.prefix)
        page.locator("#merge-check").click()
        with page.expect_response(lambda r: r.url.endswith("/events")) as gone:
            page.locator("#merge-yes").click()
        assert gone.value.status == 401
        page.wait_for_selector("#signed-out:not([hidden])")
        assert page.locator("#queue-msg").inner_text() == "This API key is unknown or revoked."
        v.clean(provoked=(401, 403))
    finally:
        v.context.close()


def test_officer_page_offers_only_the_keys_kabupaten(
    browser: Any, site: Site, seeded: Seeded
) -> None:
    """A Dinas PU key for one kabupaten: the area list offers only that one (the API's
    scope); its queue holds only that agency's reports there (SQL); signed out, all
    kabupaten come back."""
    with seeded.engine.begin() as conn:
        key, _ = create_key(
            conn, role="planner", name="pu-kab-b", agency="dinas_pu", area_code=seeded.kab_b
        )
    v = open_page(browser, f"{site.url}/peta/laporan?lang=en", DESKTOP, "en")
    page = v.page
    offered = "() => [...document.querySelectorAll('#kabupaten option')].filter(o => !o.hidden && !o.disabled).map(o => o.value)"  # noqa: E501
    try:
        everything = page.evaluate(offered)
        assert seeded.kab_a in everything and seeded.kab_b in everything
        page.locator("#api-key").fill(key)
        with page.expect_response(lambda r: "/officer/reports?" in r.url):
            page.locator("#signin").click()
        page.wait_for_function(
            f"() => document.querySelector('#kabupaten option[value=\"{seeded.kab_a}\"]').hidden"
        )
        assert page.evaluate(offered) == ["", seeded.kab_b]
        with page.expect_response(lambda r: "/officer/reports?" in r.url):
            page.locator("#status-filter").select_option("")  # every status
        page.wait_for_selector("#queue li[data-id]")
        shown = {
            int(x)
            for x in page.locator("#queue li[data-id]").evaluate_all(
                "els => els.map(e => e.dataset.id)"
            )
        }
        mine = "kabupaten_code = :k AND agency = 'dinas_pu'"
        assert shown == sql_ids(seeded.engine, mine, {"k": seeded.kab_b}) and shown
        page.locator("#signout").click()
        assert page.evaluate(offered) == everything
        v.clean()
    finally:
        v.context.close()
