"""`clarity demo`: build the demo practice and show what Clarity does with it.

The generator (`store.demo`) and the briefing graph load inside the commands, so `clarity
--help` does not pay for them.
"""

from __future__ import annotations

from datetime import date
from time import perf_counter
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_brief import summary_line
from clarity.cli_common import dollars, fail, open_engine, settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.demo import DemoConfig

# store.demo.DEFAULT_AS_OF, written out so that the help does not import the generator
# (tests/clarity/test_cli_scope.py checks they agree).
DEMO_AS_OF = "2026-11-24"

app = typer.Typer(help="The demo practice: build it, brief on it, serve it.")
console = Console()


def _has_practice(engine: Engine) -> bool:
    from sqlalchemy import func, select

    from store import models as m

    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(m.Organization)).scalar())


def _build(engine: Engine, config: DemoConfig, replace: bool) -> None:
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from store.demo import build_demo, write_manifest

    started = perf_counter()
    with Progress(
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed:>7,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        manifest = build_demo(engine, config, replace=replace, progress=report)
    current = settings()
    current.var_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = current.var_dir / "demo_manifest.json"
    write_manifest(manifest, manifest_path)
    console.print(
        f"built the demo practice (seed {config.seed}) in {perf_counter() - started:.1f} s; "
        f"planted patterns listed in {manifest_path}"
    )


def print_summary(engine: Engine) -> None:
    from store.summary import practice_summary

    summary = practice_summary(engine)
    console.rule(f"[bold]{summary.organization or 'Practice'}")
    locations = Table(title="Locations", show_edge=False)
    for column in ("id", "location", "time zone", "providers", "patients"):
        locations.add_column(column, justify="right" if column in ("id", "providers") else "left")
    for loc in summary.locations:
        locations.add_row(
            str(loc.id), loc.name, loc.timezone, str(loc.providers), f"{loc.patients:,}"
        )
    console.print(locations)
    revenue = Table(title="Net revenue by month (all locations)", show_edge=False)
    revenue.add_column("month")
    revenue.add_column("net revenue", justify="right")
    for month, cents in summary.revenue_by_month:
        revenue.add_row(month, dollars(cents))
    console.print(revenue)
    console.print(
        f"{len(summary.locations)} locations · {summary.providers} providers · "
        f"{summary.patients:,} patients · {summary.appointments:,} appointments"
    )


def show_briefing(engine: Engine) -> None:
    """Brief the owner on the whole practice for the last day with data, deliver it to the
    outbox (the demo owner's subscription) and show it as Markdown."""
    from rich.markdown import Markdown

    from agent.briefing.render import resolve_identities
    from agent.briefing.runner import brief
    from agent.briefing.subscriptions import ensure_owner_subscription
    from store.scope import ScopeError, resolve_scope

    current = settings()
    try:
        scope = resolve_scope(engine)
    except ScopeError as exc:
        fail(str(exc))
    organization_id = scope.organization_id
    ensure_owner_subscription(engine, organization_id, scope=f"org:{organization_id}")
    try:
        result = brief(
            engine,
            current,
            location_id=None,
            organization_id=organization_id,
            for_date=scope.as_of,
            deliver=True,
        )
    except Exception as exc:  # the demo must end cleanly; the error is shown, not hidden
        console.print(f"[bold red]briefing failed:[/] {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from None
    console.rule("[bold]Daily briefing")
    console.print(Markdown(resolve_identities(engine, result.rendered.markdown)))
    for delivery in result.deliveries:
        console.print(
            f"[dim]{delivery.channel} → {delivery.recipient}: {delivery.status}"
            f"{' (' + delivery.error + ')' if delivery.error else ''}[/]"
        )
    console.print(f"[dim]{summary_line(result)}; outbox: {current.resolved_outbox_dir}[/]")


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Accepted for later: there is no web app to serve yet."
    ),
    seed: int = typer.Option(7, help="Random seed of the demo practice (used when building)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild the demo data from scratch."),
) -> None:
    """Build the demo practice if missing, then show what Clarity makes of it."""
    if ctx.invoked_subcommand is not None:
        return
    from store.demo import DemoConfig

    engine = open_engine()
    if rebuild or not _has_practice(engine):
        _build(engine, DemoConfig(seed=seed), replace=rebuild)
    else:
        console.print("using the demo practice already built (pass --rebuild to start over)")
    print_summary(engine)
    show_briefing(engine)
    if not no_serve:
        console.print("[dim]the web app arrives with a later release; nothing to serve yet[/]")


@app.command("build")
def demo_build(
    seed: int = typer.Option(7, help="Random seed; the same seed gives the same data."),
    patients: int = typer.Option(15_000, min=200, help="Number of patients to generate."),
    as_of: str = typer.Option(
        DEMO_AS_OF, help="Last day of data (YYYY-MM-DD); later bookings follow."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace a practice already present."),
) -> None:
    """Generate the demo practice into the configured database."""
    from store.demo import DemoConfig

    try:
        last_day = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"--as-of must be YYYY-MM-DD, got {as_of!r}") from None
    engine = open_engine()
    _build(engine, DemoConfig(seed=seed, patients=patients, as_of=last_day), replace=replace)
