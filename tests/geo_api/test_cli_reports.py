"""``lampung-geo ingest prices`` and OPD keys (``keys create --agency --area``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geo_api.cli import app
from layers.apikeys import verify_key

runner = CliRunner()


def test_ingest_prices_cli(clean_engine: Engine, scratch_url: str, tmp_path: Path) -> None:
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    good = tmp_path / "harga.csv"
    good.write_text(
        'komoditas,tanggal,harga\nBeras,02/01/2024,"13.500"\nBeras,03/01/2024,-\n'
        "Beras Medium,02/01/2024,12.900\n"
    )
    args = ["ingest", "prices", str(good), "--region", "18", "--commodity", "Beras Medium=beras"]
    r = runner.invoke(app, args, env=env)
    # "Beras Medium" maps to beras too: two prices for beras on 02/01 is refused, by row
    assert r.exit_code == 1, r.output
    assert "rows 1 and 3" in r.output and "nothing was written" in r.output
    good.write_text('komoditas,tanggal,harga\nBeras,02/01/2024,"13.500"\nBeras,03/01/2024,-\n')
    r = runner.invoke(app, ["ingest", "prices", str(good), "--region", "18"], env=env)
    assert r.exit_code == 0, r.output
    assert "1 prices" in r.output and "1 gaps" in r.output
    with clean_engine.connect() as conn:
        got = conn.execute(text("SELECT date::text, price_idr FROM prices ORDER BY date")).all()
    assert [tuple(g) for g in got] == [("2024-01-02", 13_500.0), ("2024-01-03", None)]
    missing = runner.invoke(app, ["ingest", "prices", str(good)], env=env)
    assert missing.exit_code == 1 and "--region" in missing.output


def test_opd_key_cli(clean_engine: Engine, scratch_url: str) -> None:
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    args = ["keys", "create", "--role", "planner", "--agency", "dinkes", "--area", "1810"]
    r = runner.invoke(app, args, env=env)
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    with clean_engine.connect() as conn:
        info = verify_key(conn, key)
    assert info is not None and (info.agency, info.area_code) == ("dinkes", "1810")
    bad = runner.invoke(app, ["keys", "create", "--agency", "dinas_rahasia"], env=env)
    assert bad.exit_code == 2 and "unknown agency" in bad.output
