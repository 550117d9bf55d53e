"""Settings, read from ``LAMPUNG_GEO_*`` environment variables (and ``.env``)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _config(prefix: str = "LAMPUNG_GEO_") -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore")


class DatabaseSettings(BaseSettings):
    """Where the PostGIS database is.

    With ``LAMPUNG_GEO_DATABASE_URL`` unset, the platform uses its private cluster in
    ``cluster_dir`` on ``127.0.0.1:cluster_port``.
    """

    model_config = _config()
    database_url: str | None = None
    cluster_dir: Path = Path(".lampung-geo/pg")
    cluster_port: int = Field(55432, ge=1024, le=65535)
    statement_timeout_ms: int = Field(15_000, ge=100)
    pool_size: int = Field(10, ge=1, le=100)
    pool_timeout_s: float = Field(5.0, gt=0, le=300)

    @property
    def pool_capacity(self) -> int:
        """Connections the pool serves at once: ``pool_size`` plus as many overflow ones."""
        return 2 * self.pool_size


class ApiSettings(BaseSettings):
    """How the HTTP service runs, and how it shows itself to clients.

    Links in answers (OGC API ``links``, paging) are built from ``public_url`` when it
    is set (e.g. ``https://peta.lampungprov.go.id/geo``), else from ``X-Forwarded-Host``
    / ``X-Forwarded-Proto`` / ``X-Forwarded-Prefix`` sent by a proxy whose address is in
    ``trusted_proxies`` (IP addresses or networks), else from the address the server
    listens on. The ``Host`` header of a request is never trusted. Request bodies larger
    than ``max_body_bytes`` are refused with 413.
    """

    model_config = _config()
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    title: str = "lampung-geo"
    graceful_shutdown_s: int = Field(30, ge=0, le=3600)
    public_url: str | None = Field(
        None, pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~\-/]*)?$"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(1_048_576, ge=1024, le=1_073_741_824)

    @field_validator("public_url", mode="before")
    @classmethod
    def _empty_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for v in value:
            ipaddress.ip_network(v, strict=False)  # ValueError names the bad entry
        return value


class RoutingSettings(BaseSettings):
    """Where compiled road graphs are, how points snap to them, and how graphs are built.

    The build fields are the defaults of ``lampung-geo graph build`` (each has a CLI
    option) and of every graph build that passes ``build_options(settings.routing)``:
    ``join_tolerance_m`` (line ends of different files this close are joined),
    ``min_component_km`` (smallest strongly connected component kept; the largest is
    always kept), ``default_class`` (class of the lines of a ``.shp`` without its
    ``.dbf``; ``none`` refuses such files) and ``motorcycle_path_speed_kph`` (speed of
    motorcycles on RBI Jalan Setapak / OSM ``path``; 0 bars them).
    """

    model_config = _config("LAMPUNG_GEO_ROUTING_")
    graph_dir: Path = Path(".lampung-geo/graphs")
    snap_max_m: float = Field(2000.0, gt=0)
    matrix_max_cells: int = Field(10_000, ge=1)
    join_tolerance_m: float = Field(1.0, ge=0, le=1000)
    min_component_km: float = Field(25.0, ge=0)
    default_class: str = Field("unclassified", pattern=r"^[a-z][a-z_]*$")
    motorcycle_path_speed_kph: float = Field(10.0, ge=0, le=80)


class WebSettings(BaseSettings):
    """The base map. Tiles are optional: the map stays readable without them."""

    model_config = _config("LAMPUNG_GEO_WEB_")
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "&copy; OpenStreetMap contributors"


class PopulationSettings(BaseSettings):
    """Where people live: an optional population raster (WorldPop or HRSL GeoTIFF).

    With ``LAMPUNG_GEO_POPULATION_RASTER`` set, coverage answers spread each area's
    population by the raster's people per cell (``method: raster``); unset, by the
    settlements when loaded, else by road length.
    """

    model_config = _config("LAMPUNG_GEO_POPULATION_")
    raster: Path | None = None

    @field_validator("raster", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class AdmissionSettings(BaseSettings):
    """How many requests may use the database or a CPU at once, and how long others wait.

    Three gates, each with ``slots`` (admitted at once), ``queue`` (waiting at most) and
    ``wait_s`` (longest wait); a request beyond the queue or the wait answers 503 with
    ``Retry-After``. ``db``: every request that opens a database connection (0 slots =
    two per CPU, at most what the pool serves, ``2 x LAMPUNG_GEO_POOL_SIZE``; never
    more). ``analysis``: isochrones,
    coverage, siting, allocation (0 = one per CPU, fewer than the database slots: an
    analysis holds its connection while it computes). ``search``: ``/nearest`` and
    ``/matrix`` (0 = two per CPU). ``threads`` is the size of the worker-thread pool
    that synchronous endpoints run in; the gates' slots must leave at least
    ``threads_free`` of them to requests that need neither (``/route``, pages, files).
    """

    model_config = _config("LAMPUNG_GEO_ADMISSION_")
    db_slots: int = Field(0, ge=0, le=1000)
    db_queue: int = Field(500, ge=0, le=100_000)
    db_wait_s: float = Field(10.0, gt=0, le=600)
    analysis_slots: int = Field(0, ge=0, le=256)
    analysis_queue: int = Field(64, ge=0, le=100_000)
    analysis_wait_s: float = Field(30.0, gt=0, le=600)
    search_slots: int = Field(0, ge=0, le=256)
    search_queue: int = Field(500, ge=0, le=100_000)
    search_wait_s: float = Field(10.0, gt=0, le=600)
    threads: int = Field(40, ge=4, le=1000)
    threads_free: int = Field(8, ge=1, le=1000)
    retry_after_s: int = Field(5, ge=1, le=3600)


class BudgetSettings(BaseSettings):
    """Time budget of each expensive request, in seconds, from its admission.

    Past it the work stops at its next checkpoint and the request answers 503. The
    budget also caps the time limits handed to the HiGHS solver.
    """

    model_config = _config("LAMPUNG_GEO_BUDGET_")
    isochrones_s: float = Field(10.0, gt=0, le=3600)
    coverage_s: float = Field(30.0, gt=0, le=3600)
    siting_s: float = Field(30.0, gt=0, le=3600)
    allocation_s: float = Field(20.0, gt=0, le=3600)
    matrix_s: float = Field(10.0, gt=0, le=3600)
    nearest_s: float = Field(5.0, gt=0, le=3600)


class OpsSettings(BaseSettings):
    """Logs and health checks.

    ``log_json``: one JSON object per log line (else plain text); ``log_level``;
    ``health_timeout_s``: how long ``/health/ready`` waits for a database slot and for
    its query; ``health_require_graphs``: ``/health/ready`` fails while no road graph
    is loaded.
    """

    model_config = _config()
    log_json: bool = True
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    health_timeout_s: float = Field(2.0, gt=0, le=60)
    health_require_graphs: bool = False


class ReportSettings(BaseSettings):
    """Citizen reports (``LAMPUNG_GEO_REPORTS_*``).

    ``rate_limit_per_hour``: submissions one client may make per hour (then 429 with
    ``Retry-After``); ``photo_max_bytes``: largest photo (5 MiB; larger: 413);
    ``photo_dir``: where photos are stored (content-addressed) unless ``s3_bucket`` is
    set, then in that S3-compatible bucket (``s3_endpoint_url`` for MinIO/Ceph,
    ``s3_region``, ``s3_prefix``; credentials from boto3's usual chain,
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``); ``province_code``: BPS code of the
    province reports must lie in (18 = Lampung); ``routing_profile``: the road network
    that picks the nearest office by travel time.
    """

    model_config = _config("LAMPUNG_GEO_REPORTS_")
    rate_limit_per_hour: int = Field(10, ge=1, le=10_000)
    photo_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    photo_dir: Path = Path(".lampung-geo/photos")
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "report-photos"
    province_code: str = Field("18", pattern=r"^[0-9]{2}$")
    routing_profile: str = Field("motorcycle", pattern=r"^[a-z_]+$")

    @field_validator("s3_bucket", "s3_endpoint_url", "s3_region", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def upload_max_bytes(self) -> int:
        """Largest ``POST /reports`` body: the photo plus 1 MiB for the other fields."""
        return self.photo_max_bytes + 1024 * 1024


class PriceSettings(BaseSettings):
    """Food prices (``LAMPUNG_GEO_PRICES_*``).

    ``alert_pct``: a price that rose more than this many percent in 7 days is flagged
    (``alert`` on ``/prices/latest`` and in logistics margins); ``stale_days``: a price
    older than this many days is called stale in margins.
    """

    model_config = _config("LAMPUNG_GEO_PRICES_")
    alert_pct: float = Field(10.0, gt=0, le=1000)
    stale_days: int = Field(14, ge=0, le=3650)


class Settings:
    """All settings groups together."""

    def __init__(
        self,
        *,
        database: DatabaseSettings | None = None,
        api: ApiSettings | None = None,
        routing: RoutingSettings | None = None,
        web: WebSettings | None = None,
        population: PopulationSettings | None = None,
        admission: AdmissionSettings | None = None,
        budgets: BudgetSettings | None = None,
        ops: OpsSettings | None = None,
        reports: ReportSettings | None = None,
        prices: PriceSettings | None = None,
    ) -> None:
        self.database = database or DatabaseSettings()
        self.api = api or ApiSettings()
        self.routing = routing or RoutingSettings()
        self.web = web or WebSettings()
        self.population = population or PopulationSettings()
        self.admission = admission or AdmissionSettings()
        self.budgets = budgets or BudgetSettings()
        self.ops = ops or OpsSettings()
        self.reports = reports or ReportSettings()
        self.prices = prices or PriceSettings()
