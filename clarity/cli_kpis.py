"""`clarity kpis`, `clarity findings`, `clarity provider-pnl`: the practice numbers in a terminal.

Defaults: the organization is `--org` or the store's only one; the as-of date is the last day
with any activity (sales, appointment outcomes, leads; see `store.scope`), and a later `--as-of`
is refused; the period is the last complete calendar month before it (or the as-of month when
as-of is its last day). The tools load inside each command, so `clarity --help` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_common import fail, scope_errors, settings, store_context
from clarity.literal import markup, terminal

if TYPE_CHECKING:
    from clarity.settings import Settings
    from tools.facts import Fact
    from tools.scope import Period
    from tools.targets import Targets

console = Console()

LOCATION = typer.Option(None, "--location", help="Location id (default: the whole organization).")
PERIOD = typer.Option(
    None, "--period", help="YYYY-MM, last-30d or YYYY-MM-DD..YYYY-MM-DD (default: last full month)."
)
AS_OF = typer.Option(
    None, "--as-of", help="YYYY-MM-DD (default: the last day with data; later days are refused)."
)
JSON = typer.Option(False, "--json", help="Print JSON for machines instead of a table.")
ORG = typer.Option(
    None, "--org", help="Organization id (needed when the store holds several organizations)."
)


def _period(text: str | None, as_of: date) -> Period:
    from tools.kpi_base import last_complete_month
    from tools.scope import Period

    if not text:
        return last_complete_month(as_of)
    try:
        return Period.parse(text, as_of)
    except ValueError as exc:
        fail(f"--period: {exc}")


def _show(fact: Fact | None) -> str:
    return "—" if fact is None else fact.display()


def kpis(
    location: int | None = LOCATION,
    period: str | None = PERIOD,
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    as_json: bool = JSON,
) -> None:
    """Headline KPIs with the previous period, industry benchmark and portfolio peers."""
    from tools.kpis import kpi_snapshot
    from tools.scope import Scope

    ctx = store_context(org=org, location=location, as_of=as_of)
    chosen = _period(period, ctx.as_of)
    with scope_errors():
        snapshot = kpi_snapshot(ctx.engine, Scope(ctx.organization_id, location), chosen)
    if as_json:
        print(json.dumps(snapshot.model_dump(mode="json"), indent=2))
        return
    table = Table(
        title=f"{markup(snapshot.name)} — {chosen.label()} (vs {snapshot.previous_start:%Y-%m-%d}.."
        f"{snapshot.previous_end:%Y-%m-%d})",
        show_edge=False,
    )
    for column in ("KPI", "value", "previous", "industry", "peer rank", "peer median"):
        table.add_column(column, justify="left" if column in ("KPI", "industry") else "right")
    for entry in snapshot.entries:
        current = entry.current.fact
        peers = entry.peers
        median = None
        if peers is not None and peers.median is not None:
            median = current.model_copy(update={"value": peers.median})
        table.add_row(
            terminal(entry.current.label),
            _show(current),
            _show(entry.previous.fact),
            (entry.industry.words or "—") if entry.industry else "—",
            f"{peers.rank}/{peers.peers}" if peers and peers.rank else "—",
            _show(median),
        )
    console.print(table)


def findings(
    location: int | None = LOCATION,
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    save: bool = typer.Option(False, "--save", help="Store them (upsert by fingerprint)."),
    as_json: bool = JSON,
) -> None:
    """Gaps worth attention, with dollars attached, largest first."""
    from tools.findings import compute_findings, persist_findings

    ctx = store_context(org=org, location=location, as_of=as_of)
    day = ctx.as_of
    with scope_errors():
        drafts = compute_findings(
            ctx.engine,
            organization_id=ctx.organization_id,
            as_of=day,
            location_id=location,
            targets=targets_from(settings()),
        )
    new: dict[str, bool] = {}
    if save:
        for stored in persist_findings(ctx.engine, drafts, now=datetime.now(UTC)):
            new[stored.draft.fingerprint()] = stored.is_new
    if as_json:
        print(json.dumps([d.model_dump(mode="json") for d in drafts], indent=2))
        return
    table = Table(title=f"Findings as of {day.isoformat()}", show_edge=False)
    for column in ("$/month", "kind", "scope", "finding", "formula"):
        table.add_column(column, justify="right" if column == "$/month" else "left")
    for draft in drafts:
        marker = " (new)" if new.get(draft.fingerprint()) else ""
        table.add_row(
            f"${draft.dollars:,.0f}",
            draft.kind,
            terminal(draft.scope),
            terminal(draft.title + marker),
            terminal(draft.formula),
        )
    console.print(table)
    if not drafts:
        console.print("no findings: nothing crosses its threshold with enough data")


def provider_pnl_command(
    location: int | None = LOCATION,
    period: str | None = PERIOD,
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    as_json: bool = JSON,
) -> None:
    """Provider P&L: production − compensation (prorated payroll) − cost of goods."""
    from tools.kpis import provider_pnl
    from tools.scope import Scope

    ctx = store_context(org=org, location=location, as_of=as_of)
    chosen = _period(period, ctx.as_of)
    with scope_errors():
        rows = provider_pnl(ctx.engine, Scope(ctx.organization_id, location), chosen)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table(title=f"Provider P&L — {chosen.label()}", show_edge=False)
    for column in (
        "provider",
        "location",
        "production",
        "compensation",
        "cost of goods",
        "profit",
        "comp ratio",
        "payroll",
    ):
        table.add_column(column, justify="left" if column in ("provider", "location") else "right")

    def usd(value: float | None) -> str:
        return "unknown" if value is None else f"${value:,.0f}"

    for row in rows:
        table.add_row(
            row.name,
            row.location_name,
            usd(row.production),
            usd(row.compensation) + ("" if row.compensation_known else " (no payroll)"),
            usd(row.cost_of_goods),
            usd(row.profit),
            "—" if row.comp_to_production is None else f"{row.comp_to_production:.1%}",
            _coverage(row.payroll_days_covered, row.period_days, row.compensation_known),
        )
    console.print(table)
    if any(row.payroll_partial for row in rows):
        console.print(
            "Where payroll covers part of the period, profit and comp ratio use only the days "
            "it covers (production on those days)."
        )


def targets_from(current: Settings) -> Targets:
    """The findings' targets from the `CLARITY_TARGET_*` settings."""
    from tools.targets import Targets

    return Targets.from_settings(current)


def _coverage(days: int, period_days: int, known: bool) -> str:
    """The payroll column: 'full' or 'covers 21 of 30 days' (a partial-payroll period)."""
    if not known:
        return "—"
    return "full" if days >= period_days else f"covers {days} of {period_days} days"


def register(app: typer.Typer) -> None:
    """Add the three commands to the root `clarity` app."""
    app.command("kpis")(kpis)
    app.command("findings")(findings)
    app.command("provider-pnl")(provider_pnl_command)
