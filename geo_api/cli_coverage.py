"""CLI for coverage analysis: ``lampung-geo analyse coverage`` and ``analyse sites``.

Registered on the ``analyse`` group in :mod:`geo_api.cli_analyse`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from geo_api import coverage as cov
    from geo_api.caches import Caches
    from layers.population import PopulationGrid
    from routing.network import Network

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

CategoryOpt = Annotated[str, typer.Option(help="service category code, e.g. puskesmas")]
ProfileOpt = Annotated[str, typer.Option(help="motorcycle, car, truck or walk")]
ResolutionOpt = Annotated[int, typer.Option(help="H3 resolution of the population grid (7-10)")]
AssumeOpt = Annotated[
    float | None,
    typer.Option(
        help="people to spread over areas without a population figure (e.g. 10562088 for "
        "DKI Jakarta, census 2020)"
    ),
]

RasterOpt = Annotated[
    Path | None,
    typer.Option(
        "--population-raster",
        help="population raster (WorldPop/HRSL GeoTIFF) to spread people by; default: "
        "LAMPUNG_GEO_POPULATION_RASTER, else settlements when loaded, else road length",
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _raster(option: Path | None) -> Path | None:
    """The raster of ``--population-raster``, else of the settings; checked early."""
    from geo_api.settings import PopulationSettings

    path = option if option is not None else PopulationSettings().raster
    if path is not None and not path.is_file():
        raise _fail(f"--population-raster: {path} does not exist or is not a file", 2)
    return path


def _error_code(exc: Exception) -> int:
    from layers.errors import InvalidParameterError
    from layers.population_raster import PopulationRasterError

    return 2 if isinstance(exc, InvalidParameterError | PopulationRasterError) else 1


@contextmanager
def _session(profile: str) -> Iterator[tuple[Connection, Network, Caches]]:
    """A database connection, the profile's network and (fresh) caches."""
    from geo_api.caches import Caches
    from geo_api.cli import _ready_url
    from geo_api.settings import Settings
    from layers.db.engine import make_engine
    from routing.errors import RoutingError
    from routing.network import Network, graph_path

    settings = Settings()
    try:
        path = graph_path(settings.routing.graph_dir, profile)
    except RoutingError as exc:
        raise _fail(str(exc), 2) from None
    if not path.exists():
        msg = f"no road graph for {profile!r} in {path.parent}; run `lampung-geo graph build`"
        raise _fail(msg)
    engine = make_engine(_ready_url(settings.database), statement_timeout_ms=600_000)
    try:
        with engine.connect() as conn:
            net = Network.load(path, snap_max_m=settings.routing.snap_max_m)
            yield conn, net, Caches.create()
    finally:
        engine.dispose()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def coverage_command(
    category: CategoryOpt,
    minutes: Annotated[str, typer.Option(help="thresholds, e.g. 15,30,60 (each 1..180)")] = (
        "15,30,60"
    ),
    profile: ProfileOpt = "motorcycle",
    level: Annotated[str, typer.Option(help="kabupaten, kecamatan, desa or provinsi")] = (
        "kabupaten"
    ),
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the GeoPackage and PNG")] = (
        Path("coverage")
    ),
    resolution: ResolutionOpt = 8,
    assume_population: AssumeOpt = None,
    population_raster: RasterOpt = None,
    top: Annotated[int, typer.Option(help="underserved areas to list")] = 10,
) -> None:
    """Population coverage per area: a GeoPackage and a PNG choropleth.

    The files are named like the API's downloads (``coverage_<category>_<profile>_
    <minutes>min_<level>_<date>``); see :mod:`geo_api.coverage_files`.
    """
    from geo_api import coverage as cov
    from geo_api import coverage_output as out
    from geo_api.coverage_files import file_stem, write_choropleth, write_geopackage
    from geo_api.params import check_level, parse_minutes
    from layers.errors import InvalidParameterError, LayersError

    try:
        mins = parse_minutes(minutes)
        lvl = check_level(level)
    except InvalidParameterError as exc:
        raise _fail(f"--{exc.field}: {exc.reason}", 2) from None
    raster = _raster(population_raster)
    with _progress() as bar, _session(profile) as (conn, net, caches):
        task = bar.add_task("population grid and cell snaps", total=None)
        try:
            cov.get_context(
                conn,
                net,
                caches=caches,
                resolution=resolution,
                assumed_total=assume_population,
                population_raster=raster,
            )
            bar.update(task, description="population grid and cell snaps: done")
            task = bar.add_task(f"coverage of {category} (one multi-source search)", total=None)
            result = cov.coverage_stats(
                conn,
                net,
                category=category,
                minutes=mins,
                level=lvl,
                caches=caches,
                resolution=resolution,
                assumed_total=assume_population,
                population_raster=raster,
            )
        except LayersError as exc:
            raise _fail(exc.reason, _error_code(exc)) from None
        bar.update(task, description=f"coverage of {category}: done")
        task = bar.add_task("writing GeoPackage and PNG", total=None)
        rows = out.area_rows(result)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = file_stem(result)
        gpkg = out_dir / f"{stem}.gpkg"
        png = out_dir / f"{stem}.png"
        write_geopackage(result, rows, gpkg)
        write_choropleth(result, rows, png)
        bar.update(task, description="writing GeoPackage and PNG: done")
    _print_summary(result, rows, top)
    console.print(f"[green]wrote[/] {gpkg} and {png}")


