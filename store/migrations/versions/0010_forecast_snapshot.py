"""forecast snapshots: an organization's revenue forecast computed once per day and data version

Revision ID: 0010_forecast_snapshot
Revises: 0009_noshow_columns
Create Date: 2026-12-01 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010_forecast_snapshot"
down_revision: str | None = "0009_noshow_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecastsnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("horizons", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("data_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forecastsnapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ux_forecastsnapshot_key",
            ["organization_id", "as_of", "horizons", "data_version"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("forecastsnapshot", schema=None) as batch_op:
        batch_op.drop_index("ux_forecastsnapshot_key")
    op.drop_table("forecastsnapshot")
