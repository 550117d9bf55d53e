"""Citizen reports (laporan warga): submission without an account, and the citizen's view.

A report is written once (:func:`submit_report`) and never edited: the table refuses
UPDATE. Everything that happens later is an event (:mod:`layers.reports_lifecycle`);
``report_state`` holds the projection of the events that queries read. A report gets

- a **tracking code** ``LPR-XXXX-XXXX-XXXX`` from :mod:`secrets` over 30 letters and
  digits without look-alikes (no 0/O, 1/I/L, U): 30^12 ≈ 5·10^17 codes (59 bits), so
  guessing one is hopeless even at a million tries per second. The code is the
  citizen's key to the report (status, timeline, own text and photo, the rating); it
  is never shown on the public side, where a report is known by its number (``id``);
- its **place** by point-in-polygon: kabupaten/kota (required: a point in no
  kabupaten of the province is refused, :class:`OutsideAreaError`), kecamatan and,
  where loaded, desa, as they were when it was submitted;
- its **agency and office** (:mod:`layers.reports_offices`; the office is picked by
  travel time in :mod:`geo_api.reports`);
- a **public location** rounded to 0.001° (≤ 80 m from the true point, ~110 m grid).

Contacts (phone, e-mail) go to ``report_followers``, which no view or public answer
reads. Submissions are counted per client (a keyed hash of its address) in
``report_rate_events``, under a per-client advisory lock, so the limit holds across
workers.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import h3.api.basic_int as h3i
from sqlalchemy import Connection, text

from layers.errors import (
    FeatureNotFoundError,
    InvalidParameterError,
    LayersError,
    UnknownReferenceError,
)
from layers.photos import ProcessedPhoto

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Letters and digits of tracking codes: no 0/O, 1/I/L or U (looks like V)."""
CODE_GROUPS = 3
CODE_PATTERN = (
    r"^[Ll][Pp][Rr]-?(?:[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{4}-?){2}[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{4}$"
)
"""What the API accepts as a tracking code (any case, hyphens optional)."""
REPORTS_SOURCE = "reports"
STATUSES = (
    "diterima",
    "diverifikasi",
    "diteruskan",
    "ditindaklanjuti",
    "selesai",
    "ditolak",
    "duplikat",
)
OPEN_STATUSES = ("diterima", "diverifikasi", "diteruskan", "ditindaklanjuti")
FINAL_STATUSES = ("selesai", "ditolak", "duplikat")
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "diterima": ("Diterima", "Received"),
    "diverifikasi": ("Diverifikasi", "Verified"),
    "diteruskan": ("Diteruskan ke OPD", "Forwarded to the agency"),
    "ditindaklanjuti": ("Ditindaklanjuti", "Being handled"),
    "selesai": ("Selesai", "Resolved"),
    "ditolak": ("Ditolak", "Rejected"),
    "duplikat": ("Duplikat", "Duplicate"),
}
TEXT_MIN, TEXT_MAX = 10, 2000
PUBLIC_GRID_DEG = 0.001
"""Public locations are snapped to this grid (~110 m; at most ~80 m from the point)."""
H3_RESOLUTION = 9
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_DAYS = 7
CITIZEN = "warga"
"""Actor of the events a citizen causes (submission)."""

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,24}$")
_FREE_TEXT_CTL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class OutsideAreaError(LayersError):
    """The point lies in no kabupaten/kota of the province (422)."""


