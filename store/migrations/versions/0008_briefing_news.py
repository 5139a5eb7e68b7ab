"""briefing news: at-risk score snapshots shared by every scope's briefing of a day

Revision ID: 0008_briefing_news
Revises: 0006_schedules
Create Date: 2026-12-01 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_briefing_news"
down_revision: str | None = "0007_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "atrisksnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("data_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=False),
        sa.Column("scores", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("atrisksnapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ux_atrisksnapshot_key",
            ["organization_id", "as_of", "horizon_days", "data_version"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("atrisksnapshot", schema=None) as batch_op:
        batch_op.drop_index("ux_atrisksnapshot_key")
    op.drop_table("atrisksnapshot")
