"""schedules: job runs (scheduled briefings, sends, retries; skipped-late records)

Revision ID: 0006_schedules
Revises: 0005_outreach
Create Date: 2026-11-30 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006_schedules"
down_revision: str | None = "0005_outreach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scheduled_for", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobrun_started_at"), ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobrun_started_at"))
    op.drop_table("jobrun")
