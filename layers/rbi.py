"""``import rbi``: several BIG RBI kabupaten folders into the database at once.

Everything is read and checked first, then written in one transaction (all or
nothing). Rows upsert on stable source ids, so a re-run with the same folders leaves
the same rows; the import adds and updates, it never deletes.

========================  ==================  =========================================
RBI layer                 table               rule
========================  ==================  =========================================
ADMINISTRASIKABUPATEN     admin_areas         each folder's own kabupaten, once (see
                                              :mod:`layers.rbi_admin`); source id = name
                                              key (``metro``)
ADMINISTRASIKECAMATAN     admin_areas         dissolved per (kabupaten, name), parent
                                              = its kabupaten; id ``metro/metropusat``
PEMERINTAHAN              service_points      category from the name first (Samsat,
                                              Dukcapil, MPP, police: :data:`NAME_RULES`),
                                              else ``REMARK`` (:data:`CATEGORIES`);
                                              same category + name within 50 m: once
PEMUKIMAN                 settlements         exact duplicates (name + geometry): once
JALAN                     (road-graph step)   reported only
========================  ==================  =========================================
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import Connection, text

from layers.admin_names import text_key
from layers.bps import PopulationTable
from layers.ingest import INDONESIA_BBOX
from layers.ingest_fields import LAYERS, validate_row
from layers.rbi_admin import GEOD, AdminPlan, plan_kabupaten, plan_kecamatan
from layers.rbi_layers import STANDARD_LAYERS, LayerFile, LayerRead, find_layers, read_layer
from layers.rbi_layers import inspect_roads as _inspect_roads
from layers.rbi_report import FolderReport, LayerReport, RbiImportReport
from layers.writer import SourceInfo, link_admin_parents, upsert_rows

ATTRIBUTION = "Badan Informasi Geospasial (BIG), Rupabumi Indonesia 1:50.000"
CATEGORIES: dict[str, str] = {
    "kantorcamat": "kantor_camat",
    "kantorkepaladesa": "kantor_desa",
    "kantordesa": "kantor_desa",
    "kantorlurah": "kantor_desa",
    "kantorkelurahan": "kantor_desa",
    "kantorpolisi": "polisi",
    "kantorbupati": "kantor_bupati",
    "kantorwalikota": "kantor_bupati",
    "kantorwalikotamadya": "kantor_bupati",
}
DUPLICATE_OFFICE_M = 50.0
#: Categories decided by the office's name, before REMARK: RBI files list the Samsat
#: and the civil registry under "Kantor Pemerintah Lainnya", and the real Metro file has
#: "Kantor Bersama Samsat Kota Metro" and "Inspektorat Metro" under "Kantor Polisi".
#: Matched against the name's key (lower case, letters and digits only).
NAME_RULES: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("samsat",), "samsat"),
    (("kependudukandanpencatatansipil", "dukcapil", "capil"), "dukcapil"),
    (("malpelayananpublik",), "mpp"),
    (("inspektorat",), None),  # an internal audit office, whatever REMARK says
    (("polsek", "polres", "polda", "kepolisian", "kantorpolisi"), "polisi"),
)


def office_category(remark: str, name: str) -> tuple[str | None, str]:
    """The service category of an RBI office, and why (``name`` or ``REMARK``).

    The name decides first (see :data:`NAME_RULES`), then ``REMARK``
    (:data:`CATEGORIES`); None when neither maps to a category.
    """
    key = text_key(name)
    for needles, category in NAME_RULES:
        if any(n in key for n in needles):
            return category, "name"
    return CATEGORIES.get(text_key(remark)), "REMARK"


def _source(prefix: str, role: str) -> SourceInfo:
    name = STANDARD_LAYERS[role]
    return SourceInfo(
        id=f"{prefix}-{role}", title=f"BIG RBI 1:50.000 — {name}", attribution=ATTRIBUTION
    )


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def _row(spec: str, record: dict[str, Any], geom: Any, row: int) -> dict[str, Any]:
    """Validate one prepared record with the ingest rules (repair, bbox, types)."""
    fields = {k: k for k in record if k in LAYERS[spec].fields or k == "source_id"}
    out, _ = validate_row(
        record,
        geom,
        spec=LAYERS[spec],
        columns=fields,
        defaults={},
        known={},
        row=row,
        bbox=INDONESIA_BBOX,
    )
    return out


def _admin_row(plan: AdminPlan, level: str, row: int) -> dict[str, Any]:
    record = {"name": plan.name, "level": level, "code": plan.code, "source_id": plan.key}
    out = _row("admin_areas", record, plan.geom, row)
    out["attributes"] = plan.attributes()
    return out


def _offices(
    reads: list[LayerRead | None], reports: list[FolderReport]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Service points from PEMERINTAHAN, one per (category, name) within 50 m."""
    kept: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    rows: list[dict[str, Any]] = []
    unnamed = 0
    for i, read in enumerate(reads):
        if read is None:
            continue
        rep = reports[i].layer("offices", read.file.name)
        rep.file, rep.read = read.file.label, len(read.frame)
        if read.missing_attributes:
            rep.skip("no .dbf: no REMARK", len(read.frame))
            continue
        folder = read.file.path.parent.name
        records = read.frame.drop(columns=read.frame.geometry.name).to_dict("records")
        for n, (rec, geom) in enumerate(zip(records, read.frame.geometry, strict=True), 1):
            remark = str(_clean(rec.get("REMARK")) or "").strip()
            category, why = office_category(remark, str(_clean(rec.get("NAMOBJ")) or ""))
            if category is None:
                what = "name" if why == "name" else "REMARK"
                rep.skip(f"{what} not mapped: {remark or '(none)'}")
                continue
            if geom is None or geom.is_empty:
                rep.skip("no geometry")
                continue
            point = (
                geom.geoms[0] if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1 else geom
            )
            name = str(_clean(rec.get("NAMOBJ")) or "").strip()
            if not name:
                name, unnamed = remark, unnamed + 1
            group = kept.setdefault((category, text_key(name)), [])
            near = [
                f for x, y, f in group if GEOD.inv(x, y, point.x, point.y)[2] <= DUPLICATE_OFFICE_M
            ]
            if near:
                rep.skip(f"same office already in {near[0]}")
                continue
            group.append((point.x, point.y, folder))
            sid = f"{category}/{text_key(name)}/{point.x:.5f},{point.y:.5f}"
            attrs = {k: _clean(v) for k, v in rec.items()} | {"rbi_folder": folder}
            record = {"name": name, "category": category, "source_id": sid} | attrs
            rows.append(_row("service_points", record, point, n))
            rep.loaded += 1
    notes = [f"{unnamed} offices without NAMOBJ named after their REMARK"] if unnamed else []
    return rows, notes


