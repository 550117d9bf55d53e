"""Small helpers shared by the benchmarks: HTTP servers in subprocesses and timing."""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    """An HTTP server running in a subprocess, with its output in ``log``."""

    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's output, for error messages."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 10.0) -> None:
        """Terminate the process (SIGTERM, then SIGKILL if it does not exit)."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout_s)


def start_server(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    ready_path: str,
    cwd: Path = ROOT,
    timeout_s: float = 60.0,
) -> Server:
    """Start ``cmd`` and wait until ``GET ready_path`` answers 200.

    ``env`` is added to the current environment. Raises ``RuntimeError`` with the
    server's output when it exits early or does not become ready in time.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                msg = f"{name} exited with {process.returncode}:\n{server.log_tail()}"
                raise RuntimeError(msg)
            try:
                response = client.get(ready_path)
                if response.status_code == 200:
                    return server
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.2)
    server.stop()
    msg = f"{name} not ready after {timeout_s:.0f} s ({last}):\n{server.log_tail()}"
    raise RuntimeError(msg)


def stop_all(servers: Sequence[Server]) -> None:
    """Stop every server, even if one of them fails to stop."""
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


def timed_get(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    """GET ``url`` and read the whole body; return (milliseconds, response)."""
    started = time.perf_counter()
    response = client.get(url)
    response.read()
    return (time.perf_counter() - started) * 1000.0, response


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation between ranks."""
    data = sorted(values)
    if not data:
        return math.nan
    pos = (len(data) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def summarise(times_ms: Sequence[float]) -> dict[str, float]:
    """Median, p95, mean, min and max of a list of timings in milliseconds."""
    return {
        "n": len(times_ms),
        "median_ms": statistics.median(times_ms),
        "p95_ms": percentile(times_ms, 95),
        "mean_ms": statistics.fmean(times_ms),
        "min_ms": min(times_ms),
        "max_ms": max(times_ms),
    }


class BenchDatabase:
    """The database a benchmark uses: ``--database-url`` if given, else a throwaway
    private PostGIS cluster in ``folder`` (destroyed by :meth:`close`)."""

    def __init__(self, url: str | None, folder: Path) -> None:
        self.external_url = url
        self.folder = folder
        self._cluster: Any = None

    @property
    def is_private(self) -> bool:
        """Whether this run made its own cluster."""
        return self.external_url is None

    def start(self) -> str:
        """Return the SQLAlchemy URL, starting the private cluster if needed."""
        if self.external_url:
            return self.external_url
        from layers.db.cluster import PostgresCluster, free_port

        print(f"starting a private PostGIS cluster in {self.folder} …")
        self._cluster = PostgresCluster(self.folder / "pg", port=free_port())
        url: str = self._cluster.start()
        return url

    def close(self) -> None:
        """Destroy the private cluster (an external database is left alone)."""
        if self._cluster is not None:
            self._cluster.destroy()
            self._cluster = None


def tree_memory_kb(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (kB) of a process and all its descendants, from /proc.

    RSS counts shared pages once per process; PSS splits each shared page between the
    processes sharing it (their sum is the memory the tree really uses); USS is the
    pages of one process alone.
    """
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    out = {"processes": 0, "rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
    for p in pids:
        try:
            lines = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {ln.split(":")[0]: int(ln.split()[1]) for ln in lines[1:] if ln.endswith("kB")}
        out["processes"] += 1
        out["rss_kb"] += fields.get("Rss", 0)
        out["pss_kb"] += fields.get("Pss", 0)
        out["uss_kb"] += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return out


def fit_power(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares fit of ``log(y) = a + k log(x)`` over positive points: ``(k, a)``.

    None with fewer than two usable points or a single x (so ``y ~ exp(a) * x**k``).
    """
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    k = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return k, my - k * mx


def rss_now_gb() -> float:
    """This process's resident set size now (``VmRSS`` of ``/proc/self/status``), in GB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
