from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from store.migrate import current_revision, head_revision, upgrade


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
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


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
