"""Engine and session factory. Nothing here runs at import time; callers pass a URL in."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

from clarity.settings import SettingsError


def sqlite_path(url: str) -> Path | None:
    """The file behind a `sqlite:///PATH` URL, or None for in-memory/non-SQLite URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _prepare_sqlite_file(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"CLARITY_DATABASE_URL: cannot create directory {directory} ({exc.strerror})"
        ) from None
    target = path if path.exists() else directory
    if not os.access(target, os.W_OK):
        raise SettingsError(f"CLARITY_DATABASE_URL: {target} is not writable")


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _numeric_as_float(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL sums BIGINT (cents) to NUMERIC, which psycopg returns as `Decimal`; SQLite
    returns int. The schema has no NUMERIC column, so NUMERIC results are read as float, as
    the tools' arithmetic (float and numpy) expects on both backends."""
    from psycopg.types.numeric import FloatLoader

    dbapi_connection.adapters.register_loader("numeric", FloatLoader)


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Create an engine for SQLite or PostgreSQL.

    `schema` (PostgreSQL only) sets the connection's search_path; tests use it to give each test
    a clean schema inside one database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(f"CLARITY_DATABASE_URL: cannot parse {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            _prepare_sqlite_file(path)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        engine = create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
        event.listen(engine, "connect", _numeric_as_float)
        return engine
    raise SettingsError(f"CLARITY_DATABASE_URL: unsupported database backend {backend!r}")


class DatabaseUnreachableError(SettingsError):
    """The configured database cannot be connected to; the message names host and port."""


def where(engine: Engine) -> str:
    """Where the engine's database lives, for messages: `host:port/db` or the SQLite file."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database or ':memory:'}"
    port = url.port or 5432
    return f"PostgreSQL at {url.host or 'localhost'}:{port} (database {url.database})"


def _first_reason(exc: OperationalError) -> str:
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: Connection
    # refused\n\tIs the server running…' — the last clause of the first line says why.
    first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else ""
    return first.rsplit(": ", 1)[-1].strip() or type(exc.orig).__name__


def ensure_reachable(engine: Engine) -> None:
    """Connect once (cheap: the connection returns to the pool) so that an unreachable
    database becomes `DatabaseUnreachableError` before any work starts."""
    try:
        engine.connect().close()
    except OperationalError as exc:
        raise DatabaseUnreachableError(
            f"cannot connect to the database: {where(engine)}: {_first_reason(exc)}"
        ) from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
