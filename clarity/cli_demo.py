"""`clarity demo`: build the demo practice and show what Clarity does with it.

    clarity demo [--no-serve] [--worker] [--rebuild] [--seed N]

builds the practice if missing, prints its summary and the owner's briefing, drafts outreach
for the briefing's call list (win-back) and the next-due reminders (the outreach graph up to
its approval interrupt, as `clarity outreach draft` does), shows the queue's counts by state,
creates one demo login per role and serves the web app (unless `--no-serve`); `--worker` also
runs `clarity worker` in the same process while it serves (scheduled briefings and sends).

The generator (`store.demo`), the graphs and the web app load inside the commands, so `clarity
--help` does not pay for them.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_brief import summary_line
from clarity.cli_common import dollars, fail, open_engine, settings
from clarity.literal import markup, terminal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.briefing.graph import BriefingResult
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
    console.rule(f"[bold]{markup(summary.organization or 'Practice')}")
    locations = Table(title="Locations", show_edge=False)
    for column in ("id", "location", "time zone", "providers", "patients"):
        locations.add_column(column, justify="right" if column in ("id", "providers") else "left")
    for loc in summary.locations:
        locations.add_row(
            str(loc.id),
            terminal(loc.name),
            terminal(loc.timezone),
            str(loc.providers),
            f"{loc.patients:,}",
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


def show_briefing(engine: Engine) -> BriefingResult:
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
    console.print(Markdown(resolve_identities(engine, result.rendered.markdown, markdown=True)))
    for delivery in result.deliveries:
        console.print(
            f"[dim]{delivery.channel} → {delivery.recipient}: {delivery.status}"
            f"{' (' + delivery.error + ')' if delivery.error else ''}[/]"
        )
    console.print(f"[dim]{summary_line(result)}; outbox: {current.resolved_outbox_dir}[/]")
    return result


#: Next-due reminders drafted by the demo (the practice has hundreds due; a queue to review
#: should fit on a few screens).
DEMO_NEXT_DUE = 20
#: One login per role: (role, e-mail). The owner is the briefing's subscriber
#: (agent.briefing.subscriptions.DEMO_OWNER_EMAIL); the others see the first location.
DEMO_LOGINS = (
    ("owner", "owner@demo.clarity.example.com"),
    ("manager", "manager@demo.clarity.example.com"),
    ("front_desk", "frontdesk@demo.clarity.example.com"),
    ("evaluator", "evaluator@demo.clarity.example.com"),
)


def draft_outreach(engine: Engine, result: BriefingResult) -> None:
    """Draft win-back messages for the briefing's call list and the first `DEMO_NEXT_DUE`
    next-due reminders, then show the queue's counts by state. Re-running drafts nothing twice
    (a candidate's thread and message are keyed by patient, purpose and day)."""
    from agent.outreach.candidates import next_due, win_back
    from clarity.cli_outreach import draft_candidates
    from store.scope import resolve_scope

    scope = resolve_scope(engine)
    calls = {c.patient_id for c in result.outline.call_list}
    found = [
        c
        for c in win_back(engine, scope.as_of, organization_id=scope.organization_id)
        if c.patient_id in calls
    ]
    found += next_due(engine, scope.as_of)[:DEMO_NEXT_DUE]
    ids, skipped = draft_candidates(found, as_of=scope.as_of.isoformat())
    console.rule("[bold]Outreach")
    console.print(
        f"{len(found)} candidates ({len(calls)} on the call list, next-due reminders): "
        f"{len(ids)} drafted, {skipped} not eligible (consent, opt-out, recent contact)",
        soft_wrap=True,  # one line whatever the terminal's width (scripts read it)
    )
    show_queue_counts(engine)


def queue_counts(engine: Engine) -> dict[str, int]:
    """Outreach messages per state (states with none left out)."""
    from sqlalchemy import func, select

    from store import tables as t

    m = t.outreach_message
    with engine.connect() as conn:
        rows = conn.execute(select(m.c.state, func.count()).group_by(m.c.state)).all()
    return {str(state): int(n) for state, n in sorted(rows)}


def show_queue_counts(engine: Engine) -> None:
    counts = queue_counts(engine)
    table = Table(title="Outreach queue", show_edge=False)
    table.add_column("state")
    table.add_column("messages", justify="right")
    for state, n in counts.items():
        table.add_row(state.replace("_", " "), str(n))
    console.print(table)
    console.print("[dim]review them at /queue, or `clarity outreach queue`[/]")


def _logins_file() -> Path:
    return settings().var_dir / "demo_logins.json"


def _saved_passwords(path: Path) -> dict[str, str]:
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def ensure_demo_logins(engine: Engine) -> list[tuple[str, str, str]]:
    """One user per role in the demo organization, (role, e-mail, password) each. Passwords
    are generated once and kept in var/demo_logins.json (readable by its owner only); a user
    whose password is not in that file gets a new one."""
    from sqlmodel import Session, col, select

    from api.security import hash_password
    from store.models import Location, Organization, User, UserLocation

    path = _logins_file()
    saved = _saved_passwords(path)
    logins: list[tuple[str, str, str]] = []
    with Session(engine) as session:
        org_id = session.exec(select(Organization.id).order_by(col(Organization.id))).first()
        location_id = session.exec(
            select(Location.id).where(Location.organization_id == org_id).order_by(col(Location.id))
        ).first()
        if org_id is None or location_id is None:
            fail("the store holds no practice; run `clarity demo build`")
        for role, email in DEMO_LOGINS:
            password = saved.get(email)
            user = session.exec(select(User).where(User.email == email)).first()
            if user is None or password is None:
                password = password or secrets.token_urlsafe(12)
                if user is None:
                    user = User(
                        organization_id=org_id,
                        email=email,
                        name=f"Demo {role.replace('_', ' ')}",
                        role=role,
                    )
                user.password_hash = hash_password(password)
                session.add(user)
                session.flush()
                assert user.id is not None
                if (
                    role != "owner"
                    and not session.exec(
                        select(UserLocation).where(UserLocation.user_id == user.id)
                    ).first()
                ):
                    session.add(UserLocation(user_id=user.id, location_id=location_id))
            saved[email] = password
            logins.append((role, email, password))
        session.commit()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2))
    os.chmod(path, 0o600)
    return logins


