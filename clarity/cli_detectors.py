"""`clarity anomalies | at-risk | no-show-risk | forecast`: the detectors, for staff.

Patient names appear only in these tables (the practice's own staff reading their own data);
JSON output and everything logged identify patients by pseudonym (`P-<id>`).

Scope comes from `store.scope` (through `store_context`): `--org` when the store holds several
organizations, an unknown `--location` exits 2, and an `--as-of` after the last day with data is
refused except by `forecast`. The detectors (scikit-learn, scipy, numpy) load inside each command.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_common import StoreContext, errors, fail, parse_day, store_context
from clarity.literal import markup, terminal

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()

LOCATION = typer.Option(None, "--location", help="Only this location id.")
AS_OF = typer.Option(None, "--as-of", help="YYYY-MM-DD; default: the last day with data.")
ORG = typer.Option(
    None, "--org", help="Organization id (needed when the store holds several organizations)."
)
JSON = typer.Option(False, "--json", help="Machine-readable output.")
DEFAULT_AT_RISK_LIMIT = 25


def register(app: typer.Typer) -> None:
    app.command("anomalies")(anomalies)
    app.command("at-risk")(at_risk)
    app.command("no-show-risk")(no_show_risk)
    app.command("forecast")(forecast)


def _context(
    org: int | None, location: int | None, as_of: str | None, *, forecast: bool = False
) -> StoreContext:
    return store_context(org=org, location=location, as_of=as_of, allow_after_last_day=forecast)


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def anomalies(
    location: int | None = LOCATION,
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    series: Path | None = typer.Option(
        None, "--series", help="Score any `timestamp,value` CSV instead of the practice data."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="With --series: |score| counted as anomalous (default 5)."
    ),
    season: str | None = typer.Option(
        None,
        "--season",
        help="With --series: weekly | daily | none (default: weekly for a daily series, "
        "daily for an hourly one).",
    ),
    min_history: int | None = typer.Option(
        None,
        "--min-history",
        min=2,
        max=52,
        help="With --series: cycles of history a point needs before it is scored (default 8).",
    ),
    bucket: str | None = typer.Option(
        None,
        "--bucket",
        help="With --series: hour | day: sum values per hour or day first; a partial first or "
        "last bucket is ignored.",
    ),
    as_json: bool = JSON,
) -> None:
    """Anomalies vs each series' own same-weekday baseline (or in a CSV series)."""
    series_options = {
        "--threshold": threshold,
        "--season": season,
        "--min-history": min_history,
        "--bucket": bucket,
    }
    given = [name for name, value in series_options.items() if value is not None]
    if series is None and given:
        fail(f"{', '.join(given)}: only with --series")
    if series is not None:
        _series_anomalies(series, as_json, threshold, season, min_history, bucket)
        return
    from tools.anomalies import detect_anomalies

    ctx = _context(org, location, as_of)
    day = ctx.as_of
    drafts = detect_anomalies(
        ctx.engine, organization_id=ctx.organization_id, as_of=day, location_id=location
    )
    if as_json:
        _emit_json([d.model_dump(mode="json") for d in drafts])
        return
    if not drafts:
        console.print(f"no anomalies in the 28 days to {day}")
        return
    table = Table(title=f"Anomalies, 28 days to {day}", show_edge=False)
    for column in ("$ impact", "finding", "score"):
        table.add_column(column, justify="left" if column == "finding" else "right")
    for d in drafts:
        table.add_row(f"${d.dollars:,.0f}", terminal(d.title), f"{d.evidence['score']:+.1f}")
    console.print(table)


def _series_anomalies(
    series: Path,
    as_json: bool,
    threshold: float | None,
    season: str | None,
    min_history: int | None,
    bucket: str | None,
) -> None:
    from tools.series import DEFAULT_MIN_HISTORY, SeriesError, read_series_csv, score_series

    try:
        stamps, values = read_series_csv(series)
        report = score_series(
            stamps,
            values,
            threshold=5.0 if threshold is None else threshold,
            season=season,
            min_history=DEFAULT_MIN_HISTORY if min_history is None else min_history,
            bucket=bucket,
        )
    except SeriesError as exc:
        fail(str(exc))
    notes = [f"ignored {label}" for label in report.ignored]
    if not report.enough_history:
        notes.append(report.history_message())
    if as_json:
        _emit_json([a.model_dump() for a in report.anomalies])
        for note in notes:
            sys.stderr.write(note + "\n")
        return
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True)
    if not report.enough_history:
        return
    if not report.anomalies:
        console.print(f"no anomalous points ({report.scored} of {report.points} scored)")
        return
    title = f"Anomalies in {series.name} ({report.points} points, {report.scored} scored)"
    table = Table(title=title, show_edge=False)
    for column in ("timestamp", "value", "baseline", "score"):
        table.add_column(column, justify="left" if column == "timestamp" else "right")
    for a in report.anomalies:
        table.add_row(a.timestamp, f"{a.value:,.2f}", f"{a.baseline:,.2f}", f"{a.score:+.1f}")
    console.print(table)


