"""Place search (layers.search) on a small hand-made town whose answers are known.

The town: Kota Bandar Lampung (a square) with kecamatan Sukarame (which has a kantor
camat) and Way Halim (no office), desa Sukarame Baru inside Sukarame; Kabupaten
Lampung Selatan next to it. Service points and settlements are placed by hand, so the
expected match class, context, point and distance of every result is worked out here,
not by the code under test (distances with pyproj's geodesic, containment with shapely).
"""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely.geometry import Point, box
from sqlalchemy import Engine, text

from layers.errors import InvalidParameterError
from layers.search import LIMIT_MAX, normalise_query, search_places

SQUARE = "SRID=4326;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"
AREAS = {
    # name: (level, parent, (x0, y0, x1, y1))
    "Kota Bandar Lampung": ("kabupaten", None, (105.20, -5.50, 105.40, -5.30)),
    "Kabupaten Lampung Selatan": ("kabupaten", None, (105.40, -5.50, 105.60, -5.30)),
    "Sukarame": ("kecamatan", "Kota Bandar Lampung", (105.28, -5.40, 105.32, -5.36)),
    "Way Halim": ("kecamatan", "Kota Bandar Lampung", (105.24, -5.40, 105.28, -5.36)),
    "Sukarame Baru": ("desa", "Sukarame", (105.30, -5.39, 105.31, -5.38)),
}
POINTS = [
    # (category, name, lon, lat)
    ("puskesmas", "Puskesmas Sukarame", 105.29, -5.38),
    ("puskesmas", "Puskesmas Sukarame", 105.55, -5.40),  # the same name in the next kabupaten
    ("puskesmas", "Puskesmas Sukaraja", 105.26, -5.38),
    ("kantor_camat", "Kantor Camat Sukarame", 105.295, -5.375),
    ("rumah_sakit", "RS Café Mutiara", 105.27, -5.37),
]
SETTLEMENTS = [
    ("Sukarame", (105.285, -5.395, 105.287, -5.393)),
    ("Sukarame", (105.288, -5.395, 105.290, -5.393)),  # 330 m away: the same village
    ("Sukarame", (105.50, -5.45, 105.502, -5.448)),  # another village of that name
]
ORDER = {"exact": 4, "prefix": 3, "word": 2, "similar": 1}
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def town(clean_engine: Engine) -> Engine:
    with clean_engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, title) VALUES ('t', 'test town')"))
        ids: dict[str, int] = {}
        for name, (level, parent, (x0, y0, x1, y1)) in AREAS.items():
            ids[name] = conn.execute(
                text(
                    "INSERT INTO admin_areas (source, source_id, level, name, parent_id, geom) "
                    "VALUES ('t', :sid, :level, :name, :parent, ST_GeomFromEWKT(:g)) "
                    "RETURNING id"
                ),
                {
                    "sid": name,
                    "level": level,
                    "name": name,
                    "parent": ids.get(parent) if parent else None,
                    "g": SQUARE.format(x0=x0, y0=y0, x1=x1, y1=y1),
                },
            ).scalar_one()
        for n, (category, name, lon, lat) in enumerate(POINTS):
            conn.execute(
                text(
                    "INSERT INTO service_points (source, source_id, category, name, geom) "
                    "VALUES ('t', :sid, :cat, :name, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                ),
                {"sid": f"p{n}", "cat": category, "name": name, "x": lon, "y": lat},
            )
        for n, (name, (x0, y0, x1, y1)) in enumerate(SETTLEMENTS):
            conn.execute(
                text(
                    "INSERT INTO settlements (source, source_id, name, kind, geom) "
                    "VALUES ('t', :sid, :name, 'Permukiman', ST_GeomFromEWKT(:g))"
                ),
                {"sid": f"s{n}", "name": name, "g": SQUARE.format(x0=x0, y0=y0, x1=x1, y1=y1)},
            )
    return clean_engine


def _names(results: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [(r.kind, r.name, r.match) for r in results]


def test_match_classes_rank_exact_prefix_word_similar(town: Engine) -> None:
    with town.connect() as conn:
        res = search_places(conn, "Sukarame", limit=LIMIT_MAX)
    got = _names(res)
    # worked out by hand from the names
    assert got[0] == ("kecamatan", "Sukarame", "exact")
    assert set(got) == {
        ("kecamatan", "Sukarame", "exact"),
        ("settlement", "Sukarame", "exact"),  # the two nearby polygons: one result
        ("desa", "Sukarame Baru", "prefix"),
        ("service_point", "Puskesmas Sukarame", "word"),
        ("service_point", "Kantor Camat Sukarame", "word"),
        ("service_point", "Puskesmas Sukaraja", "similar"),  # 6 of 9 trigrams
    }
    assert sum(1 for g in got if g == ("settlement", "Sukarame", "exact")) == 2  # two villages
    assert sum(1 for g in got if g[1] == "Puskesmas Sukarame") == 2
    classes = [ORDER[r.match] for r in res]
    assert classes == sorted(classes, reverse=True)
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True)
    assert all(ORDER[r.match] <= r.score < ORDER[r.match] + 1 for r in res)
    assert ("kecamatan", "Way Halim") not in {(k, n) for k, n, _ in got}


def test_typos_are_tolerated(town: Engine) -> None:
    with town.connect() as conn:
        typo = search_places(conn, "Sukarme")
        assert (typo[0].kind, typo[0].name, typo[0].match) == ("kecamatan", "Sukarame", "similar")
        names = [r.name for r in typo]
        # "sukarme" shares 6 of its 8 trigrams with "sukarame", 5 with "sukaraja"
        assert names.index("Puskesmas Sukaraja") > names.index("Puskesmas Sukarame")
        assert search_places(conn, "wai halim")[0].name == "Way Halim"
        assert search_places(conn, "sukar")[0].match == "prefix"
        assert search_places(conn, "camat sukar")[0].name == "Kantor Camat Sukarame"


def test_accents_case_and_punctuation_do_not_matter(town: Engine) -> None:
    with town.connect() as conn:
        for q in ("cafe mutiara", "CAFÉ", "rs. café-mutiara"):
            res = search_places(conn, q)
            assert res and res[0].name == "RS Café Mutiara", q


def test_nothing_found_is_an_empty_list(town: Engine) -> None:
    with town.connect() as conn:
        assert search_places(conn, "Xyzzyq") == []
        assert search_places(conn, "!!") == []  # no letter or digit: nothing to compare
        assert search_places(conn, "'; DROP TABLE service_points; --") == []
        assert conn.execute(text("SELECT count(*) FROM service_points")).scalar_one() == 5


def test_near_prefers_the_closer_of_equal_names(town: Engine) -> None:
    with town.connect() as conn:
        for lon, lat in ((105.55, -5.40), (105.29, -5.38)):
            res = search_places(conn, "Puskesmas Sukarame", near=(lon, lat), limit=2)
            assert [r.name for r in res] == ["Puskesmas Sukarame"] * 2
            assert (res[0].lon, res[0].lat) == (lon, lat)
            assert res[0].distance_m == pytest.approx(0, abs=0.1)
            _, _, far = GEOD.inv(lon, lat, res[1].lon, res[1].lat)
            assert res[1].distance_m == pytest.approx(far, abs=0.5)
        assert all(r.distance_m is None for r in search_places(conn, "Sukarame"))


def test_points_and_context(town: Engine) -> None:
    with town.connect() as conn:
        res = {(r.kind, r.name): r for r in search_places(conn, "Sukarame", limit=LIMIT_MAX)}
        res |= {(r.kind, r.name): r for r in search_places(conn, "Way Halim")}
    kec = res["kecamatan", "Sukarame"]
    assert (kec.lon, kec.lat) == (105.295, -5.375)  # its kantor camat
    assert (kec.kecamatan, kec.kabupaten) == (None, "Kota Bandar Lampung")
    assert kec.bbox == (105.28, -5.40, 105.32, -5.36)
    assert kec.layer == "admin_areas"
    way = res["kecamatan", "Way Halim"]  # no office: a point inside the area
    assert box(*AREAS["Way Halim"][2]).contains(Point(way.lon, way.lat))
    desa = res["desa", "Sukarame Baru"]
    assert (desa.kecamatan, desa.kabupaten) == ("Sukarame", "Kota Bandar Lampung")
    assert box(*AREAS["Sukarame Baru"][2]).contains(Point(desa.lon, desa.lat))
    pkm = res["service_point", "Puskesmas Sukarame"]
    assert pkm.category == "puskesmas" and pkm.bbox is None
    assert pkm.layer == "service_points"
    assert (pkm.kecamatan, pkm.kabupaten) in {
        ("Sukarame", "Kota Bandar Lampung"),
        (None, "Kabupaten Lampung Selatan"),
    }
    village = res["settlement", "Sukarame"]
    assert village.bbox is not None and village.layer == "settlements"
    inside = any(box(*b).contains(Point(village.lon, village.lat)) for _, b in SETTLEMENTS)
    assert inside


def test_limit_and_bounds(town: Engine) -> None:
    with town.connect() as conn:
        assert len(search_places(conn, "su", limit=3)) == 3
        for q in ("a", "  a  ", "x" * 101, "ab\x00c", "ab\x1fc"):
            with pytest.raises(InvalidParameterError) as err:
                search_places(conn, q)
            assert err.value.field == "q", q
        for limit in (0, LIMIT_MAX + 1):
            with pytest.raises(InvalidParameterError) as err:
                search_places(conn, "Sukarame", limit=limit)
            assert err.value.field == "limit"
        with pytest.raises(InvalidParameterError) as err:
            search_places(conn, "Sukarame", near=(200.0, 0.0))
        assert err.value.field == "near"
        # The far corner of the world: closeness is 0, not an underflow error (found by
        # schemathesis: exp() of a large negative number fails in PostgreSQL).
        far = search_places(conn, "Sukarame", near=(-180.0, -90.0), limit=2)
        assert far and far[0].name.startswith("Sukarame")
    assert normalise_query("  Way   Halim ") == "Way Halim"


def test_the_trigram_indexes_are_used(demo_url: str) -> None:
    """On the demo (2,000+ service points) the plan reads the trigram indexes."""
    from layers import search
    from layers.db.engine import make_engine

    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT set_config('pg_trgm.word_similarity_threshold', '0.5', true)")
            )
            q = "sukarame"
            params = {
                "q": q,
                "prefix": q + "%",
                "word": "% " + q + "%",
                "near_lon": None,
                "near_lat": None,
                "near_km": search.NEAR_KM,
                "fetch": 30,
            }
            plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + search._SEARCH), params))
    finally:
        engine.dispose()
    assert "ix_service_points_name_trgm" in plan
    assert "Seq Scan on service_points" not in plan
