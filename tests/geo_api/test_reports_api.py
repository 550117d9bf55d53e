"""Citizen reports over HTTP on the demo database: submit, route, lifecycle, SLA flags,
duplicates and merge, OPD scoping, the rate limit, photos, privacy, stats and exports.

Oracles: direct SQL on the tables (counts, areas by ST_Covers, followers), Pillow on the
stored bytes, h3 on the exact points read back by SQL, and the JSON text itself.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, text

from geo_api.app import create_app
from geo_api.settings import (
    DatabaseSettings,
    ReportSettings,
    RoutingSettings,
    Settings,
)
from layers.apikeys import create_key
from layers.reports import Assignment, NewReport, locate, submit_report
from layers.reports_offices import upsert_offices
from layers.writer import SourceInfo
from tests.layers.test_photos import jpeg_with_gps, png_bytes

PHONE = "+62 812 3456 7890"
EMAIL = "warga.pelapor@example.org"


@pytest.fixture(scope="module")
def engine(writable_demo_engine: Engine) -> Engine:
    with writable_demo_engine.begin() as conn:
        conn.execute(text("TRUNCATE reports, report_rate_events, agency_offices CASCADE"))
    return writable_demo_engine


def inner_point(
    engine: Engine, code_prefix: str, *, level: str = "kecamatan"
) -> tuple[float, float]:
    """A point inside the first area of ``level`` under the kabupaten ``code_prefix``."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p, a.id "
                "FROM admin_areas a JOIN admin_areas k ON k.id = a.parent_id "
                "WHERE a.level = :lv AND k.code = :k ORDER BY a.id LIMIT 1) s"
            ),
            {"lv": level, "k": code_prefix},
        ).one()
    return round(float(row[0]), 6), round(float(row[1]), 6)


@pytest.fixture(scope="module")
def offices(engine: Engine) -> dict[str, Any]:
    """Dinas PU in Bandar Lampung (1871), Dinkes in Bandar Lampung, Dinas PU province."""
    lon, lat = inner_point(engine, "1871")
    rows = [
        {"source_id": "pu-1871", "agency": "dinas_pu", "level": "kabupaten",
         "name": "Dinas PU Kota Bandar Lampung", "lon": lon + 0.002, "lat": lat + 0.002},
        {"source_id": "dinkes-1871", "agency": "dinkes", "level": "kabupaten",
         "name": "Dinas Kesehatan Kota Bandar Lampung", "lon": lon - 0.002, "lat": lat},
        {"source_id": "pu-prov", "agency": "dinas_pu", "level": "provinsi",
         "name": "Dinas PU Provinsi Lampung", "lon": lon + 0.01, "lat": lat - 0.01},
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert_offices(conn, SourceInfo(id="test-offices", title="test offices"), rows)
    return {"point": (lon, lat)}


@pytest.fixture(scope="module")
def keys(engine: Engine) -> dict[str, str]:
    with engine.begin() as conn:
        officer, _ = create_key(conn, role="planner", name="verifikator")
        dinkes, _ = create_key(conn, role="planner", name="dinkes", agency="dinkes")
        pu_pringsewu, _ = create_key(
            conn, role="planner", name="pu-1810", agency="dinas_pu", area_code="1810"
        )
        viewer, _ = create_key(conn, role="viewer", name="dashboard")
    return {"officer": officer, "dinkes": dinkes, "pu_1810": pu_pringsewu, "viewer": viewer}


def make_settings(url: str, graphs: Path, photos: Path, *, limit: int = 10_000) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=url),
        routing=RoutingSettings(graph_dir=graphs),
        reports=ReportSettings(rate_limit_per_hour=limit, photo_dir=photos),
    )


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def client(
    engine: Engine,
    offices: dict[str, Any],
    writable_demo_url: str,
    demo_graph_dir: Path,
    photo_dir: Path,
) -> Iterator[TestClient]:
    app = create_app(make_settings(writable_demo_url, demo_graph_dir, photo_dir))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def submit(
    client: TestClient,
    lon: float,
    lat: float,
    *,
    category: str = "jalan_rusak",
    description: str = "Jalan berlubang besar di depan sekolah, berbahaya untuk motor.",
    files: dict[str, Any] | None = None,
    **extra: Any,
) -> Any:
    data = {"category": category, "description": description, "lon": lon, "lat": lat}
    return client.post("/reports", data=data | extra, files=files)


