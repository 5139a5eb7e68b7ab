"""appointment: reminder_sent may be unknown; confirmed and deposit_paid

An appointments export without a reminder column used to store every row as "no reminder
sent" (NOT NULL, default false), and the no-show model then read all of them that way. The
three booking facts the model uses are now nullable booleans: NULL means the export did not say.

Revision ID: 0009_noshow_columns
Revises: 0006_schedules
Create Date: 2026-12-01 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_noshow_columns"
down_revision: str | None = "0008_briefing_news"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("reminder_sent", existing_type=sa.Boolean(), nullable=True)
        batch_op.add_column(sa.Column("confirmed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("deposit_paid", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("UPDATE appointment SET reminder_sent = false WHERE reminder_sent IS NULL"))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("deposit_paid")
        batch_op.drop_column("confirmed")
        batch_op.alter_column("reminder_sent", existing_type=sa.Boolean(), nullable=False)
