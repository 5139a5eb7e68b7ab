"""`clarity kpis`, `findings` and `provider-pnl` as a user runs them, on a small demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clarity.test_cli import run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-kpis")
    built = run(["demo", "build", "--patients", "1500", "--seed", "11"], path)
    assert built.returncode == 0, built.stderr
    return path


def test_kpis_json_defaults_to_last_complete_month(demo_dir: Path) -> None:
    result = run(["kpis", "--location", "2", "--json"], demo_dir)
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    # The demo ends 2026-11-24: the last complete month is October.
    assert (snapshot["period_start"], snapshot["period_end"]) == ("2026-10-01", "2026-10-31")
    ids = {fact["id"] for fact in snapshot["facts"]}
    assert "rebooking_rate.location-2.2026-10" in ids
    assert "rebooking_rate.location-2.2026-09" in ids


def test_kpis_table_and_period_option(demo_dir: Path) -> None:
    result = run(["kpis", "--period", "last-30d"], demo_dir)
    assert result.returncode == 0, result.stderr
    assert "2026-10-26..2026-11-24" in result.stdout
    assert "Rebooking rate" in result.stdout


def test_provider_pnl_and_findings(demo_dir: Path) -> None:
    pnl = run(["provider-pnl", "--location", "1", "--period", "2026-10", "--json"], demo_dir)
    assert pnl.returncode == 0, pnl.stderr
    rows = json.loads(pnl.stdout)
    assert rows and all(row["location_id"] == 1 for row in rows)
    found = run(["findings", "--json"], demo_dir)
    assert found.returncode == 0, found.stderr
    dollars = [f["dollars"] for f in json.loads(found.stdout)]
    assert dollars == sorted(dollars, reverse=True)


def test_bad_location_and_period_exit_with_one_line(demo_dir: Path) -> None:
    for args, text in (
        (["kpis", "--location", "99"], "location 99 is not in organization 1"),
        (["provider-pnl", "--period", "October"], "--period"),
    ):
        result = run(args, demo_dir)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert text in result.stderr
