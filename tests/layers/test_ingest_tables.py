"""Ingest of vehicle classes and cost parameters: types, all-or-nothing, idempotency.

These tables are seeded lookups that ``clean_engine`` does not empty: every test uses
codes of its own (prefix ``test_``) and deletes them afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from layers.errors import IngestError
from layers.ingest_tables import ingest_table

VEHICLES = "code,name_id,name_en,payload_t,fuel_l_per_km,toll_group,ferry_class,note\n"


@pytest.fixture
def own_rows(clean_engine: Engine) -> Iterator[Engine]:
    """The scratch database; the tests' own vehicle classes and parameters removed after."""
    try:
        yield clean_engine
    finally:
        with clean_engine.begin() as conn:
            conn.execute(text("DELETE FROM vehicle_classes WHERE code LIKE 'test\\_%'"))
            conn.execute(text("DELETE FROM cost_parameters WHERE key LIKE 'test\\_%'"))


def _snapshot(engine: Engine, table: str, key: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}")).all()
    return [tuple(r) for r in rows]


def test_vehicle_classes_csv_upserts_on_code(own_rows: Engine, tmp_path: Path):
    path = tmp_path / "kendaraan.csv"
    path.write_text(
        VEHICLES
        + "test_wingbox,Truk wingbox,Wingbox truck,15,0.28,III,VII,\n"
        + 'test_cdd,Truk CDD,CDD truck,"6,5",0.18,II,VIB,kecil\n',
        encoding="utf-8",
    )
    with own_rows.connect() as conn:
        result = ingest_table(conn, path, layer="vehicle_classes")
        assert (result.rows, result.inserted, result.updated) == (2, 2, 0)
        assert result.ignored_columns == ["note"]
        again = ingest_table(conn, path, layer="vehicle_classes")
        assert (again.inserted, again.updated) == (0, 2)
        rows = conn.execute(
            text(
                "SELECT code, name_en, payload_t, fuel_l_per_km, toll_group, ferry_class "
                "FROM vehicle_classes WHERE code LIKE 'test\\_%' ORDER BY code"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("test_cdd", "CDD truck", 6.5, 0.18, "II", "VIB"),
        ("test_wingbox", "Wingbox truck", 15.0, 0.28, "III", "VII"),
    ]


def test_reingest_updates_in_place(own_rows: Engine, tmp_path: Path):
    path = tmp_path / "v.json"
    row = {
        "code": "test_box",
        "name_id": "Box",
        "name_en": "Box",
        "payload_t": 2,
        "fuel_l_per_km": 0.12,
        "toll_group": "I",
        "ferry_class": "VB",
    }
    path.write_text(json.dumps([row]))
    with own_rows.connect() as conn:
        ingest_table(conn, path, layer="vehicle_classes")
    path.write_text(json.dumps([row | {"payload_t": 2.5}]))
    with own_rows.connect() as conn:
        ingest_table(conn, path, layer="vehicle_classes")
        got = conn.execute(
            text("SELECT count(*), max(payload_t) FROM vehicle_classes WHERE code = 'test_box'")
        ).one()
    assert tuple(got) == (1, 2.5)


@pytest.mark.parametrize(
    ("bad_line", "field", "words"),
    [
        ("test_c,C,C,banyak,0.2,II,VIB", "payload_t", "payload_t must be a number"),
        ("test_c,C,C,0,0.2,II,VIB", "payload_t", "payload_t must be > 0"),
        ("test_c,C,C,3,-0.1,II,VIB", "fuel_l_per_km", "must be > 0"),
        ("test_c,C,C,3,0.2,VI,VIB", "toll_group", "must be one of"),
        ("test_c,,C,3,0.2,II,VIB", "name_id", "missing required field 'name_id'"),
        ("test_a,C,C,3,0.2,II,VIB", "code", "repeats row 1"),
    ],
)
def test_bad_row_leaves_vehicle_classes_unchanged(
    own_rows: Engine, tmp_path: Path, bad_line: str, field: str, words: str
):
    before = _snapshot(own_rows, "vehicle_classes", "code")
    path = tmp_path / "v.csv"
    path.write_text(
        "code,name_id,name_en,payload_t,fuel_l_per_km,toll_group,ferry_class\n"
        "test_a,A,A,1,0.1,I,IVB\n"
        "heavy_truck,Truk berat,Heavy truck,99,0.9,III,VIIB\n"
        f"{bad_line}\n"
        "test_d,D,D,1,0.1,I,IVB\n"
    )
    with own_rows.connect() as conn, pytest.raises(IngestError) as err:
        ingest_table(conn, path, layer="vehicle_classes")
    assert err.value.row == 3
    assert err.value.field == field
    assert words in str(err.value)
    assert _snapshot(own_rows, "vehicle_classes", "code") == before


def test_cost_parameters_json_records_who_and_when(own_rows: Engine, tmp_path: Path):
    path = tmp_path / "biaya.json"
    path.write_text(
        json.dumps(
            [
                {"key": "test_fuel", "value": 7000, "unit": "IDR/l", "source": "uji"},
                {"key": "test_wage", "value": "150000", "unit": "IDR/day", "source": "uji"},
            ]
        )
    )
    with own_rows.connect() as conn:
        result = ingest_table(conn, path, layer="cost_parameters", actor="tester")
        rows = conn.execute(
            text(
                "SELECT key, value, unit, description, source, updated_by, updated_at "
                "IS NOT NULL FROM cost_parameters WHERE key LIKE 'test\\_%' ORDER BY key"
            )
        ).all()
    assert result.inserted == 2
    assert [tuple(r) for r in rows] == [
        ("test_fuel", 7000.0, "IDR/l", None, "uji", "tester", True),
        ("test_wage", 150000.0, "IDR/day", None, "uji", "tester", True),
    ]


def test_bad_cost_parameter_writes_nothing(own_rows: Engine, tmp_path: Path):
    before = _snapshot(own_rows, "cost_parameters", "key")
    path = tmp_path / "biaya.csv"
    path.write_text(
        "nama;nilai;satuan;sumber\nfuel_price.solar;1;IDR/l;uji\ntest_x;-3;IDR/l;uji\n",
        encoding="utf-8",
    )
    mapping = {"nama": "key", "nilai": "value", "satuan": "unit", "sumber": "source"}
    with own_rows.connect() as conn, pytest.raises(IngestError) as err:
        ingest_table(conn, path, layer="cost_parameters", mapping=mapping)
    assert (err.value.row, err.value.field) == (2, "value")
    assert _snapshot(own_rows, "cost_parameters", "key") == before


@pytest.mark.parametrize(
    ("name", "content", "layer", "words"),
    [
        ("v.csv", "code\nx\n", "roads", "unknown table 'roads'"),
        ("v.geojson", "{}", "vehicle_classes", "unsupported file type"),
        ("v.json", '{"code": "x"}', "vehicle_classes", "list of objects"),
        ("v.json", "[1]", "vehicle_classes", "expected a JSON object"),
        ("v.json", "[]", "vehicle_classes", "no rows"),
        ("v.json", "[{", "vehicle_classes", "cannot read JSON"),
    ],
)
def test_bad_files(own_rows: Engine, tmp_path: Path, name, content, layer, words):
    path = tmp_path / name
    path.write_text(content)
    with own_rows.connect() as conn, pytest.raises(IngestError, match=words):
        ingest_table(conn, path, layer=layer)


def test_bad_map(own_rows: Engine, tmp_path: Path):
    path = tmp_path / "v.csv"
    path.write_text("kode\nx\n")
    with own_rows.connect() as conn:
        with pytest.raises(IngestError, match="not a field of vehicle_classes"):
            ingest_table(conn, path, layer="vehicle_classes", mapping={"kode": "kod"})
        with pytest.raises(IngestError, match="which the file lacks"):
            ingest_table(conn, path, layer="vehicle_classes", mapping={"code": "code"})
