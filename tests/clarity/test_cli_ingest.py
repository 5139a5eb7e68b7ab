"""`clarity ingest`: summary and rejects in-process on each backend; a wrong layout's exit code
and stderr in a real process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clarity.conftest import Cli
from tests.clarity.test_cli import run


def test_ingest_summary_json_and_show_rejects(cli: Cli) -> None:
    home = cli.home
    (home / "locations.csv").write_text("external_id,name,timezone\nL1,Austin,America/Chicago\n")
    (home / "patients.csv").write_text("external_id,first_name,last_name\nP1,Dana,Reyes\n")
    (home / "appts.csv").write_text(
        "external_id,start_at,status,patient_external_id\n"
        "A1,2026-03-02 09:00,No Show,P1\n"
        "A2,2026-03-02 10:00,completed,P404\n"
    )
    assert cli("ingest", "locations", "locations.csv").exit_code == 0
    assert cli("ingest", "patients", "patients.csv").exit_code == 0
    done = cli("ingest", "appointments", "appts.csv", "--location", "Austin", "--json")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["read"], summary["inserted"], summary["rejected"]) == (2, 1, 1)
    assert summary["rejected_by_reason"] == {"unknown_patient": 1}
    shown = cli("ingest", "--show-rejects", str(summary["run_id"]))
    assert shown.exit_code == 0
    assert "unknown patient 'P404'" in shown.stdout and "appts.csv" in shown.stdout
    # A long file name: the summary's title stays on one line above the (narrower) table.
    long_name = "appointments-export-2026-11-25.csv"
    (home / long_name).write_text((home / "appts.csv").read_text())
    human = cli("ingest", "appointments", long_name, "--location", "Austin")
    assert "unchanged" in human.stdout and "rejected: unknown_patient" in human.stdout
    assert human.stdout.splitlines()[0].strip() == f"appointments from {long_name}"


def test_wrong_layout_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("foo,bar\n1,2\n")
    result = run(["ingest", "sales", "x.csv"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "x.csv: missing required column(s) for sales" in result.stderr
    assert "paid_at" in result.stderr and "net" in result.stderr
