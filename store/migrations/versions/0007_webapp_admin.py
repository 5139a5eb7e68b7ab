"""webapp admin: audit events carry their organization and location (the audit page is scoped)

Revision ID: 0007_webapp_admin
Revises: 0006_schedules
Create Date: 2026-12-01 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_webapp_admin"
down_revision: str | None = "0006_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Outreach audit rows name their message; its location (and that location's organization)
# is whose event it was. Other rows cannot be attributed and stay NULL (shown to nobody).
BACKFILL_LOCATION = """
UPDATE auditevent SET location_id = (
    SELECT m.location_id FROM outreachmessage m WHERE CAST(m.id AS VARCHAR) = auditevent.entity_id
) WHERE entity_type = 'outreach_message' AND location_id IS NULL
"""
BACKFILL_ORGANIZATION = """
UPDATE auditevent SET organization_id = (
    SELECT l.organization_id FROM location l WHERE l.id = auditevent.location_id
) WHERE location_id IS NOT NULL AND organization_id IS NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_auditevent_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_auditevent_organization_id_organization",
            "organization",
            ["organization_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_auditevent_location_id_location", "location", ["location_id"], ["id"]
        )
    op.execute(BACKFILL_LOCATION)
    op.execute(BACKFILL_ORGANIZATION)


def downgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_constraint("fk_auditevent_location_id_location", type_="foreignkey")
        batch_op.drop_constraint("fk_auditevent_organization_id_organization", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_auditevent_organization_id"))
        batch_op.drop_column("location_id")
        batch_op.drop_column("organization_id")
