"""The `clarity` command: the composition root that wires settings, store, tools and agents."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from clarity import cli_brief, cli_db, cli_demo, cli_detectors, cli_ingest, cli_kpis, cli_outreach
from clarity.settings import SettingsError
from store.demo import DemoExistsError

app = typer.Typer(
    name="clarity",
    help="Clarity — practice intelligence for medical-aesthetics practices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cli_db.app, name="db")
app.add_typer(cli_demo.app, name="demo")
app.command("ingest")(cli_ingest.ingest)
cli_kpis.register(app)
cli_detectors.register(app)
app.command("brief")(cli_brief.brief)
app.add_typer(cli_outreach.app, name="outreach")

_errors = Console(stderr=True)


def main() -> None:
    """Entry point: known errors become one clear line and exit code 2, never a traceback."""
    try:
        app()
    except (SettingsError, DemoExistsError) as exc:
        _errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
