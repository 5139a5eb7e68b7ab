"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from CLARITY_TEST_POSTGRES_URL (default: the local `test` database). When it
is unreachable the PostgreSQL half of each test is skipped with the reason — except under
CI=true, where a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers tables)
from store.db import make_engine
from store.demo import DemoConfig, build_demo

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("CLARITY_TEST_POSTGRES_URL") or DEFAULT_PG_URL


@lru_cache(maxsize=1)
def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(postgres_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any connection failure means "not reachable"
        return f"PostgreSQL not reachable at {postgres_url()}: {type(exc).__name__}"
    return None


def require_postgres() -> str:
    problem = postgres_problem()
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{problem} (CI=true requires PostgreSQL)")
        pytest.skip(problem)
    return postgres_url()


class PostgresSchema:
    """A throw-away schema in the test database, so each test starts clean."""

    def __init__(self) -> None:
        self.url = require_postgres()
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        admin.dispose()
        self.engine = make_engine(self.url, schema=self.name)

    def drop(self) -> None:
        self.engine.dispose()
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        admin.dispose()


def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of the given backend (no tables)."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'clarity.db'}")
        yield engine
        engine.dispose()
        return
    schema = PostgresSchema()
    try:
        yield schema.engine
    finally:
        schema.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bare_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no tables), on each backend."""
    yield from empty_engine(backend, tmp_path)


@pytest.fixture
def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A database with the full schema and no rows, on each backend."""
    for created in empty_engine(backend, tmp_path):
        SQLModel.metadata.create_all(created)
        yield created


SMALL_DEMO = DemoConfig(seed=11, patients=1500)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict]]:
    """The default demo practice (15,000 patients), built once per backend per session."""
    tmp_path = tmp_path_factory.mktemp(f"demo-{request.param}")
    for created in empty_engine(str(request.param), tmp_path):
        SQLModel.metadata.create_all(created)
        manifest = build_demo(created, DemoConfig())
        yield created, manifest
