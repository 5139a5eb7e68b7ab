"""outreach policy: a location's send window, SMS segments, service in e-mail and auto-approval

Revision ID: 0011_outreach_policy
Revises: 0010_forecast_snapshot
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011_outreach_policy"
down_revision: str | None = "0010_forecast_snapshot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outreachpolicy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("send_start_hour", sa.Integer(), nullable=False),
        sa.Column("send_end_hour", sa.Integer(), nullable=False),
        sa.Column("max_segments", sa.Integer(), nullable=False),
        sa.Column("allow_service_in_email", sa.Boolean(), nullable=False),
        sa.Column("auto_approve_enabled", sa.Boolean(), nullable=False),
        sa.Column("auto_approve_daily_cap", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outreachpolicy", schema=None) as batch_op:
        batch_op.create_index("ux_outreachpolicy_location", ["location_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("outreachpolicy", schema=None) as batch_op:
        batch_op.drop_index("ux_outreachpolicy_location")
    op.drop_table("outreachpolicy")
