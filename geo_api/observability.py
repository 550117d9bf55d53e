"""Metrics, request ids and structured logs.

* :class:`Metrics` holds the app's own Prometheus registry (never the library's global
  one, so two apps in one process — the tests — do not share counters). Request
  counters and latency histograms are labelled with the route *template*
  (``/collections/{collection_id}/items``), never the raw path. Everything that is a
  state (database slots in use and waiting, the pool's checked-out connections, cache
  sizes and hit ratios, graph sizes, work in progress) is read when ``/metrics`` is
  scraped, by :class:`StateCollector`.
* :class:`ObservabilityMiddleware` wraps the whole app (outside Starlette's error
  middleware, so even a 500 carries the header): it gives each request an id — a
  sane incoming ``X-Request-ID`` (1–128 of ``A-Z a-z 0-9 . _ : -``), else a new one —
  returns it as ``X-Request-ID``, counts the request and writes one log line for it.
* :func:`configure_logging` makes every ``lampung_geo`` logger write one JSON object
  per line: ``time``, ``level``, ``logger``, ``message``, the ``request_id`` of the
  request being served, and the record's extra fields. The access line (logger
  ``lampung_geo.access``) has ``request_id``, ``method``, ``route``, ``path``,
  ``status``, ``duration_ms`` and ``client``. No query string (it holds people's
  positions), no body, no header (API keys) is ever logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_api.admission import DB_SLOT_HELD
from geo_api.settings import OpsSettings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from prometheus_client.metrics_core import Metric
    from sqlalchemy import Engine

__all__ = [
    "METRICS_CONTENT_TYPE",
    "REQUEST_ID",
    "Metrics",
    "ObservabilityMiddleware",
    "configure_logging",
    "count_unadmitted_checkouts",
]

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REQUEST_ID: ContextVar[str | None] = ContextVar("lampung_geo_request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "<unmatched>"

access_log = logging.getLogger("lampung_geo.access")
log = logging.getLogger("lampung_geo.api")


class Metrics:
    """The app's Prometheus registry and the metrics the code updates directly."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "lampung_geo_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lampung_geo_http_request_duration_seconds",
            "Time from the request's arrival to its last byte, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "lampung_geo_http_requests_in_flight",
            "HTTP requests being served now",
            registry=self.registry,
        )
        self.work_stopped = Counter(
            "lampung_geo_work_stopped",
            "Expensive computations stopped at a checkpoint, by gate and reason",
            ["gate", "reason"],
            registry=self.registry,
        )
        self.unadmitted_checkouts = Counter(
            "lampung_geo_db_checkouts_unadmitted",
            "Pool check-outs by a request that held no database slot (should stay 0)",
            registry=self.registry,
        )
        self.work = WorkTracker()
        self.state = StateCollector(self)
        self.registry.register(self.state)

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class WorkTracker:
    """Budgets of the computations running now, and the checkpoints of finished ones."""

    def __init__(self) -> None:
        self.active: dict[int, tuple[str, Any]] = {}
        self.finished_checkpoints = 0

    def start(self, gate: str, budget: Any) -> None:
        """A computation started (``budget`` is its :class:`data.budget.Budget`)."""
        self.active[id(budget)] = (gate, budget)

    def finish(self, budget: Any) -> None:
        """A computation ended, finished or stopped."""
        if self.active.pop(id(budget), None) is not None:
            self.finished_checkpoints += int(budget.checkpoints)

    def checkpoints(self) -> int:
        """Checkpoints passed so far, by finished and running computations."""
        running = sum(int(b.checkpoints) for _, b in list(self.active.values()))
        return self.finished_checkpoints + running

    def running(self, gate: str) -> int:
        """Computations running now behind ``gate``."""
        return sum(1 for g, _ in list(self.active.values()) if g == gate)


class StateCollector(Collector):
    """Gauges read from the app's state at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.app: FastAPI | None = None

    def bind(self, app: FastAPI) -> None:
        """Read this app's state (called once the lifespan has made it)."""
        self.app = app

    def describe(self) -> list[Metric]:
        """Nothing to pre-register: the families are made at scrape time."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Slots, pool, caches, graphs and work now."""
        yield from self._work()
        state = getattr(self.app, "state", None)
        if state is None:
            return
        admission = getattr(state, "admission", None)
        if admission is not None:
            yield from _gates(admission)
        engine = getattr(state, "engine", None)
        if engine is not None:
            yield from _pool(engine)
        caches = getattr(state, "caches", None)
        if caches is not None:
            yield from _caches(caches)
        networks = getattr(state, "networks", None)
        if networks is not None:
            yield from _graphs(networks)

    def _work(self) -> Iterator[Metric]:
        work = self.metrics.work
        running = GaugeMetricFamily(
            "lampung_geo_work_in_progress",
            "Expensive computations running now, by gate",
            labels=["gate"],
        )
        for gate in ("analysis", "search"):
            running.add_metric([gate], work.running(gate))
        yield running
        yield CounterMetricFamily(
            "lampung_geo_work_checkpoints",
            "Budget checkpoints passed by expensive computations",
            value=work.checkpoints(),
        )


