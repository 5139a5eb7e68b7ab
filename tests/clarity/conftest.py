"""The `clarity` command in-process (Typer's CliRunner), on SQLite and on PostgreSQL.

`cli` runs commands against a fresh store of the test's backend: a SQLite file under the
test's folder, or a throw-away PostgreSQL schema reached through CLARITY_DATABASE_URL (the
URL carries `options=-csearch_path=<schema>`). Each call starts from a clean environment —
no CLARITY_* variable but the database URL, no `.env` (the working directory is the test's
folder) and freshly read settings (the process-wide `get_settings` cache is cleared before and
after every call), so one test's configuration never leaks into the next.

Errors that only `clarity.cli.main` turns into exit code 2 (a bad CLARITY_DATABASE_URL, an
existing demo) are tested in a real process: see `run` in test_cli.py.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clarity.settings import get_settings
from tests.conftest import BACKENDS, PostgresSchema


class Cli:
    """Runs `clarity ARGS…` in this process against one store, from the folder `home`."""

    def __init__(self, home: Path, database_url: str, backend: str) -> None:
        self.home = home
        self.database_url = database_url
        self.backend = backend

    @property
    def var(self) -> Path:
        """Where the commands write generated files (manifest, outbox)."""
        return self.home / "var"

    def __call__(self, *args: str, **env: str) -> Result:
        from clarity.cli import app  # the composition root; imported once, on first use

        environment: dict[str, str | None] = {
            name: None for name in os.environ if name.startswith("CLARITY_")
        }
        environment |= {"CLARITY_DATABASE_URL": self.database_url, "COLUMNS": "120"} | env
        get_settings.cache_clear()
        try:
            with contextlib.chdir(self.home):
                return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)
        finally:
            get_settings.cache_clear()


@contextlib.contextmanager
def open_cli(backend: str, home: Path) -> Iterator[Cli]:
    """A `Cli` on an empty store of `backend` (the commands create the schema)."""
    if backend == "sqlite":
        yield Cli(home, f"sqlite:///{home / 'var' / 'clarity.db'}", backend)
        return
    schema = PostgresSchema()
    try:
        yield Cli(home, schema.schema_url, backend)
    finally:
        # The commands' engines are garbage once they return; close their pooled connections
        # before the schema they point at is dropped.
        gc.collect()
        schema.drop()


@pytest.fixture
def cli(backend: str, tmp_path: Path) -> Iterator[Cli]:
    """`clarity` in-process on an empty store, on each backend."""
    with open_cli(backend, tmp_path) as runner:
        yield runner


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Iterator[Cli]:
    """`clarity` in-process on an empty SQLite store, for commands that never open the store."""
    with open_cli("sqlite", tmp_path) as runner:
        yield runner


@pytest.fixture(scope="session", params=BACKENDS)
def demo_cli(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cli]:
    """`clarity` on a small demo practice (1,500 patients, seed 11), built once per backend per
    session (per xdist worker) and shared by the read-only command tests: never write to it."""
    backend = str(request.param)
    with open_cli(backend, tmp_path_factory.mktemp(f"cli-demo-{backend}")) as runner:
        built = runner("demo", "build", "--patients", "1500", "--seed", "11")
        assert built.exit_code == 0, built.stderr
        yield runner


__all__ = ["BACKENDS", "Cli", "open_cli"]


def seed_tiny_practice(cli: Cli) -> None:
    """A practice too small to score at-risk: one location, three patients with one $400 sale
    each (2026-10-01..03); the return model needs 20 customers with a purchase."""
    from datetime import UTC, date, datetime

    from sqlmodel import Session

    from store.db import make_engine
    from store.models import Location, Organization, Patient, Sale

    assert cli("db", "upgrade").exit_code == 0
    engine = make_engine(cli.database_url)
    with Session(engine) as session:
        session.add(Organization(id=1, name="Tiny", slug="tiny"))
        session.flush()
        session.add(Location(id=1, organization_id=1, name="Only", timezone="America/New_York"))
        session.flush()
        for pid in (1, 2, 3):
            session.add(Patient(id=pid, home_location_id=1, first_name="A", last_name=f"B{pid}"))
        session.flush()
        for pid in (1, 2, 3):
            session.add(
                Sale(
                    patient_id=pid,
                    location_id=1,
                    item="Botox",
                    net_cents=40_000,
                    gross_cents=40_000,
                    paid_at=datetime(2026, 10, pid, 15, tzinfo=UTC),
                    local_date=date(2026, 10, pid),
                    external_id=f"s{pid}",
                )
            )
        session.commit()
    engine.dispose()
