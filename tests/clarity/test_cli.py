"""The `clarity` command: in-process on each backend, plus a few real processes for what only
a user's shell sees (exit codes from `main`, stderr, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.clarity.conftest import Cli


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m clarity ARGS…` as a real process, on a SQLite store under `tmp_path`."""
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


def test_help_lists_the_commands(sqlite_cli: Cli) -> None:
    result = sqlite_cli("--help")
    assert result.exit_code == 0
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


def test_db_upgrade_is_idempotent(cli: Cli) -> None:
    first = cli("db", "upgrade")
    second = cli("db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    assert "revision" in second.stdout


def test_demo_build_then_demo_shows_the_summary(cli: Cli) -> None:
    built = cli("demo", "build", "--patients", "400", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    manifest = json.loads((cli.var / "demo_manifest.json").read_text())
    assert manifest["seed"] == 5
    shown = cli("demo", "--no-serve")
    assert shown.exit_code == 0, shown.stderr
    assert "Back Bay" in shown.stdout and "America/Chicago" in shown.stdout
    assert "Net revenue by month" in shown.stdout
    assert "3 locations · 12 providers" in shown.stdout


def test_demo_build_over_a_demo_exits_2_naming_replace(sqlite_cli: Cli) -> None:
    built = sqlite_cli("demo", "build", "--patients", "400", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    # `main` turns DemoExistsError into exit 2: a real process, on the same SQLite file.
    again = run(["demo", "build", "--patients", "400"], sqlite_cli.home)
    assert again.returncode == 2
    assert "Traceback" not in again.stderr
    assert "--replace" in again.stderr
