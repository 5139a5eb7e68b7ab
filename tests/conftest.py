"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from CLARITY_TEST_POSTGRES_URL (default: the local `test` database).

- Nothing listens on its host and port: the PostgreSQL half of each test is skipped with the
  reason — except under CI=true, where it fails: CI must run every test.
- Something listens but the connection fails (wrong credentials, missing database, wrong
  driver): the PostgreSQL half FAILS with the server's one-line reason, since a skip would hide
  a broken set-up.

Each PostgreSQL test works in its own throw-away schema (`PostgresSchema`), so tests running in
parallel (pytest-xdist workers, other engineers) never see each other's rows.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from _pytest.nodeid import coerce_node_id  # see pytest_collection_modifyitems
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers tables)
from store.db import make_engine
from store.demo import DemoConfig, build_demo


def _import_cli_modules() -> None:
    """Create the CLI modules' Rich consoles now, with no COLUMNS set: a Console created while
    COLUMNS is set keeps that width for good, so a module first imported inside one test's
    `CliRunner.invoke(env={"COLUMNS": "120"})` would cut the tables of later tests that ask for
    200. pytest-xdist workers start with COLUMNS=80 in their environment: it is dropped here, so
    each test's own COLUMNS is the width its commands print at."""
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    import importlib
    import pkgutil

    import clarity

    for module in pkgutil.iter_modules(clarity.__path__):
        if module.name.startswith("cli"):
            importlib.import_module(f"clarity.{module.name}")


_import_cli_modules()

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("CLARITY_TEST_POSTGRES_URL") or DEFAULT_PG_URL


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class PostgresStatus:
    """`absent`: nothing listens on host:port (a skip locally). `broken`: the server answers
    but refuses us (always a failure). Both None: PostgreSQL is usable."""

    absent: str | None = None
    broken: str | None = None


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


@lru_cache(maxsize=1)
def postgres_status() -> PostgresStatus:
    url = postgres_url()
    parsed = make_url(url)
    host, port = parsed.host or "localhost", parsed.port or 5432
    where = f"{host}:{port}"
    if not _listening(host, port):
        return PostgresStatus(absent=f"PostgreSQL: nothing listens on {where}")
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # the server answered: credentials, database or driver are wrong
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        return PostgresStatus(
            broken=(
                f"PostgreSQL at {where} refused {parsed.render_as_string(hide_password=True)}: "
                f"{first} (fix CLARITY_TEST_POSTGRES_URL, the role or the database)"
            )
        )
    return PostgresStatus()


def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not (kept for callers of the old name)."""
    status = postgres_status()
    return status.broken or status.absent


def require_postgres() -> str:
    """The PostgreSQL URL; skips only when nothing listens (and not under CI=true)."""
    status = postgres_status()
    if status.broken:
        pytest.fail(status.broken, pytrace=False)
    if status.absent:
        if in_ci():
            pytest.fail(f"{status.absent} (CI=true requires PostgreSQL)", pytrace=False)
        pytest.skip(status.absent)
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

    @property
    def schema_url(self) -> str:
        """A URL whose connections use this schema (for code that builds its own engine from
        a URL, such as the CLI via CLARITY_DATABASE_URL)."""
        url = make_url(self.url).update_query_dict({"options": f"-csearch_path={self.name}"})
        return url.render_as_string(hide_password=False)

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
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database with the full schema and no rows, for tests of SQLite-only behaviour
    (not parametrized over backends, so nothing is skipped)."""
    for created in empty_engine("sqlite", tmp_path):
        SQLModel.metadata.create_all(created)
        yield created


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


SHARED_DEMOS = ("demo_engine", "demo_cli")
"""Session fixtures that build a demo practice per backend: expensive, so under pytest-xdist
(`--dist loadgroup`, see the Makefile) every test using one backend's demo runs on one worker,
which builds it once, while the other demos' tests run on other workers. Each build lives in its
own schema or file, so workers never share rows."""


def _group_suffix(item: pytest.Item) -> str | None:
    names = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
    return "_".join(names) or None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        for name in SHARED_DEMOS:
            if params is not None and name in params.params:
                item.add_marker(pytest.mark.xdist_group(f"{name}-{params.params[name]}"))
                break
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    # pytest-xdist 3.8 groups a test by an "@group" suffix of its node id, which it writes to
    # `item._nodeid`; pytest 9.2 keeps the id in `item._id`, so that write is lost and every
    # worker builds every demo (pytest-xdist #1386). Write the suffix where pytest reads it.
    for item in items:
        group = _group_suffix(item)
        if group is not None and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{group}")
