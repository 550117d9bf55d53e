"""The life of a report: officer steps, merges, SLA flags, the rating, and who may act.

Diterima → Diverifikasi → Diteruskan (ke OPD) → Ditindaklanjuti → Selesai; Ditolak
from any open status up to *Diteruskan*, and Duplikat (merged into another open report)
likewise. Each step is one ``report_events`` row (time, actor, public note); anything
else is an illegal step (:class:`ReportConflictError`, 409). The first officer step
is the **first response**; *Selesai* is the **resolution**. A report is past its SLA
when it has had no response ``sla_response_h`` hours after submission, or is not
closed ``sla_resolution_h`` hours after it (:data:`SLA_SQL`).

Officers act with an API key (:class:`Actor`). A key with an **agency scope** (an OPD
key) may read and move only reports routed to its agency, and, with an area code, only
those in kabupaten/kota whose BPS code starts with it (``1810``: Pringsewu; ``18``:
the whole province): anything else is :class:`ReportScopeError` (403).

Merging report B into A marks B *Duplikat* (``merged_into`` = A), copies B's followers
(contacts) to A and notes the merge on A's timeline: B's citizen keeps following A.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidParameterError, LayersError, UnknownReferenceError
from layers.reports import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    ReportNotFoundError,
    clean_text,
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "diterima": ("diverifikasi", "ditolak", "duplikat"),
    "diverifikasi": ("diteruskan", "ditolak", "duplikat"),
    "diteruskan": ("ditindaklanjuti", "ditolak", "duplikat"),
    "ditindaklanjuti": ("selesai",),
    "selesai": (),
    "ditolak": (),
    "duplikat": (),
}
CLOCK_SKEW_S = 300
"""How far in the future an event's ``at`` may lie (clock differences)."""

SLA_SQL = """
    (st.first_response_at IS NULL AND st.closed_at IS NULL
     AND now() > r.submitted_at + c.sla_response_h * interval '1 hour') AS overdue_response,
    (st.closed_at IS NULL
     AND now() > r.submitted_at + c.sla_resolution_h * interval '1 hour') AS overdue_resolution,
    r.submitted_at + c.sla_response_h * interval '1 hour' AS response_due,
    r.submitted_at + c.sla_resolution_h * interval '1 hour' AS resolution_due,
    CASE WHEN st.first_response_at IS NULL THEN NULL
         ELSE st.first_response_at <= r.submitted_at + c.sla_response_h * interval '1 hour'
    END AS response_within_sla,
    CASE WHEN st.resolved_at IS NULL THEN NULL
         ELSE st.resolved_at <= r.submitted_at + c.sla_resolution_h * interval '1 hour'
    END AS resolution_within_sla
"""
"""SLA columns of a query over ``reports r JOIN report_state st JOIN report_categories c``."""


class ReportConflictError(LayersError):
    """An illegal step, a rating given twice or too early, a bad merge (409)."""


class ReportRuleError(LayersError):
    """A step the lifecycle's rules refuse as given: a rejection without a note, a
    duplicate without the report it repeats (422)."""


class ReportScopeError(LayersError):
    """The key's agency scope does not cover this report (403)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """An officer's API key: who acts, and which reports the key covers."""

    name: str
    agency: str | None = None
    area_code: str | None = None
    sees_contacts: bool = False

    def covers(self, agency: str | None, kabupaten_code: str | None) -> bool:
        """Whether this key may see and move a report of ``agency`` in that kabupaten."""
        if self.agency is not None and agency != self.agency:
            return False
        return self.area_code is None or str(kabupaten_code or "").startswith(self.area_code)

    def scope_sql(self) -> tuple[str, dict[str, Any]]:
        """A WHERE fragment (on ``r``) selecting the reports this key covers."""
        clauses, params = [], {}
        if self.agency is not None:
            clauses.append("r.agency = :scope_agency")
            params["scope_agency"] = self.agency
        if self.area_code is not None:
            clauses.append("starts_with(coalesce(r.kabupaten_code, ''), :scope_area)")
            params["scope_area"] = self.area_code
        return " AND ".join(clauses) or "true", params


def label(status: str) -> str:
    """``diteruskan`` → ``Diteruskan ke OPD``."""
    return STATUS_LABELS[status][0]


