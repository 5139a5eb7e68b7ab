"""`clarity anomalies | at-risk | no-show-risk | forecast` as a user runs them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from tests.clarity.test_cli import run


def test_series_csv_json_and_bad_row(tmp_path: Path) -> None:
    start = date(2026, 1, 1)
    lines = ["timestamp,value"]
    for i in range(120):
        day = start + timedelta(days=i)
        # weekday profile 100 + 10·weekday, alternating ±2 noise; one spike of +200 on day 110
        value = 100 + 10 * day.weekday() + (2 if i % 2 else -2) + (200 if i == 110 else 0)
        lines.append(f"{day.isoformat()},{value}")
    good = tmp_path / "series.csv"
    good.write_text("\n".join(lines) + "\n")
    result = run(["anomalies", "--series", str(good), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [a["timestamp"] for a in found] == [(start + timedelta(days=110)).isoformat()]
    assert found[0]["direction"] == "up" and found[0]["score"] >= 5

    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2026-01-01,3\n2026-01-02,three\n")
    result = run(["anomalies", "--series", str(bad)], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 3, field 'value'" in result.stderr


def test_detector_commands_on_a_small_demo(tmp_path: Path) -> None:
    built = run(["demo", "build", "--patients", "1500", "--seed", "5"], tmp_path)
    assert built.returncode == 0, built.stderr
    at_risk = run(["at-risk", "--json", "--limit", "3"], tmp_path)
    assert at_risk.returncode == 0, at_risk.stderr
    rows = json.loads(at_risk.stdout)
    assert len(rows) == 3 and rows[0]["dollars_at_stake"] >= rows[1]["dollars_at_stake"]
    assert rows[0]["pseudonym"].startswith("P-") and "first_name" not in rows[0]
    forecast = run(["forecast", "--json"], tmp_path)
    assert forecast.returncode == 0, forecast.stderr
    assert set(json.loads(forecast.stdout)["forecast"]["totals"]) == {"30", "60", "90"}
    no_show = run(["no-show-risk", "--json", "--date", "2026-11-26"], tmp_path)
    assert no_show.returncode == 0, no_show.stderr
    assert all(r["local_date"] == "2026-11-26" for r in json.loads(no_show.stdout))
    table = run(["anomalies", "--as-of", "2026-11-24"], tmp_path)
    assert table.returncode == 0, table.stderr
    bad = run(["anomalies", "--as-of", "yesterday"], tmp_path)
    assert bad.returncode == 2 and "--as-of must be YYYY-MM-DD" in bad.stderr
