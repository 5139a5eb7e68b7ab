"""Planner statistics after bulk loads (PostgreSQL ANALYZE; a no-op on SQLite).

`pg_class.reltuples` is -1 for a table never analyzed (PostgreSQL 14+) and a row estimate
after ANALYZE; unlike the statistics views it is catalog data, visible at once."""

from __future__ import annotations

from sqlalchemy import Engine, text

from store.db import refresh_statistics


def test_refresh_statistics_analyzes_every_table_on_postgresql(engine: Engine) -> None:
    refresh_statistics(engine)
    if engine.dialect.name != "postgresql":
        return  # SQLite: nothing to do, and nothing must fail
    with engine.connect() as conn:
        never = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.reltuples < 0"
            )
        ).scalars()
        assert sorted(never) == []


def test_refresh_statistics_of_named_tables(engine: Engine) -> None:
    refresh_statistics(engine, ["appointment", "sale"])
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        analyzed = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.reltuples >= 0"
            )
        ).scalars()
        assert sorted(analyzed) == ["appointment", "sale"]
