"""``lampung-geo serve --workers N``: networks loaded once, N forked workers on one socket."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.geo_api.live import live_server


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out.extend(int(c) for c in task.read_text().split())
    return out


def test_two_workers_serve_and_stop_together(
    demo_url: str, demo_graph_dir: Path, tmp_path: Path
) -> None:
    from routing.compiled import load_compiled

    cg = load_compiled(demo_graph_dir / "motorcycle.npz")
    lon, lat = float(cg.node_lon[0]), float(cg.node_lat[0])
    with live_server(
        database_url=demo_url,
        graph_dir=demo_graph_dir,
        log=tmp_path / "api.log",
        args=["--workers", "2"],
    ) as server:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for _ in range(20):  # new connections, spread over both workers by the kernel
                r = client.get(
                    "/nearest",
                    params={"lon": lon, "lat": lat, "category": "puskesmas", "k": 2},
                    headers={"Connection": "close"},
                )
                assert r.status_code == 200 and len(r.json()["features"]) == 2
        assert server.terminate() == 0
    for pid in workers:  # SIGTERM reached every worker
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
