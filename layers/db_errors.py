"""Turn a database refusal of one row into a field and a plain reason (never SQL).

psycopg's ``diag`` names the column for NOT NULL violations and the constraint for
unique, foreign-key and check violations; the constraint is mapped back to its column
through the table's metadata (or PostgreSQL's default ``<table>_<column>_key`` names).
Where the database names neither (a number out of range, a character it cannot store),
the column is found by retrying the row with one field emptied at a time: the field
whose emptying lets the row in is the one at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Integer, Table
from sqlalchemy.exc import DBAPIError

NOT_PROBED = frozenset({"source", "source_id", "id"})
INT_LIMITS = {Integer: 2_147_483_647, BigInteger: 9_223_372_036_854_775_807}
REASONS = {
    "23505": "{field} {value} is already used by another row of {table}",
    "23503": "{field} {value} refers to a row that does not exist",
    "23502": "{field} is required",
    "23514": "{field} {value} breaks the rule {constraint} of {table}",
    "22003": "{field} {value} is out of range for this column{limit}",
    "22P05": "{field} holds a character the database cannot store (NUL)",
    "22001": "{field} is too long for this column",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _condition(exc: DBAPIError) -> str:
    """psycopg's error class as words: ``NumericValueOutOfRange`` -> numeric value out of range."""
    name = type(exc.orig).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def constraint_column(table: Table, constraint: str) -> str | None:
    """The column a named constraint of ``table`` is about (the first, key columns last)."""
    for con in table.constraints:
        if con.name != constraint:
            continue
        if isinstance(con, CheckConstraint):
            text = str(con.sqltext)
            names = [c.name for c in table.columns if re.search(rf"\b{c.name}\b", text)]
        else:
            names = [c.name for c in getattr(con, "columns", [])]
        names = sorted(names, key=lambda n: n in NOT_PROBED)
        if names:
            return names[0]
    # PostgreSQL's default names: <table>_<column>_key / _fkey / _check
    match = re.fullmatch(rf"{table.name}_(.+?)_(key|fkey|check)", constraint)
    if match and match.group(1) in table.columns:
        return match.group(1)
    return None


def explain_row_error(
    exc: DBAPIError,
    *,
    table: Table,
    row: dict[str, Any],
    attempt: Callable[[dict[str, Any]], bool],
) -> tuple[str | None, str]:
    """The field at fault and a plain reason for the database refusing ``row``.

    Parameters
    ----------
    exc
        The error of the refused single-row write.
    table
        The table written to.
    row
        The row (column -> value).
    attempt
        Writes a changed row (inside a SAVEPOINT) and says whether it was accepted; used
        to find the field when the database does not name it.
    """
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    constraint = getattr(diag, "constraint_name", None)
    field = getattr(diag, "column_name", None)
    if field is None and constraint:
        field = constraint_column(table, constraint)
    if field is None:
        for name in row:
            if name in NOT_PROBED or row[name] is None:
                continue
            empty: Any = {} if name == "attributes" else None
            if attempt({**row, name: empty}):
                field = name
                break
    value = row.get(field) if field else None
    limit = ""
    if field is not None and field in table.columns:
        kind = type(table.columns[field].type)
        if kind in INT_LIMITS:
            limit = f" (whole numbers up to {INT_LIMITS[kind]:,})"
    template = REASONS.get(sqlstate)
    if template is None or field is None:
        what = f"{field} {_shown(value)}" if field else "this row"
        return field, f"the database refused {what} ({_condition(exc)})"
    reason = template.format(
        field=field,
        value=_shown(value),
        table=table.name,
        constraint=constraint or "?",
        limit=limit,
    )
    return field, reason
