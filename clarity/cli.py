"""The `clarity` command: the composition root that wires settings, store, tools and agents.

Starting must stay cheap (`clarity --help` within 1.6× of importing Typer and SQLAlchemy, see
bench/cli_start.py): the command modules import the store, the tools and the agents inside the
functions that use them, never at module level.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from clarity import (
    cli_ask,
    cli_brief,
    cli_db,
    cli_demo,
    cli_detectors,
    cli_eval,
    cli_ingest,
    cli_jobs,
    cli_kpis,
    cli_outreach,
    cli_serve,
    cli_users,
    cli_worker,
    command_gc,
)

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
cli_serve.register(app)
cli_users.register(app)
app.add_typer(cli_outreach.app, name="outreach")
cli_worker.register(app)
cli_jobs.register(app)
app.add_typer(cli_eval.app, name="eval")
cli_ask.register(app)

_errors = Console(stderr=True)


def _is_user_error(exc: Exception) -> bool:
    """Errors whose message is meant for the user as it is (bad settings, an unreachable
    database, a demo already built). Their modules are loaded only when they could have raised."""
    kinds: list[type[Exception]] = []
    if "clarity.settings" in sys.modules:
        from clarity.settings import SettingsError  # store.db's DatabaseUnreachableError too

        kinds.append(SettingsError)
    if "store.demo" in sys.modules:
        from store.demo import DemoExistsError

        kinds.append(DemoExistsError)
    return isinstance(exc, tuple(kinds))


def main() -> None:
    """Entry point: known errors become one clear line and exit code 2, never a traceback."""
    command_gc.tune()
    try:
        app()
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        from clarity.literal import markup

        _errors.print(f"[bold red]error:[/] {markup(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    finally:
        command_gc.freeze()


if __name__ == "__main__":
    main()
