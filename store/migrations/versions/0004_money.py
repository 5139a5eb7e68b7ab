"""money columns as 64-bit cents (BIGINT)

A 32-bit cents column overflows at $21,474,836.47: one such line failed a whole file on
PostgreSQL while SQLite (whose INTEGER is 64-bit) stored it. Every `*_cents` column becomes
BIGINT on both databases.

Revision ID: 0004_money
Revises: 0003_seams
Create Date: 2026-11-30 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_money"
down_revision: str | None = "0003_seams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "compensation": ("base_cents", "commission_cents", "bonus_cents", "benefits_cents"),
    "service": ("price_cents", "cogs_cents"),
    "sale": ("gross_cents", "discount_cents", "refund_cents", "net_cents", "cogs_cents"),
    "membership": ("monthly_price_cents",),
    "marketingspend": ("amount_cents",),
    "finding": ("dollars_cents",),
}


def _retype(old: type[sa.types.TypeEngine], new: type[sa.types.TypeEngine]) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                batch_op.alter_column(
                    name, existing_type=old(), type_=new(), existing_nullable=False
                )


def upgrade() -> None:
    _retype(sa.Integer, sa.BigInteger)


def downgrade() -> None:
    _retype(sa.BigInteger, sa.Integer)
