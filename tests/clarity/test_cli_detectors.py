"""`clarity anomalies | at-risk | no-show-risk | forecast`: in-process on each backend, and one
real process for the exit code and stderr of a bad file."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from tests.clarity.conftest import Cli, seed_tiny_practice
from tests.clarity.test_cli import run


def test_series_csv_json(sqlite_cli: Cli, tmp_path: Path) -> None:
    start = date(2026, 1, 1)
    lines = ["timestamp,value"]
    for i in range(120):
        day = start + timedelta(days=i)
        # weekday profile 100 + 10·weekday, alternating ±2 noise; one spike of +200 on day 110
        value = 100 + 10 * day.weekday() + (2 if i % 2 else -2) + (200 if i == 110 else 0)
        lines.append(f"{day.isoformat()},{value}")
    good = tmp_path / "series.csv"
    good.write_text("\n".join(lines) + "\n")
    result = sqlite_cli("anomalies", "--series", str(good), "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert [a["timestamp"] for a in found] == [(start + timedelta(days=110)).isoformat()]
    assert found[0]["direction"] == "up" and found[0]["score"] >= 5


def test_series_bad_row_exits_2_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2026-01-01,3\n2026-01-02,three\n")
    result = run(["anomalies", "--series", str(bad)], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 3, field 'value'" in result.stderr


def test_detector_commands_on_a_small_demo(demo_cli: Cli) -> None:
    at_risk = demo_cli("at-risk", "--json", "--limit", "3")
    assert at_risk.exit_code == 0, at_risk.stderr
    rows = json.loads(at_risk.stdout)
    assert len(rows) == 3 and rows[0]["dollars_at_stake"] >= rows[1]["dollars_at_stake"]
    assert rows[0]["pseudonym"].startswith("P-") and "first_name" not in rows[0]
    forecast = demo_cli("forecast", "--json")
    assert forecast.exit_code == 0, forecast.stderr
    assert set(json.loads(forecast.stdout)["forecast"]["totals"]) == {"30", "60", "90"}
    no_show = demo_cli("no-show-risk", "--json", "--date", "2026-11-26")
    assert no_show.exit_code == 0, no_show.stderr
    assert all(r["local_date"] == "2026-11-26" for r in json.loads(no_show.stdout))
    table = demo_cli("anomalies", "--as-of", "2026-11-24")
    assert table.exit_code == 0, table.stderr
    bad = demo_cli("anomalies", "--as-of", "yesterday")
    assert bad.exit_code == 2 and "--as-of must be YYYY-MM-DD" in bad.stderr


def test_at_risk_on_a_tiny_practice_says_there_is_not_enough_history(cli: Cli) -> None:
    """Three customers with purchases (the model needs 20): one line saying so, exit 0, no
    traceback; `--json` prints an empty list and the line on stderr."""
    seed_tiny_practice(cli)
    text = cli("at-risk")
    assert text.exit_code == 0
    assert "not enough history to score patients" in text.stdout and "have 3" in text.stdout
    as_json = cli("at-risk", "--json")
    assert as_json.exit_code == 0 and as_json.stdout.strip() == "[]"
