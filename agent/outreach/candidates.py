"""Who is due for outreach, per purpose, with the facts a writer may use (numbers and
categories with ids; no names).

- `win_back`: the at-risk list (`tools.at_risk.at_risk_patients`).
- `next_due`: the last completed visit's service is a neurotoxin (due 12–16 weeks = 84–112
  days after it) or a filler (6–12 months = 180–365 days), or the service's own
  `rebook_min_days`–`rebook_max_days`; due when `as_of` falls in that window and nothing is
  booked after `as_of`.
- `post_treatment`: a completed filler visit exactly `POST_TREATMENT_DAYS` (2) days before
  `as_of`.
- `vip_check_in`: top-decile patients by net sales in the 365 days to `as_of` whose last
  completed visit is more than `VIP_QUIET_DAYS` (60) days ago, nothing booked ahead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, select

from store import tables as t

CYCLE_DAYS: dict[str, tuple[int, int]] = {"neurotoxin": (84, 112), "filler": (180, 365)}
POST_TREATMENT_DAYS = 2
VIP_QUIET_DAYS = 60


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    location_id: int
    purpose: str
    facts: list[dict[str, Any]]  # {"id", "label", "value", "unit"}: what the writer may cite
    reason: str  # for the approver, in numbers: "usually every 13 weeks, now 20"
    provider_id: int | None = None
    last_service: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # value and risk for the queue

    @property
    def key(self) -> str:
        return f"outreach:p{self.patient_id}:{self.purpose}"


def fact(fact_id: str, label: str, value: int | float, unit: str) -> dict[str, Any]:
    return {"id": fact_id, "label": label, "value": value, "unit": unit}


def _last_visits(engine: Engine, as_of: date, location_id: int | None) -> list[Any]:
    """Each patient's last completed visit up to `as_of`, with service and provider."""
    a, s = t.appointment, t.service
    last = (
        select(a.c.patient_id, func.max(a.c.local_date).label("day"))
        .where(a.c.status == "completed", a.c.local_date <= as_of)
        .group_by(a.c.patient_id)
        .subquery()
    )
    query = (
        select(
            a.c.patient_id,
            a.c.location_id,
            a.c.provider_id,
            a.c.local_date,
            s.c.name,
            s.c.category,
            s.c.rebook_min_days,
            s.c.rebook_max_days,
        )
        .join(last, and_(last.c.patient_id == a.c.patient_id, last.c.day == a.c.local_date))
        .join(s, s.c.id == a.c.service_id, isouter=True)
        .where(a.c.status == "completed")
        .order_by(a.c.patient_id, a.c.id)
    )
    if location_id is not None:
        query = query.where(a.c.location_id == location_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    seen: dict[int, Any] = {}
    for row in rows:  # several visits on the last day: keep the cycle-bearing one
        if row.patient_id not in seen or row.category in CYCLE_DAYS:
            seen[row.patient_id] = row
    return list(seen.values())


def _booked_ahead(engine: Engine, as_of: date) -> set[int]:
    a = t.appointment
    with engine.connect() as conn:
        return {
            int(p)
            for p in conn.execute(
                select(a.c.patient_id)
                .where(a.c.status == "booked", a.c.local_date > as_of)
                .distinct()
            ).scalars()
        }


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def next_due(engine: Engine, as_of: date, location_id: int | None = None) -> list[Candidate]:
    booked = _booked_ahead(engine, as_of)
    found = []
    for row in _last_visits(engine, as_of, location_id):
        if row.category not in CYCLE_DAYS or row.patient_id in booked:
            continue
        low, high = CYCLE_DAYS[row.category]
        if row.rebook_min_days and row.rebook_max_days:
            low, high = int(row.rebook_min_days), int(row.rebook_max_days)
        since = (as_of - _date(row.local_date)).days
        if not low <= since <= high:
            continue
        weeks = since // 7
        found.append(
            Candidate(
                patient_id=int(row.patient_id),
                location_id=int(row.location_id),
                purpose="next_due",
                facts=[
                    fact("weeks_since_visit", "weeks since the last visit", weeks, "weeks"),
                    fact("cycle_min_weeks", "cycle starts (weeks)", low // 7, "weeks"),
                    fact("cycle_max_weeks", "cycle ends (weeks)", high // 7, "weeks"),
                ],
                reason=f"{row.category} cycle {low // 7}–{high // 7} weeks, now {weeks}",
                provider_id=row.provider_id,
                last_service=row.name,
                details={"category": row.category, "days_since_visit": since},
            )
        )
    return found


def post_treatment(engine: Engine, as_of: date, location_id: int | None = None) -> list[Candidate]:
    a, s = t.appointment, t.service
    day = as_of - timedelta(days=POST_TREATMENT_DAYS)
    query = (
        select(a.c.patient_id, a.c.location_id, a.c.provider_id, s.c.name)
        .join(s, s.c.id == a.c.service_id)
        .where(a.c.status == "completed", a.c.local_date == day, s.c.category == "filler")
        .order_by(a.c.patient_id)
    )
    if location_id is not None:
        query = query.where(a.c.location_id == location_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found: dict[int, Candidate] = {}
    for row in rows:
        found.setdefault(
            int(row.patient_id),
            Candidate(
                patient_id=int(row.patient_id),
                location_id=int(row.location_id),
                purpose="post_treatment",
                facts=[fact("days_since_visit", "days since the visit", 2, "days")],
                reason=f"filler visit {POST_TREATMENT_DAYS} days ago",
                provider_id=row.provider_id,
                last_service=row.name,
            ),
        )
    return list(found.values())


def vip_check_in(engine: Engine, as_of: date, location_id: int | None = None) -> list[Candidate]:
    sale = t.sale
    with engine.connect() as conn:
        totals = conn.execute(
            select(sale.c.patient_id, func.sum(sale.c.net_cents).label("net"))
            .where(
                sale.c.patient_id.is_not(None),
                sale.c.local_date > as_of - timedelta(days=365),
                sale.c.local_date <= as_of,
            )
            .group_by(sale.c.patient_id)
        ).all()
    if not totals:
        return []
    ranked = sorted(totals, key=lambda r: (-int(r.net or 0), int(r.patient_id)))
    top = {int(r.patient_id): int(r.net or 0) for r in ranked[: max(1, len(ranked) // 10)]}
    booked = _booked_ahead(engine, as_of)
    found = []
    for row in _last_visits(engine, as_of, location_id):
        pid = int(row.patient_id)
        since = (as_of - _date(row.local_date)).days
        if pid not in top or pid in booked or since <= VIP_QUIET_DAYS:
            continue
        found.append(
            Candidate(
                patient_id=pid,
                location_id=int(row.location_id),
                purpose="vip_check_in",
                facts=[
                    fact("weeks_since_visit", "weeks since the last visit", since // 7, "weeks")
                ],
                reason=f"top-10% patient (${top[pid] / 100:,.0f} in 12 months), "
                f"quiet for {since // 7} weeks",
                provider_id=row.provider_id,
                last_service=row.name,
                details={"trailing_12m_value": top[pid] / 100},
            )
        )
    return sorted(found, key=lambda c: -float(c.details["trailing_12m_value"]))


def win_back(
    engine: Engine,
    as_of: date,
    location_id: int | None = None,
    organization_id: int | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    from tools.at_risk import at_risk_patients

    found = []
    for row in at_risk_patients(
        engine, as_of=as_of, organization_id=organization_id, location_id=location_id, limit=limit
    ):
        weeks = (as_of - row.last_visit).days // 7
        usual = max(1, (row.expected_next_visit - row.last_visit).days // 7)
        found.append(
            Candidate(
                patient_id=row.patient_id,
                location_id=row.location_id,
                purpose="win_back",
                facts=[
                    fact("weeks_since_visit", "weeks since the last visit", weeks, "weeks"),
                    fact("usual_interval_weeks", "usual weeks between visits", usual, "weeks"),
                ],
                reason=f"usually every {usual} weeks, now {weeks}",
                last_service=row.last_treatment,
                details={
                    "dollars_at_stake": row.dollars_at_stake,
                    "p_return": row.p_return,
                    "annual_value": row.annual_value,
                },
            )
        )
    return found


def candidates(
    engine: Engine,
    purposes: Iterable[str],
    *,
    as_of: date,
    location_id: int | None = None,
    organization_id: int | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    found: list[Candidate] = []
    for purpose in purposes:
        if purpose == "win_back":
            found += win_back(engine, as_of, location_id, organization_id, limit)
        elif purpose == "next_due":
            found += next_due(engine, as_of, location_id)
        elif purpose == "post_treatment":
            found += post_treatment(engine, as_of, location_id)
        elif purpose == "vip_check_in":
            found += vip_check_in(engine, as_of, location_id)
        else:
            raise ValueError(f"unknown outreach purpose {purpose!r}")
    return found[:limit] if limit is not None else found
