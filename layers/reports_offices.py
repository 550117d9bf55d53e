"""Agencies (OPD), their offices, and which office a report goes to.

``agencies`` lists kinds of OPD (Dinas PU, DLH, BPBD, Dinkes, Inspektorat, Dishub,
Satpol PP); ``agency_offices`` their offices, each at the level of government it
serves (``kabupaten`` for a kabupaten/kota's own OPD, ``provinsi`` for the province's).
Offices come from RBI ``PEMERINTAHAN`` names (:func:`office_agency`, used by
:mod:`layers.rbi`), from the DEMO, or from a deployment's own list.

``report_routing`` maps (category, level) to an agency. A report is routed at its
category's level first; its candidate offices are that agency's offices **in the
report's kabupaten/kota** (level ``kabupaten``) or anywhere in the province (level
``provinsi``), nearest first by straight line (:func:`routing_options`). When the
kabupaten has no office of the agency, the report goes to the next level (the
province). Among the candidates the API picks the one with the shortest travel time
(:mod:`geo_api.reports`); without a road network, the nearest by straight line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from data.reference import AGENCIES, GOVERNMENT_LEVELS
from layers.admin_names import text_key
from layers.writer import SourceInfo, upsert_source

CANDIDATES = 8
"""Offices per report whose travel time is computed (nearest by straight line)."""
PROVINCE_WORDS = ("provinsi", "propinsi", "prov")


@dataclass(frozen=True, slots=True)
class OfficeCandidate:
    """An office that could take a report, with its straight-line distance."""

    id: int
    name: str
    lon: float
    lat: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class RoutingOption:
    """The agency at one level and its candidate offices (nearest first)."""

    agency: str
    agency_name: str
    level: str
    candidates: list[OfficeCandidate]


def office_agency(name: str) -> tuple[str, str] | None:
    """The agency and level of an office, from its name, or None.

    ``Kantor Dinas Kesehatan Kota Metro`` → ``("dinkes", "kabupaten")``;
    ``Dinas Pengairan dan Pemukiman Provinsi Lampung`` → None (no agency of ours);
    a name holding "Provinsi" is a provincial office. Matched on the name's key (lower
    case, letters and digits): ``Dinas PU Sukoharjo`` → ``dinaspusukoharjo``.
    """
    key = text_key(name)
    for agency in AGENCIES:
        if any(k in key for k in agency.name_keys):
            level = "provinsi" if any(w in name.lower().split() for w in PROVINCE_WORDS) else None
            return agency.code, level or "kabupaten"
    return None


def upsert_offices(conn: Connection, source: SourceInfo, rows: Sequence[dict[str, Any]]) -> int:
    """Upsert agency offices on (source, source_id) in the caller's transaction.

    Each row needs ``source_id``, ``agency``, ``level``, ``name``, ``lon``, ``lat``;
    optional ``address``, ``phone``, ``attributes``.
    """
    upsert_source(conn, source)
    if not rows:
        return 0
    conn.execute(
        text(
            """
            INSERT INTO agency_offices (source, source_id, agency, level, name, address, phone,
                attributes, geom)
            VALUES (:source, :source_id, :agency, :level, :name, :address, :phone,
                CAST(:attributes AS jsonb), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            ON CONFLICT ON CONSTRAINT uq_agency_offices_source DO UPDATE SET
                agency = EXCLUDED.agency, level = EXCLUDED.level, name = EXCLUDED.name,
                address = EXCLUDED.address, phone = EXCLUDED.phone,
                attributes = EXCLUDED.attributes, geom = EXCLUDED.geom
            """
        ),
        [
            {
                "source": source.id,
                "address": None,
                "phone": None,
                **{k: v for k, v in r.items() if k != "attributes"},
                "attributes": _json(r.get("attributes") or {}),
            }
            for r in rows
        ],
    )
    return len(rows)


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def routing_options(
    conn: Connection,
    *,
    category: str,
    kabupaten_id: int,
    lon: float,
    lat: float,
    first_level: str,
    limit: int = CANDIDATES,
) -> list[RoutingOption]:
    """The agency per level for a category, first level first, with candidate offices.

    Levels without a ``report_routing`` row are left out; a level may have no office.
    """
    routes: dict[str, str] = dict(
        conn.execute(
            text("SELECT level, agency FROM report_routing WHERE category = :c"), {"c": category}
        ).all()
    )
    names: dict[str, str] = dict(conn.execute(text("SELECT code, name_id FROM agencies")).all())
    order = [first_level, *(lv for lv in GOVERNMENT_LEVELS if lv != first_level)]
    out = []
    for level in order:
        agency = routes.get(level)
        if agency is None:
            continue
        rows = conn.execute(
            text(
                """
                SELECT o.id, o.name, ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat,
                       ST_Distance(o.geom::geography, p.g::geography) AS m
                FROM agency_offices o
                CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p
                WHERE o.agency = :agency AND o.level = :level
                  AND (:level = 'provinsi' OR EXISTS (
                      SELECT 1 FROM admin_areas k
                      WHERE k.id = :kab AND ST_Covers(k.geom, o.geom)))
                ORDER BY o.geom <-> p.g, o.id
                LIMIT :limit
                """
            ),
            {
                "lon": lon,
                "lat": lat,
                "agency": agency,
                "level": level,
                "kab": kabupaten_id,
                "limit": limit,
            },
        ).mappings()
        candidates = [
            OfficeCandidate(int(r["id"]), str(r["name"]), r["lon"], r["lat"], float(r["m"]))
            for r in rows
        ]
        out.append(RoutingOption(agency, str(names.get(agency, agency)), level, candidates))
    return out


__all__ = [
    "OfficeCandidate",
    "RoutingOption",
    "office_agency",
    "routing_options",
    "upsert_offices",
]
