"""Kabupaten and kecamatan from several RBI folders, each loaded once.

Rules (decided from the real deliveries, where ``KDPBPS`` is empty and ``KDPPUM`` is
only the province):

- A folder's own kabupaten is the name holding the largest area of its
  ``ADMINISTRASIKABUPATEN`` layer (Kota Metro: 66 km² against slivers of 0.03-3 km²).
- Pieces with the name of any imported folder's own kabupaten, from any folder, are
  unioned into it; pieces of kabupaten that no folder is for are neighbour slivers and
  are not loaded (reported with their area).
- Kecamatan pieces are grouped by (kabupaten, name) and unioned across folders. The
  kabupaten is ``WADMKK``; a piece whose ``WADMKK`` is empty or unknown is attached to
  the imported kabupaten containing it. Kecamatan of kabupaten not imported are skipped.
- Names are matched on keys (:mod:`layers.admin_names`); codes come from the file when
  specific (4 digits for a kabupaten, 6+ for a kecamatan), else from BPS by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from data.facts import Kabupaten
from layers.admin_names import (
    BPS_BY_KEY,
    bps_kabupaten,
    kabupaten_key,
    kecamatan_key,
    specific_code,
)
from layers.rbi_layers import LayerRead
from layers.rbi_report import FolderReport

GEOD = Geod(ellps="WGS84")
KAB_CODE_COLUMNS = ("KDBBPS", "KDBPUM", "KDPBPS", "KDPPUM")
KEC_CODE_COLUMNS = ("KDCBPS", "KDCPUM")
WEAK_SHARE = 0.5


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat geometry in km²."""
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def polygonal(geoms: list[BaseGeometry]) -> BaseGeometry:
    """The union of ``geoms`` (repaired), keeping only polygons."""
    fixed = [shapely.make_valid(g) if not g.is_valid else g for g in geoms]
    union = shapely.union_all(fixed)
    parts = [g for g in getattr(union, "geoms", [union]) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def display_name(name: str) -> str:
    """``"METRO PUSAT"`` -> ``"Metro Pusat"``; mixed-case names stay as written."""
    name = " ".join(name.split())
    return name.title() if name.isupper() else name


@dataclass(slots=True)
class AdminPlan:
    """One kabupaten or kecamatan to write: merged geometry, names seen, code, folders."""

    key: str
    name: str
    geom: BaseGeometry
    code: str | None = None
    parent_key: str | None = None
    names: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    pieces: int = 0
    bps: Kabupaten | None = None

    def attributes(self) -> dict[str, Any]:
        """What the rows keep from the files (JSON-safe)."""
        return {
            "rbi_names": sorted(self.names),
            "rbi_folders": sorted(self.folders),
            "rbi_pieces": self.pieces,
            "area_km2": round(area_km2(self.geom), 3),
        }


def _text(record: dict[str, Any], column: str) -> str:
    value = record.get(column)
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _code(records: list[dict[str, Any]], columns: tuple[str, ...], digits: int) -> str | None:
    for column in columns:
        for rec in records:
            code = specific_code(rec.get(column), digits=digits)
            if code is not None and (digits != 4 or len(code) == 4):
                return code
    return None


Piece = tuple[int, str, str, BaseGeometry, dict[str, Any]]  # folder, key, name, geom, record


def _pieces(read: LayerRead, report: FolderReport, role: str, index: int) -> list[Piece]:
    rep = report.layer(role, read.file.name)
    rep.file = read.file.label
    rep.read = len(read.frame)
    if read.missing_attributes:
        rep.skip("no .dbf: no names", len(read.frame))
        return []
    out: list[Piece] = []
    geoms = read.frame.geometry.to_numpy()
    records = read.frame.drop(columns=read.frame.geometry.name).to_dict("records")
    for rec, geom in zip(records, geoms, strict=True):
        name = _text(rec, "NAMOBJ") or (_text(rec, "WADMKK") if role == "kabupaten" else "")
        if geom is None or geom.is_empty:
            rep.skip("no geometry")
        elif not name.strip():
            rep.skip("no name (NAMOBJ)")
        else:
            key = kabupaten_key(name) if role == "kabupaten" else kecamatan_key(name)
            out.append((index, key, name, geom, rec))
    return out


def plan_kabupaten(
    reads: list[LayerRead | None], reports: list[FolderReport]
) -> tuple[dict[str, AdminPlan], set[str]]:
    """Each folder's own kabupaten, with its pieces from every folder unioned in.

    Returns the plans by key and every kabupaten key seen (slivers included).
    """
    pieces: list[Piece] = []
    homes: dict[int, str] = {}
    for i, read in enumerate(reads):
        if read is None:
            continue
        mine = _pieces(read, reports[i], "kabupaten", i)
        pieces += mine
        areas: dict[str, float] = {}
        for _, key, _, geom, _ in mine:
            areas[key] = areas.get(key, 0.0) + area_km2(geom)
        if not areas:
            reports[i].warnings.append("no kabupaten with a name and a geometry in this folder")
            continue
        home, home_area = max(areas.items(), key=lambda kv: kv[1])
        homes[i] = home
        share = home_area / sum(areas.values())
        if share < WEAK_SHARE:
            reports[i].warnings.append(
                f"own kabupaten unclear: the largest, {home!r}, holds only {share:.0%} of the area"
            )
    plans: dict[str, AdminPlan] = {}
    by_key: dict[str, list[Piece]] = {}
    for piece in pieces:
        by_key.setdefault(piece[1], []).append(piece)
    wanted = set(homes.values())
    for key, group in by_key.items():
        if key not in wanted:
            for i, _, name, geom, _ in group:
                reports[i].layers["kabupaten"].skip("neighbour kabupaten (not a folder's own)")
                reports[i].warnings.append(
                    f"not loaded as a kabupaten: {name} ({area_km2(geom):.2f} km², "
                    "a neighbour's piece)"
                )
            continue
        largest = max(group, key=lambda p: area_km2(p[3]))
        bps = bps_kabupaten(largest[2])
        records = [p[4] for p in group]
        plan = AdminPlan(
            key=key,
            name=bps.name if bps else display_name(largest[2]),
            geom=polygonal([p[3] for p in group]),
            code=_code(records, KAB_CODE_COLUMNS, 4) or (bps.code if bps else None),
            names={p[2] for p in group},
            folders={reads[p[0]].file.path.parent.name for p in group if reads[p[0]]},  # type: ignore[union-attr]
            pieces=len(group),
            bps=bps,
        )
        plans[key] = plan
        for i, _, _, geom, _ in group:
            reports[i].layers["kabupaten"].loaded += 1
            if homes.get(i) != key:
                reports[i].warnings.append(
                    f"a piece of {plan.name} ({area_km2(geom):.2f} km²) merged into it"
                )
    for i, key in homes.items():
        reports[i].kabupaten = plans[key].name
    return plans, set(by_key) | set(BPS_BY_KEY)


def plan_kecamatan(
    reads: list[LayerRead | None],
    reports: list[FolderReport],
    kabupaten: dict[str, AdminPlan],
    known_kabupaten: set[str],
) -> tuple[dict[tuple[str, str], AdminPlan], list[str]]:
    """Kecamatan of the imported kabupaten, dissolved per (kabupaten, name).

    Returns the plans by (kabupaten key, kecamatan key) and import-wide warnings.
    """
    groups: dict[tuple[str, str], list[Piece]] = {}
    spatial = 0
    for i, read in enumerate(reads):
        if read is None:
            continue
        rep = reports[i].layer("kecamatan", read.file.name)
        for piece in _pieces(read, reports[i], "kecamatan", i):
            kab = kabupaten_key(_text(piece[4], "WADMKK"))
            if kab not in kabupaten and kab in known_kabupaten:
                rep.skip("kecamatan of a kabupaten not imported")
                continue
            if kab not in kabupaten:
                point = piece[3].representative_point()
                inside = [k for k, plan in kabupaten.items() if plan.geom.contains(point)]
                if not inside:
                    rep.skip("outside the imported kabupaten (no WADMKK)")
                    continue
                kab, spatial = inside[0], spatial + 1
            groups.setdefault((kab, piece[1]), []).append(piece)
            rep.loaded += 1
    plans: dict[tuple[str, str], AdminPlan] = {}
    outside: list[str] = []
    for (kab, key), group in groups.items():
        names = Counter(p[2] for p in group)
        plan = AdminPlan(
            key=f"{kab}/{key}",
            name=display_name(names.most_common(1)[0][0]),
            geom=polygonal([p[3] for p in group]),
            code=_code([p[4] for p in group], KEC_CODE_COLUMNS, 6),
            parent_key=kab,
            names=set(names),
            folders={reads[p[0]].file.path.parent.name for p in group if reads[p[0]]},  # type: ignore[union-attr]
            pieces=len(group),
        )
        plans[(kab, key)] = plan
        if not kabupaten[kab].geom.contains(plan.geom.representative_point()):
            outside.append(f"{plan.name} ({kabupaten[kab].name})")
    warnings: list[str] = []
    if spatial:
        warnings.append(f"{spatial} kecamatan pieces without a known WADMKK placed by location")
    if outside:
        warnings.append(
            f"{len(outside)} kecamatan lie mostly outside their kabupaten's boundary: "
            + ", ".join(sorted(outside)[:10])
        )
    return plans, warnings
