"""Place search by name: admin areas, service points and settlements, typo tolerant.

Citizens look for a place by its name — a kelurahan/desa, a kecamatan, a puskesmas, a
village — not by clicking a map. :func:`search_places` finds names in three tables and
ranks them:

1. **match class**: the whole name equals the query (``exact``), the name starts with
   it (``prefix``), a word of the name starts with it (``word``: "sukar" finds
   "Puskesmas Sukarame"), or the name holds a word *similar* to it (``similar``:
   ``pg_trgm`` word similarity ≥ :data:`SIMILARITY_THRESHOLD`, so "Sukarme" finds
   "Sukarame");
2. within a class: the word similarity, then closeness to ``near`` (when given), the
   similarity of the whole name (shorter names first) and the kind (kecamatan,
   kabupaten, desa, settlement, service point).

A class always outranks the next one: the parts of the score inside a class add up
to less than 1 (see :func:`_score_sql`). Names are compared after
``lgeo_search_norm`` (migration ``0004``): accents removed, lower case, punctuation to
spaces; each table has a GIN trigram index on that expression, so a search reads the
index, not the table.

Each result carries a point to start a trip from: a service point's own position; for
an admin area the government office inside it (kantor bupati/wali kota, kantor camat,
kantor desa/lurah) closest to the area's centre, else a point inside the area; for a
settlement a point inside it. Context: the kecamatan and kabupaten/kota it lies in
(from ``parent_id`` for areas, by position for the rest). Results of the same kind and
name within :data:`DUPLICATE_M` of a better one (a village drawn as several polygons)
are left out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidParameterError

__all__ = [
    "DUPLICATE_M",
    "KINDS",
    "LIMIT_MAX",
    "Q_MAX",
    "Q_MIN",
    "SIMILARITY_THRESHOLD",
    "Place",
    "normalise_query",
    "search_places",
]

Q_MIN, Q_MAX = 2, 100
"""Shortest and longest query, in characters (after trimming blanks)."""
LIMIT_MAX = 20
"""Most results one search returns."""
SIMILARITY_THRESHOLD = 0.5
"""Least ``pg_trgm`` word similarity of a ``similar`` match (one typo in a 6-letter word
scores 0.57–0.75; pg_trgm's default, 0.6, misses "Metor" for "Metro")."""
NEAR_KM = 25.0
"""Distance at which the closeness bonus has fallen to 1/e."""
DUPLICATE_M = 1000.0
"""Same kind and name closer than this to a better result: left out."""
KINDS = ("kabupaten", "kecamatan", "desa", "service_point", "settlement")
_OFFICE = {"kabupaten": "kantor_bupati", "kecamatan": "kantor_camat", "desa": "kantor_desa"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BLANKS = re.compile(r" +")


@dataclass(frozen=True)
class Place:
    """A search result: a named place and the point a trip to or from it starts at."""

    kind: str
    """``kabupaten``, ``kecamatan``, ``desa``, ``service_point`` or ``settlement``."""
    layer: str
    """The table (and OGC collection) it comes from."""
    feature_id: int
    name: str
    lon: float
    lat: float
    match: str
    """``exact``, ``prefix``, ``word`` or ``similar``."""
    score: float
    category: str | None = None
    """A service point's category code."""
    kecamatan: str | None = None
    kabupaten: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    """An area's or settlement's extent (lon/lat), None for a point."""
    distance_m: float | None = None
    """From ``near``, when given (geodesic, to the result's point)."""
    demo: bool = False


def normalise_query(q: str) -> str:
    """``q`` with runs of spaces collapsed and trimmed; checked for length and control
    characters (other white space is left to the SQL normalisation, which turns it into
    word breaks).

    Raises
    ------
    InvalidParameterError
        ``field="q"``: a control character, or fewer than :data:`Q_MIN` / more than
        :data:`Q_MAX` characters.
    """
    if _CONTROL.search(q):
        msg = "the query holds a control character"
        raise InvalidParameterError(msg, field="q")
    clean = _BLANKS.sub(" ", q).strip(" ")
    if not Q_MIN <= len(clean) <= Q_MAX:
        msg = f"the query must have {Q_MIN} to {Q_MAX} characters, got {len(clean)}"
        raise InvalidParameterError(msg, field="q")
    return clean


def _check(limit: int, near: tuple[float, float] | None) -> None:
    if not 1 <= limit <= LIMIT_MAX:
        msg = f"limit must be between 1 and {LIMIT_MAX}, got {limit}"
        raise InvalidParameterError(msg, field="limit")
    if near is not None:
        lon, lat = near
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            msg = f"({lon}, {lat}) is not a WGS 84 lon/lat position"
            raise InvalidParameterError(msg, field="near")


def _candidates(table: str, kind_sql: str, category_sql: str, where: str) -> str:
    """One table's matching rows (every condition can use its trigram index)."""
    return f"""
      SELECT '{table}' AS layer, t.id, {kind_sql} AS kind, t.name, {category_sql} AS category,
             lgeo_search_norm(t.name) AS n, t.geom, s.is_demo AS demo,
             {"t.parent_id" if table == "admin_areas" else "NULL::bigint"} AS parent_id
      FROM {table} t JOIN sources s ON s.id = t.source
      WHERE {where} (lgeo_search_norm(t.name) LIKE :prefix
             OR lgeo_search_norm(t.name) LIKE :word
             OR :q <% lgeo_search_norm(t.name))"""


def _score_sql() -> str:
    """The score: class (4 exact, 3 prefix, 2 word, 1 similar) plus parts below 1.

    0.5 × word similarity + 0.3 × closeness (``exp(-km / NEAR_KM)``, 0 without
    ``near``) + 0.15 × whole-name similarity + 0.04 × kind weight ≤ 0.99.
    """
    return """
      (CASE WHEN n = :q THEN 4 WHEN n LIKE :prefix THEN 3 WHEN n LIKE :word THEN 2 ELSE 1 END)
      + 0.5 * word_similarity(:q, n)
      + 0.3 * CASE WHEN CAST(:near_lon AS float8) IS NULL THEN 0
              ELSE exp(-LEAST(ST_Distance(geom, ST_SetSRID(ST_MakePoint(:near_lon, :near_lat),
                                                      4326)) * 111.32 / :near_km, 600)) END
      + 0.15 * similarity(:q, n)
      + 0.04 * CASE kind WHEN 'kecamatan' THEN 1 WHEN 'kabupaten' THEN 0.9 WHEN 'desa' THEN 0.8
                         WHEN 'settlement' THEN 0.5 ELSE 0.3 END"""


_SEARCH = f"""
WITH cand AS (
  {_candidates("admin_areas", "t.level", "NULL::text", "t.level <> 'provinsi' AND")}
  UNION ALL
  {_candidates("service_points", "'service_point'", "t.category", "")}
  UNION ALL
  {_candidates("settlements", "'settlement'", "NULL::text", "t.name IS NOT NULL AND")}
), ranked AS (
  SELECT c.*,
         CASE WHEN n = :q THEN 'exact' WHEN n LIKE :prefix THEN 'prefix'
              WHEN n LIKE :word THEN 'word' ELSE 'similar' END AS match,
         {_score_sql()} AS score
  FROM cand c
  ORDER BY score DESC, name, id
  LIMIT :fetch
), placed AS (
  SELECT r.*,
         COALESCE(office.geom, CASE WHEN r.layer = 'service_points' THEN r.geom
                                    ELSE ST_PointOnSurface(r.geom) END) AS pt
  FROM ranked r
  LEFT JOIN LATERAL (
    SELECT sp.geom FROM service_points sp
    WHERE r.layer = 'admin_areas'
      AND sp.category = CASE r.kind WHEN 'kabupaten' THEN '{_OFFICE["kabupaten"]}'
                                    WHEN 'kecamatan' THEN '{_OFFICE["kecamatan"]}'
                                    ELSE '{_OFFICE["desa"]}' END
      AND ST_Intersects(sp.geom, r.geom)
    ORDER BY sp.geom <-> ST_PointOnSurface(r.geom), sp.id
    LIMIT 1
  ) office ON true
)
SELECT p.layer, p.id, p.kind, p.name, p.category, p.match, p.score, p.demo,
       ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat,
       CASE WHEN p.layer = 'service_points' THEN NULL ELSE ST_XMin(p.geom::box2d) END AS xmin,
       ST_YMin(p.geom::box2d) AS ymin, ST_XMax(p.geom::box2d) AS xmax,
       ST_YMax(p.geom::box2d) AS ymax,
       CASE WHEN CAST(:near_lon AS float8) IS NULL THEN NULL
            ELSE ST_Distance(p.pt::geography,
                             ST_SetSRID(ST_MakePoint(:near_lon, :near_lat), 4326)::geography)
       END AS distance_m,
       CASE WHEN p.layer = 'admin_areas' THEN
              CASE p.kind WHEN 'desa' THEN parent.name END
            ELSE kec.name END AS kecamatan,
       CASE WHEN p.layer = 'admin_areas' THEN
              CASE p.kind WHEN 'kecamatan' THEN parent.name WHEN 'desa' THEN grand.name END
            ELSE kab.name END AS kabupaten
FROM placed p
LEFT JOIN admin_areas parent ON parent.id = p.parent_id
LEFT JOIN admin_areas grand ON grand.id = parent.parent_id
LEFT JOIN LATERAL (
  SELECT a.name FROM admin_areas a
  WHERE p.layer <> 'admin_areas' AND a.level = 'kecamatan' AND ST_Intersects(a.geom, p.pt)
  ORDER BY a.id LIMIT 1
) kec ON true
LEFT JOIN LATERAL (
  SELECT a.name FROM admin_areas a
  WHERE p.layer <> 'admin_areas' AND a.level = 'kabupaten' AND ST_Intersects(a.geom, p.pt)
  ORDER BY a.id LIMIT 1
) kab ON true
ORDER BY p.score DESC, p.name, p.id
"""


def _place(row: Any) -> Place:
    bbox = None
    if row.xmin is not None:
        bbox = (
            round(row.xmin, 6),
            round(row.ymin, 6),
            round(row.xmax, 6),
            round(row.ymax, 6),
        )
    return Place(
        kind=row.kind,
        layer=row.layer,
        feature_id=int(row.id),
        name=row.name,
        lon=round(float(row.lon), 6),
        lat=round(float(row.lat), 6),
        match=row.match,
        score=round(float(row.score), 4),
        category=row.category,
        kecamatan=row.kecamatan,
        kabupaten=row.kabupaten,
        bbox=bbox,
        distance_m=None if row.distance_m is None else round(float(row.distance_m), 1),
        demo=bool(row.demo),
    )


def _metres(a: Place, b: Place) -> float:
    """Distance between two results' points (equirectangular; fine below a few km)."""
    k = 111_320.0
    dx = (a.lon - b.lon) * k * math.cos(math.radians((a.lat + b.lat) / 2))
    dy = (a.lat - b.lat) * k
    return math.hypot(dx, dy)


def _drop_duplicates(places: list[Place]) -> list[Place]:
    kept: list[Place] = []
    for p in places:
        if any(k.kind == p.kind and k.name == p.name and _metres(k, p) < DUPLICATE_M for k in kept):
            continue
        kept.append(p)
    return kept


def search_places(
    conn: Connection,
    q: str,
    *,
    limit: int = 10,
    near: tuple[float, float] | None = None,
) -> list[Place]:
    """Places whose name matches ``q``, best first.

    Parameters
    ----------
    conn
        A connection (read only; the similarity threshold is set for its current
        transaction only).
    q
        What the user typed: 2 to 100 characters, no control characters.
    limit
        Most results (1..:data:`LIMIT_MAX`).
    near
        ``(lon, lat)`` to prefer: among equally good matches, the closer one first;
        each result then carries its ``distance_m``.

    Returns
    -------
    list of Place
        Best first; empty when nothing matches (or the query holds no letter or digit).

    Raises
    ------
    InvalidParameterError
        ``q``, ``limit`` or ``near`` out of bounds (with that field).
    """
    clean = normalise_query(q)
    _check(limit, near)
    norm = conn.execute(
        text(
            "SELECT lgeo_search_norm(:q) AS q, "
            "set_config('pg_trgm.word_similarity_threshold', :threshold, true)"
        ),
        {"q": clean, "threshold": str(SIMILARITY_THRESHOLD)},
    ).scalar_one()
    if not norm:
        return []
    params = {
        "q": norm,
        "prefix": norm + "%",
        "word": "% " + norm + "%",
        "near_lon": near[0] if near else None,
        "near_lat": near[1] if near else None,
        "near_km": NEAR_KM,
        "fetch": limit * 3,
    }
    rows = conn.execute(text(_SEARCH), params).all()
    return _drop_duplicates([_place(r) for r in rows])[:limit]
