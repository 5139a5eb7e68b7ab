"""Which organization and which day the commands look at (store.scope), run in-process with
Typer's CliRunner on SQLite and PostgreSQL; plus the cheap start (`import clarity.cli`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from clarity import cli_demo, cli_ingest
from clarity.cli import app
from clarity.settings import get_settings
from store import tables as t
from store.migrate import upgrade
from tests.store.test_scope import _appointment, _org, _sale

runner = CliRunner()


def _url(engine: Engine) -> str:
    """The engine's URL as CLARITY_DATABASE_URL; on PostgreSQL it carries the test's schema."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
        url += f"?options=-csearch_path%3D{schema}"
    return url


@pytest.fixture
def store(bare_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated, empty store the CLI is pointed at (settings re-read for each test)."""
    upgrade(bare_engine)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CLARITY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLARITY_DATABASE_URL", _url(bare_engine))
    get_settings.cache_clear()
    yield bare_engine
    get_settings.cache_clear()


@pytest.fixture
def two_orgs(store: Engine) -> Engine:
    """Glow (id 1, locations 1-2, last activity Nov 22) and Lumen (id 2, location 3, Oct 31)."""
    _org(store, 1, "Glow", [1, 2])
    _org(store, 2, "Lumen", [3])
    _sale(store, 1, 1, date(2026, 11, 20))
    _appointment(store, 1, 2, date(2026, 11, 22), "completed")
    _sale(store, 2, 3, date(2026, 10, 31))
    return store


def test_kpis_without_org_on_two_organizations_exits_2_naming_both(two_orgs: Engine) -> None:
    result = runner.invoke(app, ["kpis", "--json"])
    assert result.exit_code == 2
    assert "1 (Glow)" in result.stderr and "2 (Lumen)" in result.stderr
    assert "--org" in result.stderr and result.stdout == ""


def test_kpis_with_org_works(two_orgs: Engine) -> None:
    result = runner.invoke(app, ["kpis", "--org", "2", "--json"])
    assert result.exit_code == 0, result.stderr
    snapshot = json.loads(result.stdout)
    # Lumen's last day is Oct 31, the last day of its month: the period is October itself.
    assert (snapshot["scope"], snapshot["period_start"], snapshot["period_end"]) == (
        "org:2",
        "2026-10-01",
        "2026-10-31",
    )


def test_as_of_after_the_last_day_is_refused(two_orgs: Engine) -> None:
    result = runner.invoke(app, ["kpis", "--org", "1", "--as-of", "2026-11-23"])
    assert result.exit_code == 2
    assert "after the last day with data (2026-11-22)" in result.stderr


def test_brief_after_the_last_day_exits_2_and_stores_nothing(store: Engine) -> None:
    _org(store, 1, "Glow", [1])
    _sale(store, 1, 1, date(2026, 11, 20))
    result = runner.invoke(app, ["brief", "--location", "1", "--date", "2026-11-21"])
    assert result.exit_code == 2
    assert "2026-11-21 is after the last day with data (2026-11-20)" in result.stderr
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.briefing)).scalar() == 0


@pytest.mark.parametrize("command", ["at-risk", "anomalies", "forecast", "no-show-risk", "kpis"])
def test_unknown_location_exits_2_with_the_kpis_message(store: Engine, command: str) -> None:
    _org(store, 1, "Glow", [1])
    _sale(store, 1, 1, date(2026, 11, 20))
    result = runner.invoke(app, [command, "--location", "99"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: location 99 is not in organization 1"
    assert result.stdout == ""


def test_unreachable_database_is_one_line_naming_host_and_port(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "clarity", "kpis"],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")},
            "CLARITY_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "127.0.0.1:1" in lines[0] and "cannot connect" in lines[0]


def test_import_clarity_cli_loads_no_heavy_library() -> None:
    heavy = (
        *("sklearn", "scipy", "matplotlib", "langchain_core", "langgraph", "fhir", "pandas"),
        *("numpy", "sqlmodel", "fastapi", "uvicorn", "twilio", "pwdlib", "apscheduler"),
    )
    probe = (
        "import sys, clarity.cli\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}"
        " or m == 'store.models'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_texts_written_out_agree_with_their_sources() -> None:
    from store.demo import DEFAULT_AS_OF
    from store.ingest.formats import FORMATS

    assert DEFAULT_AS_OF.isoformat() == cli_demo.DEMO_AS_OF
    assert tuple(FORMATS) == cli_ingest.CSV_TARGETS
