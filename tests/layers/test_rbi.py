"""``import rbi`` on the four real BIG RBI folders, checked against the files directly.

The expected numbers are computed here with geopandas/shapely/pyproj on the files,
not with the code under test: distinct kecamatan names per home kabupaten, kantor
camat (brute-force pairwise distances), settlements minus exact duplicates.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import Engine, text

from layers.bps import read_population
from layers.errors import IngestError
from layers.rbi import import_rbi
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data

FOLDERS = ("metro", "pringsewu", "pesawaran", "mesuji")
HOMES = {"metro", "pringsewu", "pesawaran", "mesuji"}  # folder == its own kabupaten here


def _key(name: object) -> str:
    """Test-side name key: lower case, 'kota ' dropped, letters and digits only."""
    text_ = str(name or "").lower()
    text_ = re.sub(r"^(kabupaten|kota)\s+", "", text_)
    return re.sub(r"[^0-9a-z]", "", text_)


def _read(folder: str, layer: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gpd.read_file(shared_file("lampung", "rbi", folder, f"{layer}.shp"))


def _folders() -> list[Path]:
    return [shared_file("lampung", "rbi", f) for f in FOLDERS]


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _expected() -> dict[str, object]:
    kecamatan: set[tuple[str, str]] = set()
    camat: list[tuple[str, tuple[float, float]]] = []
    settlements: set[bytes] = set()
    n_settlements = 0
    for folder in FOLDERS:
        kec = _read(folder, "ADMINISTRASIKECAMATAN_AR_50K")
        for _, row in kec.iterrows():
            if _key(row["WADMKK"]) in HOMES and row.geometry is not None:
                kecamatan.add((_key(row["WADMKK"]), _key(row["NAMOBJ"])))
        gov = _read(folder, "PEMERINTAHAN_PT_50K")
        for _, row in gov[gov["REMARK"] == "Kantor Camat"].iterrows():
            camat.append((_key(row["NAMOBJ"]), (row.geometry.x, row.geometry.y)))
        pem = _read(folder, "PEMUKIMAN_AR_50K")
        for _, row in pem.iterrows():
            geom = shapely.normalize(shapely.force_2d(row.geometry))
            settlements.add(str(row["NAMOBJ"]).encode() + shapely.to_wkb(geom))
            n_settlements += 1
    distinct_camat = 0
    for i, (name, xy) in enumerate(camat):
        if not any(n == name and _haversine_m(xy, p) <= 50 for n, p in camat[:i]):
            distinct_camat += 1
    per_kab: dict[str, int] = {}
    for kab, _ in kecamatan:
        per_kab[kab] = per_kab.get(kab, 0) + 1
    return {
        "kecamatan": per_kab,
        "kantor_camat": distinct_camat,
        "settlements": len(settlements),
        "settlement_features": n_settlements,
    }


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("admin_areas", "service_points", "settlements")
        }


@pytest.fixture(scope="module")
def expected() -> dict[str, object]:
    return _expected()


def test_import_four_real_folders(clean_engine: Engine, expected: dict[str, object]):
    with clean_engine.connect() as conn:
        report = import_rbi(conn, _folders())
    with clean_engine.connect() as conn:
        kab = dict(
            conn.execute(
                text("SELECT source_id, code FROM admin_areas WHERE level = 'kabupaten'")
            ).all()
        )
        per_kab = dict(
            conn.execute(
                text(
                    "SELECT p.source_id, count(*) FROM admin_areas k "
                    "JOIN admin_areas p ON p.id = k.parent_id "
                    "WHERE k.level = 'kecamatan' GROUP BY p.source_id"
                )
            ).all()
        )
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM admin_areas k LEFT JOIN admin_areas p ON p.id = k.parent_id "
                "WHERE k.level = 'kecamatan' AND (p.id IS NULL OR p.level <> 'kabupaten')"
            )
        ).scalar_one()
        dup_names = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT parent_id, lower(name) FROM admin_areas "
                "WHERE level = 'kecamatan' GROUP BY 1, 2 HAVING count(*) > 1) d"
            )
        ).scalar_one()
        overlap_km2 = conn.execute(
            text(
                "SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)"
                " / 1e6 FROM admin_areas a JOIN admin_areas b ON a.id < b.id "
                "AND a.level = 'kecamatan' AND b.level = 'kecamatan' "
                "AND ST_Intersects(a.geom, b.geom)"
            )
        ).scalar_one()
        camat = conn.execute(
            text("SELECT count(*) FROM service_points WHERE category = 'kantor_camat'")
        ).scalar_one()
        settlements = conn.execute(text("SELECT count(*) FROM settlements")).scalar_one()
        metro_km2 = conn.execute(
            text(
                "SELECT ST_Area(geom::geography) / 1e6 FROM admin_areas "
                "WHERE level = 'kabupaten' AND source_id = 'metro'"
            )
        ).scalar_one()
    assert kab == {"metro": "1872", "pringsewu": "1810", "pesawaran": "1809", "mesuji": "1811"}
    assert per_kab == expected["kecamatan"]
    assert orphans == 0 and dup_names == 0
    assert overlap_km2 < 0.01  # kecamatan pieces from neighbouring files are not doubled
    assert camat == expected["kantor_camat"]
    assert settlements == expected["settlements"]
    assert 60 < metro_km2 < 72  # Kota Metro alone, ~66 km², not its neighbours' slivers
    # the report: per folder, read vs loaded, reasons, Z and missing .dbf said
    by_name = {f.folder.name: f for f in report.folders}
    assert by_name["metro"].kabupaten == "Kota Metro"
    assert by_name["metro"].layers["kecamatan"].read == 12
    # 5 Metro kecamatan + the Tegineneng (Pesawaran) piece, merged into Pesawaran's
    assert by_name["metro"].layers["kecamatan"].loaded == 6
    assert by_name["mesuji"].layers["roads"].read == 14_566
    assert any("JALAN_LN_50K.dbf is missing" in w for w in by_name["mesuji"].warnings)
    assert any("dropped Z" in w for w in by_name["metro"].warnings)
    assert any("Lampung Tengah" in w for w in by_name["metro"].warnings)  # sliver reported
    offices = by_name["metro"].layers["offices"]
    assert offices.read == 69
    assert offices.skipped["REMARK not mapped: Kantor Pemerintah Lainnya"] == 47
    assert offices.loaded + offices.skipped_total == offices.read
    assert report.written["kecamatan"] == sum(expected["kecamatan"].values())  # type: ignore[union-attr]
    assert [f.path.parent.name for f in report.road_files] == list(FOLDERS)


def test_reimport_is_idempotent_and_order_free(clean_engine: Engine):
    with clean_engine.connect() as conn:
        import_rbi(conn, _folders())
    first = _counts(clean_engine)
    with clean_engine.connect() as conn:
        import_rbi(conn, list(reversed(_folders())))
    assert _counts(clean_engine) == first


def test_population_from_bps_table(clean_engine: Engine):
    table = read_population(shared_file("lampung", "bps", "sosial_ekonomi.csv"))
    assert table.year == 2023  # latest year with figures; later rows are empty
    with clean_engine.connect() as conn:
        report = import_rbi(conn, _folders(), population=table)
        rows = {
            sid: (pop, year)
            for sid, pop, year in conn.execute(
                text(
                    "SELECT source_id, population, population_year FROM admin_areas "
                    "WHERE level = 'kabupaten'"
                )
            ).all()
        }
    # read by hand from sosial_ekonomi.csv, rows "Metro;2023;172505", "Pesawaran;2023;
    # 492474", "Mesuji;2023;235546"
    assert rows["metro"] == (172505, 2023)
    assert rows["pesawaran"] == (492474, 2023)
    assert rows["mesuji"] == (235546, 2023)
    assert any("Bandar Lampung" in w and "match no imported" in w for w in report.warnings)
    older = read_population(shared_file("lampung", "bps", "sosial_ekonomi.csv"), year=2018)
    sql = text("SELECT population FROM admin_areas WHERE source_id = 'metro'")
    with clean_engine.connect() as conn:
        import_rbi(conn, _folders()[:1], population=older)
    with clean_engine.connect() as conn:
        pop = conn.execute(sql).scalar_one()
    with clean_engine.connect() as conn:
        import_rbi(conn, _folders()[:1])  # without a table: the figure is kept
    with clean_engine.connect() as conn:
        kept = conn.execute(sql).scalar_one()
    assert pop == kept == 165193  # "Metro;2018;165193" in the file


def test_population_table_errors(tmp_path: Path):
    path = tmp_path / "pop.csv"
    path.write_text("Wilayah;Tahun;Penduduk\nMetro;2023;172.505\nMetro;2023;1\n")
    with pytest.raises(IngestError, match="twice"):
        read_population(path)
    path.write_text("Wilayah,Penduduk\nMetro,banyak\n")
    with pytest.raises(IngestError, match="row 1") as err:
        read_population(path)
    assert err.value.field == "Penduduk"
    path.write_text("Wilayah;Tahun;Jiwa\nMetro;2023;5\n")
    with pytest.raises(IngestError, match="--population-column"):
        read_population(path)
    got = read_population(path, value_column="jiwa", year=2023)
    assert got.figures["metro"].value == 5
    with pytest.raises(IngestError, match="no figures for 2019"):
        read_population(path, value_column="Jiwa", year=2019)


def test_missing_layers_and_bad_folders(clean_engine: Engine, tmp_path: Path):
    src = shared_file("lampung", "rbi", "metro")
    folder = tmp_path / "metro_sebagian"
    folder.mkdir()
    for p in src.iterdir():
        if p.stem.upper() == "ADMINISTRASIKECAMATAN_AR_50K":
            (folder / p.name.lower()).write_bytes(p.read_bytes())  # lower-case names
    with clean_engine.connect() as conn:
        report = import_rbi(conn, [folder])
        with pytest.raises(IngestError, match="none of the RBI layers"):
            import_rbi(conn, [tmp_path])
    warned = report.folders[0].warnings
    assert "ADMINISTRASIKABUPATEN_AR_50K is missing" in warned
    # without any kabupaten, no kecamatan can be attached: nothing loaded, all reported
    assert report.folders[0].layers["kecamatan"].read == 12
    assert report.written["kecamatan"] == 0


def test_the_same_folder_twice_loads_everything_once(clean_engine: Engine, tmp_path: Path):
    src = shared_file("lampung", "rbi", "metro")
    copy = tmp_path / "metro_salinan"
    copy.mkdir()
    for p in src.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    with clean_engine.connect() as conn:
        import_rbi(conn, [src])
    alone = _counts(clean_engine)
    with clean_engine.connect() as conn:
        report = import_rbi(conn, [src, copy])
    assert _counts(clean_engine) == alone
    second = report.folders[1]
    assert second.layers["settlements"].skipped == {"exact duplicate of a settlement in metro": 238}
    offices = second.layers["offices"]
    assert offices.skipped["same office already in metro"] == offices.read - sum(
        n for why, n in offices.skipped.items() if "not mapped" in why
    )
    with clean_engine.connect() as conn:
        km2 = conn.execute(
            text("SELECT ST_Area(geom::geography) / 1e6 FROM admin_areas WHERE source_id = 'metro'")
        ).scalar_one()
    assert 60 < km2 < 72  # the union of identical pieces is the piece


@pytest.mark.parametrize(
    ("remark", "name", "category"),
    [
        ("Kantor Polisi", "Kantor Bersama Samsat Kota Metro", "samsat"),  # real, metro
        ("Kantor Polisi", "Inspektorat Metro", None),  # real, metro
        ("Kantor Polisi", "Polsek Simpangpematang", "polisi"),
        ("Kantor Pemerintah Lainnya", "SAMSAT", "samsat"),  # real, mesuji
        (
            "Kantor Pemerintah Lainnya",
            "Kantor Dinas Kependudukan dan Pencatatan Sipil Pringsewu",  # real, pringsewu
            "dukcapil",
        ),
        ("Kantor Pemerintah Lainnya", "Kantor Dinas Kesehatan Pringsewu", None),
        ("Kantor Camat", "Kantor Camat Gedongtataan", "kantor_camat"),
        ("Kantor Kepala Desa", "Balai Kampung Sidomulyo", "kantor_desa"),
        ("Kantor Wali Kota", "Kantor Wali Kota Metro", "kantor_bupati"),
    ],
)
def test_office_category_from_name_then_remark(remark: str, name: str, category: str | None):
    from layers.rbi import office_category

    assert office_category(remark, name)[0] == category
