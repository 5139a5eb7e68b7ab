"""Honest runs: one import per (organization, table, source) at a time, and runs whose process
died marked `interrupted`.

- **Lock.** An import holds a lock named after its organization, table and source for its
  whole length: a PostgreSQL session advisory lock (`pg_advisory_lock`), or on SQLite an
  exclusive `flock` on a file next to the database (`<db>.import-<hash>.lock`). A second
  import of the same file waits, then finds the rows stored and counts them `unchanged`.
  Both locks end with the process that holds them, so a killed import never blocks the next.
- **Liveness.** A run records its host, process id and a heartbeat (each committed batch) in
  its summary. When an import starts, every other `running` run is marked `interrupted` if
  its table and source are this import's (its process would hold the lock we now hold), if
  it ran on this host under a process id that no longer exists, or if its heartbeat is older
  than `STALE_AFTER`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError

from store import tables as t

STALE_AFTER = timedelta(minutes=30)
"""A `running` run whose heartbeat is older than this (on another host) is interrupted."""
HOST = socket.gethostname()


def lock_name(organization_id: int, kind: str, source: str) -> str:
    return f"clarity-import:{organization_id}:{kind}:{source}"


def _lock_key(name: str) -> int:
    """A signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def import_lock(conn: Connection, name: str) -> Iterator[None]:
    """Hold the import lock `name` on `conn`'s database until the block ends (waits for it)."""
    if conn.dialect.name == "postgresql":
        key = _lock_key(name)
        conn.exec_driver_sql("SELECT pg_advisory_lock(%s)", (key,))
        if conn.in_transaction():
            conn.commit()
        try:
            yield
        finally:
            try:
                if conn.in_transaction():
                    conn.rollback()
                conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))
                conn.commit()
            except DBAPIError:
                conn.invalidate()  # a lost connection: the session and its lock are gone
        return
    database = conn.engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database has no second importer
        return
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    path = Path(f"{database}.import-{digest}.lock")
    handle: IO[Any] = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def liveness() -> dict[str, Any]:
    """What a run records about its process: host, pid and the heartbeat time."""
    return {"host": HOST, "pid": os.getpid(), "heartbeat": datetime.now(UTC).isoformat()}


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _is_dead(summary: dict[str, Any], same_lock: bool, now: datetime) -> bool:
    if same_lock:
        return True
    pid = summary.get("pid")
    if summary.get("host") == HOST and isinstance(pid, int) and _process_gone(pid):
        return True
    beat = summary.get("heartbeat")
    try:
        when = datetime.fromisoformat(beat) if isinstance(beat, str) else None
    except ValueError:
        when = None
    return when is None or now - when > STALE_AFTER


def mark_interrupted(conn: Connection, kind: str, source: str, own_run: int | None) -> list[int]:
    """Mark `running` runs whose process is gone as `interrupted`; returns their ids.

    Call while holding the import lock of (`kind`, `source`)."""
    run = t.ingest_run
    now = datetime.now(UTC)
    dead: list[int] = []
    for row in conn.execute(
        select(run.c.id, run.c.kind, run.c.summary).where(run.c.status == "running")
    ):
        if row.id == own_run:
            continue
        summary = row.summary if isinstance(row.summary, dict) else {}
        same_lock = row.kind == kind and summary.get("source") == source
        if _is_dead(summary, same_lock, now):
            dead.append(int(row.id))
    for run_id in dead:
        conn.execute(
            update(run)
            .where(run.c.id == run_id, run.c.status == "running")
            .values(
                status="interrupted",
                finished_at=now,
                error="the importing process ended before the run finished",
            )
        )
    return dead
