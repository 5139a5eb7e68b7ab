"""one briefing per scope and day: a unique index instead of a plain one

A unique index rather than a table constraint: it enforces the same uniqueness and serves
`ON CONFLICT (scope, for_date)` on both databases, and SQLite can add it without rebuilding the
table (a rebuild drops `briefing`, which `briefingdelivery` rows reference by foreign key).

Duplicate briefings of one (scope, for_date) are merged first into the newest one (latest
`created_at`, then highest id): their deliveries move to it unless it already has a delivery to
the same channel and recipient, in which case the older delivery row is dropped.

Revision ID: 0003_seams
Revises: ingest_0002
Create Date: 2026-11-30 16:50:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_seams"
down_revision: str | None = "ingest_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

briefing = sa.table(
    "briefing",
    sa.column("id", sa.Integer),
    sa.column("scope", sa.String),
    sa.column("for_date", sa.Date),
    sa.column("created_at", sa.DateTime),
)
delivery = sa.table(
    "briefingdelivery",
    sa.column("id", sa.Integer),
    sa.column("briefing_id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("recipient", sa.String),
)


def _dedupe(connection: sa.Connection) -> None:
    groups: dict[tuple[object, object], list[tuple[object, int]]] = defaultdict(list)
    for row in connection.execute(
        sa.select(briefing.c.id, briefing.c.scope, briefing.c.for_date, briefing.c.created_at)
    ):
        groups[(row.scope, row.for_date)].append((row.created_at, row.id))
    for rows in groups.values():
        if len(rows) < 2:
            continue
        rows.sort(key=lambda item: (str(item[0]), item[1]))  # newest last
        keep = rows[-1][1]
        for _, old in rows[:-1]:
            kept = {
                (r.channel, r.recipient)
                for r in connection.execute(
                    sa.select(delivery.c.channel, delivery.c.recipient).where(
                        delivery.c.briefing_id == keep
                    )
                )
            }
            moving = connection.execute(
                sa.select(delivery.c.id, delivery.c.channel, delivery.c.recipient).where(
                    delivery.c.briefing_id == old
                )
            ).all()
            for delivery_id, channel, recipient in moving:
                if (channel, recipient) in kept:
                    connection.execute(sa.delete(delivery).where(delivery.c.id == delivery_id))
                else:
                    connection.execute(
                        sa.update(delivery)
                        .where(delivery.c.id == delivery_id)
                        .values(briefing_id=keep)
                    )
            connection.execute(sa.delete(briefing).where(briefing.c.id == old))


def upgrade() -> None:
    _dedupe(op.get_bind())
    with op.batch_alter_table("briefing", schema=None) as batch_op:
        batch_op.drop_index("ix_briefing_scope_date")
        batch_op.create_index("ux_briefing_scope_date", ["scope", "for_date"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("briefing", schema=None) as batch_op:
        batch_op.drop_index("ux_briefing_scope_date")
        batch_op.create_index("ix_briefing_scope_date", ["scope", "for_date"], unique=False)
