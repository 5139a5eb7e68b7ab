"""`INSERT … ON CONFLICT` for the engine's dialect (SQLite or PostgreSQL).

Both dialects spell it the same way in SQLAlchemy (`on_conflict_do_nothing`,
`on_conflict_do_update(index_elements=…, set_=…)`), but the construct lives in each dialect's
module; `insert_for` picks the right one so callers stay dialect-free.
"""

from __future__ import annotations

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that supports ON CONFLICT on `engine`'s database."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no INSERT … ON CONFLICT for the {engine.dialect.name} database")