def _names(engine: Engine, ids: list[int]) -> dict[int, str]:
    from sqlalchemy import select

    from store import tables as t

    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.patient.c.id, t.patient.c.first_name, t.patient.c.last_name).where(
                t.patient.c.id.in_(ids)
            )
        ).all()
    return {r.id: f"{r.first_name} {r.last_name}" for r in rows}


def at_risk(
    location: int | None = LOCATION,
    as_of: str | None = AS_OF,
    horizon_days: int = typer.Option(90, "--horizon-days", min=7, max=730),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="How many patients to list (default 25; --all: every one)."
    ),
    every: bool = typer.Option(
        False, "--all", help="Every scored patient, not only the overdue or drifting ones."
    ),
    org: int | None = ORG,
    as_json: bool = JSON,
) -> None:
    """Patients overdue or drifting away, most dollars at stake first."""
    from tools.at_risk import at_risk_patients
    from tools.clv import NotEnoughHistoryError

    ctx = _context(org, location, as_of)
    engine, day = ctx.engine, ctx.as_of
    try:
        rows = at_risk_patients(
            engine,
            as_of=day,
            organization_id=ctx.organization_id,
            location_id=location,
            horizon_days=horizon_days,
            limit=limit if limit is not None or every else DEFAULT_AT_RISK_LIMIT,
            include_all=every,
        )
    except NotEnoughHistoryError as exc:
        # Like `anomalies`' "not enough history": a fact about the data, not an error.
        if as_json:
            _emit_json([])
            errors.print(markup(exc), highlight=False, soft_wrap=True)
        else:
            console.print(terminal(str(exc)))
        return
    if as_json:
        _emit_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        console.print(_no_one_at_risk(engine, day, every))
        return
    names = _names(engine, [r.patient_id for r in rows])
    table = Table(title=f"At-risk patients as of {day} (next {horizon_days} days)")
    for column in ("$ at stake", "patient", "last treatment", "overdue", "p_return", "why"):
        table.add_column(column, justify="right" if column[0] in "$op" else "left")
    for r in rows:
        table.add_row(
            f"${r.dollars_at_stake:,.0f}",
            terminal(f"{names.get(r.patient_id, '')} ({r.pseudonym})"),
            terminal(f"{r.last_treatment} {r.last_visit.isoformat()}"),
            f"{r.days_overdue} d",
            f"{r.p_return:.0%}",
            terminal(", ".join(_tag(reason) for reason in r.reasons[:-1])),
        )
    console.print(table)


def _no_one_at_risk(engine: Engine, day: object, every: bool) -> str:
    """Why the list is empty: no visit or purchase history at all, or nobody flagged."""
    from sqlalchemy import func, select

    from store import tables as t

    a, sale = t.appointment, t.sale
    with engine.connect() as conn:
        visits = conn.execute(select(func.count()).where(a.c.status == "completed")).scalar()
        bought = conn.execute(select(func.count()).where(sale.c.patient_id.is_not(None))).scalar()
    history = bool(visits or bought)
    if not history:
        return (
            f"no patient history up to {day}: at-risk needs completed appointments or "
            "purchases linked to patients"
        )
    if every:
        return f"no patient with a visit or purchase up to {day} in this scope"
    return f"no patient is overdue or drifting away as of {day} (--all lists every scored patient)"


def _tag(reason: str) -> str:
    """A reason's first words ("declining frequency: …" → "declining frequency")."""
    head = reason.split(":")[0]
    if head.endswith("days overdue"):
        return "overdue"
    if head.startswith("cancelled"):
        return "cancelled, not rebooked"
    return head.split(" on ")[0]


