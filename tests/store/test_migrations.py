from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

from store.migrate import current_revision, head_revision, include_name, upgrade


def test_upgrade_empty_database_to_head(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None
    assert upgrade(bare_engine) == head_revision()
    tables = set(inspect(bare_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(bare_engine: Engine) -> None:
    first = upgrade(bare_engine)
    second = upgrade(bare_engine)
    assert first == second == head_revision()


def test_migrations_match_the_models(bare_engine: Engine) -> None:
    """A model changed without a migration shows up here as a non-empty diff."""
    upgrade(bare_engine)
    with bare_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_task_queue_schema_is_postgresql_only(bare_engine: Engine) -> None:
    """0007_procrastinate: procrastinate's tables on PostgreSQL, nothing on SQLite; the
    model comparison above ignores them (and the scheduler's `apscheduler_jobs`)."""
    upgrade(bare_engine)
    tables = set(inspect(bare_engine).get_table_names())
    queue = {name for name in tables if name.startswith("procrastinate_")}
    if bare_engine.dialect.name == "postgresql":
        assert queue == {
            "procrastinate_jobs",
            "procrastinate_events",
            "procrastinate_periodic_defers",
            "procrastinate_workers",
        }
    else:
        assert queue == set()
    # Down to 0006 drops them (tables, types, functions), and up again creates them again.
    from alembic import command

    from store.migrate import alembic_config

    command.downgrade(alembic_config(bare_engine), "0006_schedules")
    assert not any(n.startswith("procrastinate_") for n in inspect(bare_engine).get_table_names())
    assert upgrade(bare_engine) == head_revision()
    assert queue <= set(inspect(bare_engine).get_table_names())
    assert include_name("procrastinate_jobs", "table", {}) is False
    assert include_name("apscheduler_jobs", "table", {}) is False
    assert include_name("jobrun", "table", {}) is True


def test_metric_indexes_exist(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    inspector = inspect(bare_engine)
    appointment = {tuple(ix["column_names"]) for ix in inspector.get_indexes("appointment")}
    sale = {tuple(ix["column_names"]) for ix in inspector.get_indexes("sale")}
    assert ("location_id", "local_date") in appointment
    assert ("provider_id", "local_date") in appointment
    assert ("patient_id", "start_at") in appointment
    assert ("location_id", "local_date") in sale
    assert ("patient_id", "local_date") in sale


def _insert_minimal(conn: Connection, table: str, **given: object) -> None:
    """A row with `given` values and a plain value in every other NOT NULL column."""
    values: dict[str, object] = {}
    for column in inspect(conn).get_columns(table):
        name = column["name"]
        if name in given:
            values[name] = given[name]
        elif not column["nullable"] and column.get("default") is None and name != "id":
            kind = str(column["type"]).upper()
            if "INT" in kind:
                values[name] = 1
            elif "BOOL" in kind:
                values[name] = True
            elif "DATETIME" in kind or "TIMESTAMP" in kind:
                values[name] = datetime(2026, 1, 1, tzinfo=UTC)
            elif "DATE" in kind:
                values[name] = date(2026, 1, 1)
            elif "JSON" in kind:
                values[name] = "{}"
            else:
                values[name] = f"{table}-{name}"
    names = ", ".join(values)
    conn.execute(
        text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values
    )


def test_upgrade_of_a_populated_database_keeps_its_rows(bare_engine: Engine) -> None:
    """A store with rows at the last released revision upgrades to head: the batch rebuild of
    a referenced table (service, referenced by appointments) must not trip foreign keys."""
    upgrade(bare_engine, "ingest_0002")
    with bare_engine.begin() as conn:
        for table in ("organization", "location", "provider", "patient", "service"):
            _insert_minimal(conn, table, id=1)
        _insert_minimal(conn, "appointment", id=1, service_id=1)
    assert upgrade(bare_engine) == head_revision()
    with bare_engine.begin() as conn:
        # 3,000,000,000 cents ($30,000,000) does not fit the old 32-bit column.
        conn.execute(text("UPDATE service SET price_cents = 3000000000 WHERE id = 1"))
        assert conn.execute(text("SELECT price_cents FROM service")).scalar_one() == 3_000_000_000
        assert conn.execute(text("SELECT service_id FROM appointment")).scalar_one() == 1
