"""Upserting validated rows into the feature tables.

Rows carry their geometry as EWKT (``SRID=4326;POINT(...)``). A write is an upsert
on ``(source, source_id)``, so loading the same file twice leaves one copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from layers.db_errors import explain_row_error
from layers.errors import IngestError
from layers.models import (
    AdminArea,
    Base,
    Farm,
    FerryLink,
    Market,
    Port,
    ServicePoint,
    Settlement,
)
from layers.models import Source as SourceModel

TABLES: dict[str, Table] = {
    m.__tablename__: m.__table__  # type: ignore[misc]
    for m in (AdminArea, ServicePoint, Farm, Market, Port, FerryLink, Settlement)
}
BATCH = 2000


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The dataset rows come from."""

    id: str
    title: str
    attribution: str | None = None
    license: str | None = None
    is_demo: bool = False


def upsert_source(conn: Connection, source: SourceInfo) -> None:
    """Create or update the ``sources`` row of a dataset."""
    table: Table = SourceModel.__table__  # type: ignore[assignment]
    values = {
        "id": source.id,
        "title": source.title,
        "attribution": source.attribution,
        "license": source.license,
        "is_demo": source.is_demo,
    }
    stmt = insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={k: stmt.excluded[k] for k in values if k != "id"} | {"loaded_at": text("now()")},
    )
    conn.execute(stmt)


def upsert_rows(
    conn: Connection,
    table_name: str,
    source: SourceInfo,
    rows: Sequence[dict[str, Any]],
    *,
    on_batch: Callable[[int], None] | None = None,
    row_numbers: Sequence[int] | None = None,
) -> int:
    """Upsert ``rows`` into ``table_name`` within the caller's transaction.

    Each batch runs in a SAVEPOINT. When the database refuses a batch, its rows are
    retried one by one to find the first refused row, and :class:`IngestError` names
    that row (``row_numbers``, the rows' numbers in the file) and the column, with a
    plain reason: never the SQL. The caller's transaction then rolls back whole.

    Parameters
    ----------
    conn
        Connection inside a transaction; the caller commits or rolls back.
    table_name
        One of :data:`TABLES`.
    source
        The dataset; its row is upserted first.
    rows
        Column → value mappings; ``geom`` as EWKT. ``source`` is filled in.
    on_batch
        Called with the number of rows written after each batch (progress bars).
    row_numbers
        The file row of each of ``rows`` for error messages; default 1, 2, 3, ...

    Raises
    ------
    IngestError
        The database refused a row (constraint, range, unstorable character).

    Returns
    -------
    int
        Number of rows written.
    """
    table = TABLES[table_name]
    upsert_source(conn, source)
    if not rows:
        return 0
    columns = sorted({k for r in rows for k in r} | {"source"})
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    for start in range(0, len(rows), BATCH):
        batch = [
            {c: r.get(c) for c in columns} | {"source": source.id}
            for r in rows[start : start + BATCH]
        ]
        try:
            with conn.begin_nested():
                _upsert(conn, table, columns, batch)
        except DBAPIError:
            _find_refused_row(conn, table, columns, batch, numbers[start : start + BATCH])
        if on_batch is not None:
            on_batch(len(batch))
    return len(rows)


def _upsert(
    conn: Connection, table: Table, columns: list[str], batch: list[dict[str, Any]]
) -> None:
    stmt = insert(table).values(batch)
    update = {c: stmt.excluded[c] for c in columns if c not in {"source", "source_id"}}
    stmt = stmt.on_conflict_do_update(constraint=f"uq_{table.name}_source", set_=update)
    conn.execute(stmt)


def _find_refused_row(
    conn: Connection,
    table: Table,
    columns: list[str],
    batch: list[dict[str, Any]],
    numbers: Sequence[int],
) -> None:
    """Retry ``batch`` row by row (each in a SAVEPOINT) and raise for the first refused."""
    for row, number in zip(batch, numbers, strict=True):
        try:
            with conn.begin_nested():
                _upsert(conn, table, columns, [row])
        except DBAPIError as exc:

            def attempt(candidate: dict[str, Any]) -> bool:
                try:
                    with conn.begin_nested():
                        _upsert(conn, table, columns, [candidate])
                except DBAPIError:
                    return False
                return True

            field, reason = explain_row_error(exc, table=table, row=row, attempt=attempt)
            raise IngestError(reason, row=number, field=field) from None
    msg = "the database refused these rows together, though each alone is accepted"
    raise IngestError(msg, field=None)


def link_admin_parents(conn: Connection, *, source: str) -> int:
    """Set ``parent_id`` of a dataset's areas to the area one level up that holds them.

    The parent is the area of the next coarser level containing the child's point on
    surface. Returns the number of areas linked.
    """
    sql = text(
        """
        WITH lvl(level, rank) AS (
            VALUES ('provinsi', 1), ('kabupaten', 2), ('kecamatan', 3), ('desa', 4)
        ), pick AS (
            SELECT DISTINCT ON (c.id) c.id AS child, p.id AS parent
            FROM admin_areas c
            JOIN lvl lc ON lc.level = c.level
            JOIN admin_areas p ON ST_Contains(p.geom, ST_PointOnSurface(c.geom))
            JOIN lvl lp ON lp.level = p.level AND lp.rank < lc.rank
            WHERE c.source = :source
            ORDER BY c.id, lp.rank DESC
        )
        UPDATE admin_areas a SET parent_id = pick.parent FROM pick WHERE a.id = pick.child
        """
    )
    return conn.execute(sql, {"source": source}).rowcount


__all__ = ["TABLES", "Base", "SourceInfo", "link_admin_parents", "upsert_rows", "upsert_source"]
