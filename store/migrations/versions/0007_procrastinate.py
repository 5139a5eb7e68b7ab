"""procrastinate: the task queue's schema (PostgreSQL only; SQLite runs jobs in process)

The schema is procrastinate 3.10.0's own SQL (`SchemaManager.get_schema()`), applied as is:
its tables, types, functions and triggers are all prefixed `procrastinate_` and unqualified, so
they land in the connection's schema. It is not idempotent, hence a migration (applied once).
Upgrading procrastinate means a new revision with its SQL migration files
(`procrastinate schema --migrations-path`). Alembic's model comparison ignores these tables
(`store.migrate.include_name`).

Revision ID: 0007_procrastinate
Revises: 0006_schedules
Create Date: 2026-12-01 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_procrastinate"
down_revision: str | None = "0007_webapp_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    op.execute(sa.text(SchemaManager.get_schema()))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("events", "periodic_defers", "jobs", "workers"):
        op.execute(sa.text(f"DROP TABLE IF EXISTS procrastinate_{table} CASCADE"))
    for type_ in ("job_event_type", "job_status", "job_to_defer_v1"):
        op.execute(sa.text(f"DROP TYPE IF EXISTS procrastinate_{type_} CASCADE"))
    functions = op.get_bind().execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
        )
    )
    for (signature,) in functions.all():
        op.execute(sa.text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
