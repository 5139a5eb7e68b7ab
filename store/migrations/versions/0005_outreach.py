"""outreach: draft template, policy result, segments, send start, decision reason

Revision ID: 0005_outreach
Revises: 0004_money
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005_outreach"
down_revision: str | None = "0004_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outreachmessage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("template", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("policy", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sending_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outreachmessage", schema=None) as batch_op:
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("sending_started_at")
        batch_op.drop_column("segments")
        batch_op.drop_column("policy")
        batch_op.drop_column("template")
