"""``lampung-geo keys …`` and ``lampung-geo analyse allocate``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from geo_api.cli import app
from layers.apikeys import verify_key

runner = CliRunner()


def test_keys_create_list_revoke(clean_engine: Engine, scratch_url: str):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    r = runner.invoke(app, ["keys", "create", "--role", "planner", "--name", "gudang"], env=env)
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[-1]
    with clean_engine.connect() as conn:
        info = verify_key(conn, key)
    assert info is not None and info.role == "planner"
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert info.prefix in listed.stdout and key not in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", info.prefix], env=env).exit_code == 0
    with clean_engine.connect() as conn:
        assert verify_key(conn, key) is None
    bad = runner.invoke(app, ["keys", "create", "--role", "root"], env=env)
    assert bad.exit_code == 2 and "unknown role" in bad.output


def test_analyse_allocate(demo_url: str, demo_graph_dir: Path, tmp_path: Path):
    env = {
        "LAMPUNG_GEO_DATABASE_URL": demo_url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(demo_graph_dir),
    }
    out = tmp_path / "flows.geojson"
    args = ["analyse", "allocate", "--month", "3", "--year", "2026", "--out", str(out)]
    r = runner.invoke(app, args, env=env)
    assert r.exit_code == 0, r.output
    assert "t delivered of" in r.stdout and "Optimal" in r.stdout
    body = json.loads(out.read_text())
    assert body["type"] == "FeatureCollection" and body["features"]
    short = runner.invoke(
        app, ["analyse", "allocate", "--month", "5", "--commodity", "padi"], env=env
    )
    assert short.exit_code == 0 and "unmet" in short.stdout
    bad = runner.invoke(
        app, ["analyse", "allocate", "--month", "3", "--vehicle-class", "kapal"], env=env
    )
    assert bad.exit_code == 1 and "unknown vehicle class" in bad.output
