"""``lampung-geo import``: whole government deliveries in one command.

``import rbi DIR...`` runs in steps: first the layers (:func:`layers.rbi.import_rbi`,
one transaction), then the road graph (:func:`_road_graph_step`), kept apart so that it
can be wired to ``geo_api.networks.build_network_file`` once that takes several files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geo_api.settings import DatabaseSettings
from layers.errors import IngestError
from layers.rbi_report import RbiImportReport

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
) -> None:
    """Load RBI kabupaten, kecamatan, offices and settlements; all-or-nothing, re-runs update."""
    report = _layer_step(
        folders,
        population=population,
        year=population_year,
        columns=(population_name_column, population_year_column, population_column),
        encoding=encoding,
    )
    _print_report(report)
    _road_graph_step(report)


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


def _road_graph_step(report: RbiImportReport) -> None:
    """Road graphs from the folders' JALAN_LN_50K layers: not wired yet.

    To be wired to ``geo_api.networks.build_network_file(sources=..., labels=...)`` once
    it takes several files; ``report.road_files`` holds the layers to pass.
    """
    if report.road_files:
        files = " ".join(str(f.path) for f in report.road_files)
        console.print(
            f"roads: {len(report.road_files)} JALAN_LN_50K layers found; this command does not "
            f"build road graphs yet. Build them with `lampung-geo graph build` ({files})."
        )


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
