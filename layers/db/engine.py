"""SQLAlchemy engines for the platform database."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event


def make_engine(
    url: str,
    *,
    statement_timeout_ms: int = 15_000,
    pool_size: int = 10,
    connect_timeout_s: int = 5,
    pool_timeout_s: float = 30.0,
) -> Engine:
    """Create an engine whose every query runs under a statement timeout.

    Parameters
    ----------
    url
        SQLAlchemy URL, ``postgresql+psycopg://...``.
    statement_timeout_ms
        PostgreSQL ``statement_timeout`` set on each new connection.
    pool_size
        Connections kept in the pool.
    connect_timeout_s
        How long a connection attempt may take; a database that is down fails fast.
    pool_timeout_s
        How long a checkout waits for a free pooled connection before SQLAlchemy's
        ``TimeoutError`` (the API admits no more requests than the pool serves, so it
        waits only when something else holds connections).

    Returns
    -------
    sqlalchemy.Engine
        Pool with pre-ping, so the service recovers by itself when the database
        comes back after an outage.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "application_name": "lampung-geo",
        },
    )

    @event.listens_for(engine, "connect")
    def _set_timeout(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
            # API queries are short: parallel-worker start-up costs more than it saves.
            cur.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_conn.commit()

    return engine
