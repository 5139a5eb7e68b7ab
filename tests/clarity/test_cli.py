"""The `clarity` command as a user runs it: a real process, real exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
        | {"CLARITY_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'clarity.db'}"}
        | env
    )
    return subprocess.run(
        [sys.executable, "-m", "clarity", *args],
        cwd=tmp_path,
        env=environment | {"COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("demo", "db"):
        assert command in result.stdout


def test_bad_database_scheme_exits_with_one_line(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path, CLARITY_DATABASE_URL="mysql://x@localhost/y")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "CLARITY_DATABASE_URL" in lines[0] and "mysql" in lines[0]


def test_unwritable_database_path_exits_with_one_line(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path, CLARITY_DATABASE_URL="sqlite:////proc/x/c.db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    first = run(["db", "upgrade"], tmp_path)
    second = run(["db", "upgrade"], tmp_path)
    assert first.returncode == second.returncode == 0
    assert "revision" in second.stdout


def test_demo_build_then_demo_shows_the_summary(tmp_path: Path) -> None:
    built = run(["demo", "build", "--patients", "400", "--seed", "5"], tmp_path)
    assert built.returncode == 0, built.stderr
    manifest = json.loads((tmp_path / "var" / "demo_manifest.json").read_text())
    assert manifest["seed"] == 5
    again = run(["demo", "build", "--patients", "400"], tmp_path)
    assert again.returncode == 2
    assert "--replace" in again.stderr
    shown = run(["demo", "--no-serve"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "Back Bay" in shown.stdout and "America/Chicago" in shown.stdout
    assert "Net revenue by month" in shown.stdout
    assert "3 locations · 12 providers" in shown.stdout