def step(client: TestClient, key: str, report_id: int, status: str, **body: Any) -> Any:
    return client.post(
        f"/officer/reports/{report_id}/events",
        json={"status": status} | body,
        headers={"X-API-Key": key},
    )


def test_submit_routes_to_area_agency_and_office(
    client: TestClient, engine: Engine, offices: dict[str, Any]
) -> None:
    lon, lat = offices["point"]
    r = submit(client, lon, lat, phone=PHONE, email=EMAIL)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["code"].startswith("LPR-") and len(body["code"]) == 18
    assert r.headers["Location"].endswith(f"/reports/{body['code']}")
    # oracle: which areas cover the point, straight from PostGIS
    with engine.connect() as conn:
        names = dict(
            conn.execute(
                text(
                    "SELECT level, name FROM admin_areas WHERE level IN ('kabupaten', "
                    "'kecamatan') AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                ),
                {"x": lon, "y": lat},
            ).all()
        )
        contacts = conn.execute(
            text("SELECT phone, email FROM report_followers WHERE report_id = :i"),
            {"i": body["id"]},
        ).all()
    assert body["kabupaten"] == names["kabupaten"]
    assert body["kecamatan"] == names["kecamatan"]
    assert body["agency"]["code"] == "dinas_pu"
    assert body["office"] == "Dinas PU Kota Bandar Lampung"
    assert contacts == [(PHONE, EMAIL)]
    # the citizen's page never shows contacts
    page = client.get(f"/reports/{body['code'].lower()}")
    assert page.status_code == 200
    assert PHONE not in page.text and EMAIL not in page.text
    assert page.json()["status"] == "diterima"


def test_outside_lampung_is_422(client: TestClient) -> None:
    r = submit(client, 106.8456, -6.2088)  # Monas, Jakarta
    assert r.status_code == 422
    assert "outside Lampung" in r.json()["description"]


@pytest.mark.parametrize(
    "description", ["pendek", "          a         ", "x" * 2001], ids=["short", "blank", "long"]
)
def test_text_length_is_checked(
    client: TestClient, offices: dict[str, Any], description: str
) -> None:
    r = submit(client, *offices["point"], description=description)
    assert r.status_code == 400  # request validation, as everywhere in the API
    assert r.json()["field"] == "description"


def test_lifecycle_sla_rating(
    client: TestClient, keys: dict[str, str], offices: dict[str, Any], engine: Engine
) -> None:
    lon, lat = offices["point"]
    made = submit(client, lon + 0.003, lat, category="sampah").json()
    rid, code = made["id"], made["code"]
    officer = keys["officer"]
    # illegal jumps are 409; a rejection needs a note (422)
    assert step(client, officer, rid, "selesai").status_code == 409
    assert step(client, officer, rid, "ditindaklanjuti").status_code == 409
    assert step(client, officer, rid, "ditolak").status_code == 422
    # rating before Selesai: 409
    assert client.post(f"/reports/{code}/rating", json={"stars": 4}).status_code == 409
    for status, note in (
        ("diverifikasi", "Sudah dicek petugas."),
        ("diteruskan", None),
        ("ditindaklanjuti", "Truk sampah dijadwalkan besok."),
        ("selesai", "Sampah sudah diangkut."),
    ):
        r = step(client, officer, rid, status, **({"note": note} if note else {}))
        assert r.status_code == 201, r.text
        assert r.json()["event"]["status"] == status
    assert step(client, officer, rid, "diverifikasi").status_code == 409  # closed
    page = client.get(f"/reports/{code}").json()
    assert [e["status"] for e in page["timeline"]] == [
        "diterima", "diverifikasi", "diteruskan", "ditindaklanjuti", "selesai",
    ]  # fmt: skip
    assert page["timeline"][-1]["note"] == "Sampah sudah diangkut."
    assert page["sla"]["response_within_sla"] is True
    assert page["sla"]["overdue_response"] is False
    assert page["can_rate"] is True
    with engine.connect() as conn:
        events = conn.execute(
            text("SELECT count(*) FROM report_events WHERE report_id = :i"), {"i": rid}
        ).scalar_one()
    assert events == 5
    assert client.post(f"/reports/{code}/rating", json={"stars": 6}).status_code == 400
    assert client.post(f"/reports/{code}/rating", json={"stars": 5}).status_code == 201
    assert client.post(f"/reports/{code}/rating", json={"stars": 1}).status_code == 409
    # reports are never edited: the database refuses an UPDATE
    with engine.connect() as conn, pytest.raises(Exception, match="never edited"):
        conn.execute(text("UPDATE reports SET description = 'x' WHERE id = :i"), {"i": rid})


def _old_report(engine: Engine, lon: float, lat: float, hours: float, category: str) -> int:
    """A report submitted ``hours`` ago (historical load path of the layer)."""
    with engine.begin() as conn:
        place = locate(conn, lon, lat, province_code="18")
        made = submit_report(
            conn,
            NewReport(
                category=category, description="Lampu jalan mati sejak lama.", lon=lon, lat=lat
            ),
            place=place,
            assignment=Assignment("dishub", "kabupaten"),
            client_hash=None,
            rate_limit=0,
            submitted_at=datetime.now(UTC) - timedelta(hours=hours),
        )
    return made.id


def test_sla_flags(
    client: TestClient, keys: dict[str, str], offices: dict[str, Any], engine: Engine
) -> None:
    lon, lat = offices["point"]
    # lampu_jalan: 6 h to respond, 72 h to resolve
    late = _old_report(engine, lon + 0.02, lat, 10, "lampu_jalan")
    very_late = _old_report(engine, lon + 0.03, lat, 100, "lampu_jalan")
    fresh = _old_report(engine, lon + 0.04, lat, 1, "lampu_jalan")
    answered_late = _old_report(engine, lon + 0.05, lat, 20, "lampu_jalan")
    assert step(client, keys["officer"], answered_late, "diverifikasi").status_code == 201
    h = {"X-API-Key": keys["viewer"]}
    got = {
        i: client.get(f"/officer/reports/{i}", headers=h).json()["sla"]
        for i in (late, very_late, fresh, answered_late)
    }
    assert got[late]["overdue_response"] and not got[late]["overdue_resolution"]
    assert got[very_late]["overdue_response"] and got[very_late]["overdue_resolution"]
    assert not got[fresh]["overdue_response"] and not got[fresh]["overdue_resolution"]
    assert not got[answered_late]["overdue_response"]
    assert got[answered_late]["response_within_sla"] is False
    queue = client.get(
        "/officer/reports", params={"overdue": "true", "category": "lampu_jalan"}, headers=h
    ).json()
    assert {f["id"] for f in queue["features"]} == {late, very_late}
    public = client.get("/collections/reports/items", params={"limit": 1000}).json()
    flags = {f["id"]: f["properties"]["overdue_response"] for f in public["features"]}
    assert flags[late] is True and flags[fresh] is False


def test_duplicates_and_merge(
    client: TestClient, keys: dict[str, str], offices: dict[str, Any], engine: Engine
) -> None:
    lon, lat = offices["point"]
    base = (lon - 0.004, lat + 0.004)
    first = submit(client, *base, category="banjir", phone="081200000001").json()
    assert first["similar"] == []
    # ~20 m east: offered as the same
    second = submit(client, base[0] + 0.00018, base[1], category="banjir", phone="081200000002")
    second_body = second.json()
    assert [s["id"] for s in second_body["similar"]] == [first["id"]]
    assert second_body["similar"][0]["message"] == f"sama dengan laporan #{first['id']}?"
    # ~200 m away, or another category: not offered
    far = submit(client, base[0] + 0.0018, base[1], category="banjir").json()
    other = submit(client, *base, category="sampah").json()
    assert first["id"] not in [s["id"] for s in far["similar"]]
    assert first["id"] not in [s["id"] for s in other["similar"]]
    offered = client.get(
        "/reports/similar", params={"category": "banjir", "lon": base[0], "lat": base[1]}
    ).json()
    assert {s["id"] for s in offered["reports"]} == {first["id"], second_body["id"]}
    # merge: the duplicate's follower moves to the first report
    r = step(client, keys["officer"], second_body["id"], "duplikat", duplicate_of=first["id"])
    assert r.status_code == 201, r.text
    with engine.connect() as conn:
        phones = sorted(
            conn.execute(
                text("SELECT phone FROM report_followers WHERE report_id = :i"),
                {"i": first["id"]},
            ).scalars()
        )
    assert phones == ["081200000001", "081200000002"]
    citizen = client.get(f"/reports/{second_body['code']}").json()
    assert citizen["status"] == "duplikat"
    assert citizen["merged_into"]["id"] == first["id"]
    assert client.get(f"/reports/{first['code']}").json()["followers"] == 2
    # a merge into a closed report, or into itself, is refused
    assert (
        step(client, keys["officer"], far["id"], "duplikat", duplicate_of=far["id"]).status_code
        == 409
    )
    assert (
        step(
            client, keys["officer"], far["id"], "duplikat", duplicate_of=second_body["id"]
        ).status_code
        == 409
    )


def test_opd_keys_see_only_their_own(
    client: TestClient, keys: dict[str, str], offices: dict[str, Any]
) -> None:
    lon, lat = offices["point"]
    road = submit(client, lon + 0.006, lat).json()
    clinic = submit(
        client,
        lon + 0.006,
        lat + 0.001,
        category="layanan_puskesmas",
        description="Antrian puskesmas sangat lama, petugas tidak ada.",
        phone=PHONE,
    ).json()
    assert clinic["agency"]["code"] == "dinkes"
    dinkes = {"X-API-Key": keys["dinkes"]}
    assert client.get(f"/officer/reports/{road['id']}", headers=dinkes).status_code == 403
    assert step(client, keys["dinkes"], road["id"], "diverifikasi").status_code == 403
    mine = client.get(f"/officer/reports/{clinic['id']}", headers=dinkes)
    assert mine.status_code == 200
    assert mine.json()["contacts"][0]["phone"] == PHONE
    assert step(client, keys["dinkes"], clinic["id"], "diverifikasi").status_code == 201
    queue = client.get("/officer/reports", headers=dinkes, params={"limit": 1000}).json()
    assert queue["numberMatched"] >= 1
    assert {f["properties"]["agency"]["code"] for f in queue["features"]} == {"dinkes"}
    assert queue["scope"] == {"agency": "dinkes", "area_code": None}  # the page uses it
    # a Dinas PU key of Pringsewu (1810) does not cover Bandar Lampung (1871)
    pu = {"X-API-Key": keys["pu_1810"]}
    assert client.get(f"/officer/reports/{road['id']}", headers=pu).status_code == 403
    pu_queue = client.get("/officer/reports", headers=pu).json()
    assert pu_queue["scope"] == {"agency": "dinas_pu", "area_code": "1810"}
    assert all(f["properties"]["kabupaten_code"] == "1810" for f in pu_queue["features"])
    # no key: 401; a viewer may read but not move
    assert client.get(f"/officer/reports/{road['id']}").status_code == 401
    assert step(client, keys["viewer"], road["id"], "diverifikasi").status_code == 403
    viewer = client.get(f"/officer/reports/{clinic['id']}", headers={"X-API-Key": keys["viewer"]})
    assert viewer.json()["contacts"] is None


def test_public_collection_hides_contacts_and_exact_point(
    client: TestClient, offices: dict[str, Any], engine: Engine
) -> None:
    lon, lat = offices["point"][0] + 0.00737, offices["point"][1] - 0.00412
    made = submit(
        client, lon, lat, phone="081299998888", email="rahasia@example.org",
        description="Tiang lampu roboh menghalangi jalan kampung.", category="ketertiban",
    ).json()  # fmt: skip
    r = client.get(f"/collections/reports/items/{made['id']}")
    assert r.status_code == 200, r.text
    raw = r.text
    for secret in ("081299998888", "rahasia@example.org", made["code"], "Tiang lampu roboh"):
        assert secret not in raw
    feat = r.json()
    props = feat["properties"]
    for forbidden in ("phone", "email", "description", "code", "contacts", "photo"):
        assert forbidden not in props
    x, y = feat["geometry"]["coordinates"]
    assert (x, y) != (lon, lat)
    assert round(x, 3) == pytest.approx(x) and round(y, 3) == pytest.approx(y)
    assert abs(x - lon) <= 0.0005 + 1e-9 and abs(y - lat) <= 0.0005 + 1e-9
    assert props["category"] == "ketertiban" and props["status"] == "diterima"
    items = client.get("/collections/reports/items", params={"limit": 1000})
    for s in ("081299998888", "rahasia@example.org", PHONE, EMAIL):
        assert s not in items.text
    with engine.connect() as conn:
        exact = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM reports")).all()
    coords = {tuple(f["geometry"]["coordinates"]) for f in items.json()["features"]}
    assert not coords & {(float(a), float(b)) for a, b in exact}


def test_photos_over_http(client: TestClient, offices: dict[str, Any], photo_dir: Path) -> None:
    lon, lat = offices["point"][0] - 0.006, offices["point"][1]
    png = submit(client, lon, lat, files={"photo": ("foto.jpg", png_bytes(), "image/jpeg")})
    assert png.status_code == 201, png.text
    assert png.json()["photo"] is True
    page = client.get(f"/reports/{png.json()['code']}").json()
    assert page["photo"]["media_type"] == "image/png"
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    bad = submit(client, lon, lat, files={"photo": ("foto.jpg", pdf, "image/jpeg")})
    assert bad.status_code == 415
    assert bad.json()["field"] == "photo"
    big = jpeg_with_gps() + b"\x00" * (8 * 1024 * 1024)
    huge = submit(client, lon, lat, files={"photo": ("foto.jpg", big, "image/jpeg")})
    assert huge.status_code == 413
    gps = submit(client, lon, lat, files={"photo": ("IMG_0001.JPG", jpeg_with_gps(), "image/jpeg")})
    assert gps.status_code == 201
    code = gps.json()["code"]
    stored = client.get(f"/reports/{code}/photo")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    back = Image.open(io.BytesIO(stored.content))
    assert len(back.getexif()) == 0 and not back.getexif().get_ifd(0x8825)
    thumb = Image.open(io.BytesIO(client.get(f"/reports/{code}/photo?size=thumb").content))
    assert max(thumb.size) <= 320
    # the file on disk is the one served, under its own SHA-256
    on_disk = [p for p in photo_dir.rglob("*.jpg") if p.read_bytes() == stored.content]
    assert len(on_disk) == 1
    import hashlib

    assert on_disk[0].stem == hashlib.sha256(stored.content).hexdigest()
    assert b"PhoneCam" not in on_disk[0].read_bytes()


def test_rate_limit_429(
    engine: Engine,
    offices: dict[str, Any],
    writable_demo_url: str,
    demo_graph_dir: Path,
    photo_dir: Path,
) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE report_rate_events"))
    app = create_app(make_settings(writable_demo_url, demo_graph_dir, photo_dir, limit=3))
    lon, lat = offices["point"]
    with TestClient(app, raise_server_exceptions=False) as c:
        got = [submit(c, lon + 0.0005 * i, lat - 0.001).status_code for i in range(4)]
        assert got == [201, 201, 201, 429]
        r = submit(c, lon, lat - 0.001)
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 3600
        assert "3" in r.json()["description"]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE report_rate_events"))


def test_stats_against_sql(client: TestClient, engine: Engine, keys: dict[str, str]) -> None:
    r = client.get("/reports/stats", params={"level": "kecamatan"})
    assert r.status_code == 200, r.text
    body = r.json()
    with engine.connect() as conn:
        expected = dict(
            conn.execute(
                text(
                    "SELECT r.kecamatan_id, count(*) FROM reports r JOIN report_state s "
                    "ON s.report_id = r.id WHERE s.status <> 'duplikat' "
                    "AND r.kecamatan_id IS NOT NULL GROUP BY 1"
                )
            ).all()
        )
        per_cat = Counter(
            {
                (int(k), c): int(n)
                for k, c, n in conn.execute(
                    text(
                        "SELECT r.kecamatan_id, r.category, count(*) FROM reports r "
                        "JOIN report_state s ON s.report_id = r.id "
                        "WHERE s.status <> 'duplikat' AND r.kecamatan_id IS NOT NULL "
                        "GROUP BY 1, 2"
                    )
                ).all()
            }
        )
        n_kec = conn.execute(
            text(
                "SELECT count(*) FROM admin_areas a JOIN admin_areas k ON k.id = a.parent_id "
                "WHERE a.level = 'kecamatan' AND k.code LIKE '18%'"
            )
        ).scalar_one()
    assert len(expected) >= 2
    got = {a["id"]: a["count"] for a in body["areas"] if a["count"]}
    assert got == expected
    assert len(body["areas"]) == n_kec
    got_cat = Counter(
        {(a["id"], c["category"]): c["count"] for a in body["areas"] for c in a["categories"]}
    )
    assert +got_cat == +per_cat
    assert body["totals"]["count"] == sum(expected.values()) + body["unplaced"]
    # the resolved sampah report of the lifecycle test: one resolution within SLA
    sampah = client.get("/reports/stats", params={"level": "kabupaten", "category": "sampah"})
    totals = sampah.json()["totals"]
    assert totals["pct_resolution_within_sla"] == 100.0
    # CSV has one row per area x category with reports, plus area totals
    csv_text = client.get("/reports/stats", params={"level": "kabupaten", "f": "csv"}).text
    assert list(csv.DictReader(io.StringIO(csv_text)))


def test_hotspots_against_h3(client: TestClient, engine: Engine) -> None:
    r = client.get("/reports/hotspots", params={"resolution": 8, "limit": 10_000})
    assert r.status_code == 200
    with engine.connect() as conn:
        points = conn.execute(
            text(
                "SELECT ST_Y(r.geom), ST_X(r.geom) FROM reports r JOIN report_state s "
                "ON s.report_id = r.id WHERE s.status <> 'duplikat'"
            )
        ).all()
    expected = Counter(h3.latlng_to_cell(y, x, 8) for y, x in points)
    got = {f["properties"]["h3"]: f["properties"]["count"] for f in r.json()["features"]}
    assert got == dict(expected)


def test_exports(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    with engine.connect() as conn:  # duplicates included: their status says so
        n = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/export?f=csv").text)))
    assert len(rows) == n
    assert not {"phone", "email", "description", "code"} & set(rows[0])
    assert "duplikat" in {r["status"] for r in rows}
    gj = client.get("/reports/export?f=geojson").json()
    assert len(gj["features"]) == n
    gpkg = client.get("/reports/export?f=gpkg")
    assert gpkg.status_code == 200
    path = tmp_path / "laporan.gpkg"
    path.write_bytes(gpkg.content)
    with sqlite3.connect(path) as db:
        table = db.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
        ).fetchone()[0]
        assert db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == n
    assert json.dumps(gj).count("LPR-") == 0
