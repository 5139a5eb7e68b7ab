"""One scheduler per database (APScheduler 3 has no cross-process lock: two schedulers on one
job store both fire every job).

- PostgreSQL: the leader holds a session advisory lock on a dedicated connection (NullPool,
  AUTOCOMMIT, so the lock never returns to a pool nor sits idle in a transaction); followers
  poll `pg_try_advisory_lock`. The lock key is derived from the database and schema, so stores
  in different schemas of one database elect their own leaders. A leader that dies drops its
  connection and with it the lock; a follower then takes over.
- SQLite: one worker per database file; an exclusive `flock` on `<db>.worker.lock` makes a
  second worker refuse to start.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from clarity.settings import SettingsError
from store.db import sqlite_path


class WorkerAlreadyRunningError(SettingsError):
    """A second worker on a SQLite database; the message says what to do."""


def lock_key(database: str, schema: str) -> int:
    """A signed 64-bit advisory-lock key for the scheduler of (database, schema)."""
    value = zlib.crc32(f"clarity-scheduler:{database}:{schema}".encode())
    return value - (1 << 31)


class PostgresLeadership:
    """Leadership through `pg_try_advisory_lock` on a dedicated connection."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn: Any = None
        self.key: int | None = None

    def try_acquire(self) -> bool:
        """True when this process leads (now or already)."""
        if self._conn is not None:
            return self.alive()
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        database, schema = conn.execute(text("select current_database(), current_schema()")).one()
        key = lock_key(str(database), str(schema))
        if conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            self._conn, self.key = conn, key
            return True
        conn.close()
        return False

    def alive(self) -> bool:
        """Still leading: the lock's connection answers."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("select 1"))
        except Exception:
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        with contextlib.suppress(Exception):  # the connection is already gone; so is the lock
            self._conn.close()
        self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing the connection releases it anyway
                self._conn.execute(text("select pg_advisory_unlock(:k)"), {"k": self.key})
            self._drop()
        self._engine.dispose()


class SqliteLeadership:
    """Leadership through an exclusive lock file next to the SQLite database."""

    def __init__(self, engine: Engine) -> None:
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        self.lock_path = Path(f"{path}.worker.lock") if path else None
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._file is not None or self.lock_path is None:
            return True
        handle = self.lock_path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkerAlreadyRunningError(
                f"another clarity worker already runs on {self.lock_path.with_suffix('')} "
                f"(it holds {self.lock_path}); SQLite allows one worker: stop it, or use "
                "PostgreSQL to run several"
            ) from None
        self._file = handle
        return True

    def alive(self) -> bool:
        return self._file is not None or self.lock_path is None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


Leadership = PostgresLeadership | SqliteLeadership


def leadership_for(engine: Engine) -> Leadership:
    """The leadership mechanism of `engine`'s backend (on PostgreSQL the engine's URL must
    carry any `options=-csearch_path=...`: the lock connection is made from it)."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine.url.render_as_string(hide_password=False))
    return SqliteLeadership(engine)
