"""The population grid: source level, weighting, assumptions and errors (real PostGIS)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, text

from layers.population import (
    NoAreasError,
    NoPopulationError,
    RoadDensity,
    admin_stamp,
    areas_at_level,
    build_grid,
    population_areas,
)

SQUARE = "SRID=4326;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def _area(conn, sid: str, level: str, x0: float, pop: int | None) -> None:
    conn.execute(
        text(
            "INSERT INTO admin_areas (source, source_id, level, name, population, geom) "
            "VALUES ('t', :sid, :level, :name, :pop, ST_GeomFromEWKT(:g))"
        ),
        {
            "sid": sid,
            "level": level,
            "name": f"Area {sid}",
            "pop": pop,
            "g": SQUARE.format(x0=x0, y0=-5.50, x1=x0 + 0.05, y1=-5.45),
        },
    )


@pytest.fixture
def engine(clean_engine: Engine) -> Engine:
    with clean_engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, title) VALUES ('t', 'test areas')"))
    return clean_engine


def test_finest_level_with_population_is_used(engine: Engine):
    with engine.begin() as conn:
        _area(conn, "kab", "kabupaten", 105.0, 100_000)
        _area(conn, "kec1", "kecamatan", 105.0, 60_000)
        _area(conn, "kec2", "kecamatan", 105.05, None)
        _area(conn, "desa", "desa", 105.0, None)  # desa without figures: not the source
    with engine.connect() as conn:
        areas = population_areas(conn)
        assert areas.level == "kecamatan" and len(areas) == 2
        grid = build_grid(areas, resolution=8)
        assert grid.total == pytest.approx(60_000)
        assert any("count as 0" in a for a in grid.assumptions)
        assumed = build_grid(areas, resolution=8, assumed_total=5_000)
        pop = np.bincount(assumed.area, weights=assumed.population)
        np.testing.assert_allclose(pop, [60_000, 5_000])


def test_no_population_and_no_areas_are_errors(engine: Engine):
    with engine.begin() as conn:
        _area(conn, "a", "desa", 105.0, None)
    with engine.connect() as conn:
        with pytest.raises(NoPopulationError) as err:
            population_areas(conn)
        assert err.value.field == "population"
        with pytest.raises(NoAreasError) as err2:
            areas_at_level(conn, "kecamatan")
        assert "levels present: ['desa']" in err2.value.reason
        with pytest.raises(NoPopulationError):
            build_grid(areas_at_level(conn, "desa"), resolution=8)


def test_stamp_changes_with_the_table(engine: Engine):
    with engine.connect() as conn:
        before = admin_stamp(conn)
    with engine.begin() as conn:
        _area(conn, "a", "desa", 105.0, 10)
    with engine.connect() as conn:
        assert admin_stamp(conn) != before


def test_road_density_weighting(engine: Engine):
    with engine.begin() as conn:
        _area(conn, "a", "kecamatan", 105.0, 10_000)
        _area(conn, "b", "kecamatan", 105.05, 2_000)  # no road at all: uniform
    # one straight road along the middle of area a
    road = np.array([[105.005, -5.475], [105.04, -5.475]])
    density = RoadDensity(road, np.array([0, 2]), resolution=8)
    assert sum(density.length_m.values()) == pytest.approx(3_878, rel=0.01)
    with engine.connect() as conn:
        areas = areas_at_level(conn, "kecamatan")
    grid = build_grid(areas, resolution=8, weight=density)
    in_a = grid.area == 0
    on_road = density(grid.cells) > 0
    assert grid.population[in_a & ~on_road].sum() == 0
    assert grid.population[in_a & on_road].sum() == pytest.approx(10_000)
    b = grid.population[~in_a]
    assert np.allclose(b, b[0]) and b.sum() == pytest.approx(2_000)
    assert grid.method == "road_length" and grid.area_method == ["road_length", "uniform"]
    assert any("no road inside: spread by uniform" in a for a in grid.assumptions)
    assert grid.fallbacks[0]["name"] == "Area b" and grid.fallbacks[0]["population"] == 2_000
    # every cell centre lies in its area
    pts = shapely.points(np.column_stack([grid.lon, grid.lat]))
    assert all(areas.geoms[i].contains(p) for i, p in zip(grid.area, pts, strict=True))