def _settlements(
    reads: list[LayerRead | None], reports: list[FolderReport]
) -> list[dict[str, Any]]:
    """Settlements from PEMUKIMAN; the same name and geometry in two folders once."""
    seen: dict[bytes, str] = {}
    rows: list[dict[str, Any]] = []
    for i, read in enumerate(reads):
        if read is None:
            continue
        rep = reports[i].layer("settlements", read.file.name)
        rep.file, rep.read = read.file.label, len(read.frame)
        folder = read.file.path.parent.name
        records = read.frame.drop(columns=read.frame.geometry.name).to_dict("records")
        for n, (rec, geom) in enumerate(zip(records, read.frame.geometry, strict=True), 1):
            if geom is None or geom.is_empty:
                rep.skip("no geometry")
                continue
            name = str(_clean(rec.get("NAMOBJ")) or "").strip() or None
            wkb = shapely.to_wkb(shapely.normalize(geom))
            key = text_key(name).encode() + b"|" + wkb
            if key in seen:
                rep.skip(f"exact duplicate of a settlement in {seen[key]}")
                continue
            seen[key] = folder
            digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()[:16]
            sid = f"{text_key(name) or 'tanpa-nama'}/{digest}"
            kind = _clean(rec.get("REMARK"))
            attrs = {k: _clean(v) for k, v in rec.items()} | {"rbi_folder": folder}
            record = attrs | {"name": name, "kind": kind, "source_id": sid}
            rows.append(_row("settlements", record, geom, n))
            rep.loaded += 1
    return rows


def _population(
    plans: dict[str, AdminPlan], table: PopulationTable | None
) -> tuple[dict[str, tuple[int, int | None, str]], list[str]]:
    """Figures for the imported kabupaten, and warnings for what did not match."""
    if table is None:
        return {}, []
    out = {
        key: (table.figures[key].value, table.year, table.label)
        for key in plans
        if key in table.figures
    }
    warnings = []
    unmatched = sorted(f.name for k, f in table.figures.items() if k not in plans)
    if unmatched:
        warnings.append(
            f"population rows that match no imported kabupaten ({len(unmatched)}): "
            + ", ".join(unmatched)
        )
    missing = sorted(p.name for k, p in plans.items() if k not in out)
    if missing:
        warnings.append(f"no population figure in {table.path.name} for: " + ", ".join(missing))
    return out, warnings