def no_show_risk(
    location: int | None = LOCATION,
    day_text: str | None = typer.Option(None, "--date", help="Day to check (default: tomorrow)."),
    from_text: str | None = typer.Option(None, "--from", help="First day of a range to check."),
    to_text: str | None = typer.Option(
        None, "--to", help="Last day of the range, inclusive (default: a week from --from)."
    ),
    as_of: str | None = AS_OF,
    org: int | None = ORG,
    as_json: bool = JSON,
) -> None:
    """Tomorrow's (or --date's, or --from..--to's) booked appointments, riskiest first, for
    the front desk. A range is scored with one fitted model."""
    from tools.no_show_risk import score_upcoming

    chosen = parse_day(day_text, "--date")
    first, last_day = parse_day(from_text, "--from"), parse_day(to_text, "--to")
    if chosen and (first or last_day):
        fail("pass either --date or --from/--to, not both")
    ctx = _context(org, location, as_of)
    engine, last = ctx.engine, ctx.as_of
    start = chosen or first or last + timedelta(days=1)
    end = chosen or last_day or (start if not first else start + timedelta(days=6))
    if end < start:
        fail(f"--to {end} is before --from {start}")
    # score_upcoming has no organization filter: keep the scope's locations only.
    risks = [
        r
        for r in score_upcoming(engine, as_of=last, location_id=location, start=start, end=end)
        if r.location_id in ctx.location_ids
    ]
    if as_json:
        _emit_json([r.model_dump(mode="json") for r in risks])
        return
    when = str(start) if start == end else f"{start} to {end}"
    if not risks:
        console.print(f"no booked appointments on {when}")
        return
    names = _names(engine, [r.patient_id for r in risks])
    table = Table(title=f"No-show risk, {when} ({risks[0].model_kind})")
    for column in ("risk", "time", "patient", "service", "expected loss", "why"):
        table.add_column(column, justify="right" if column in ("risk", "expected loss") else "left")
    for r in risks:
        table.add_row(
            f"{r.p_no_show:.0%}",
            "hour unknown" if r.local_hour is None else f"{r.local_date:%a} {r.local_hour:02d}:00",
            terminal(f"{names.get(r.patient_id, '')} ({r.pseudonym})"),
            terminal(r.service),
            f"${r.expected_loss:,.0f}",
            terminal("; ".join(r.reasons)),
        )
    console.print(table)


def forecast(
    location: int | None = LOCATION,
    as_of: str | None = AS_OF,
    show_backtest: bool = typer.Option(
        False, "--backtest", help="Also back-test the last 6 months vs a trailing average."
    ),
    org_id: int | None = ORG,
    as_json: bool = JSON,
) -> None:
    """Net revenue expected in the next 30/60/90 days, from cycles and bookings."""
    from tools.forecast import backtest, revenue_forecast

    ctx = _context(org_id, location, as_of, forecast=True)
    engine, org, day = ctx.engine, ctx.organization_id, ctx.as_of
    result = revenue_forecast(engine, organization_id=org, as_of=day, location_id=location)
    tested = (
        backtest(engine, organization_id=org, as_of=day, location_id=location)
        if show_backtest
        else None
    )
    if as_json:
        payload: dict[str, Any] = {"forecast": result.model_dump(mode="json")}
        if tested is not None:
            payload["backtest"] = tested.model_dump(mode="json")
        _emit_json(payload)
        return
    table = Table(title=f"Revenue forecast after {day}")
    table.add_column("location", justify="right")
    for horizon in result.horizons:
        table.add_column(f"next {horizon} d", justify="right")
    for loc in sorted({f.location_id for f in result.by_location}):
        cells = [
            f"${f.forecast:,.0f}"
            for h in result.horizons
            for f in result.by_location
            if f.location_id == loc and f.horizon_days == h
        ]
        table.add_row(str(loc), *cells)
    table.add_row("all", *[f"${result.totals[h]:,.0f}" for h in result.horizons])
    console.print(table)
    if tested is not None:
        bt = Table(title="Back-test: each month forecast as of the day before it")
        for column in ("month", "actual", "forecast", "APE", "trailing avg", "APE "):
            bt.add_column(column, justify="left" if column == "month" else "right")
        for m in tested.months:
            bt.add_row(
                m.month,
                f"${m.actual:,.0f}",
                f"${m.forecast:,.0f}",
                f"{m.ape_forecast:.1%}",
                f"${m.trailing_average:,.0f}",
                f"{m.ape_trailing:.1%}",
            )
        bt.add_row("MAPE", "", "", f"{tested.mape_forecast:.1%}", "", f"{tested.mape_trailing:.1%}")
        for tested_location in tested.by_location:
            bt.add_row(
                f"MAPE location {tested_location.location_id}",
                "",
                "",
                f"{tested_location.mape_forecast:.1%}",
                "",
                f"{tested_location.mape_trailing:.1%}",
            )
        console.print(bt)
