"""`clarity jobs [--json]`: the scheduled jobs (kind, scope, next run in UTC and in the scope's
local time) and the recent runs (status, duration, error)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import typer

from clarity.cli_common import open_engine, settings

JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")
LIMIT = typer.Option(20, "--runs", min=0, help="How many recent runs to show.")


def _jobs(engine: Any) -> list[dict[str, Any]]:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import inspect

    from schedules.scheduler import JOBS_TABLE, job_store

    if not inspect(engine).has_table(JOBS_TABLE):
        return []
    store = job_store(engine)
    # Reading needs a scheduler to restore jobs into; this one is never started.
    store.start(BackgroundScheduler(timezone="UTC"), "default")
    rows: list[dict[str, Any]] = []
    for job in store.get_all_jobs():
        if job.id.startswith("briefing:") and job.args:
            kind, scope = "briefing", str(job.args[0])
        else:
            kind, scope = job.id, ""
        zone = getattr(job.trigger, "timezone", None)
        nxt = job.next_run_time
        rows.append(
            {
                "id": job.id,
                "kind": kind,
                "scope": scope or None,
                "next_run_utc": nxt.astimezone(UTC).isoformat() if nxt else None,
                "next_run_local": nxt.astimezone(zone).isoformat() if nxt and zone else None,
                "timezone": str(zone) if zone else None,
            }
        )
    return rows


def jobs(as_json: bool = JSON, runs: int = LIMIT) -> None:
    """List scheduled jobs and recent runs."""
    import json

    from schedules.runs import recent_runs

    engine = open_engine(settings())
    try:
        scheduled = _jobs(engine)
        recent: list[dict[str, Any]] = [
            {
                "kind": r.kind,
                "key": r.key,
                "scheduled_for": r.scheduled_for.isoformat() if r.scheduled_for else None,
                "started_at": r.started_at.isoformat(),
                "status": r.status,
                "duration_seconds": (
                    round(r.duration_seconds, 3) if r.duration_seconds is not None else None
                ),
                "error": r.error,
            }
            for r in recent_runs(engine, limit=runs)
        ]
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"jobs": scheduled, "runs": recent}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Scheduled jobs")
    for column in ("id", "kind", "scope", "next run (UTC)", "next run (local)"):
        table.add_column(column)
    for row in scheduled:
        table.add_row(
            row["id"],
            row["kind"],
            row["scope"] or "",
            row["next_run_utc"] or "paused",
            f"{row['next_run_local'] or ''} {row['timezone'] or ''}".strip(),
        )
    console.print(table if scheduled else "no scheduled jobs (start `clarity worker`)")
    runs_table = Table(title="Recent runs")
    for column in ("kind", "key", "started (UTC)", "status", "duration", "error"):
        runs_table.add_column(column)
    for run in recent:
        duration = run["duration_seconds"]
        runs_table.add_row(
            str(run["kind"]),
            str(run["key"]),
            str(run["started_at"]),
            str(run["status"]),
            "" if duration is None else f"{duration:.2f} s",
            str(run["error"] or ""),
        )
    console.print(runs_table if recent else "no runs yet")


def register(app: typer.Typer) -> None:
    app.command("jobs")(jobs)
