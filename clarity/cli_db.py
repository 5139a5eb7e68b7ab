"""`clarity db …`: schema management."""

from __future__ import annotations

import typer
from rich.console import Console

from clarity.cli_common import open_engine

app = typer.Typer(help="Database schema: apply migrations, show the current revision.")
console = Console()


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (safe to run again)."""
    from store.migrate import current_revision

    engine = open_engine()
    console.print(f"database at revision [bold]{current_revision(engine)}[/] (head)")


@app.command("current")
def db_current() -> None:
    """Show the applied revision and the newest available one."""
    from store.migrate import current_revision, head_revision

    engine = open_engine(migrate=False)
    console.print(f"applied: {current_revision(engine) or 'none'}; head: {head_revision()}")
