"""`clarity anomalies --series FILE.csv` with its options, as a user runs it (in-process with
Typer's CliRunner; the refused binary file also as a real process, for exit code and stderr)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from clarity.cli import app
from tests.clarity.test_cli import run

runner = CliRunner()


def write_daily(path: Path, values: list[float], start: date = date(2026, 1, 5)) -> Path:
    lines = ["timestamp,value"]
    lines += [f"{(start + timedelta(days=i)).isoformat()},{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_threshold_season_and_min_history_reach_the_scoring(tmp_path: Path) -> None:
    csv = write_daily(tmp_path / "s.csv", [10.0, 12.0] * 4 + [20.0])
    args = ["anomalies", "--series", str(csv), "--season", "none", "--min-history", "4"]
    # Point 8: baseline 11, σ 2.13592 → score (20 − 11) / 2.13592 = 4.21 (see test_series.py).
    result = runner.invoke(app, [*args, "--threshold", "4", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(a["index"], a["baseline"], round(a["score"], 2)) for a in found] == [(8, 11.0, 4.21)]
    result = runner.invoke(app, args)  # default threshold 5
    assert result.exit_code == 0
    assert "no anomalous points (5 of 9 scored)" in result.stdout


def test_short_series_says_not_enough_history(tmp_path: Path) -> None:
    csv = write_daily(tmp_path / "short.csv", [100.0 + i % 3 for i in range(40)])
    result = runner.invoke(app, ["anomalies", "--series", str(csv)])
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "not enough history (need 57 daily points: 8 weeks before the first scored one; have 40)"
    )
    result = runner.invoke(app, ["anomalies", "--series", str(csv), "--json"])
    assert json.loads(result.stdout) == []
    assert "not enough history (need 57" in result.stderr


def test_partial_last_day_is_reported_and_ignored(tmp_path: Path) -> None:
    # Hourly values of 10 from 2026-01-02 00:00 to 2026-03-03 13:00: 60 whole days and a
    # partial last day (14 of 24 hours).
    start = datetime(2026, 1, 2)
    hours = 60 * 24 + 14
    lines = ["timestamp,value"] + [
        f"{(start + timedelta(hours=i)).isoformat()},10" for i in range(hours)
    ]
    csv = tmp_path / "hourly.csv"
    csv.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["anomalies", "--series", str(csv), "--bucket", "day"])
    assert result.exit_code == 0, result.output
    assert "ignored 2026-03-03 (partial: data ends 2026-03-03T13:00:00)" in result.stdout
    # 60 days, 56 before the first scored one → 4 scored, every one exactly at 240.
    assert "no anomalous points (4 of 60 scored)" in result.stdout


def test_bad_options_exit_2_in_one_line(tmp_path: Path) -> None:
    csv = write_daily(tmp_path / "s.csv", [1.0] * 10)
    cases = {
        ("--season", "monthly"): "season must be one of weekly, daily, none, not 'monthly'",
        ("--season", "daily"): "season 'daily' needs an hourly series; this one is daily",
        ("--bucket", "hour"): "bucket 'hour' is finer than the series' own steps",
        ("--threshold", "0"): "threshold must be positive",
    }
    for option, message in cases.items():
        result = runner.invoke(app, ["anomalies", "--series", str(csv), *option])
        assert result.exit_code == 2, option
        assert message in " ".join(result.stderr.split()), (option, result.stderr)
    result = runner.invoke(app, ["anomalies", "--series", str(csv), "--min-history", "1"])
    assert result.exit_code == 2 and "--min-history" in result.stderr
    result = runner.invoke(app, ["anomalies", "--threshold", "3", "--season", "none"])
    assert result.exit_code == 2
    assert "--threshold, --season: only with --series" in result.stderr


def test_binary_file_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "export.xlsx"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x90\xff\xfe")
    result = run(["anomalies", "--series", str(binary)], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "export.xlsx" in result.stderr and "not a CSV text file" in result.stderr