def show_logins(logins: list[tuple[str, str, str]]) -> None:
    table = Table(title=f"Demo logins (kept in {_logins_file()})", show_edge=False)
    for column in ("role", "e-mail", "password"):
        table.add_column(column)
    for role, email, password in logins:
        table.add_row(role.replace("_", " "), email, password)
    console.print(table)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Stop after drafting outreach; do not serve the web app."
    ),
    seed: int = typer.Option(7, help="Random seed of the demo practice (used when building)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild the demo data from scratch."),
    worker: bool = typer.Option(
        False,
        "--worker/--no-worker",
        help="While serving, also run the scheduler and job runner in this process "
        "(as `clarity worker` does).",
    ),
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
    result = show_briefing(engine)
    draft_outreach(engine, result)
    show_logins(ensure_demo_logins(engine))
    if not no_serve:
        from clarity.cli_serve import serve

        current = settings()
        stop_worker = None
        if worker:
            from schedules.worker import start_in_background

            stop_worker = start_in_background(
                engine,
                current,
                on_state=lambda state: console.print(f"worker: {state}"),
                on_error=lambda exc: console.print(f"[bold red]worker:[/] {exc}", highlight=False),
            )
        console.print(f"serving Clarity at http://{current.host}:{current.port} (Ctrl-C stops)")
        try:
            serve(host=current.host, port=current.port)
        finally:
            if stop_worker is not None:
                stop_worker()


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