def import_rbi(
    conn: Connection,
    folders: Sequence[str | Path],
    *,
    population: PopulationTable | None = None,
    encoding: str | None = None,
    source_prefix: str = "rbi",
) -> RbiImportReport:
    """Import RBI kabupaten folders in one transaction.

    Parameters
    ----------
    conn
        A connection; this function opens and commits (or rolls back) the transaction.
    folders
        Kabupaten folders with the standard RBI layers.
    population
        A BPS table (:func:`layers.bps.read_population`) whose figures are set on the
        matched kabupaten; without it, figures already in the database are kept.
    encoding
        Text encoding of the ``.dbf`` files (default: decided per file).
    source_prefix
        Prefix of the dataset ids (``rbi-kabupaten``, ``rbi-kecamatan``, ...).

    Raises
    ------
    IngestError
        A folder or file that cannot be read; nothing is written.
    """
    started = time.perf_counter()
    paths = [Path(f) for f in folders]
    reports = [FolderReport(p) for p in paths]
    layers: dict[str, list[LayerRead | None]] = {r: [] for r in STANDARD_LAYERS if r != "roads"}
    roads: list[LayerFile] = []
    for folder, report in zip(paths, reports, strict=True):
        t0 = time.perf_counter()
        found, notes = find_layers(folder)
        for role, name in STANDARD_LAYERS.items():
            if role != "roads":
                report.layer(role, name)  # the table lists every layer, found or not
        report.warnings += notes
        dropped_z: list[str] = []
        for role, reads in layers.items():
            read = read_layer(found[role], encoding=encoding) if role in found else None
            if read is not None:
                report.warnings += [f"{found[role].name}: {n}" for n in read.notes]
                if read.dropped_z:
                    dropped_z.append(f"{found[role].name} {read.dropped_z:,}")
            reads.append(read)
        if dropped_z:
            report.warnings.append("dropped Z coordinates (geometries): " + ", ".join(dropped_z))
        if "roads" in found:
            roads.append(found["roads"])
            count, notes = _inspect_roads(found["roads"])
            rep = report.layer("roads", found["roads"].name)
            rep.file, rep.read = found["roads"].label, count
            rep.skip("roads: built by the road-graph step", count)
            report.warnings += notes
        report.seconds = time.perf_counter() - t0
    kab_plans, known = plan_kabupaten(layers["kabupaten"], reports)
    kec_plans, warnings = plan_kecamatan(layers["kecamatan"], reports, kab_plans, known)
    figures, pop_warnings = _population(kab_plans, population)
    warnings += pop_warnings
    kab_rows = []
    for n, plan in enumerate(kab_plans.values(), 1):
        row = _admin_row(plan, "kabupaten", n)
        for k in ("population", "population_year", "population_source"):
            row.pop(k)
        if plan.key in figures:
            value, year, label = figures[plan.key]
            row |= {"population": value, "population_year": year, "population_source": label}
        kab_rows.append(row)
    kec_rows = [_admin_row(p, "kecamatan", n) for n, p in enumerate(kec_plans.values(), 1)]
    for row in kec_rows:
        for k in ("population", "population_year", "population_source"):
            row.pop(k)
    office_rows, notes = _offices(layers["offices"], reports)
    warnings += notes
    settlement_rows = _settlements(layers["settlements"], reports)
    written = _write(
        conn,
        source_prefix,
        kab_rows,
        kec_rows,
        [p.parent_key or "" for p in kec_plans.values()],
        office_rows,
        settlement_rows,
    )
    return RbiImportReport(
        folders=tuple(reports),
        written=written,
        warnings=tuple(warnings),
        road_files=tuple(roads),
        population=population,
        seconds=time.perf_counter() - started,
    )


def _write(
    conn: Connection,
    prefix: str,
    kabupaten: list[dict[str, Any]],
    kecamatan: list[dict[str, Any]],
    parents: list[str],
    offices: list[dict[str, Any]],
    settlements: list[dict[str, Any]],
) -> dict[str, int]:
    kab_source = _source(prefix, "kabupaten")
    with conn.begin():
        written = {"kabupaten": upsert_rows(conn, "admin_areas", kab_source, kabupaten)}
        ids: dict[str, int] = dict(
            conn.execute(
                text("SELECT source_id, id FROM admin_areas WHERE source = :s"),
                {"s": kab_source.id},
            ).all()
        )
        for row, parent in zip(kecamatan, parents, strict=True):
            row["parent_id"] = ids.get(parent)
        written["kecamatan"] = upsert_rows(
            conn, "admin_areas", _source(prefix, "kecamatan"), kecamatan
        )
        link_admin_parents(conn, source=kab_source.id)
        written["service_points"] = upsert_rows(
            conn, "service_points", _source(prefix, "offices"), offices
        )
        written["settlements"] = upsert_rows(
            conn, "settlements", _source(prefix, "settlements"), settlements
        )
    return written


__all__ = ["CATEGORIES", "FolderReport", "LayerReport", "RbiImportReport", "import_rbi"]
