"""``lampung-geo``: the platform's one command-line entry point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from geo_api.app import database_url
from geo_api.cli_analyse import analyse_app
from geo_api.cli_import import import_app
from geo_api.cli_logistics import keys_app
from geo_api.settings import DatabaseSettings, Settings
from layers.db.cluster import ClusterError, PostgresCluster
from layers.db.engine import make_engine
from layers.db.migrate import upgrade
from layers.errors import IngestError

app = typer.Typer(
    help="lampung-geo: maps for Lampung – DKI Jakarta public services and food logistics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The private PostGIS cluster and the schema.", no_args_is_help=True)
ingest_app = typer.Typer(
    help="Load your own GeoJSON, GeoPackage, Shapefile, CSV or JSON table.", no_args_is_help=True
)
graph_app = typer.Typer(help="Road graphs for routing.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(graph_app, name="graph")
app.add_typer(analyse_app, name="analyse")
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
console = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _cluster(settings: DatabaseSettings) -> PostgresCluster:
    return PostgresCluster(settings.cluster_dir, port=settings.cluster_port)


def _ready_url(settings: DatabaseSettings) -> str:
    """Start the private cluster (unless a URL is configured), migrate, return the URL."""
    try:
        url = settings.database_url or _cluster(settings).start()
        upgrade(make_engine(url, statement_timeout_ms=600_000))
    except ClusterError as exc:
        raise _fail(str(exc)) from None
    return url


@db_app.command("start")
def db_start() -> None:
    """Create (if needed) and start the private cluster, then run migrations."""
    settings = DatabaseSettings()
    if settings.database_url:
        console.print("LAMPUNG_GEO_DATABASE_URL is set; migrating that database instead.")
    _ready_url(settings)
    where = (settings.database_url and "LAMPUNG_GEO_DATABASE_URL") or (
        f"{settings.cluster_dir} on 127.0.0.1:{settings.cluster_port}"
    )
    console.print(f"[green]database ready[/] ({where}), schema at head")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the private cluster."""
    try:
        _cluster(DatabaseSettings()).stop()
    except ClusterError as exc:
        raise _fail(str(exc)) from None
    console.print("stopped")


@db_app.command("status")
def db_status() -> None:
    """Say whether the private cluster exists and runs."""
    settings = DatabaseSettings()
    if settings.database_url:
        console.print("using LAMPUNG_GEO_DATABASE_URL (external database)")
        return
    st = _cluster(settings).status()
    state = "running" if st.running else ("stopped" if st.initialised else "not created")
    console.print(f"cluster {st.path}: {state}, port {st.port}")
    if not st.running:
        raise typer.Exit(3)


@db_app.command("migrate")
def db_migrate() -> None:
    """Run the Alembic migrations up to the newest schema."""
    settings = DatabaseSettings()
    try:
        upgrade(make_engine(database_url(settings), statement_timeout_ms=600_000))
    except RuntimeError as exc:
        raise _fail(str(exc)) from None
    console.print("[green]schema at head[/]")


