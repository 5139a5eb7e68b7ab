"""Names are printed literally by every CLI table (issue 14, item 4): Rich markup in a name is
shown as its characters, and control characters (ESC of an ANSI sequence, BEL) as escapes.

A small demo practice has its location, service and patient names replaced by hostile ones;
each command that shows names runs on SQLite and PostgreSQL with a wide terminal so no cell wraps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from store import tables as t
from tests.clarity.conftest import Cli

# Rich would render "[red]Zed[/red]" as a red "Zed"; ESC [2J would clear the screen.
HOSTILE = "[red]Zed[/red]\x1b[2J\x07"
SHOWN = "[red]Zed[/red]\\x1b[2J\\x07"
WIDE = {"COLUMNS": "400"}


@pytest.fixture
def hostile(cli: Cli) -> Cli:
    # Each command runs with COLUMNS=400 (`WIDE`); the consoles read it when they print, since
    # tests/conftest.py creates them before any test sets COLUMNS.
    built = cli("demo", "build", "--patients", "300", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    engine = create_engine(cli.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(t.location).values(name=t.location.c.name + " " + HOSTILE))
            conn.execute(update(t.service).values(name=HOSTILE + t.service.c.name))
            conn.execute(update(t.patient).values(first_name=HOSTILE))
    finally:
        engine.dispose()
    return cli


def _clean(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out
    assert "Zed" not in out.replace(SHOWN, "")  # never shown as markup's effect alone


def test_tables_show_hostile_names_literally(hostile: Cli) -> None:
    cases = {
        ("demo", "--no-serve"): True,  # location names
        ("at-risk", "--limit", "5"): True,  # patient and treatment names
        ("no-show-risk",): True,  # patient and service names
        ("kpis", "--location", "1"): True,  # the location in the title
        ("anomalies",): False,
        ("findings",): False,
    }
    for args, shows_name in cases.items():
        result = hostile(*args, **WIDE)
        assert result.exit_code == 0, (args, result.stderr)
        _clean(result.stdout)
        if shows_name:
            assert SHOWN in result.stdout, args


def test_reject_listing_shows_the_cell_literally(hostile: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "patients.csv"
    bad.write_text(
        f"external_id,first_name,last_name,location_external_id\np1,Ann,Lee,{HOSTILE}\n",
        encoding="utf-8",
    )
    imported = hostile("ingest", "patients", str(bad), **WIDE)
    assert imported.exit_code == 0, imported.stderr
    _clean(imported.stdout + imported.stderr)
    assert f"unknown location {SHOWN!r}".replace("\\\\", "\\") in imported.stdout
    run_id = imported.stdout.rsplit("run ", 1)[1].split()[0]
    listed = hostile("ingest", "--show-rejects", run_id, **WIDE)
    _clean(listed.stdout)
    assert "[red]Zed[/red]" in listed.stdout
