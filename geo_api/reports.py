"""Citizen-report glue: database rows (``layers``) + road networks (``routing``).

- :func:`assign_office`: the agency (``report_routing``) and, among its candidate
  offices, the one an officer reaches the report from soonest on the road network of
  ``LAMPUNG_GEO_REPORTS_ROUTING_PROFILE`` (motorcycle); when the network is not
  loaded or the point is off it, the nearest by straight line, and the report's
  routing note says so;
- :func:`client_hash`: the rate-limit counter of a client, an HMAC-SHA256 of its
  address (as the trusted-proxy rules of :class:`geo_api.middleware.PublicAddress` give
  it) under a per-database secret (``app_secrets``), so counters hold across workers
  and cannot be turned back into addresses;
- :func:`photo_store`: local folder or S3-compatible bucket, from the settings;
- :func:`cached_stats`: ``/reports/stats`` answers kept while the reports' data version
  (newest report and event numbers, category SLAs) is unchanged, at most
  :data:`STATS_TTL_S` seconds (the overdue flags follow the clock);
- the HTTP statuses of the report and photo errors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
from datetime import date, datetime
from typing import Any

import cachetools
from fastapi import Response
from sqlalchemy import Connection, text
from starlette.types import Scope

from geo_api.errors import register_status
from geo_api.middleware import PublicAddress
from geo_api.settings import ReportSettings
from layers.photos import (
    LocalPhotoStore,
    PhotoNotFoundError,
    PhotoStore,
    PhotoTooLargeError,
    PhotoTypeError,
    S3PhotoStore,
    photo_key,
)
from layers.reports import Assignment, OutsideAreaError, Place, RateLimitedError
from layers.reports_lifecycle import ReportConflictError, ReportRuleError, ReportScopeError
from layers.reports_offices import OfficeCandidate, RoutingOption, routing_options
from layers.reports_stats import StatsQuery, data_version, report_stats
from routing.network import Network

register_status(OutsideAreaError, 422)
register_status(RateLimitedError, 429)
register_status(ReportConflictError, 409)
register_status(ReportScopeError, 403)
register_status(ReportRuleError, 422)
register_status(PhotoTypeError, 415)
register_status(PhotoTooLargeError, 413)
register_status(PhotoNotFoundError, 500)  # a stored file gone missing: the server's fault

_KEY_LOCK = threading.Lock()
_STATS_LOCK = threading.Lock()
_JSON_KEY = "__json__"
STATS_TTL_S = 60.0
"""Longest time a statistics answer is reused (the overdue counts follow the clock)."""


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    msg = f"not JSON: {type(value).__name__}"
    raise TypeError(msg)


def stats_json(body: dict[str, Any]) -> bytes:
    """A statistics answer as JSON bytes, encoded once per cached answer."""
    encoded: bytes | None = body.get(_JSON_KEY)
    if encoded is None:
        plain = {k: v for k, v in body.items() if k != _JSON_KEY}
        encoded = json.dumps(plain, default=_iso, ensure_ascii=False).encode()
        body[_JSON_KEY] = encoded
    return encoded


def cached_stats(
    state: object, conn: Connection, q: StatsQuery, *, province_code: str
) -> dict[str, Any]:
    """:func:`~layers.reports_stats.report_stats`, reused while nothing changed.

    The data version is read on every call (three index look-ups); a new report or
    event, or an edited SLA, makes the next call compute afresh. Callers must not
    change the returned dict in place (copy it first); :func:`stats_json` encodes it.
    """
    with _STATS_LOCK:
        cache: cachetools.TTLCache[Any, dict[str, Any]] | None = getattr(
            state, "report_stats_cache", None
        )
        if cache is None:
            cache = cachetools.TTLCache(maxsize=64, ttl=STATS_TTL_S)
            state.report_stats_cache = cache  # type: ignore[attr-defined]
    key = (q, province_code, data_version(conn))
    with _STATS_LOCK:
        found = cache.get(key)
    if found is not None:
        return found
    body = report_stats(conn, q, province_code=province_code)
    with _STATS_LOCK:
        cache[key] = body
    return body


def _pick(
    option: RoutingOption, net: Network | None, lon: float, lat: float
) -> tuple[OfficeCandidate, float | None, str | None]:
    """The candidate reached soonest (travel time from the office to the report)."""
    nearest = option.candidates[0]
    if net is None:
        return nearest, None, "no road network loaded: nearest office by straight line"
    snap = net.snap_many([lon], [lat]).to_snaps()[0]
    if snap is None:
        return nearest, None, "the point is far from any road: nearest office by straight line"
    offices = net.snap_many([c.lon for c in option.candidates], [c.lat for c in option.candidates])
    snaps = offices.to_snaps()
    on = [i for i, s in enumerate(snaps) if s is not None]
    if not on:
        return nearest, None, "no office of the agency is near a road: nearest by straight line"
    times = net.engine.durations([snaps[i] for i in on], [snap])[:, 0]  # type: ignore[misc]
    best = int(min(range(len(on)), key=lambda k: (times[k], k)))
    if not math.isfinite(float(times[best])):
        return (
            nearest,
            None,
            "no office of the agency is reachable by road: nearest by straight line",
        )
    return option.candidates[on[best]], float(times[best]), None


def assign_office(
    conn: Connection,
    networks: dict[str, Network],
    settings: ReportSettings,
    *,
    category: dict[str, object],
    place: Place,
    lon: float,
    lat: float,
) -> Assignment:
    """The agency and office a new report goes to, with a note on how it was chosen."""
    options = routing_options(
        conn,
        category=str(category["code"]),
        kabupaten_id=place.kabupaten_id,
        lon=lon,
        lat=lat,
        first_level=str(category["level"]),
    )
    if not options:
        return Assignment(None, None, note=f"no agency is set for {category['code']} reports")
    net = networks.get(settings.routing_profile)
    for n, option in enumerate(options):
        if not option.candidates:
            continue
        office, travel_s, note = _pick(option, net, lon, lat)
        if n > 0:
            missing = f"no {options[0].agency_name} office in {place.kabupaten_name}"
            note = f"{missing}: sent to the {option.level} level" + (f"; {note}" if note else "")
        return Assignment(
            agency=option.agency,
            level=option.level,
            office_id=office.id,
            office_name=office.name,
            travel_s=None if travel_s is None else round(travel_s, 1),
            note=note,
        )
    first = options[0]
    return Assignment(
        agency=first.agency,
        level=first.level,
        note=f"no office of {first.agency_name} is loaded; the agency will pick the report up",
    )


def client_hash(conn: Connection, state: object, scope: Scope, address: PublicAddress) -> str:
    """The client's rate-limit counter key (HMAC of its address; the key read once)."""
    key: bytes | None = getattr(state, "report_client_key", None)
    if key is None:
        with _KEY_LOCK:
            value = conn.execute(
                text("SELECT value FROM app_secrets WHERE name = 'report_client_key'")
            ).scalar_one()
            key = bytes.fromhex(str(value))
            state.report_client_key = key  # type: ignore[attr-defined]
    who = address.client_address(scope) or "unknown"
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()


def photo_store_of(state: object) -> PhotoStore:
    """The app's photo store (made once, at start-up)."""
    store: PhotoStore = state.photo_store  # type: ignore[attr-defined]
    return store


def photo_response(store: PhotoStore, sha256: str, media_type: str) -> Response:
    """A stored photo as an answer: immutable content, private to who may see it."""
    data = store.get(photo_key(sha256, media_type))
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "private, max-age=86400", "ETag": f'"{sha256}"'},
    )


def photo_store(settings: ReportSettings) -> PhotoStore:
    """The configured photo store: an S3-compatible bucket, else the local folder."""
    if settings.s3_bucket:
        return S3PhotoStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    return LocalPhotoStore(settings.photo_dir)


__all__ = [
    "assign_office",
    "cached_stats",
    "client_hash",
    "photo_response",
    "photo_store",
    "photo_store_of",
    "stats_json",
]
