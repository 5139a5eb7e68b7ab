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
    from sqlalchemy import Engine

    from clarity.settings import Settings
    from tools.facts import Fact
    from tools.scope import Period, Scope
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
    more: bool = typer.Option(
        False,
        "--more",
        help="The seed's further metrics: acquisition costs, rebooking by cohort and "
        "treatment, slots by weekday × hour, margin per location, hours after pay.",
    ),
    as_json: bool = JSON,
) -> None:
    """Headline KPIs with the previous period, industry benchmark and portfolio peers."""
    from tools.kpis import kpi_snapshot
    from tools.scope import Scope

    ctx = store_context(org=org, location=location, as_of=as_of)
    chosen = _period(period, ctx.as_of)
    if more:
        _more(ctx.engine, Scope(ctx.organization_id, location), chosen, as_json)
        return
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


def _more(engine: Engine, scope: Scope, chosen: Period, as_json: bool) -> None:
    """`kpis --more`: `tools.seed_metrics.more_metrics` as tables or JSON."""
    from tools.seed_metrics import more_metrics

    with scope_errors():
        result = more_metrics(engine, scope, chosen)
    if as_json:
        print(
            json.dumps(
                result.model_dump(
                    mode="json",
                    exclude={
                        "kpis": {"__all__": {"facts"}},
                        "provider_hours": {"__all__": {"facts"}},
                    },
                ),
                indent=2,
            )
        )
        return

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    def usd(value: float | None) -> str:
        if value is None:
            return "—"
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"

    head = Table(title=f"More metrics — {chosen.label()}", show_edge=False)
    head.add_column("metric")
    head.add_column("value", justify="right")
    head.add_column("definition")
    for kpi in result.kpis:
        shown = kpi.fact.display() if kpi.value is not None else "—"
        head.add_row(kpi.label, shown, kpi.definition)
    for row in result.rebooking_by_cohort:
        head.add_row(
            f"Rebooking, {row.cohort} patients",
            pct(row.rate),
            f"{row.rebooked} of {row.eligible} visits",
        )
    for reb in result.rebooking_by_treatment:
        head.add_row(
            f"Rebooking, {reb.category}", pct(reb.rate), f"{reb.rebooked} of {reb.eligible} visits"
        )
    for cac in result.cac_by_first_treatment:
        head.add_row(
            f"CAC, first treatment {cac.category}", usd(cac.cac), f"{cac.new_patients} new patients"
        )
    for mix in result.treatment_mix:
        top = ", ".join(f"{line.item} {pct(line.share)}" for line in mix.top)
        head.add_row(f"Gross margin, {mix.name}", pct(mix.margin), f"largest: {top}")
    for hour in result.provider_hours:
        name = hour.fact.label.rsplit(", ", 1)[0]  # "…, Ana Test, 2026-10" → "…, Ana Test"
        head.add_row(name, usd(hour.value), hour.details.get("payroll_note") or "")
    for day in result.weekdays:
        head.add_row(
            f"Utilization, {day.weekday_name}",
            pct(day.utilization),
            f"{day.booked_minutes:,} of {day.available_minutes:,} minutes",
        )
    for cell in result.best_slots:
        head.add_row(
            f"Revenue per booked hour, {cell.weekday_name} {cell.hour:02d}:00",
            usd(cell.revenue_per_booked_hour),
            f"{cell.completed} visits",
        )
    console.print(head)


def findings(
    location: int | None = LOCATION,
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    save: bool = typer.Option(False, "--save", help="Store them (upsert by fingerprint)."),
    summary: bool = typer.Option(
        False,
        "--summary",
        help="The total opportunity instead: the seed's gaps in $/year and % of revenue.",
    ),
    as_json: bool = JSON,
) -> None:
    """Gaps worth attention, with dollars attached, largest first."""
    from tools.findings import compute_findings, persist_findings

    ctx = store_context(org=org, location=location, as_of=as_of)
    day = ctx.as_of
    if summary:
        _opportunity(ctx.engine, ctx.organization_id, location, day, as_json)
        return
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


def _opportunity(
    engine: Engine, organization_id: int, location: int | None, day: date, as_json: bool
) -> None:
    """`findings --summary`: `tools.opportunity.total_opportunity` as a table or JSON."""
    from tools.opportunity import GAP_LABELS, GAPS, total_opportunity

    with scope_errors():
        result = total_opportunity(
            engine,
            organization_id=organization_id,
            as_of=day,
            location_id=location,
            targets=targets_from(settings()),
        )
    if as_json:
        print(json.dumps(result.model_dump(mode="json", exclude={"facts"}), indent=2))
        return
    table = Table(
        title=f"Total opportunity, $/year — {result.period_start}..{result.period_end}",
        show_edge=False,
    )
    table.add_column("location")
    for gap in GAPS:
        table.add_column(GAP_LABELS[gap], justify="right")
    table.add_column("total", justify="right")
    table.add_column("% of revenue", justify="right")

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    for row in result.by_location:
        by_gap = {g.gap: g.dollars_per_year for g in row.gaps}
        table.add_row(
            row.name,
            *[f"${by_gap[gap]:,.0f}" for gap in GAPS],
            f"${row.total_per_year:,.0f}",
            share(row.share_of_revenue),
        )
    if len(result.by_location) > 1:
        table.add_row(
            "organization",
            *[f"${result.gaps[gap]:,.0f}" for gap in GAPS],
            f"${result.total_per_year:,.0f}",
            share(result.share_of_revenue),
        )
    console.print(table)
    console.print(
        f"Total: ${result.total_per_year:,.0f}/year, {share(result.share_of_revenue)} of "
        f"${result.revenue_year:,.0f} net revenue. Formulas: tools/opportunity.py.",
        highlight=False,
    )


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
