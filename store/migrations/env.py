"""Alembic environment: runs against the engine handed in by `store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.migrate import include_name

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (create copy, drop, rename); with foreign keys
            # enforced, dropping a referenced table fails. SQLite ignores this pragma inside a
            # transaction, so it is the first statement; `foreign_key_check` below proves the
            # rebuilt tables still satisfy every reference.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows with broken references")


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `clarity db upgrade`")
run_migrations_online()
