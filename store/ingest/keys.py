"""Key lookups shared by the loader and the reference resolver: which external ids of a source
are stored, and their store ids or raw column values.

One driver-level query per chunk of keys (`= ANY(%s)` on PostgreSQL, `IN (?, …)` sized to
SQLite's parameter limit) instead of a compiled SQLAlchemy expression per batch. This module
imports nothing else from the ingest package, so `loader` and `refs` both depend on it without
depending on each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Table, select


def sqlite_max_parameters(conn: Connection) -> int:
    """How many `?` one statement may hold: 32,766 since SQLite 3.32, 999 before."""
    raw: Any = conn.connection.dbapi_connection
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except AttributeError:  # pragma: no cover - Python < 3.11 has no getlimit
        return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def _rows_by_key(
    conn: Connection, table: str, key: str, columns: list[str], source: str, ids: list[str]
) -> Iterator[Any]:
    """Rows `(key, *columns)` of `source` in `table` whose `key` is in `ids`, as the driver
    returns them.

    Used on every batch: a driver-level `= ANY(%s)` (PostgreSQL) or `IN (?, …)` sized to
    SQLite's parameter limit avoids compiling a 5,000-parameter SQLAlchemy expression per
    batch and a typed round trip per value.
    """
    if not ids:
        return
    selected = ", ".join(f'"{c}"' for c in (key, *columns))
    if conn.dialect.name == "postgresql":
        yield from conn.exec_driver_sql(
            f'SELECT {selected} FROM "{table}" WHERE source = %s AND "{key}" = ANY(%s)',
            (source, ids),
        ).fetchall()
        return
    per = sqlite_max_parameters(conn) - 1  # one `?` is the source
    for i in range(0, len(ids), per):
        chunk = ids[i : i + per]
        marks = ",".join("?" * len(chunk))
        yield from conn.exec_driver_sql(
            f'SELECT {selected} FROM "{table}" WHERE source = ? AND "{key}" IN ({marks})',
            (source, *chunk),
        ).fetchall()


def ids_in(
    conn: Connection, table: str, key: str, value: str, source: str, ids: list[str]
) -> dict[str, Any]:
    """`{key: value}` of rows of `source` whose `key` is in `ids`."""
    return {row[0]: row[1] for row in _rows_by_key(conn, table, key, [value], source, ids)}


def existing_rows(
    conn: Connection, table: Table, source: str, ids: list[str], columns: list[str]
) -> dict[str, Any]:
    """Stored rows of `source` with these external ids, by external id (typed values)."""
    present = list(ids_in(conn, table.name, "external_id", "id", source, ids))
    found: dict[str, Any] = {}
    cols = [table.c.external_id, table.c.id, *(table.c[c] for c in columns)]
    for i in range(0, len(present), 5000):
        chunk = present[i : i + 5000]
        for row in conn.execute(
            select(*cols).where(table.c.source == source, table.c.external_id.in_(chunk))
        ):
            found[row.external_id] = row
    return found


def existing_raw(
    conn: Connection, table: Table, source: str, ids: list[str], columns: list[str]
) -> dict[str, tuple[Any, ...]]:
    """Stored values (as the driver returns them) of `columns`, by external id: comparing a
    re-imported batch with what is stored must not cost a typed round trip per value."""
    rows = _rows_by_key(conn, table.name, "external_id", columns, source, ids)
    return {row[0]: tuple(row[1:]) for row in rows}
