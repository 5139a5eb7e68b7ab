"""The outreach graph's persistent checkpointer: langgraph-checkpoint-sqlite by default (a file
beside the store, `var/outreach-checkpoints.sqlite`), langgraph-checkpoint-postgres when the
store is PostgreSQL (same database; `schema` sets the search_path, as the store's engine does).

Verified pitfalls (shared/NOTES.md): SqliteSaver takes a plain path, not a `sqlite:///` URL;
PostgresSaver's connection needs autocommit and `setup()` once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


def checkpoint_path(var_dir: Path) -> Path:
    return var_dir / "outreach-checkpoints.sqlite"


def _libpq_url(database_url: str) -> str:
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(
    database_url: str, *, sqlite_path: Path, schema: str | None = None
) -> Iterator[Any]:
    """A ready checkpointer for the store at `database_url` (tables created if missing)."""
    if make_url(database_url).get_backend_name() == "postgresql":
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        extra: dict[str, Any] = {"options": f"-csearch_path={schema}"} if schema else {}
        conn = psycopg.connect(
            _libpq_url(database_url),
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            **extra,
        )
        try:
            saver = PostgresSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(sqlite_path), check_same_thread=False, timeout=30)
    try:
        saver_sqlite = SqliteSaver(connection)
        saver_sqlite.setup()
        yield saver_sqlite
    finally:
        connection.close()