def _report(conn: Connection, report_id: int, *, lock: bool) -> dict[str, Any]:
    row = (
        conn.execute(
            text(
                f"""
                SELECT r.id, r.category, r.agency, r.kabupaten_code, r.submitted_at,
                       st.status, st.first_response_at, st.last_event_at, st.version,
                       st.followers, now() AS now
                FROM reports r JOIN report_state st ON st.report_id = r.id
                WHERE r.id = :id {"FOR UPDATE OF st" if lock else ""}
                """
            ),
            {"id": report_id},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        msg = f"no report number {report_id}"
        raise ReportNotFoundError(msg, field="report_id")
    return dict(row)


def check_scope(actor: Actor, row: dict[str, Any]) -> None:
    """Refuse a key whose agency scope does not cover the report (403)."""
    if not actor.covers(row["agency"], row["kabupaten_code"]):
        msg = (
            f"report #{row['id']} is for agency {row['agency']!r} in kabupaten "
            f"{row['kabupaten_code']}; this key covers agency {actor.agency!r}"
            + (f" in area {actor.area_code}" if actor.area_code else "")
        )
        raise ReportScopeError(msg, field="X-API-Key")


def _event_time(row: dict[str, Any], at: datetime | None) -> datetime:
    now: datetime = row["now"]
    if at is None:
        return max(now, row["last_event_at"])
    if at < row["last_event_at"]:
        msg = f"at must not be before the report's last event ({row['last_event_at'].isoformat()})"
        raise ReportConflictError(msg, field="at")
    if (at - now).total_seconds() > CLOCK_SKEW_S:
        msg = "at must not lie in the future"
        raise ReportConflictError(msg, field="at")
    return at


def _insert_event(conn: Connection, **values: Any) -> dict[str, Any]:
    values = {"kind": "status", "note": None, "related": None, "agency": None} | values
    row = (
        conn.execute(
            text(
                """
                INSERT INTO report_events (report_id, kind, from_status, to_status, at, actor,
                    actor_agency, public_note, related_report_id)
                VALUES (:report_id, :kind, :from_status, :to_status, :at, :actor, :agency,
                    :note, :related)
                RETURNING id, report_id, kind, from_status, to_status, at, recorded_at, actor,
                    actor_agency, public_note, related_report_id
                """
            ),
            values,
        )
        .mappings()
        .one()
    )
    return dict(row)


def apply_step(
    conn: Connection,
    report_id: int,
    *,
    to_status: str,
    actor: Actor,
    note: str | None = None,
    at: datetime | None = None,
    duplicate_of: int | None = None,
) -> dict[str, Any]:
    """Move a report one step (within the caller's transaction); return the event.

    Raises
    ------
    ReportNotFoundError
        No such report (or no such ``duplicate_of``).
    ReportScopeError
        The key does not cover the report (or the report it is merged into).
    ReportConflictError
        Not a legal next step, or a merge into a report that is not open.
    InvalidParameterError
        A rejection without a note, a merge without ``duplicate_of``, a bad ``at``.
    """
    note = clean_text(note, field="note", max_len=2000) or None if note is not None else None
    rows: dict[int, dict[str, Any]] = {}
    for i in sorted({report_id} | ({duplicate_of} if duplicate_of is not None else set())):
        try:  # lock both in id order, so two opposite merges cannot deadlock
            rows[i] = _report(conn, i, lock=True)
        except ReportNotFoundError:
            if i == report_id:
                raise
            msg = f"no report number {i} to merge into"
            raise UnknownReferenceError(msg, field="duplicate_of") from None
    row = rows[report_id]
    check_scope(actor, row)
    current = row["status"]
    if to_status not in TRANSITIONS.get(current, ()):
        nexts = ", ".join(label(s) for s in TRANSITIONS.get(current, ())) or "none (closed)"
        msg = f"report #{report_id} is {label(current)}: it cannot become {label(to_status)}"
        raise ReportConflictError(f"{msg}; possible next steps: {nexts}", field="status")
    if to_status == "ditolak" and not note:
        msg = "a rejection needs a public note giving the reason"
        raise ReportRuleError(msg, field="note")
    target: dict[str, Any] | None = None
    if to_status == "duplikat":
        if duplicate_of is None:
            msg = "a duplicate needs duplicate_of: the number of the report it repeats"
            raise ReportRuleError(msg, field="duplicate_of")
        if duplicate_of == report_id:
            msg = "a report cannot be a duplicate of itself"
            raise ReportConflictError(msg, field="duplicate_of")
        target = rows[duplicate_of]
        check_scope(actor, target)
        if target["status"] not in OPEN_STATUSES:
            msg = (
                f"report #{duplicate_of} is {label(target['status'])}: merge only into an open "
                "report"
            )
            raise ReportConflictError(msg, field="duplicate_of")
    elif duplicate_of is not None:
        msg = "duplicate_of is only for the status duplikat"
        raise ReportRuleError(msg, field="duplicate_of")
    when = _event_time(row, at)
    if target is not None:
        note = note or f"Sama dengan laporan #{target['id']}; laporan digabungkan ke sana."
    event = _insert_event(
        conn,
        report_id=report_id,
        from_status=current,
        to_status=to_status,
        at=when,
        actor=actor.name,
        agency=actor.agency,
        note=note,
        related=duplicate_of,
    )
    conn.execute(
        text(
            """
            UPDATE report_state SET status = :to,
                first_response_at = coalesce(first_response_at, :at),
                resolved_at = CASE WHEN :to = 'selesai' THEN :at ELSE resolved_at END,
                closed_at = CASE WHEN :to = ANY(:final) THEN :at ELSE closed_at END,
                merged_into = :merged, last_event_at = :at, version = version + 1
            WHERE report_id = :id
            """
        ),
        {
            "to": to_status,
            "at": when,
            "final": list(FINAL_STATUSES),
            "merged": duplicate_of,
            "id": report_id,
        },
    )
    if target is not None:
        _merge_followers(conn, source=report_id, target=target, at=when, actor=actor)
    return event


def _merge_followers(
    conn: Connection, *, source: int, target: dict[str, Any], at: datetime, actor: Actor
) -> None:
    """Copy ``source``'s followers to ``target`` and note the merge on its timeline."""
    moved = conn.execute(
        text(
            "INSERT INTO report_followers (report_id, via, from_report_id, phone, email) "
            "SELECT :t, 'merged', :s, phone, email FROM report_followers WHERE report_id = :s"
        ),
        {"t": target["id"], "s": source},
    ).rowcount
    when = max(at, target["last_event_at"])
    _insert_event(
        conn,
        report_id=target["id"],
        kind="merged_in",
        from_status=target["status"],
        to_status=target["status"],
        at=when,
        actor=actor.name,
        agency=actor.agency,
        note=f"Laporan #{source} yang sama digabungkan ke laporan ini.",
        related=source,
    )
    conn.execute(
        text(
            "UPDATE report_state SET followers = followers + :n, last_event_at = :at, "
            "version = version + 1 WHERE report_id = :t"
        ),
        {"n": moved, "at": when, "t": target["id"]},
    )


def rate_report(
    conn: Connection, report_id: int, *, stars: int, comment: str | None = None
) -> dict[str, Any]:
    """The citizen's rating of a resolved report, 1-5, once (409 otherwise)."""
    if not 1 <= stars <= 5:
        msg = f"stars must be 1-5, got {stars}"
        raise InvalidParameterError(msg, field="stars")
    comment = clean_text(comment, field="comment", max_len=1000) or None if comment else None
    row = _report(conn, report_id, lock=True)
    if row["status"] != "selesai":
        msg = f"only a resolved report can be rated; this one is {label(row['status'])}"
        raise ReportConflictError(msg, field="stars")
    made = (
        conn.execute(
            text(
                "INSERT INTO report_ratings (report_id, stars, comment) VALUES (:id, :s, :c) "
                "ON CONFLICT (report_id) DO NOTHING RETURNING stars, comment, created_at"
            ),
            {"id": report_id, "s": stars, "c": comment},
        )
        .mappings()
        .one_or_none()
    )
    if made is None:
        msg = "this report has already been rated; a rating is given once"
        raise ReportConflictError(msg, field="stars")
    return dict(made)


def timeline(conn: Connection, report_id: int, *, officer: bool = False) -> list[dict[str, Any]]:
    """A report's events, oldest first (public fields; officers also see the actor)."""
    rows = conn.execute(
        text(
            "SELECT id, kind, from_status, to_status, at, public_note, related_report_id, "
            "actor, actor_agency FROM report_events WHERE report_id = :id ORDER BY at, id"
        ),
        {"id": report_id},
    ).mappings()
    out = []
    for r in rows:
        item: dict[str, Any] = {
            "kind": r["kind"],
            "status": r["to_status"],
            "status_label": label(r["to_status"]),
            "from_status": r["from_status"],
            "at": r["at"],
            "note": r["public_note"],
            "related_report_id": r["related_report_id"],
        }
        if officer:
            item |= {"id": r["id"], "actor": r["actor"], "actor_agency": r["actor_agency"]}
        out.append(item)
    return out


__all__ = [
    "SLA_SQL",
    "TRANSITIONS",
    "Actor",
    "ReportConflictError",
    "ReportRuleError",
    "ReportScopeError",
    "apply_step",
    "check_scope",
    "label",
    "rate_report",
    "timeline",
]