def _parse_map(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in values:
        col, sep, fld = item.partition("=")
        if not sep or not col or not fld:
            raise _fail(f"--map takes COLUMN=field, got {item!r}", 2)
        mapping[col] = fld
    return mapping


def _ingest(
    kind: str,
    path: Path,
    layer: str | None,
    maps: list[str],
    defaults: dict[str, Any],
    opts: IngestOptions,
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from layers.ingest import ingest_file
    from layers.writer import SourceInfo

    settings = DatabaseSettings()
    url = _ready_url(settings)
    src = None
    if opts.source:
        title = opts.title or path.name
        src = SourceInfo(id=opts.source, title=title, attribution=opts.attribution)
    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        with engine.connect() as conn:
            result = ingest_file(
                conn,
                path,
                kind=kind,  # type: ignore[arg-type]
                layer=layer,
                mapping=_parse_map(maps),
                defaults={k: v for k, v in defaults.items() if v is not None},
                source=src,
                source_title=opts.title,
                attribution=opts.attribution,
                layer_name=opts.layer_name,
                encoding=opts.encoding,
                on_duplicate=opts.on_duplicate,  # type: ignore[arg-type]
                progress=True,
            )
    except IngestError as exc:
        raise _fail(f"{path.name}: {exc} — nothing was written") from None
    except SQLAlchemyError as exc:  # never show SQL: the error class is enough
        kind_ = type(getattr(exc, "orig", None) or exc).__name__
        raise _fail(f"{path.name}: database error ({kind_}) — nothing was written") from None
    for note in result.warnings:
        console.print(f"[yellow]note:[/] {note}")
    repaired = f", {result.repaired} geometries repaired" if result.repaired else ""
    console.print(
        f"[green]{result.rows} rows[/] upserted into {result.layer} "
        f"(source {result.source!r}{repaired})"
    )


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Options every ``ingest points|areas|lines`` command takes."""

    source: str | None
    title: str | None
    attribution: str | None
    layer_name: str | None
    encoding: str | None
    on_duplicate: str


def _options(
    source: str | None,
    title: str | None,
    attribution: str | None,
    layer_name: str | None,
    file_layer: str | None,
    encoding: str | None,
    on_duplicate: str,
) -> IngestOptions:
    if on_duplicate not in ON_DUPLICATE_CHOICES:
        raise _fail(f"--on-duplicate takes one of {list(ON_DUPLICATE_CHOICES)}", 2)
    return IngestOptions(
        source, title, attribution, layer_name or file_layer, encoding, on_duplicate
    )


ON_DUPLICATE_CHOICES = ("error", "first", "last", "renumber")
MapOpt = Annotated[list[str], typer.Option("--map", help="COLUMN=field, repeatable")]
SourceOpt = Annotated[str | None, typer.Option(help="dataset id; default: file name")]
TitleOpt = Annotated[str | None, typer.Option(help="dataset title")]
AttrOpt = Annotated[str | None, typer.Option(help="attribution, e.g. '© OpenStreetMap'")]
LayerNameOpt = Annotated[
    str | None, typer.Option("--layer-name", help="layer inside a multi-layer GeoPackage")
]
FileLayerOpt = Annotated[str | None, typer.Option("--file-layer", hidden=True)]
EncodingOpt = Annotated[
    str | None,
    typer.Option(help="text encoding of a .dbf/CSV/GeoJSON, e.g. cp1252; default: detected"),
]
DuplicateOpt = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        help="a source id repeated in the file: error, first, last or renumber (<id>-2, ...)",
    ),
]


@ingest_app.command("points")
def ingest_points(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile or CSV")],
    layer: Annotated[str, typer.Option(help="service_points, farms, markets or ports")] = (
        "service_points"
    ),
    map_: MapOpt = [],  # noqa: B006 - typer needs a literal default
    category: Annotated[str | None, typer.Option(help="category for rows without one")] = None,
    commodity: Annotated[str | None, typer.Option(help="commodity for rows without one")] = None,
    source: SourceOpt = None,
    title: TitleOpt = None,
    attribution: AttrOpt = None,
    layer_name: LayerNameOpt = None,
    file_layer: FileLayerOpt = None,
    encoding: EncodingOpt = None,
    on_duplicate: DuplicateOpt = "error",
) -> None:
    """Load point features; all-or-nothing, re-runs update in place."""
    opts = _options(source, title, attribution, layer_name, file_layer, encoding, on_duplicate)
    defaults = {"category": category, "commodity": commodity}
    _ingest("points", file, layer, map_, defaults, opts)


@ingest_app.command("areas")
def ingest_areas(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage or Shapefile")],
    layer: Annotated[str, typer.Option(help="admin_areas or settlements")] = "admin_areas",
    map_: MapOpt = [],  # noqa: B006
    level: Annotated[
        str | None, typer.Option(help="provinsi, kabupaten, kecamatan or desa")
    ] = None,
    source: SourceOpt = None,
    title: TitleOpt = None,
    attribution: AttrOpt = None,
    layer_name: LayerNameOpt = None,
    file_layer: FileLayerOpt = None,
    encoding: EncodingOpt = None,
    on_duplicate: DuplicateOpt = "error",
) -> None:
    """Load administrative areas or settlements; all-or-nothing, re-runs update in place."""
    opts = _options(source, title, attribution, layer_name, file_layer, encoding, on_duplicate)
    defaults = {"level": level} if layer == "admin_areas" else {}
    _ingest("areas", file, layer, map_, defaults, opts)


@ingest_app.command("lines")
def ingest_lines(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage or Shapefile of LineStrings")],
    layer: Annotated[str, typer.Option(help="ferry_links")] = "ferry_links",
    map_: MapOpt = [],  # noqa: B006
    source: SourceOpt = None,
    title: TitleOpt = None,
    attribution: AttrOpt = None,
    layer_name: LayerNameOpt = None,
    file_layer: FileLayerOpt = None,
    encoding: EncodingOpt = None,
    on_duplicate: DuplicateOpt = "error",
) -> None:
    """Load ferry links (from_port/to_port are port codes); all-or-nothing, re-runs update."""
    opts = _options(source, title, attribution, layer_name, file_layer, encoding, on_duplicate)
    _ingest("lines", file, layer, map_, {}, opts)


@ingest_app.command("table")
def ingest_table(
    file: Annotated[Path, typer.Argument(help="CSV or JSON list of objects")],
    layer: Annotated[str, typer.Option(help="vehicle_classes or cost_parameters")],
    map_: MapOpt = [],  # noqa: B006
) -> None:
    """Load vehicle classes or cost parameters; upserts on the key, all-or-nothing."""
    from layers.ingest_tables import ingest_table as load_table

    url = _ready_url(DatabaseSettings())
    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        with engine.connect() as conn:
            result = load_table(conn, file, layer=layer, mapping=_parse_map(map_))
    except IngestError as exc:
        raise _fail(f"{file.name}: {exc} — nothing was written") from None
    ignored = f"; columns ignored: {result.ignored_columns}" if result.ignored_columns else ""
    console.print(
        f"[green]{result.rows} rows[/] upserted into {result.layer} "
        f"({result.inserted} new, {result.updated} updated{ignored})"
    )


@ingest_app.command("prices")
def ingest_prices(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX price table (wide or long)")],
    market: Annotated[str | None, typer.Option(help="market the prices are from")] = None,
    region: Annotated[
        str | None, typer.Option(help="BPS region code the prices are for (18: Lampung)")
    ] = None,
    commodity: Annotated[
        list[str], typer.Option(help="FILE NAME=price commodity code, repeatable")
    ] = [],  # noqa: B006
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet")] = None,
    source: SourceOpt = None,
    title: TitleOpt = None,
) -> None:
    """Load food prices (harga pangan), all-or-nothing; loading again changes nothing."""
    from layers.prices import ingest_prices as load_prices
    from layers.writer import SourceInfo

    url = _ready_url(DatabaseSettings())
    engine = make_engine(url, statement_timeout_ms=600_000)
    src = SourceInfo(id=source or file.name, title=title or file.name)
    try:
        with engine.connect() as conn:
            rep = load_prices(
                conn,
                file,
                market=market,
                region=region,
                source=src,
                commodity_map=_parse_map(commodity),
                sheet=sheet,
            )
    except IngestError as exc:
        raise _fail(f"{file.name}: {exc} — nothing was written") from None
    finally:
        engine.dispose()
    console.print(
        f"[green]{rep.prices:,} prices[/] and {rep.gaps:,} gaps from {rep.rows_read:,} rows "
        f"({rep.layout}), {rep.first_date} to {rep.last_date}, "
        f"{len(rep.commodities)} commodities"
    )


@graph_app.command("build")
def graph_build(
    source: Annotated[
        list[Path],
        typer.Argument(
            help="one .osm, .osm.bz2 or .osm.pbf; or one or more .gpkg, .shp or .geojson "
            "road-line files built into one graph (e.g. each RBI folder's JALAN_LN_50K.shp)"
        ),
    ],
    profile: Annotated[
        list[str], typer.Option(help="motorcycle, car, truck or walk; repeatable")
    ] = ["motorcycle"],  # noqa: B006 - typer needs a literal default
    out: Annotated[Path | None, typer.Option(help="output file (one profile) or folder")] = None,
    preset: Annotated[str | None, typer.Option(help="road columns: rbi, osm_shp or osm")] = None,
    layer: Annotated[str | None, typer.Option(help="layer inside a GeoPackage")] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(help="name of each file in the report, in file order; repeatable"),
    ] = None,
    join_tolerance: Annotated[
        float | None,
        typer.Option(
            min=0, help="join line ends of different files this close, in metres [default: 1]"
        ),
    ] = None,
    min_component_km: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="keep every strongly connected component with this much road, and the "
            "largest [default: 25]",
        ),
    ] = None,
    default_class: Annotated[
        str | None,
        typer.Option(
            help="road class of a .shp whose .dbf is missing; 'none' refuses such files "
            "[default: unclassified]"
        ),
    ] = None,
    motorcycle_path_speed: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=80,
            help="motorcycle km/h on Jalan Setapak / OSM path; 0 bars them [default: 10]",
        ),
    ] = None,
    ferries: Annotated[
        bool, typer.Option("--ferries/--no-ferries", help="add the database's ferry links")
    ] = False,
    format_: Annotated[
        int,
        typer.Option(
            "--format",
            min=2,
            max=3,
            help="2: one compiled graph per profile (what the API loads today); 3: the "
            "network store, all profiles built at once by the streaming build into "
            "<folder>/network/ and <folder>/<profile>.npz",
        ),
    ] = 2,
) -> None:
    """Build, compile and save routable graphs from road files (never downloads).

    Several GIS line files become one graph: line ends cut at a common border are
    joined, and every component of at least --min-component-km km is kept. The
    defaults come from LAMPUNG_GEO_ROUTING_* settings.
    """
    from geo_api.networks import build_network_file, build_options, ferries_from_db
    from routing.errors import RoutingError
    from routing.network import graph_path

    settings = Settings()
    options = build_options(settings.routing)
    if join_tolerance is not None:
        options["join_tolerance_m"] = join_tolerance
    if min_component_km is not None:
        options["min_component_km"] = min_component_km
    if default_class is not None:
        cls = default_class.strip().lower()
        options["default_class"] = None if cls == "none" else cls
    if motorcycle_path_speed is not None:
        options["motorcycle_path_speed_kph"] = motorcycle_path_speed
    links = []
    if ferries:
        with make_engine(_ready_url(settings.database)).connect() as conn:
            links = ferries_from_db(conn)
    if format_ == 3:
        folder = out or settings.routing.graph_dir
        if folder.suffix == ".npz":
            raise _fail("with --format 3, --out names the graph folder (network/ goes in it)")
        _build_store(source, folder, profile, links, label, preset, layer, dict(options))
        return
    for name in profile:
        try:
            target = graph_path(out or settings.routing.graph_dir, name)
            if out is not None and len(profile) == 1 and out.suffix:
                target = out
            report, compiled, seconds = build_network_file(
                source,
                target,
                profile=name,
                ferries=links,
                labels=label or None,
                preset=preset,
                layer=layer,
                progress=True,
                **options,
            )
        except RoutingError as exc:
            raise _fail(str(exc)) from None
        console.print(str(report), markup=False, highlight=False)
        console.print(
            f"[green]{name}[/]: {compiled.n_nodes:,} nodes, {compiled.n_edges:,} edges "
            f"({len(links)} ferry links) compiled and saved in {seconds:.2f} s → {target}"
        )


def _build_store(
    source: list[Path],
    folder: Path,
    profiles: list[str],
    links: list[Any],
    label: list[str] | None,
    preset: str | None,
    layer: str | None,
    options: dict[str, Any],
) -> None:
    """``graph build --format 3``: every profile at once into a network store."""
    import json

    from geo_api.networks import build_network_store
    from routing.errors import RoutingError

    try:
        built, seconds = build_network_store(
            source,
            folder,
            profiles=profiles,
            ferries=links,
            labels=label or None,
            preset=preset,
            layer=layer,
            progress=True,
            **options,
        )
    except RoutingError as exc:
        raise _fail(str(exc)) from None
    for made in built.profiles:
        console.print(str(built.reports[made.profile]), markup=False, highlight=False)
    meta = json.loads((folder / "network" / "meta.json").read_text())
    counts = meta["counts"]
    derived = ", ".join(f"{k} {v['status']}" for k, v in meta["derived"].items())
    console.print(
        f"[green]network store[/] (format {meta['format_version']}): {counts['nodes']:,} nodes, "
        f"{counts['arcs']:,} arcs shared by {', '.join(profiles)} ({len(links)} ferry links; "
        f"derived indexes: {derived}); written in {seconds:.2f} s → {folder}"
    )


@app.command("demo")
def demo(
    serve_: Annotated[bool, typer.Option("--serve", help="then serve the API")] = False,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Load the bundled DEMO data (and serve it with --serve)."""
    from geo_api.networks import build_demo_graphs
    from layers.demo import load_demo

    settings = Settings()
    url = _ready_url(settings.database)
    with make_engine(url, statement_timeout_ms=600_000).connect() as conn:
        counts = load_demo(conn)
        with console.status("building the demo road graphs"):
            built = build_demo_graphs(conn, settings.routing.graph_dir)
    table = Table(title="DEMO data loaded (generated from public facts, not survey data)")
    table.add_column("layer")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)
    console.print(
        f"demo road graphs in {settings.routing.graph_dir}: "
        + (f"built {', '.join(built)}" if built else "up to date")
    )
    if serve_:
        serve(host=host, port=port)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help=(
                "worker processes on one listening socket; the road networks are loaded "
                "once before the workers fork, so they share one copy"
            ),
        ),
    ] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs).

    Logs are JSON lines on stderr, one per request (``LAMPUNG_GEO_LOG_JSON=false`` for
    text). On SIGTERM or Ctrl-C the server stops accepting connections, lets the
    requests in flight finish (up to ``LAMPUNG_GEO_GRACEFUL_SHUTDOWN_S``, 30 s), then
    closes the database pool. With ``--workers N`` the parent loads the road networks
    (memory-mapped network store, CCH, snapping index), binds the socket and forks N
    workers; each makes its own database pool; SIGTERM/SIGINT to the parent reaches
    every worker.
    """
    import uvicorn

    from geo_api.app import create_app
    from geo_api.observability import configure_logging

    settings = Settings()
    _ready_url(settings.database)
    host = host or settings.api.host
    port = port or settings.api.port
    configure_logging(settings.ops)
    console.print(f"serving on [bold]http://{host}:{port}[/] (docs: /docs)")
    config: dict[str, Any] = {
        "log_level": settings.ops.log_level.lower(),
        "access_log": False,  # our middleware writes one JSON line per request
        "timeout_graceful_shutdown": settings.api.graceful_shutdown_s,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **config)
        return
    _serve_forked(settings, host, port, workers, config)


def _serve_forked(
    settings: Settings, host: str, port: int, workers: int, config: dict[str, Any]
) -> None:
    """Load the networks, bind, fork ``workers`` uvicorn servers on the socket, wait."""
    import contextlib
    import logging
    import os
    import signal
    import socket

    import uvicorn

    from geo_api.app import create_app
    from geo_api.networks import load_all

    networks = load_all(settings.routing.graph_dir, snap_max_m=settings.routing.snap_max_m)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own app (database pool made in its lifespan)
            code = 0
            try:
                server = uvicorn.Server(
                    uvicorn.Config(create_app(settings, networks=networks), **config)
                )
                server.run(sockets=[sock])
            except BaseException:  # a worker never returns into the parent's code
                logging.getLogger("lampung_geo.api").exception("worker %d failed", os.getpid())
                code = 1
            os._exit(code)
        children.append(pid)
    sock.close()

    forwarded: set[int] = set()

    def forward(signum: int, _frame: Any) -> None:
        forwarded.add(signum)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        # uvicorn re-raises the signal it stopped on once it has shut down gracefully
        failed += code != 0 and -code not in forwarded
    if failed:
        raise _fail(f"{failed} of {workers} workers ended with an error")


def main() -> None:
    """Console entry point: domain errors end in one clear line, never a traceback.

    Set ``LAMPUNG_GEO_DEBUG=1`` to see the traceback of an unexpected error.
    """
    import os

    try:
        app(standalone_mode=True)
    except (typer.Exit, SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("LAMPUNG_GEO_DEBUG"):
            raise
        console.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}")
        console.print("(set LAMPUNG_GEO_DEBUG=1 to see the traceback)")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
