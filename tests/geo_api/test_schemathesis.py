"""The fuzzing check: schemathesis over every operation of the live demo API.

Runs ``st run --checks all`` against the demo platform served by uvicorn on a free port
(a writable copy of the demo database, so writes are exercised with an admin key), with
every phase (examples, coverage, fuzzing, stateful), a fixed seed and a bounded number
of examples. It must find no failure of any check: no server error, no answer outside
the documented statuses, content types, headers and schemas, no schema-valid request
refused as malformed, no schema-invalid one accepted.

Deliberate behaviour that a check would otherwise report (each documented here and in
README "API errors"):

- ``positive_data_acceptance`` also accepts **422** everywhere: a schema-valid request
  the data cannot answer (a point hundreds of km from any road, two points no road
  connects, an unknown market or vehicle class, a kabupaten without population, an
  illegal status jump already answered 409) is not malformed. 400 stays a failure:
  every 400 must come from a rule the schema states.
- On a few operations ``positive_data_acceptance`` accepts **400** too, because their
  rules cannot be written in JSON Schema (see ``SEMANTIC_400``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from geo_api.app import create_app
from geo_api.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

SEED = 20260312
MAX_EXAMPLES = 10
STATEFUL_STEPS = 8
# Coverage analyses cost 0.2-0.7 s each (a multi-source search and polygons per new
# category/profile/threshold): fewer fuzzed examples, and only the negative (cheap,
# refused) boundary cases of the coverage phase, so the run fits the CI budget.
EXPENSIVE = ("/coverage/areas", "/coverage/stats", "/coverage/underserved", "/plan/sites")
EXPENSIVE_EXAMPLES = 4
ACCEPTED_422 = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]

# Operations whose schema-valid requests can still be malformed, and why.
SEMANTIC_400: dict[str, str] = {
    # bbox: miny <= maxy, and the ranges depend on bbox-crs (degrees or metres)
    "/collections/{collection_id}/items": "bbox corner order and CRS-dependent ranges",
    # minx <= maxx and miny <= maxy
    "/roads": "bbox corner order",
    # a calendar date (2026-02-30 matches the pattern); thresholds given twice
    "/logistics/plan": "calendar dates",
    "/shipments": "calendar dates and a 'from' after 'to'",
    "/shipments/{shipment_id}": "calendar dates",
    # more than 10,000 cells in all (each side alone may hold 10,000 points)
    "/matrix": "sources x targets <= 10,000 cells",
    # rank_minutes must be one of the thresholds asked
    "/coverage/stats": "rank_minutes is one of minutes",
    # the candidate budget: count must be below the number of candidates
    "/plan/sites": "count below the number of candidates",
}


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _config(tmp: Path, key: str) -> Path:
    lines = [
        f"seed = {SEED}",
        "workers = 1",
        "[headers]",
        f'X-API-Key = "{key}"',
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "[phases.stateful]",
        f"max-steps = {STATEFUL_STEPS}",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(ACCEPTED_422)}",
    ]
    for path in sorted(set(SEMANTIC_400) | set(EXPENSIVE)):
        lines += ["[[operations]]", f'include-path = "{path}"']
        if path in SEMANTIC_400:
            lines += [
                "[operations.checks.positive_data_acceptance]",
                f"expected-statuses = {json.dumps([*ACCEPTED_422, '400'])}",
            ]
        if path in EXPENSIVE:
            lines += [
                "[operations.generation]",
                f"max-examples = {EXPENSIVE_EXAMPLES}",
                "[operations.phases.coverage.generation]",
                'mode = "negative"',
            ]
    cfg = tmp / "schemathesis.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def test_schemathesis_finds_nothing(
    live_server: Any,
    writable_demo_settings: Settings,
    admin_key: str,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    cfg = _config(tmp_path, admin_key)
    st = Path(sys.executable).with_name("st")
    with live_server(create_app(writable_demo_settings)) as url:
        started = time.monotonic()
        run = subprocess.run(
            [
                str(st),
                "--no-color",
                "--config-file",
                str(cfg),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--request-timeout",
                "60",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=tmp_path,
        )
        seconds = time.monotonic() - started
    out = run.stdout + run.stderr
    # The whole output, for a person to read (tests/artifacts/ is git-ignored).
    artifacts.joinpath("schemathesis.txt").write_text(f"{seconds:.0f} s\n{out}")
    assert run.returncode == 0, out[-20_000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", out)
    assert cases is not None and cases.group(1) == cases.group(2), out[-3000:]
