"""Report statistics and hotspots on real PostGIS, checked against Python.

The reports go in through the real code path (``submit_report``, ``apply_step``), so
the ``report_facts`` triggers fire as in production. The oracle is a computation in
Python from the test's own scenario (submission and step times it chose, SLAs read
from ``report_categories``): it shares nothing with ``report_facts`` or the stats SQL.
It covers an open report that passes its SLA with no event at all (checked before and
after its deadline passes by waiting), a rejected report, and a report merged into
another as a duplicate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import h3.api.basic_int as h3i
import pytest
from sqlalchemy import Connection, Engine, text

from layers.reports import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Assignment,
    NewReport,
    Place,
    submit_report,
)
from layers.reports_lifecycle import Actor, apply_step
from layers.reports_stats import StatsQuery, h3_parent_sql, hotspots, report_stats

PROVINCE = "18"
OFFICER = Actor(name="petugas-uji")
# kecamatan A/B/C of a test kabupaten: x range, population
KECAMATAN = {"A": (105.00, 20_000), "B": (105.10, 5_000), "C": (105.20, None)}


@dataclass
class Case:
    """One report of the scenario: where, what, when, and its steps (hours after
    submission; ``merge_into`` names the case a *duplikat* step merges it into)."""

    name: str
    kec: str
    category: str
    submitted: datetime
    steps: list[tuple[str, float]] = field(default_factory=list)
    merge_into: str | None = None
    report_id: int = 0

    def times(self) -> dict[str, datetime | None]:
        """First response, resolution and closing, from the steps alone."""
        at = [(s, self.submitted + timedelta(hours=h)) for s, h in self.steps]
        return {
            "first_response": at[0][1] if at else None,
            "resolved": next((t for s, t in at if s == "selesai"), None),
            "closed": next((t for s, t in at if s in FINAL_STATUSES), None),
        }

    @property
    def status(self) -> str:
        return self.steps[-1][0] if self.steps else "diterima"


def _square(x: float) -> str:
    return (
        f"SRID=4326;MULTIPOLYGON((({x} -5.0,{x + 0.05} -5.0,{x + 0.05} -4.95,{x} -4.95,{x} -5.0)))"
    )


@pytest.fixture
def areas(clean_engine: Engine) -> Iterator[dict[str, Any]]:
    """An empty reports table and a kabupaten (1899) with kecamatan A, B, C."""
    with clean_engine.begin() as conn:
        conn.execute(text("TRUNCATE reports, report_rate_events CASCADE"))
        conn.execute(text("INSERT INTO sources (id, title) VALUES ('uji', 'test areas')"))
        kab = conn.execute(
            text(
                "INSERT INTO admin_areas (level, code, name, geom, source, source_id) VALUES "
                "('kabupaten', '1899', 'Kabupaten Uji', ST_GeomFromEWKT(:g), 'uji', 'k') "
                "RETURNING id"
            ),
            {"g": _square(105.0)},
        ).scalar_one()
        ids = {}
        for name, (x, pop) in KECAMATAN.items():
            ids[name] = conn.execute(
                text(
                    "INSERT INTO admin_areas (level, code, name, parent_id, population, geom, "
                    "source, source_id) VALUES ('kecamatan', :code, :name, :p, :pop, "
                    "ST_GeomFromEWKT(:g), 'uji', :code) RETURNING id"
                ),
                {"code": f"1899{name}", "name": f"Kecamatan {name}", "p": kab, "pop": pop,
                 "g": _square(x)},
            ).scalar_one()  # fmt: skip
    yield {"kabupaten": kab, "kecamatan": ids}
    with clean_engine.begin() as conn:
        conn.execute(text("TRUNCATE reports, report_rate_events CASCADE"))


def _submit(conn: Connection, case: Case, areas: dict[str, Any], i: int) -> int:
    x, _ = KECAMATAN[case.kec]
    place = Place(
        kabupaten_id=areas["kabupaten"],
        kabupaten_code="1899",
        kabupaten_name="Kabupaten Uji",
        kecamatan_id=areas["kecamatan"][case.kec],
        kecamatan_name=f"Kecamatan {case.kec}",
    )
    made = submit_report(
        conn,
        NewReport(case.category, f"Laporan uji nomor {i}, mohon ditindaklanjuti.",
                  x + 0.001 * (i + 1), -4.99 + 0.003 * i),
        place=place,
        assignment=Assignment(agency=None, level=None),
        client_hash=None,
        rate_limit=0,
        submitted_at=case.submitted,
    )  # fmt: skip
    return made.id


def _load(conn: Connection, cases: list[Case], areas: dict[str, Any]) -> None:
    by_name = {c.name: c for c in cases}
    for i, case in enumerate(cases):
        case.report_id = _submit(conn, case, areas, i)
    for case in cases:
        for status, hours in case.steps:
            target = by_name[case.merge_into].report_id if status == "duplikat" else None
            note = "Bukan kewenangan kami." if status == "ditolak" else None
            apply_step(
                conn,
                case.report_id,
                to_status=status,
                actor=OFFICER,
                note=note,
                at=case.submitted + timedelta(hours=hours),
                duplicate_of=target,
            )


def _sla(conn: Connection) -> dict[str, tuple[float, float]]:
    rows = conn.execute(
        text("SELECT code, sla_response_h, sla_resolution_h FROM report_categories")
    ).all()
    return {code: (float(a), float(b)) for code, a, b in rows}


def _figures(
    cases: list[Case], sla: dict[str, tuple[float, float]], now: datetime, population: int | None
) -> dict[str, Any]:
    """The definitions of ``layers.reports_stats``, computed in plain Python."""
    resp_h, res_h = [], []
    resp_known = resp_in = res_known = res_in = n_open = overdue = 0
    counted = [c for c in cases if c.status != "duplikat"]
    for c in counted:
        t = c.times()
        due_resp = c.submitted + timedelta(hours=sla[c.category][0])
        due_res = c.submitted + timedelta(hours=sla[c.category][1])
        if t["first_response"] is not None:
            resp_h.append((t["first_response"] - c.submitted).total_seconds() / 3600)
            resp_known += 1
            resp_in += t["first_response"] <= due_resp
        elif now > due_resp:
            resp_known += 1
        if t["resolved"] is not None:
            res_h.append((t["resolved"] - c.submitted).total_seconds() / 3600)
            res_known += 1
            res_in += t["resolved"] <= due_res
        elif c.status != "ditolak" and t["closed"] is None and now > due_res:
            res_known += 1
        n_open += c.status in OPEN_STATUSES
        late_resp = t["first_response"] is None and now > due_resp
        overdue += t["closed"] is None and (late_resp or now > due_res)

    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    n = len(counted)
    return {
        "count": n,
        "per_10k": round(n / population * 10_000, 3) if population else None,
        "median_response_h": median(resp_h),
        "median_resolution_h": median(res_h),
        "pct_response_within_sla": pct(resp_in, resp_known),
        "pct_resolution_within_sla": pct(res_in, res_known),
        "open": n_open,
        "overdue": overdue,
    }


def _check(stats: dict[str, Any], cases: list[Case], sla: Any, now: datetime) -> None:
    """Every area, every area x category and the totals against :func:`_figures`."""
    keys = list(_figures([], sla, now, None))
    assert {k: stats["totals"][k] for k in keys} == _figures(cases, sla, now, None)
    assert [a["code"] for a in stats["areas"]] == [f"1899{k}" for k in KECAMATAN]
    for area in stats["areas"]:
        kec = area["code"][-1]
        mine = [c for c in cases if c.kec == kec]
        pop = KECAMATAN[kec][1]
        assert {k: area[k] for k in keys} == _figures(mine, sla, now, pop), kec
        cats = sorted({c.category for c in mine if c.status != "duplikat"})
        assert [c["category"] for c in area["categories"]] == cats
        for cell in area["categories"]:
            sub = [c for c in mine if c.category == cell["category"]]
            assert {k: cell[k] for k in keys} == _figures(sub, sla, now, pop), (kec, sub)


def _scenario(now: datetime) -> list[Case]:
    t0 = now.replace(microsecond=0) - timedelta(days=20)
    day = timedelta(days=1)
    full = [("diverifikasi", 0.0), ("diteruskan", 0.0), ("ditindaklanjuti", 0.0)]

    def steps(first: float, *rest: tuple[str, float]) -> list[tuple[str, float]]:
        return [(s, first + 0.25 * i) for i, (s, _) in enumerate(full)] + list(rest)

    return [
        # kecamatan A, sampah (SLA 6 h / 72 h)
        Case("a1", "A", "sampah", t0, steps(1.5, ("selesai", 30.0))),
        Case("a2", "A", "sampah", t0 + day, steps(8.0, ("selesai", 100.0))),  # both late
        Case("a3", "A", "sampah", t0 + 2 * day, [("diverifikasi", 4.0), ("ditolak", 5.0)]),
        Case("a4", "A", "sampah", now - timedelta(hours=1)),  # open, inside both SLAs
        Case("a5", "A", "sampah", t0 + 3 * day),  # open, past both SLAs, no event at all
        Case("a6", "A", "sampah", now - timedelta(minutes=30),
             [("duplikat", 0.25)], merge_into="a4"),  # merged: not counted
        Case("a7", "A", "banjir", t0 + 4 * day, steps(3.0, ("selesai", 47.5))),
        # kecamatan B
        Case("b1", "B", "banjir", t0 + 5 * day, steps(1.0)),  # open past resolution SLA
        Case("b2", "B", "banjir", t0 + 6 * day, steps(3.0, ("selesai", 40.0))),
        Case("b3", "B", "sampah", t0 + 7 * day, steps(2.0, ("selesai", 50.0))),
        Case("b4", "B", "jalan_rusak", t0 + 8 * day, [("diverifikasi", 5.5)]),
        Case("b5", "B", "jalan_rusak", t0 + 9 * day, [("diverifikasi", 7.0)]),
    ]  # fmt: skip


def test_stats_against_python(clean_engine: Engine, areas: dict[str, Any]) -> None:
    with clean_engine.begin() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        cases = _scenario(now)
        _load(conn, cases, areas)
    with clean_engine.connect() as conn:
        sla = _sla(conn)
        now = conn.execute(text("SELECT now()")).scalar_one()  # report_stats's clock
        stats = report_stats(conn, StatsQuery(level="kecamatan"), province_code=PROVINCE)
        _check(stats, cases, sla, now)
        # the scenario covers what it claims
        assert stats["totals"]["count"] == len(cases) - 1
        assert stats["totals"]["median_response_h"] == 3.0
        a = next(x for x in stats["areas"] if x["code"] == "1899A")
        assert a["categories"][1]["pct_response_within_sla"] == round(100 * 2 / 4, 1)
        assert stats["areas"][2]["count"] == 0  # kecamatan C: listed, nobody reported
        # period and category filters
        since = now - timedelta(days=13)
        q = StatsQuery(level="kecamatan", date_from=since, category="sampah")
        got = report_stats(conn, q, province_code=PROVINCE)
        keys = list(got["totals"])
        want = [c for c in cases if c.category == "sampah" and c.submitted >= since]
        assert {k: got["totals"][k] for k in keys} == _figures(want, sla, now, None)
        # a new SLA for a category applies to every report of it (trigger), then rolls back
        conn.execute(text("UPDATE report_categories SET sla_response_h = 9 WHERE code = 'sampah'"))
        sla2 = sla | {"sampah": (9.0, sla["sampah"][1])}
        _check(report_stats(conn, StatsQuery(level="kecamatan"), province_code=PROVINCE),
               cases, sla2, now)  # fmt: skip
        conn.rollback()


def test_open_report_passes_sla_without_event(clean_engine: Engine, areas: dict[str, Any]) -> None:
    with clean_engine.begin() as conn:
        now = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        sla = _sla(conn)
        # banjir: first response due 2 h after submission; this one's falls due in 6 s
        late = Case("soon", "C", "banjir", now - timedelta(hours=sla["banjir"][0], seconds=-6))
        cases = [late, Case("done", "C", "banjir", now - timedelta(days=3),
                            [("diverifikasi", 1.0)])]  # fmt: skip
        _load(conn, cases, areas)
    events = "SELECT count(*), max(id) FROM report_events"
    with clean_engine.connect() as conn:
        before = conn.execute(text(events)).one()
        now = conn.execute(text("SELECT now()")).scalar_one()
        stats = report_stats(conn, StatsQuery(level="kecamatan"), province_code=PROVINCE)
    _check(stats, cases, sla, now)
    assert stats["totals"]["pct_response_within_sla"] == 100.0  # the open one: not known yet
    assert stats["totals"]["overdue"] == 1  # "done" is past its resolution SLA
    time.sleep(7)
    with clean_engine.connect() as conn:
        assert conn.execute(text(events)).one() == before  # no event in between
        now = conn.execute(text("SELECT now()")).scalar_one()
        stats = report_stats(conn, StatsQuery(level="kecamatan"), province_code=PROVINCE)
    _check(stats, cases, sla, now)
    assert stats["totals"]["pct_response_within_sla"] == 50.0  # now known, and late
    assert stats["totals"]["overdue"] == 2


def test_facts_follow_the_reports(clean_engine: Engine, areas: dict[str, Any]) -> None:
    """``report_facts`` equals its source view after submissions, steps and a merge,
    and its open flag agrees with the statuses the Python code calls open."""
    with clean_engine.begin() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        _load(conn, _scenario(now), areas)
    with clean_engine.connect() as conn:
        diff = (
            "SELECT count(*) FROM (SELECT * FROM report_facts EXCEPT "
            "SELECT * FROM report_fact_source) a"
        )
        assert conn.execute(text(diff)).scalar_one() == 0
        assert conn.execute(text(diff.replace("facts EXCEPT", "fact_source EXCEPT").replace(
            "FROM report_fact_source) a", "FROM report_facts) a"))).scalar_one() == 0  # fmt: skip
        rows = conn.execute(
            text(
                "SELECT st.status, f.is_open, f.counted FROM report_facts f "
                "JOIN report_state st ON st.report_id = f.report_id"
            )
        ).all()
        assert len(rows) == 12
        assert all(o == (s in OPEN_STATUSES) and c == (s != "duplikat") for s, o, c in rows)


def test_hotspot_parents_match_h3(clean_engine: Engine, areas: dict[str, Any]) -> None:
    cells = [h3i.latlng_to_cell(-5.0 + 0.37 * i, 104.1 + 0.29 * i, 9) for i in range(8)]
    with clean_engine.connect() as conn:
        for res in range(5, 10):
            expr, params = h3_parent_sql("c", res)
            got = conn.execute(
                text(f"SELECT {expr} FROM unnest(CAST(:cells AS bigint[])) c"),
                params | {"cells": cells},
            ).scalars()
            assert list(got) == [h3i.cell_to_parent(c, res) for c in cells]
    with clean_engine.begin() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        cases = _scenario(now)
        _load(conn, cases, areas)
        points = conn.execute(text("SELECT ST_Y(geom), ST_X(geom) FROM reports ORDER BY id")).all()
        counted = [p for p, c in zip(points, cases, strict=True) if c.status != "duplikat"]
        for res in (5, 8, 9):
            feats = hotspots(conn, resolution=res, limit=10_000)
            want: dict[str, int] = {}
            for y, x in counted:
                # each report's resolution-9 cell, summed to its H3 parent (H3 cells do
                # not nest exactly: a point near an edge may lie outside its parent)
                cell = h3i.int_to_str(h3i.cell_to_parent(h3i.latlng_to_cell(y, x, 9), res))
                want[cell] = want.get(cell, 0) + 1
            assert {f["id"]: f["properties"]["count"] for f in feats} == want
            ranked = [(f["properties"]["count"], f["properties"]["rank"]) for f in feats]
            assert ranked == sorted(ranked, key=lambda r: (-r[0], r[1]))
            assert [r for _, r in ranked] == list(range(1, len(feats) + 1))
            share = {f["id"]: f["properties"]["share"] for f in feats}
            assert share == {k: round(v / len(counted), 4) for k, v in want.items()}
            # the cut to the limit keeps the top of the same ranking
            assert hotspots(conn, resolution=res, limit=2) == feats[:2]
