"""``lampung-geo import``: whole government deliveries in one command."""

from __future__ import annotations

import typer

import_app = typer.Typer(
    help="Import whole government deliveries (BIG RBI folders).", no_args_is_help=True
)
