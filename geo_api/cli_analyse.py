"""``lampung-geo analyse …``: analysis commands.

Created minimal by the logistics work (issue #5) with ``allocate``; the coverage
commands of issue #4 (``coverage``, ``sites``, in :mod:`geo_api.cli_coverage`) join this
same ``analyse_app`` group.
"""

from __future__ import annotations

import typer

from geo_api.cli_coverage import coverage_command, sites_command
from geo_api.cli_logistics import allocate_command

analyse_app = typer.Typer(help="Analyses: supply allocation, coverage.", no_args_is_help=True)
analyse_app.command("allocate")(allocate_command)
analyse_app.command("coverage")(coverage_command)
analyse_app.command("sites")(sites_command)
