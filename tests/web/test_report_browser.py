"""The citizen-report pages in Debian's chromium: a citizen on a 390x844 phone taps
the map, writes the report, attaches a photo and gets the tracking code; an officer
signs in on /peta/laporan with an API key made here by the project's own key code
and moves the report on with a public note; the citizen's /lapor/{code} shows the
new step. Errors (outside Lampung, 422) are written in the page's language.

Every check of the outcome reads the API's JSON or the database directly, never the
page's own code; no console error, no CSP violation, nothing asked of another host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from layers.db.engine import make_engine
from tests.web.browser import DESKTOP, PHONE, open_page, shot, wib
from tests.web.conftest import Site

pytestmark = pytest.mark.browser

NOTE = "Sudah dicek petugas di lapangan, diteruskan ke Dinas PU."
STORY = "Jalan berlubang besar di depan pasar, berbahaya untuk motor malam hari."


def tap(page: Any, lon: float, lat: float) -> None:
    """Centre the map on (lon, lat) and tap it there with the mouse, as a finger would."""
    page.evaluate("([lat, lon]) => LGEO.map.setView([lat, lon], 15, {animate: false})", [lat, lon])
    x, y = page.evaluate(
        "([lat, lon]) => { const p = LGEO.map.latLngToContainerPoint([lat, lon]);"
        " const r = LGEO.map.getContainer().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lat, lon],
    )
    page.mouse.click(x, y)


def test_citizen_reports_officer_moves_citizen_sees_step(
    browser: Any, site: Site, artifacts: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "lubang.png"
    Image.new("RGB", (64, 48), (120, 90, 60)).save(photo, format="PNG")
    fake = tmp_path / "foto.jpg"
    lon, lat = site.point

    # -- the citizen, on a phone ------------------------------------------------------
    v = open_page(browser, f"{site.url}/lapor", PHONE, "id")
    page = v.page
    try:
        page.locator("#category").select_option("jalan_rusak")
        page.locator("#description").fill("rusak")  # too short: said before sending
        page.locator("#send").click()
        assert "10–2.000 karakter" in page.locator("#report-msg").inner_text()
        page.locator("#description").fill(STORY)
        assert page.locator("#counter").inner_text().startswith(f"{len(STORY)} / 2.000")

        # a point outside Lampung (Jakarta): the API's 422, in Indonesian, naming it
        tap(page, 106.8272, -6.1754)
        with page.expect_response(lambda r: r.url.endswith("/reports")) as bad:
            page.locator("#send").click()
        assert bad.value.status == 422
        page.wait_for_function("() => !document.getElementById('report-msg').hidden")
        assert "di luar Provinsi Lampung" in page.locator("#report-msg").inner_text()

        tap(page, lon, lat)
        assert page.locator("#place").inner_text().startswith("Lokasi: ")
        # a PDF named .jpg: the API looks at the content (415), the page says so
        fake.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        page.locator("#photo").set_input_files(str(fake))
        with page.expect_response(lambda r: r.url.endswith("/reports")) as refused:
            page.locator("#send").click()
        assert refused.value.status == 415
        page.wait_for_function(
            "() => document.getElementById('report-msg').textContent.includes('JPEG')"
        )
        assert page.locator("#report-msg").inner_text() == (
            "Foto harus berupa gambar JPEG, PNG atau WebP."
        )
        page.locator("#photo").set_input_files(str(photo))
        with page.expect_response(lambda r: r.url.endswith("/reports")) as answer:
            page.locator("#send").click()
        assert answer.value.status == 201
        sent = answer.value.request
        assert "multipart/form-data" in sent.headers["content-type"]
        made = answer.value.json()
        code = made["code"]
        page.wait_for_selector("#receipt", state="visible")
        assert page.locator("#code").inner_text() == code
        assert page.locator("#code").is_visible()
        assert page.locator("#follow").get_attribute("href") == f"/lapor/{code}?lang=id"
        shot(page, artifacts, "report-phone-receipt")
        v.clean(provoked=(415, 422))
    finally:
        v.context.close()

    # the stored report (oracle: the public API and the database, not the page)
    public = httpx.get(f"{site.url}/reports/{code}").json()
    assert public["status"] == "diterima" and public["category"] == "jalan_rusak"
    assert public["photo"] is not None and public["description"] == STORY
    engine = make_engine(site.db)
    with engine.connect() as conn:
        x, y, source, sha = conn.execute(
            text(
                "SELECT ST_X(geom), ST_Y(geom), location_source, photo_sha256 "
                "FROM reports WHERE code = :c"
            ),
            {"c": code},
        ).one()
    assert source == "map" and sha is not None
    assert abs(x - lon) < 1e-4 and abs(y - lat) < 1e-4  # the tapped point (map pixels)

    # -- the officer, on a desktop: sign in, select it, move it on ----------------------
    o = open_page(browser, f"{site.url}/peta/laporan", DESKTOP, "id")
    page = o.page
    try:
        page.locator("#api-key").fill(site.key)
        page.locator("#signin").click()
        page.wait_for_selector(f"#queue button[data-id='{made['id']}']")
        assert page.evaluate("() => sessionStorage.getItem('lgeo.apiKey')") == site.key
        page.locator(f"#queue button[data-id='{made['id']}']").click()
        page.wait_for_selector("#next-status")
        options = page.locator("#next-status option").evaluate_all("els => els.map(e => e.value)")
        # the lifecycle's next steps; Duplikat is the merge box's (with a confirmation)
        assert options == ["diverifikasi", "ditolak"]
        assert page.locator("#merge-box").is_visible()
        page.locator("#next-status").select_option("diverifikasi")
        page.locator("#step-note").fill(NOTE)
        with page.expect_response(lambda r: r.url.endswith("/events")) as step:
            page.locator("#step-save").click()
        assert step.value.status == 201
        assert step.value.request.headers["x-api-key"] == site.key
        page.wait_for_function(
            "() => (document.getElementById('detail-status') || {}).textContent === 'Diverifikasi'"
        )
        assert "Diverifikasi" in page.locator("#queue-msg").inner_text()
        shot(page, artifacts, "report-officer-moved")
        o.clean()
    finally:
        o.context.close()

    with engine.connect() as conn:
        status, note, at = conn.execute(
            text(
                "SELECT e.to_status, e.public_note, e.at FROM report_events e "
                "JOIN reports r ON r.id = e.report_id WHERE r.code = :c ORDER BY e.at DESC, "
                "e.id DESC LIMIT 1"
            ),
            {"c": code},
        ).one()
    engine.dispose()
    assert (status, note) == ("diverifikasi", NOTE)

    # -- the citizen follows the code: the new step, with its note, in WIB ---------------
    for lang, label in (("id", "Diverifikasi"), ("en", "Verified")):
        c = open_page(browser, f"{site.url}/lapor/{code}?lang={lang}", PHONE, lang)
        page = c.page
        try:
            page.wait_for_function("() => document.querySelectorAll('#timeline li').length === 2")
            assert page.locator("#status-now").inner_text() == label
            last = page.locator("#timeline li").nth(1).inner_text()
            assert label in last and NOTE in last and wib(at.isoformat(), lang) in last
            assert page.locator("#rating-form").is_hidden()  # only after Selesai
            assert page.locator("#code").inner_text() == code
            shot(page, artifacts, f"report-status-{lang}")
            c.clean()
        finally:
            c.context.close()

    # -- another citizen at the same spot is offered "sama dengan laporan #…" -----------
    s = open_page(browser, f"{site.url}/lapor?lang=en", PHONE, "en")
    page = s.page
    try:
        page.locator("#category").select_option("jalan_rusak")
        # "Use my location": the browser's geolocation, about 22 m east of the report
        s.context.grant_permissions(["geolocation"])
        s.context.set_geolocation({"latitude": lat, "longitude": lon + 0.0002, "accuracy": 12})
        with page.expect_response(lambda r: "/reports/similar" in r.url) as near:
            page.locator("#locate").click()
        assert page.locator("#place").inner_text() == (
            f"Your location: {lat:.5f}, {lon + 0.0002:.5f} (±12 m)"
        )
        offered = [r["id"] for r in near.value.json()["reports"]]
        assert offered == [made["id"]]
        page.wait_for_selector(f"#similar li[data-id='{made['id']}']")
        item = page.locator(f"#similar li[data-id='{made['id']}']").inner_text()
        assert item.startswith(f"#{made['id']} Damaged road, Verified, ")
        page.locator("#category").select_option("sampah")  # another category: nothing near
        page.wait_for_selector("#similar", state="hidden")
        s.clean()
    finally:
        s.context.close()


def test_resolved_report_is_rated_once(browser: Any, site: Site) -> None:
    """Submitted and moved to Selesai through the API; the page offers the rating once."""
    lon, lat = site.point
    made = httpx.post(
        f"{site.url}/reports",
        data={
            "category": "sampah",
            "description": "Sampah menumpuk di pinggir jalan sejak seminggu.",
            "lon": str(lon - 0.003),
            "lat": str(lat),
        },
    )
    assert made.status_code == 201, made.text
    code, rid = made.json()["code"], made.json()["id"]
    for step in ("diverifikasi", "diteruskan", "ditindaklanjuti", "selesai"):
        r = httpx.post(
            f"{site.url}/officer/reports/{rid}/events",
            json={"status": step, "note": f"langkah {step}"},
            headers={"X-API-Key": site.key},
        )
        assert r.status_code == 201, r.text
    v = open_page(browser, f"{site.url}/lapor/{code}", PHONE, "id")
    page = v.page
    try:
        page.wait_for_function("() => document.querySelectorAll('#timeline li').length === 5")
        assert page.locator("#status-now").inner_text() == "Selesai"
        assert page.locator("#sla").inner_text() == "Dalam batas waktu layanan"
        assert "langkah selesai" in page.locator("#timeline li").nth(4).inner_text()
        page.wait_for_selector("#rating-form", state="visible")
        page.locator("#stars").select_option("4")
        page.locator("#comment").fill("cukup cepat")
        with page.expect_response(lambda r: r.url.endswith("/rating")) as rated:
            page.locator("#rate").click()
        assert rated.value.status == 201
        page.wait_for_selector("#rated", state="visible")
        assert page.locator("#rated").inner_text() == "Nilai Anda: 4 dari 5"
        assert page.locator("#rating-form").is_hidden()
        v.clean()
    finally:
        v.context.close()
    again = httpx.post(f"{site.url}/reports/{code}/rating", json={"stars": 5})
    assert again.status_code == 409  # once
    assert httpx.get(f"{site.url}/reports/{code}").json()["rating"]["stars"] == 4


def test_unknown_code_says_so(browser: Any, site: Site) -> None:
    """A well-formed code nobody has: the page answers 404 and says it in Indonesian."""
    code = "LPR-2222-3333-4444"
    assert httpx.get(f"{site.url}/lapor/{code}").status_code == 404
    assert httpx.get(f"{site.url}/lapor/not-a-code").status_code == 400
    v = open_page(browser, f"{site.url}/lapor/{code.lower().replace('-', '')}", PHONE, "id")
    page = v.page
    try:
        page.wait_for_selector("#report-msg", state="visible")
        assert page.locator("#report-msg").inner_text() == "Kode pelacakan ini tidak ditemukan."
        assert page.locator("#code").inner_text() == code  # normalised
        v.clean(provoked=(404,))
    finally:
        v.context.close()
