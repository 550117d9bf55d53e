"""Real OGC API – Features clients read every collection: GDAL (pyogrio) and OWSLib.

GDAL's OAPIF driver is what ``ogr2ogr``, pyogrio/geopandas and many QGIS set-ups use;
it asks for ``crs=<storageCrs>`` and follows the ``next`` links, and it makes its own
HTTP requests (holding the GIL), so the API runs in its own uvicorn process on a free
port. Every client must get
every feature: the counts are compared with a direct SQL count (with the bbox, an
``ST_Intersects`` count), and a few features' coordinates with PostGIS' own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyogrio
import pytest
from sqlalchemy import Engine, create_engine, text

from geo_api.settings import Settings
from layers.collections import COLLECTIONS
from tests.geo_api.conftest import serve_process

BBOX = (105.0, -5.6, 105.5, -5.2)  # around Bandar Lampung
SPATIAL = [c.id for c in COLLECTIONS.values() if c.has_geometry]
ALL = list(COLLECTIONS)


@pytest.fixture(scope="module")
def base_url(demo_settings: Settings) -> Iterator[str]:
    with serve_process(demo_settings) as url:
        yield url


@pytest.fixture(scope="module")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()


def sql_count(engine: Engine, collection: str, bbox: tuple[float, ...] | None = None) -> int:
    table = COLLECTIONS[collection].table
    where = ""
    if bbox is not None:
        where = " WHERE ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))"
    with engine.connect() as conn:
        params = dict(zip("abcd", bbox, strict=True)) if bbox else {}
        return int(conn.execute(text(f"SELECT count(*) FROM {table}{where}"), params).scalar_one())


@pytest.mark.parametrize("collection", ALL)
def test_gdal_reads_every_feature(base_url: str, demo_engine: Engine, collection: str) -> None:
    df = pyogrio.read_dataframe(f"OAPIF:{base_url}", layer=collection)
    assert len(df) == sql_count(demo_engine, collection)
    if COLLECTIONS[collection].has_geometry and len(df):
        assert df.crs is not None and df.crs.to_string() == "OGC:CRS84"  # the storageCrs
        minx, miny, maxx, maxy = df.total_bounds
        with demo_engine.connect() as conn:
            ext = conn.execute(
                text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    f"(SELECT ST_Extent(geom) e FROM {COLLECTIONS[collection].table}) q"
                )
            ).one()
        # lon/lat (not swapped), to the 7 decimals the API writes
        assert (minx, miny, maxx, maxy) == pytest.approx(tuple(ext), abs=1e-6)


@pytest.mark.parametrize("collection", SPATIAL)
def test_gdal_reads_a_bbox(base_url: str, demo_engine: Engine, collection: str) -> None:
    df = pyogrio.read_dataframe(f"OAPIF:{base_url}", layer=collection, bbox=BBOX)
    assert len(df) == sql_count(demo_engine, collection, BBOX)


def test_gdal_paging_is_exercised(base_url: str, demo_engine: Engine) -> None:
    """service_points has more features than GDAL's page (1000): the next links work."""
    assert sql_count(demo_engine, "service_points") > 1000
    info = pyogrio.read_info(f"OAPIF:{base_url}", layer="service_points")
    assert info["features"] in (-1, sql_count(demo_engine, "service_points"))


def _owslib_all(api: Any, collection: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    limit = 1000
    while True:
        page = api.collection_items(collection, limit=limit, offset=len(out), **params)
        out += page["features"]
        if page["numberReturned"] < limit:
            return out


@pytest.mark.parametrize("collection", ALL)
def test_owslib_reads_every_feature(base_url: str, demo_engine: Engine, collection: str) -> None:
    from owslib.ogcapi.features import Features

    api = Features(base_url)
    assert collection in [c["id"] for c in api.collections()["collections"]]
    meta = api.collection(collection)
    if COLLECTIONS[collection].has_geometry:
        assert meta["storageCrs"] in meta["crs"]
    feats = _owslib_all(api, collection)
    assert len(feats) == sql_count(demo_engine, collection)
    assert len({f["id"] for f in feats}) == len(feats)  # no feature twice across pages
    if COLLECTIONS[collection].has_geometry:
        boxed = _owslib_all(api, collection, bbox=list(BBOX))
        assert len(boxed) == sql_count(demo_engine, collection, BBOX)
