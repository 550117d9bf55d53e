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
    ) -> None:
        self.database = database or DatabaseSettings()
        self.api = api or ApiSettings()
        self.routing = routing or RoutingSettings()
        self.web = web or WebSettings()
        self.population = population or PopulationSettings()
