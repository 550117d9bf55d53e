"""The architecture rules, checked on every run (contracts in ``pyproject.toml``).

- only ``geo_api`` imports FastAPI or Starlette;
- ``web`` never imports the database layer (``layers``, SQLAlchemy, psycopg);
- ``routing`` imports nothing from the project but ``data``; ``layers`` likewise;
- ``data`` imports nothing from the project;
- services in ``geo_api`` never import routers, and routers do not import each other.

import-linter follows indirect imports too, so a rule cannot be dodged through a
third module. On the code before these rules, the services rule fails
(``geo_api.logistics -> geo_api.routers.routing``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "7 kept, 0 broken" in report, report