class RateLimitedError(LayersError):
    """Too many submissions from one client within the window (429, ``retry_after``)."""

    def __init__(self, reason: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(reason, field=field)
        self.retry_after = retry_after


class ReportNotFoundError(FeatureNotFoundError):
    """No report with this tracking code or number (404)."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a point lies: kabupaten (always), kecamatan and desa (where loaded)."""

    kabupaten_id: int
    kabupaten_code: str | None
    kabupaten_name: str
    kecamatan_id: int | None = None
    kecamatan_name: str | None = None
    desa_id: int | None = None
    desa_name: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The agency a report goes to, at which level, and the office (if any)."""

    agency: str | None
    level: str | None
    office_id: int | None = None
    office_name: str | None = None
    travel_s: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NewReport:
    """A validated submission."""

    category: str
    description: str
    lon: float
    lat: float
    location_source: str = "map"
    accuracy_m: float | None = None
    phone: str | None = None
    email: str | None = None
    photo_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    """A stored report: its number, tracking code and what it resembles."""

    id: int
    code: str
    submitted_at: datetime
    place: Place
    assignment: Assignment
    similar: list[dict[str, Any]] = field(default_factory=list)


def new_code() -> str:
    """A fresh tracking code ``LPR-XXXX-XXXX-XXXX`` from the OS's secure RNG."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    return "LPR-" + "-".join(groups)


def normalise_code(raw: str) -> str:
    """``lpr7k3q9xw2abcd`` → ``LPR-7K3Q-9XW2-ABCD`` (case and hyphens do not matter)."""
    body = re.sub(r"[\s\-]", "", raw.upper()).removeprefix("LPR")
    if len(body) != 4 * CODE_GROUPS or any(c not in CODE_ALPHABET for c in body):
        msg = f"not a tracking code: {raw!r} (like LPR-7K3Q-9XW2-ABCD)"
        raise ReportNotFoundError(msg, field="code")
    return "LPR-" + "-".join(body[i : i + 4] for i in range(0, len(body), 4))


def clean_text(raw: str, *, field: str, min_len: int = 0, max_len: int = TEXT_MAX) -> str:
    """Free text with tab/CR/LF allowed, other control characters refused, trimmed."""
    bad = _FREE_TEXT_CTL.search(raw)
    if bad is not None:
        msg = f"{field} contains the control character U+{ord(bad.group()):04X}"
        raise InvalidParameterError(msg, field=field)
    value = raw.strip(" \t\r\n")  # ASCII blanks only, as the API's pattern counts them
    if len(value) < min_len:
        msg = f"{field} must have at least {min_len} characters (has {len(value)})"
        raise InvalidParameterError(msg, field=field)
    if len(value) > max_len:
        msg = f"{field} must have at most {max_len} characters (has {len(value)})"
        raise InvalidParameterError(msg, field=field)
    return value


def check_contact(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    """A plausible phone number and e-mail address, or None for empty ones."""
    phone = (phone or "").strip() or None
    email = (email or "").strip() or None
    if phone is not None and not _PHONE.match(phone):
        msg = (
            "phone must be digits (8-20, spaces or hyphens allowed, + in front), "
            "e.g. 0812 3456 7890"
        )
        raise InvalidParameterError(msg, field="phone")
    if email is not None and not _EMAIL.match(email):
        msg = "email is not an e-mail address"
        raise InvalidParameterError(msg, field="email")
    return phone, email


def check_category(conn: Connection, code: str) -> dict[str, Any]:
    """The category row, or 422 naming the known ones."""
    row = (
        conn.execute(text("SELECT * FROM report_categories WHERE code = :c"), {"c": code})
        .mappings()
        .one_or_none()
    )
    if row is None:
        known = conn.execute(text("SELECT code FROM report_categories ORDER BY code")).scalars()
        msg = f"unknown report category {code!r}; categories: {list(known)}"
        raise UnknownReferenceError(msg, field="category")
    return dict(row)


def locate(conn: Connection, lon: float, lat: float, *, province_code: str) -> Place:
    """The kabupaten (of the province), kecamatan and desa holding a point.

    Raises
    ------
    OutsideAreaError
        No kabupaten/kota whose code starts with ``province_code`` holds the point.
    """
    rows = conn.execute(
        text(
            "SELECT id, level, code, name, parent_id FROM admin_areas "
            "WHERE level IN ('kabupaten', 'kecamatan', 'desa') "
            "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY id"
        ),
        {"lon": lon, "lat": lat},
    ).mappings()
    by_level: dict[str, list[Any]] = {}
    for r in rows:
        by_level.setdefault(r["level"], []).append(r)
    kabs = [
        k for k in by_level.get("kabupaten", []) if str(k["code"] or "").startswith(province_code)
    ]
    if not kabs:
        msg = (
            f"the point ({lon:.5f}, {lat:.5f}) is outside Lampung: no kabupaten/kota of the "
            f"province (BPS code {province_code}) contains it. Reports are for places in "
            "Lampung; check the location (longitude first)."
        )
        raise OutsideAreaError(msg, field="location")
    kab = kabs[0]

    def pick(level: str, parent: int | None) -> Any:
        found = by_level.get(level, [])
        inside = [a for a in found if a["parent_id"] == parent] if parent is not None else []
        return (inside or found or [None])[0]

    kec = pick("kecamatan", int(kab["id"]))
    desa = pick("desa", int(kec["id"]) if kec is not None else None)
    return Place(
        kabupaten_id=int(kab["id"]),
        kabupaten_code=kab["code"],
        kabupaten_name=str(kab["name"]),
        kecamatan_id=int(kec["id"]) if kec is not None else None,
        kecamatan_name=str(kec["name"]) if kec is not None else None,
        desa_id=int(desa["id"]) if desa is not None else None,
        desa_name=str(desa["name"]) if desa is not None else None,
    )


def similar_open(
    conn: Connection,
    *,
    category: str,
    lon: float,
    lat: float,
    exclude_id: int | None = None,
    radius_m: float = DUPLICATE_RADIUS_M,
    days: int = DUPLICATE_DAYS,
) -> list[dict[str, Any]]:
    """Open reports of the same category within ``radius_m`` of the last ``days`` days.

    Public fields only (number, status, dates, kecamatan, distance to the nearest 10 m),
    nearest first: what a citizen is shown as "sama dengan laporan #…".
    """
    rows = conn.execute(
        text(
            """
            SELECT r.id, r.category, st.status, r.submitted_at, r.kecamatan_name AS kecamatan,
                   st.followers,
                   round(ST_Distance(r.geom::geography, p.g::geography)::numeric, -1)
                       AS distance_m
            FROM reports r
            JOIN report_state st ON st.report_id = r.id
            CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p
            WHERE r.category = :cat AND st.status = ANY(:open)
              AND r.submitted_at >= now() - make_interval(days => :days)
              AND ST_DWithin(r.geom::geography, p.g::geography, :radius)
              AND (CAST(:exclude AS bigint) IS NULL OR r.id <> :exclude)
            ORDER BY ST_Distance(r.geom::geography, p.g::geography), r.id
            LIMIT 5
            """
        ),
        {
            "lon": lon,
            "lat": lat,
            "cat": category,
            "open": list(OPEN_STATUSES),
            "days": days,
            "radius": radius_m,
            "exclude": exclude_id,
        },
    ).mappings()
    out = []
    for r in rows:
        item = dict(r)
        item["distance_m"] = float(item["distance_m"])
        item["status_label"] = STATUS_LABELS[item["status"]][0]
        item["message"] = f"sama dengan laporan #{item['id']}?"
        out.append(item)
    return out


def check_rate(conn: Connection, client_hash: str, *, limit: int, window_s: int = 3600) -> None:
    """Refuse a client that already sent ``limit`` reports within ``window_s`` seconds.

    Raises
    ------
    RateLimitedError
        With ``retry_after``: seconds until the oldest counted submission leaves the window.
    """
    count, oldest_age = conn.execute(
        text(
            "SELECT count(*), extract(epoch FROM now() - min(at)) FROM report_rate_events "
            "WHERE client_hash = :h AND at > now() - make_interval(secs => :w)"
        ),
        {"h": client_hash, "w": window_s},
    ).one()
    if int(count) >= limit:
        retry = max(1, math.ceil(window_s - float(oldest_age or 0.0)))
        minutes = window_s // 60
        msg = (
            f"too many reports from this connection: at most {limit} per {minutes} minutes; "
            f"try again in {retry} s"
        )
        raise RateLimitedError(msg, retry_after=retry)


def _count_submission(conn: Connection, client_hash: str, *, limit: int, window_s: int) -> None:
    """Under a per-client lock (held to commit): check the limit again and count this one."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:h, 7))"), {"h": client_hash})
    check_rate(conn, client_hash, limit=limit, window_s=window_s)
    conn.execute(
        text(
            "DELETE FROM report_rate_events WHERE ctid IN (SELECT ctid FROM report_rate_events "
            "WHERE at < now() - make_interval(secs => :w) LIMIT 100)"
        ),
        {"w": max(window_s, 86_400)},
    )
    conn.execute(
        text("INSERT INTO report_rate_events (client_hash) VALUES (:h)"), {"h": client_hash}
    )


def submit_report(
    conn: Connection,
    report: NewReport,
    *,
    place: Place,
    assignment: Assignment,
    client_hash: str | None,
    rate_limit: int,
    window_s: int = 3600,
    source: str = REPORTS_SOURCE,
    submitted_at: datetime | None = None,
) -> Submitted:
    """Store a new report (status *Diterima*) within the caller's transaction.

    ``client_hash`` None skips the rate limit (the demo loader, benchmarks);
    ``submitted_at`` is for loading historical reports (default: now).
    """
    if client_hash is not None:
        _count_submission(conn, client_hash, limit=rate_limit, window_s=window_s)
    similar = similar_open(conn, category=report.category, lon=report.lon, lat=report.lat)
    conn.execute(
        text(
            "INSERT INTO sources (id, title, is_demo) VALUES (:s, :t, false) "
            "ON CONFLICT (id) DO NOTHING"
        ),
        {"s": REPORTS_SOURCE, "t": "Citizen reports (laporan warga) received by lampung-geo"},
    )
    h3_cell = int(h3i.latlng_to_cell(report.lat, report.lon, H3_RESOLUTION))
    for _ in range(5):  # a collision of 59-bit codes is astronomically rare; retry anyway
        code = new_code()
        with conn.begin_nested():
            row = conn.execute(
                text(
                    """
                    INSERT INTO reports (code, source, category, description, geom, geom_public,
                        location_source, accuracy_m, kabupaten_id, kabupaten_code,
                        kabupaten_name, kecamatan_id, kecamatan_name, desa_id, desa_name,
                        agency, routing_level, office_id, office_name, office_travel_s,
                        routing_note, photo_sha256, h3_9, submitted_at)
                    VALUES (:code, :source, :category, :description,
                        ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                        ST_SnapToGrid(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :grid),
                        :loc, :acc, :kab_id, :kab_code, :kab_name, :kec_id, :kec_name,
                        :desa_id, :desa_name, :agency, :level, :office_id, :office_name,
                        :travel_s, :note, :photo, :h3, coalesce(:at, now()))
                    ON CONFLICT ON CONSTRAINT uq_reports_code DO NOTHING
                    RETURNING id, submitted_at
                    """
                ),
                {
                    "code": code,
                    "source": source,
                    "category": report.category,
                    "description": report.description,
                    "lon": report.lon,
                    "lat": report.lat,
                    "grid": PUBLIC_GRID_DEG,
                    "loc": report.location_source,
                    "acc": report.accuracy_m,
                    "kab_id": place.kabupaten_id,
                    "kab_code": place.kabupaten_code,
                    "kab_name": place.kabupaten_name,
                    "kec_id": place.kecamatan_id,
                    "kec_name": place.kecamatan_name,
                    "desa_id": place.desa_id,
                    "desa_name": place.desa_name,
                    "agency": assignment.agency,
                    "level": assignment.level,
                    "office_id": assignment.office_id,
                    "office_name": assignment.office_name,
                    "travel_s": assignment.travel_s,
                    "note": assignment.note,
                    "photo": report.photo_sha256,
                    "h3": h3_cell,
                    "at": submitted_at,
                },
            ).one_or_none()
        if row is not None:
            break
    else:  # pragma: no cover - needs five collisions in a row
        msg = "could not make a unique tracking code; try again"
        raise LayersError(msg)
    report_id, at = int(row[0]), row[1]
    conn.execute(
        text(
            "INSERT INTO report_state (report_id, status, last_event_at) "
            "VALUES (:id, 'diterima', :at)"
        ),
        {"id": report_id, "at": at},
    )
    conn.execute(
        text(
            "INSERT INTO report_events (report_id, from_status, to_status, at, actor, public_note) "
            "VALUES (:id, NULL, 'diterima', :at, :actor, NULL)"
        ),
        {"id": report_id, "at": at, "actor": CITIZEN},
    )
    conn.execute(
        text(
            "INSERT INTO report_followers (report_id, via, phone, email, created_at) "
            "VALUES (:id, 'reporter', :phone, :email, :at)"
        ),
        {"id": report_id, "phone": report.phone, "email": report.email, "at": at},
    )
    return Submitted(
        id=report_id,
        code=code,
        submitted_at=at,
        place=place,
        assignment=assignment,
        similar=similar,
    )


def record_photo(conn: Connection, photo: ProcessedPhoto) -> str:
    """The ``report_photos`` row of a stored photo (once per content); its sha256."""
    conn.execute(
        text(
            "INSERT INTO report_photos (sha256, media_type, width, height, bytes, thumb_sha256, "
            "thumb_media_type) VALUES (:s, :m, :w, :h, :b, :t, :tm) ON CONFLICT DO NOTHING"
        ),
        {
            "s": photo.sha256,
            "m": photo.media_type,
            "w": photo.width,
            "h": photo.height,
            "b": len(photo.data),
            "t": photo.thumb_sha256,
            "tm": photo.thumb_media_type,
        },
    )
    return photo.sha256


def report_id_for_code(conn: Connection, raw_code: str) -> int:
    """The number of the report with this tracking code (404 otherwise)."""
    code = normalise_code(raw_code)
    found = conn.execute(text("SELECT id FROM reports WHERE code = :c"), {"c": code}).scalar()
    if found is None:
        msg = f"no report with tracking code {code}"
        raise ReportNotFoundError(msg, field="code")
    return int(found)


__all__ = [
    "CODE_PATTERN",
    "OPEN_STATUSES",
    "STATUSES",
    "STATUS_LABELS",
    "Assignment",
    "NewReport",
    "OutsideAreaError",
    "Place",
    "RateLimitedError",
    "ReportNotFoundError",
    "Submitted",
    "check_category",
    "check_contact",
    "check_rate",
    "clean_text",
    "locate",
    "new_code",
    "normalise_code",
    "record_photo",
    "report_id_for_code",
    "similar_open",
    "submit_report",
]