def _print_summary(result: cov.CoverageResult, rows: list[dict[str, Any]], top: int) -> None:
    totals = result.coverage.totals()
    pcts = ", ".join(
        f"{m:g} min: {p:.1f}%"
        for m, p in zip(result.minutes, totals["percent"], strict=True)  # type: ignore[call-overload]
        if p is not None
    )
    demo = " [bold yellow](DEMO data)[/]" if result.demo else ""
    out.print(
        f"{result.category} by {result.profile}: {totals['population']:,.0f} people, "
        f"covered {pcts}{demo}"
    )
    _print_population(result.grid)
    m = result.rank_minutes
    table = Table(title=f"Underserved {result.level} areas (uncovered people within {m:g} min)")
    for name in ("rank", "area", "population", "uncovered", "% covered", "median min", "p90 min"):
        table.add_column(name, justify="left" if name == "area" else "right")
    for i in result.ranking()[:top]:
        r = rows[int(i)]
        pct = r[f"percent_{m:g}min"]
        table.add_row(
            str(r["underserved_rank"]),
            r["name"],
            f"{r['population']:,}",
            f"{r[f'uncovered_{m:g}min']:,}",
            "-" if pct is None else f"{pct:.1f}",
            "-" if r["median_min"] is None else f"{r['median_min']:.1f}",
            "-" if r["p90_min"] is None else f"{r['p90_min']:.1f}",
        )
    out.print(table)


def _print_population(grid: PopulationGrid) -> None:
    """The population method, the data it used, and the assumptions."""
    from geo_api.coverage_output import population_model

    model = population_model(grid)
    data = model["data"].get(grid.method, {})
    used = ", ".join(
        f"{k} {v}" for k, v in data.items() if not isinstance(v, list | dict) and k != "areas"
    )
    out.print(f"  population method: {grid.method} — {model['description']}")
    if used:
        out.print(f"  data: {used}")
    for note in grid.assumptions:
        out.print(f"  assumption: {note}")


def sites_command(
    category: CategoryOpt,
    count: Annotated[int, typer.Option("--count", "-k", help="new sites, 1..50")],
    minutes: Annotated[float, typer.Option(help="coverage threshold in minutes, 1..180")] = 30.0,
    profile: ProfileOpt = "motorcycle",
    max_candidates: Annotated[int, typer.Option(help="road-node candidates (10..500)")] = 300,
    resolution: ResolutionOpt = 8,
    assume_population: AssumeOpt = None,
    population_raster: RasterOpt = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the sites as GeoJSON here")
    ] = None,
    milp_time_limit: Annotated[float, typer.Option(help="HiGHS time limit, seconds")] = 60.0,
) -> None:
    """Propose COUNT new sites that newly cover the most people (maximal covering)."""
    from geo_api import coverage as cov
    from geo_api.coverage_output import sites_body
    from geo_api.params import SITES_MAX, parse_minutes
    from layers.errors import InvalidParameterError, LayersError

    if not 1 <= count <= SITES_MAX:
        raise _fail(f"--count: the number of new sites must be between 1 and {SITES_MAX}", 2)
    k = count
    try:
        mins = parse_minutes(f"{minutes}", single=True)[0]
    except InvalidParameterError as exc:
        raise _fail(f"--{exc.field}: {exc.reason}", 2) from None
    if not 10 <= max_candidates <= cov.MAX_CANDIDATES:
        raise _fail(f"--max-candidates must be between 10 and {cov.MAX_CANDIDATES}", 2)
    raster = _raster(population_raster)
    with _progress() as bar, _session(profile) as (conn, net, caches):
        task = bar.add_task(
            f"population grid, coverage sets of {max_candidates} candidates, greedy + MILP",
            total=None,
        )
        try:
            answer = cov.plan_sites(
                conn,
                net,
                category=category,
                k=k,
                minutes=mins,
                caches=caches,
                max_candidates=max_candidates,
                resolution=resolution,
                assumed_total=assume_population,
                population_raster=raster,
                milp_time_limit_s=milp_time_limit,
            )
        except LayersError as exc:
            raise _fail(exc.reason, _error_code(exc)) from None
        bar.update(task, description="siting: done")
    body = sites_body(answer, category=category, profile=net.profile, minutes=mins, k=k)
    sol = body["solution"]
    demo = " [bold yellow](DEMO data)[/]" if body["demo"] else ""
    table = Table(title=f"{k} new {category} sites, {mins:g} min by {net.profile}{demo}")
    for name in ("rank", "lon", "lat", "newly covered"):
        table.add_column(name, justify="right")
    for f in body["features"]:
        x, y = f["geometry"]["coordinates"]
        p = f["properties"]
        table.add_row(str(p["rank"]), f"{x:.5f}", f"{y:.5f}", f"{p['newly_covered_population']:,}")
    out.print(table)
    out.print(
        f"covered {body['percent_before']}% → {body['percent_after']}% "
        f"(+{body['newly_covered']:,} people); method {sol['method']}, greedy "
        f"{sol['greedy_objective']:,}, MILP {sol['milp_objective']} ({sol['milp_status']}), "
        f"bound {sol['bound']:,}, gap {100 * sol['gap']:.3f}%, greedy gap "
        f"{100 * sol['greedy_gap']:.3f}%; capacity not modelled"
    )
    _print_population(answer.grid)
    if out_file is not None:
        out_file.write_text(json.dumps(body))
        console.print(f"[green]wrote[/] {out_file}")
