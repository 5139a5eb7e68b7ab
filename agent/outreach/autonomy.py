"""The autonomous policy (off by default): which drafts may be approved without a person.

A draft is auto-approved only when every condition holds:
- the policy is `enabled` and its `kill_switch` is off;
- its purpose is in `purposes` (default: the care reminders `next_due` and `post_treatment`;
  marketing is never in the default);
- its policy check passed (every rule);
- fewer than `daily_cap` messages were auto-approved at the location on the same UTC day.
Each auto-approval is audited as `outreach.auto_approve` with the rule that allowed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from store import tables as t

RULE = "care-reminder-passed-policy"


@dataclass(frozen=True)
class AutoApprovePolicy:
    enabled: bool = False
    kill_switch: bool = False
    purposes: tuple[str, ...] = ("next_due", "post_treatment")
    daily_cap: int = 20


def auto_approved_today(engine: Engine, location_id: int, now: datetime) -> int:
    day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    a, m = t.audit_event, t.outreach_message
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(a.join(m, m.c.id == func.cast(a.c.entity_id, m.c.id.type)))
                .where(
                    a.c.action == "outreach.auto_approve",
                    a.c.occurred_at >= day_start,
                    a.c.occurred_at < day_start + timedelta(days=1),
                    m.c.location_id == location_id,
                )
            ).scalar_one()
        )


def allows(
    policy: AutoApprovePolicy, row: dict[str, Any], *, engine: Engine, now: datetime
) -> str | None:
    """The rule name when `row` (a pending message) may be auto-approved, else None."""
    if not policy.enabled or policy.kill_switch:
        return None
    if row["purpose"] not in policy.purposes or not (row["policy"] or {}).get("passed"):
        return None
    if auto_approved_today(engine, row["location_id"], now) >= policy.daily_cap:
        return None
    return RULE
