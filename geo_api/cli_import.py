"""``lampung-geo import``: whole government deliveries in one command.

``import rbi DIR...`` runs in three steps, so that nothing is half-written:

1. the road graphs, one per profile, from all the folders' ``JALAN_LN_50K`` layers
   together (:func:`geo_api.networks.build_network_file`), written to a temporary
   folder beside the graph folder;
2. the layers (:func:`layers.rbi.import_rbi`), in one database transaction;
3. only then the graphs replace those in the graph folder (``os.replace``, atomic).

A failure in step 1 or 2 leaves the database and the graph folder as they were.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geo_api.settings import DatabaseSettings, Settings
from layers.errors import IngestError
from layers.rbi_report import RbiImportReport
from routing.profiles import PROFILES

import_app = typer.Typer(
    help="Import whole government deliveries (BIG RBI kabupaten folders).", no_args_is_help=True
)
console = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@import_app.command("rbi")
def import_rbi_command(
    folders: Annotated[
        list[Path], typer.Argument(help="kabupaten folders with the standard RBI layers")
    ],
    population: Annotated[
        Path | None, typer.Option(help="BPS table (CSV) of population per kabupaten/kota")
    ] = None,
    population_year: Annotated[
        int | None, typer.Option(help="year to take from the table; default: the latest")
    ] = None,
    population_name_column: Annotated[
        str | None, typer.Option(help="column of kabupaten names (default: detected)")
    ] = None,
    population_year_column: Annotated[
        str | None, typer.Option(help="column of years (default: detected)")
    ] = None,
    population_column: Annotated[
        str | None, typer.Option(help="column of population figures (default: detected)")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="text encoding of the .dbf files; default: detected")
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option(help="road-graph profiles to build (repeatable); default: all four"),
    ] = None,
    roads: Annotated[
        bool, typer.Option("--roads/--no-roads", help="build road graphs from JALAN_LN_50K")
    ] = True,
    ferries: Annotated[
        bool, typer.Option("--ferries/--no-ferries", help="add the database's ferry links")
    ] = False,
) -> None:
    """Load RBI kabupaten, kecamatan, offices, settlements and roads; all-or-nothing."""
    settings = Settings()
    profiles = profile or list(PROFILES)
    graph_dir = settings.routing.graph_dir
    staged: list[BuiltGraph] = []
    tmp = None
    try:
        if roads:
            graph_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=graph_dir))
            staged = _road_graph_step(folders, profiles, tmp, settings, ferries=ferries)
        report = _layer_step(
            folders,
            population=population,
            year=population_year,
            columns=(population_name_column, population_year_column, population_column),
            encoding=encoding,
        )
        for built in staged:  # the database is committed: now the graphs go live
            built.staged.replace(graph_dir / built.staged.name)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    _print_report(report)
    for built in staged:
        console.print(str(built.report))
        console.print(
            f"[green]{built.profile}[/]: {built.nodes:,} nodes, {built.edges:,} edges in "
            f"{built.seconds:.1f} s → {graph_dir / built.staged.name}"
        )
    if not roads:
        console.print("roads: skipped (--no-roads)")


@dataclass(frozen=True, slots=True)
class BuiltGraph:
    """One profile's graph, built and waiting in the staging folder."""

    profile: str
    staged: Path
    report: object
    nodes: int
    edges: int
    seconds: float


def _layer_step(
    folders: list[Path],
    *,
    population: Path | None,
    year: int | None,
    columns: tuple[str | None, str | None, str | None],
    encoding: str | None,
) -> RbiImportReport:
    """Read, check and write the layers of every folder in one transaction."""
    from sqlalchemy.exc import SQLAlchemyError

    from geo_api.cli import _ready_url
    from layers.bps import read_population
    from layers.db.engine import make_engine
    from layers.rbi import import_rbi

    try:
        table = None
        if population is not None:
            name_col, year_col, value_col = columns
            table = read_population(
                population,
                year=year,
                name_column=name_col,
                year_column=year_col,
                value_column=value_col,
            )
        url = _ready_url(DatabaseSettings())
        engine = make_engine(url, statement_timeout_ms=600_000)
        with engine.connect() as conn, console.status("importing RBI layers"):
            return import_rbi(conn, folders, population=table, encoding=encoding)
    except IngestError as exc:
        where = f"{exc.field}: " if exc.field and exc.field not in str(exc) else ""
        raise _fail(f"{where}{exc} — nothing was written") from None
    except SQLAlchemyError as exc:  # never show SQL: the error class is enough
        kind = type(getattr(exc, "orig", None) or exc).__name__
        raise _fail(f"database error ({kind}) — nothing was written") from None


def _road_graph_step(
    folders: list[Path], profiles: list[str], staging: Path, settings: Settings, *, ferries: bool
) -> list[BuiltGraph]:
    """Build every profile's graph from all folders' road layers into ``staging``."""
    from geo_api.cli import _ready_url
    from geo_api.networks import build_network_file, build_options, ferries_from_db
    from layers.db.engine import make_engine
    from layers.rbi_layers import find_layers
    from routing.errors import RoutingError
    from routing.network import graph_path

    files: list[Path] = []
    labels: list[str] = []
    try:
        for folder in folders:
            found, _ = find_layers(folder)
            road = found.get("roads")
            if road is not None:
                if road.layer is not None:
                    msg = f"{road.label}: road layers inside a GeoPackage are not supported yet"
                    raise IngestError(msg, field="DIR")
                files.append(road.path)
                labels.append(folder.name)
    except IngestError as exc:
        raise _fail(f"{exc} — nothing was written") from None
    if not files:
        console.print("roads: no JALAN_LN_50K layer in these folders; no graph built")
        return []
    links = []
    if ferries:
        with make_engine(_ready_url(settings.database)).connect() as conn:
            links = ferries_from_db(conn)
    out = []
    for name in profiles:
        started = time.perf_counter()
        try:
            target = graph_path(staging, name)
            with console.status(f"building the {name} road graph from {len(files)} files"):
                report, compiled, _ = build_network_file(
                    files,
                    target,
                    profile=name,
                    ferries=links,
                    labels=labels,
                    **build_options(settings.routing),
                )
        except RoutingError as exc:
            raise _fail(f"roads: {exc} — nothing was written") from None
        out.append(
            BuiltGraph(
                profile=name,
                staged=target,
                report=report,
                nodes=compiled.n_nodes,
                edges=compiled.n_edges,
                seconds=time.perf_counter() - started,
            )
        )
    return out


def _print_report(report: RbiImportReport) -> None:
    table = Table(title="RBI import, per kabupaten folder")
    for column in ("folder", "kabupaten", "layer", "read", "loaded", "skipped"):
        table.add_column(column, justify="right" if column in {"read", "loaded"} else "left")
    for folder in report.folders:
        first = True
        for rep in folder.layers.values():
            skipped = "; ".join(f"{n} {why}" for why, n in sorted(rep.skipped.items()))
            if rep.file is None:
                skipped = "layer missing"
            table.add_row(
                folder.folder.name if first else "",
                (folder.kabupaten or "?") if first else "",
                rep.layer,
                f"{rep.read:,}",
                f"{rep.loaded:,}",
                skipped or "-",
            )
            first = False
        table.add_section()
    console.print(table)
    for folder in report.folders:
        console.print(f"[bold]{folder.folder.name}[/] ({folder.seconds:.1f} s)")
        for warning in folder.warnings:
            console.print(f"  [yellow]note:[/] {warning}")
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}")
    written = ", ".join(f"{n:,} {what}" for what, n in report.written.items())
    console.print(f"[green]written[/]: {written} in {report.seconds:.1f} s")
