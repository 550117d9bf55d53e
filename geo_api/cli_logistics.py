"""CLI for logistics: ``lampung-geo keys …`` and ``lampung-geo analyse allocate``.

``keys_app`` is added to the main app as ``keys``; :func:`allocate_command` is
registered on the ``analyse`` group (``geo_api/cli_analyse.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

keys_app = typer.Typer(help="API keys for write access (stored hashed).", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _url() -> str:
    from geo_api.cli import _ready_url
    from geo_api.settings import DatabaseSettings

    return _ready_url(DatabaseSettings())


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="viewer, planner or admin")] = "planner",
    name: Annotated[str | None, typer.Option(help="who or what the key is for")] = None,
    agency: Annotated[
        str | None, typer.Option(help="OPD scope for citizen reports, e.g. dinkes")
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="with --agency: BPS code prefix, e.g. 1810")
    ] = None,
) -> None:
    """Make a key and print it once (only its hash is stored)."""
    from layers.apikeys import create_key
    from layers.db.engine import make_engine
    from layers.errors import InvalidParameterError

    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            key, info = create_key(conn, role=role, name=name, agency=agency, area_code=area)
    except InvalidParameterError as exc:
        raise _fail(exc.reason, 2) from None
    finally:
        engine.dispose()
    console.print(
        f"[green]created[/] key {info.prefix} with role [bold]{info.role}[/]; it is shown "
        "only now — send it in the X-API-Key header:"
    )
    out.print(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (prefix, role, name, OPD scope, created, revoked); never the keys."""
    from layers.apikeys import list_keys
    from layers.db.engine import make_engine

    engine = make_engine(_url())
    with engine.connect() as conn:
        rows = list_keys(conn)
    engine.dispose()
    table = Table(title="API keys")
    for col in ("prefix", "role", "name", "scope", "created", "revoked"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["prefix"],
            r["role"],
            r["name"] or "",
            " ".join(x for x in (r.get("agency"), r.get("area_code")) if x),
            f"{r['created_at']:%Y-%m-%d %H:%M}",
            f"{r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="the key's prefix")]) -> None:
    """Revoke a key: it stops working at once."""
    from layers.apikeys import revoke_key
    from layers.db.engine import make_engine
    from layers.errors import FeatureNotFoundError

    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            revoke_key(conn, prefix)
    except FeatureNotFoundError as exc:
        raise _fail(exc.reason) from None
    finally:
        engine.dispose()
    console.print(f"revoked {prefix}")


def allocate_command(
    month: Annotated[int, typer.Option(min=1, max=12, help="month 1-12")],
    year: Annotated[int | None, typer.Option(help="default: this year")] = None,
    vehicle_class: Annotated[str, typer.Option(help="vehicle_classes.code")] = "heavy_truck",
    fuel: Annotated[str, typer.Option(help="solar or dexlite")] = "solar",
    ferry_share: Annotated[
        float | None, typer.Option(help="share of ferry capacity for freight (0-1)")
    ] = None,
    commodity: Annotated[str | None, typer.Option(help="only this commodity")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="write the flows as GeoJSON")] = None,
) -> None:
    """Minimum-cost allocation of the month's farm supply to the markets (HiGHS LP)."""
    from geo_api.logistics import PROFILE_FOR_CLASS, allocate_from_db
    from geo_api.logistics_output import allocation_body
    from geo_api.settings import Settings
    from layers.db.engine import make_engine
    from layers.errors import LayersError
    from routing.errors import RoutingError
    from routing.network import Network, graph_path

    settings = Settings()
    engine = make_engine(_url(), statement_timeout_ms=600_000)
    profile = PROFILE_FOR_CLASS.get(vehicle_class, "truck")
    path = graph_path(settings.routing.graph_dir, profile)
    if not path.exists():
        raise _fail(f"no {profile} road graph at {path}: run `lampung-geo demo` or `graph build`")
    networks = {profile: Network.load(path, snap_max_m=settings.routing.snap_max_m)}
    try:
        with engine.connect() as conn:
            answer = allocate_from_db(
                conn,
                networks,
                month=month,
                year=year or datetime.now().year,
                vehicle_class=vehicle_class,
                fuel=fuel,
                ferry_share=ferry_share,
                commodity=commodity,
            )
    except (LayersError, RoutingError) as exc:
        raise _fail(getattr(exc, "reason", str(exc))) from None
    finally:
        engine.dispose()
    body = allocation_body(answer)
    s = body["summary"]
    table = Table(title=f"Allocation {s['year']}-{s['month']:02d} ({s['vehicle_class']}, {fuel})")
    for col in ("farm", "market", "commodity", "tonnes", "cost IDR", "IDR/t"):
        table.add_column(col, justify="right" if col in ("tonnes", "cost IDR", "IDR/t") else "left")
    for f in sorted(body["features"], key=lambda f: -f["properties"]["tonnes"])[:25]:
        p = f["properties"]
        table.add_row(
            p["farm"],
            p["market"],
            p["commodity"],
            f"{p['tonnes']:,.1f}",
            f"{p['cost_idr']:,}",
            f"{p['cost_per_t_idr']:,}",
        )
    out.print(table)
    out.print(
        f"{body['numberReturned']} flows, {s['delivered_t']:,.1f} t delivered of "
        f"{s['demand_t']:,.1f} t demanded; total cost Rp {s['total_cost_idr']:,}; "
        f"solved in {s['solve_seconds'] * 1000:.1f} ms ({s['status']})"
    )
    for u in s["unmet"]:
        if u["tonnes"] > 0:
            out.print(f"[yellow]unmet[/]: {u['market']} {u['commodity']} {u['tonnes']:,.1f} t")
    for fr in s["ferry"]:
        cap = "unlimited" if fr["capacity_t"] is None else f"{fr['capacity_t']:,.0f} t"
        out.print(f"ferry link {fr['ferry_link_id']}: {fr['used_t']:,.1f} t of {cap}")
    if output is not None:
        output.write_text(json.dumps(body, default=str))
        console.print(f"wrote {output}")
