"""A real ``lampung-geo serve`` process on a free port, for tests that need real sockets
(concurrency, client disconnects, signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from layers.db.cluster import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    """The server process, its base URL and its output (JSON log lines on stderr)."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_lines(self) -> list[dict[str, object]]:
        """The JSON log records written so far."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def metric(self, name: str, **labels: str) -> float:
        """One sample of ``/metrics`` (0 when absent)."""
        text = httpx.get(f"{self.base_url}/metrics", timeout=10).text
        return metric_value(text, name, **labels)

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code (kills after ``timeout_s``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_s)
        return int(self.process.returncode)


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of sample ``name{labels}`` in a Prometheus text exposition (0 if absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@contextmanager
def live_server(
    *,
    database_url: str,
    graph_dir: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
    args: Sequence[str] = (),
) -> Iterator[LiveServer]:
    """Start ``lampung-geo serve`` over a database and graph folder; stop it afterwards."""
    port = free_port()
    environ = {
        **os.environ,
        "LAMPUNG_GEO_DATABASE_URL": database_url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graph_dir),
        "LAMPUNG_GEO_HOST": "127.0.0.1",
        "LAMPUNG_GEO_PORT": str(port),
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "geo_api.cli", "serve", *args],
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                msg = f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
                raise RuntimeError(msg)
            try:
                if httpx.get(f"{server.base_url}/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                msg = f"server not ready after {timeout_s} s:\n{log.read_text()[-3000:]}"
                raise RuntimeError(msg)
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
