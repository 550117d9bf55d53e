"""Real data from ../shared/data/jakarta: ingest counts and a bbox check against PostGIS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from layers.ingest import ingest_file
from layers.writer import SourceInfo
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data

# Around Pasar Induk Kramat Jati (East Jakarta).
KRAMAT_JATI_BBOX = (106.84, -6.31, 106.89, -6.26)


def _load_jakarta(engine: Engine) -> None:
    base_map = "DKI Jakarta 1:1000 base map"
    with engine.connect() as conn:
        ingest_file(
            conn,
            shared_file("jakarta", "puskesmas.geojson"),
            kind="points",
            mapping={"NAMOBJ": "name", "OBJECTID": "source_id"},
            defaults={"category": "puskesmas"},
            source=SourceInfo(id="jakarta-puskesmas", title="Puskesmas DKI", attribution=base_map),
        )
        ingest_file(
            conn,
            shared_file("jakarta", "rumahsakit.geojson"),
            kind="points",
            mapping={"NAMOBJ": "name", "OBJECTID": "source_id", "RSALAMAT": "address"},
            defaults={"category": "rumah_sakit"},
            source=SourceInfo(
                id="jakarta-rumahsakit", title="Rumah sakit DKI", attribution=base_map
            ),
        )
        ingest_file(
            conn,
            shared_file("jakarta", "kecamatan.gpkg"),
            kind="areas",
            mapping={"KEC_NAME": "name"},
            defaults={"level": "kecamatan"},
            source=SourceInfo(
                id="jakarta-kecamatan",
                title="Kecamatan DKI",
                attribution="© OpenStreetMap contributors",
            ),
        )


def test_jakarta_counts_and_reingest(clean_engine: Engine):
    _load_jakarta(clean_engine)
    _load_jakarta(clean_engine)  # idempotent
    with clean_engine.connect() as conn:
        counts = dict(
            conn.execute(text("SELECT source, count(*) FROM service_points GROUP BY source")).all()
        )
        areas = conn.execute(
            text(
                "SELECT count(*), bool_and(ST_IsValid(geom)) FROM admin_areas "
                "WHERE source = 'jakarta-kecamatan'"
            )
        ).one()
    assert counts == {"jakarta-puskesmas": 560, "jakarta-rumahsakit": 191}
    assert tuple(areas) == (42, True)


def test_bbox_around_kramat_jati_matches_postgis(clean_engine: Engine, scratch_client: TestClient):
    _load_jakarta(clean_engine)
    minx, miny, maxx, maxy = KRAMAT_JATI_BBOX
    with clean_engine.connect() as conn:
        expected = set(
            conn.execute(
                text(
                    "SELECT id FROM service_points WHERE ST_Intersects(geom, "
                    "ST_MakeEnvelope(:a, :b, :c, :d, 4326))"
                ),
                {"a": minx, "b": miny, "c": maxx, "d": maxy},
            ).scalars()
        )
    assert 10 < len(expected) < 400
    got: set[int] = set()
    url = "/collections/service_points/items"
    params: dict[str, str] | None = {"bbox": ",".join(map(str, KRAMAT_JATI_BBOX)), "limit": "7"}
    while url:
        body = scratch_client.get(url, params=params).json()
        assert body["numberMatched"] == len(expected)
        got |= {f["id"] for f in body["features"]}
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url, params = (nxt[0].replace("http://testserver", ""), None) if nxt else ("", None)
    assert got == expected
    # category filter on top of bbox
    hosp = scratch_client.get(
        "/collections/service_points/items",
        params={
            "bbox": ",".join(map(str, KRAMAT_JATI_BBOX)),
            "category": "rumah_sakit",
            "limit": 1000,
        },
    ).json()
    assert all(f["properties"]["category"] == "rumah_sakit" for f in hosp["features"])
    assert 0 < hosp["numberMatched"] < len(expected)