def _gates(admission: Any) -> Iterator[Metric]:
    fams = {
        "slots": GaugeMetricFamily(
            "lampung_geo_admission_slots", "Slots of each admission gate", labels=["gate"]
        ),
        "in_use": GaugeMetricFamily(
            "lampung_geo_admission_in_use", "Slots held now", labels=["gate"]
        ),
        "waiting": GaugeMetricFamily(
            "lampung_geo_admission_waiting", "Requests waiting for a slot now", labels=["gate"]
        ),
    }
    admitted = CounterMetricFamily(
        "lampung_geo_admission_admitted", "Requests admitted by each gate", labels=["gate"]
    )
    rejected = CounterMetricFamily(
        "lampung_geo_admission_rejected",
        "Requests refused with 503 by each gate, by reason",
        labels=["gate", "reason"],
    )
    for gate in admission.gates():
        stats = gate.stats()
        for key, fam in fams.items():
            fam.add_metric([gate.name], stats[key])
        admitted.add_metric([gate.name], stats["admitted"])
        for reason, n in stats["rejected"].items():
            rejected.add_metric([gate.name, reason], n)
    yield from fams.values()
    yield admitted
    yield rejected


def _pool(engine: Engine) -> Iterator[Metric]:
    pool: Any = engine.pool
    for name, doc, getter in (
        ("checked_out", "Pooled database connections in use", "checkedout"),
        ("idle", "Pooled database connections open and idle", "checkedin"),
        ("size", "Connections the pool keeps", "size"),
    ):
        fn = getattr(pool, getter, None)
        if fn is not None:
            yield GaugeMetricFamily(f"lampung_geo_db_pool_{name}", doc, value=fn())


def _caches(caches: Any) -> Iterator[Metric]:
    size = GaugeMetricFamily("lampung_geo_cache_entries", "Entries in each cache", labels=["cache"])
    limit = GaugeMetricFamily("lampung_geo_cache_max_entries", "Cache limits", labels=["cache"])
    hits = CounterMetricFamily("lampung_geo_cache_hits", "Cache hits", labels=["cache"])
    misses = CounterMetricFamily("lampung_geo_cache_misses", "Cache misses", labels=["cache"])
    ratio = GaugeMetricFamily(
        "lampung_geo_cache_hit_ratio", "Hits / (hits + misses) since start", labels=["cache"]
    )
    size_bytes = GaugeMetricFamily(
        "lampung_geo_cache_bytes", "Bytes held (caches that count them)", labels=["cache"]
    )
    for cache in caches.all():
        s = cache.stats()
        name = str(s["name"])
        size.add_metric([name], s["size"])
        limit.add_metric([name], float(s["maxsize"]))
        hits.add_metric([name], s["hits"])
        misses.add_metric([name], s["misses"])
        total = s["hits"] + s["misses"]
        ratio.add_metric([name], s["hits"] / total if total else 0.0)
        if "bytes" in s:
            size_bytes.add_metric([name], s["bytes"])
    yield from (size, limit, hits, misses, ratio, size_bytes)


def _graphs(networks: dict[str, Any]) -> Iterator[Metric]:
    nodes = GaugeMetricFamily(
        "lampung_geo_graph_nodes", "Nodes of each loaded road graph", labels=["profile"]
    )
    edges = GaugeMetricFamily(
        "lampung_geo_graph_edges", "Edges of each loaded road graph", labels=["profile"]
    )
    for profile, net in sorted(networks.items()):
        nodes.add_metric([profile], net.compiled.n_nodes)
        edges.add_metric([profile], net.compiled.n_edges)
    yield nodes
    yield edges


def count_unadmitted_checkouts(engine: Engine, metrics: Metrics) -> None:
    """Count pool check-outs made by code that holds no ``db`` admission slot."""
    from sqlalchemy import event

    @event.listens_for(engine, "checkout")
    def _checkout(*_: object) -> None:
        if not DB_SLOT_HELD.get():
            metrics.unadmitted_checkouts.inc()
            log.error("a database connection was taken without an admission slot")


# -- middleware ---------------------------------------------------------------------
def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``<unmatched>``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class ObservabilityMiddleware:
    """Request id, metrics and one access-log line per HTTP request (pure ASGI)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        on_finish: Callable[[Scope], None] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        status = 500
        header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.on_finish is not None:
                self.on_finish(scope)
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.in_flight.dec()
            self.metrics.observe(method, route, status, seconds)
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(seconds * 1000.0, 2),
                    "client": client[0] if client else None,
                },
            )
            REQUEST_ID.reset(token)


# -- logging ------------------------------------------------------------------------
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in body:
                body[key] = value
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def configure_logging(ops: OpsSettings, *, stream: Any = None) -> logging.Handler:
    """Send every ``lampung_geo`` log record to ``stream`` (stderr), one JSON per line.

    Idempotent: a second call replaces the handler it installed before.
    """
    logger = logging.getLogger("lampung_geo")
    for old in [h for h in logger.handlers if getattr(h, "_lampung_geo", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._lampung_geo = True  # type: ignore[attr-defined]
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        JsonFormatter()
        if ops.log_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(ops.log_level)
    return handler
