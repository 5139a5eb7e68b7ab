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
from sqlalchemy.exc import ArgumentError
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
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    raise SettingsError(f"CLARITY_DATABASE_URL: unsupported database backend {backend!r}")


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
