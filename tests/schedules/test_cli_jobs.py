"""`clarity jobs` in-process on both backends: an empty store lists nothing; recorded runs are
listed newest first with status, duration and error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schedules.runs import finish_run, record_skipped, start_run
from store.db import make_engine
from tests.clarity.conftest import Cli, open_cli


@pytest.fixture
def cli(backend: str, tmp_path: Path) -> Iterator[Cli]:
    with open_cli(backend, tmp_path) as runner:
        yield runner


def test_jobs_lists_runs_with_status_and_duration(cli: Cli) -> None:
    empty = cli("jobs")
    assert empty.exit_code == 0, empty.stderr
    assert "no scheduled jobs" in empty.stdout and "no runs yet" in empty.stdout

    engine = make_engine(cli.database_url)
    due = datetime(2026, 1, 5, 15, tzinfo=UTC)  # 07:00 PST, before any run made "now"
    record_skipped(
        engine,
        "briefing",
        "location:1:2026-01-04",
        scheduled_for=due,
        now=datetime(2026, 1, 5, 20, tzinfo=UTC),
        reason="5:00:00 late",
    )
    run_id = start_run(engine, "outreach-send", "all", scheduled_for=None, now=datetime.now(UTC))
    finish_run(engine, run_id, "failed", error="DeliveryError: boom")
    engine.dispose()

    listed = cli("jobs", "--json")
    assert listed.exit_code == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    assert [(r["kind"], r["status"], r["error"]) for r in runs] == [
        ("outreach-send", "failed", "DeliveryError: boom"),
        ("briefing", "skipped_late", "5:00:00 late"),
    ]
    assert runs[1]["scheduled_for"] == "2026-01-05T15:00:00+00:00"
    assert runs[1]["duration_seconds"] == 0.0  # skipped: started and finished at once
    assert runs[0]["duration_seconds"] is not None and runs[0]["duration_seconds"] >= 0
    table = cli("jobs")
    assert "skipped_late" in table.stdout and "DeliveryError: boom" in table.stdout
