"""The private cluster as a normal (non-root) user, and its error messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from layers.db import cluster as cluster_mod
from layers.db.cluster import ClusterError, PostgresCluster, free_port
from tests.conftest import REPO, new_cluster_dir

SCRIPT = """
import sys
from layers.db.cluster import PostgresCluster
c = PostgresCluster(sys.argv[1], port=int(sys.argv[2]))
url = c.start()
import psycopg
with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
    print(conn.execute("SELECT current_user, 1 + 1").fetchone())
c.stop()
print("stopped", c.is_running())
"""


def _as_postgres_user() -> tuple[list[str], Path]:
    """Command prefix running Python as the unprivileged postgres user, and a cluster dir.

    The venv's interpreter may live under /root (0700); the system python of the same
    minor version runs the same code with the venv's site-packages on PYTHONPATH.
    """
    site = next(p for p in sys.path if p.endswith("site-packages"))
    python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    prefix = ["runuser", "-u", "postgres", "--", "env", f"PYTHONPATH={REPO}:{site}", python]
    probe = subprocess.run(
        [*prefix, "-c", "import layers.db.cluster, psycopg"],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"the postgres user cannot run this checkout: {probe.stderr[-300:]}")
    folder = new_cluster_dir()
    shutil.chown(folder, "postgres", "postgres")
    return prefix, folder


def test_cluster_runs_as_a_normal_user():
    """The same code as an unprivileged user: initdb and pg_ctl run directly."""
    if os.geteuid() == 0:
        prefix, folder = _as_postgres_user()
    else:
        prefix, folder = [sys.executable], new_cluster_dir()
    cmd = [*prefix, "-c", SCRIPT, str(folder / "pg"), str(free_port())]
    try:
        done = subprocess.run(
            cmd, cwd="/", capture_output=True, text=True, check=False, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "('lampung', 2)" in done.stdout
        assert "stopped False" in done.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_missing_postgis_names_the_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(cluster_mod, "POSTGIS_CONTROL", tmp_path / "nope.control")
    with pytest.raises(ClusterError) as err:
        cluster_mod.ensure_postgis_installed(allow_apt=False)
    assert (
        "apt-get install -y --no-install-recommends postgresql-15 postgresql-15-postgis-3"
        in str(err.value)
    )


def test_port_in_use_is_a_clear_error(pg_cluster: PostgresCluster):
    folder = new_cluster_dir()
    other = PostgresCluster(folder / "pg", port=pg_cluster.port)
    try:
        with pytest.raises(ClusterError, match="already in use"):
            other.start()
    finally:
        other.destroy()
        shutil.rmtree(folder, ignore_errors=True)
