"""Dollar-attached findings: the gaps that matter, ranked by dollars, with their evidence.

`compute_findings` looks at the organization (or one location) as of a day and returns drafts;
`persist_findings` upserts them into `store.models.Finding` by fingerprint, so the same gap seen
again tomorrow updates the row instead of being announced again.

Kinds, windows and dollar formulas (every formula is also written, with its numbers, into the
draft's `formula` and `evidence`):

- `rebooking_gap` (per provider and per location): completed rebookable visits in the 30 days
  ending the day before `as_of` (so each visit had its day to be rebooked). Target = the higher
  of the industry average midpoint (60%) and the subject's own rate in the 182 days before the
  window. dollars = (target − actual) × eligible visits × average visit value.
- `comp_above_range` / `comp_below_range` (per provider): the last three complete calendar
  months. Ratio > 50%: dollars = (ratio − 0.40) × production (the benchmark midpoint).
  Ratio < 30% (retention risk): dollars = (0.35 − ratio) × production, the raise that would
  bring pay to the bottom of the healthy range.
- `cac_jump` (per location and paid channel): the current month to date and the three months
  before it, against the six months before those. When CAC rose ≥ 25%:
  dollars = (recent CAC − baseline CAC) × recent new patients (the extra spend).
- `vip_concentration` (organization, or the location asked for): trailing 12 months. When the
  top 10% of patients bring ≥ 35% of revenue, dollars = the 12-month revenue of VIPs who have
  gone quiet (no visit for 120 days and 1.5 × their own usual interval, nothing booked): the
  revenue at risk.
- `utilization_gap` (per provider): the 30 days ending `as_of`. Target = 65% (industry average
  midpoint); dollars = (target − actual) × available hours × production per booked hour.
- `no_show_cost` (per location): the 30 days ending `as_of`, when the rate is above the top
  performers' 8%: dollars = no-shows × average booked value (list price of the missed service).

Small samples make no finding: fewer than 30 eligible visits, completed appointments (for
compensation and utilization), seen appointments (no-shows), new patients (CAC) or paying
patients (VIP) in the window, and in the baseline where one is used.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from store import tables as t
from tools.benchmarks import benchmark_value, load_benchmarks
from tools.facts import Fact, FactMaker, FindingDraft, Unit
from tools.kpi_base import GroupBy, Resolved, fact_id, resolve
from tools.marketing import new_patient_counts, spend_counts
from tools.operations import attendance_counts, capacity_counts, rebooking_counts, revenue_counts
from tools.pnl import comp_ratio_counts
from tools.scope import Period, Scope
from tools.vip import lapsing_vips, vip_concentration

SOURCE = "tools.findings"
MIN_SAMPLE = 30
MIN_REBOOKING_GAP = 0.02
MIN_UTILIZATION_GAP = 0.02
CAC_JUMP_RATIO = 1.25
VIP_QUIET_DAYS = 120


class PersistedFinding(BaseModel):
    finding_id: int
    is_new: bool
    draft: FindingDraft


def _midpoint(kpi: str, name: str = "average") -> float:
    low, high = benchmark_value(kpi, name)
    return round((low + high) / 2, 4)


def _months_before(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _fact(
    kind: str, scope: str, period: Period, suffix: str, label: str, value: Any, unit: Unit
) -> Fact:
    make = FactMaker(
        prefix=fact_id(kind, scope, period),
        scope=scope,
        source=SOURCE,
        period_start=period.start,
        period_end=period.end,
    )
    return make(suffix, label, value, unit)


class _Context:
    """Names and scopes shared by the detectors of one run."""

    def __init__(self, conn: Connection, organization_id: int, location_id: int | None) -> None:
        self.conn = conn
        self.organization_id = organization_id
        self.res: Resolved = resolve(conn, Scope(organization_id, location_id))
        self.locations = dict(
            conn.execute(
                select(t.location.c.id, t.location.c.name).where(
                    t.location.c.id.in_(self.res.location_ids)
                )
            ).all()
        )
        self.providers = {
            row.id: (f"{row.first_name} {row.last_name}", row.location_id)
            for row in conn.execute(
                select(
                    t.provider.c.id,
                    t.provider.c.first_name,
                    t.provider.c.last_name,
                    t.provider.c.location_id,
                ).where(t.provider.c.location_id.in_(self.res.location_ids))
            )
        }

    def subject(self, level: str, key: int) -> tuple[str, str, int | None, int | None]:
        """(scope key, display name, location id, provider id)."""
        if level == "provider":
            name, location_id = self.providers[key]
            return f"provider:{key}", name, location_id, key
        return f"location:{key}", self.locations[key], key, None

    def draft(
        self,
        *,
        kind: str,
        scope: str,
        title: str,
        period: Period,
        dollars: float,
        formula: str,
        action: str,
        evidence: dict[str, Any],
        facts: list[Fact],
        location_id: int | None,
        provider_id: int | None,
        fingerprint_key: str | None = None,
        fact_kind: str | None = None,
    ) -> FindingDraft:
        dollars = round(dollars, 2)
        facts = [
            _fact(
                fact_kind or kind,
                scope,
                period,
                "dollars",
                f"Dollars at stake: {title}",
                dollars,
                "USD",
            ),
            *facts,
        ]
        return FindingDraft(
            kind=kind,
            title=title,
            scope=scope,
            organization_id=self.organization_id,
            location_id=location_id,
            provider_id=provider_id,
            period_start=period.start,
            period_end=period.end,
            dollars=dollars,
            formula=formula,
            recommended_action=action,
            evidence={**evidence, "formula": formula, "period": period.label()},
            facts=facts,
            fingerprint_key=fingerprint_key or f"{kind}|{scope}",
        )


# --------------------------------------------------------------------------- detectors


def _rebooking(ctx: _Context, as_of: date) -> list[FindingDraft]:
    window = Period(as_of - timedelta(days=30), as_of - timedelta(days=1))
    baseline = Period(window.start - timedelta(days=182), window.start - timedelta(days=1))
    industry = _midpoint("rebooking_rate")
    drafts = []
    levels: tuple[GroupBy, ...] = ("provider", "location")
    for level in levels:
        now = rebooking_counts(ctx.conn, ctx.res, window, group=level)
        before = rebooking_counts(ctx.conn, ctx.res, baseline, group=level)
        for key, (eligible, rebooked, net_cents) in sorted(now.items(), key=lambda kv: kv[0] or 0):
            if key is None or eligible < MIN_SAMPLE:
                continue
            actual = rebooked / eligible
            b_eligible, b_rebooked, _ = before.get(key, (0, 0, 0))
            own = b_rebooked / b_eligible if b_eligible >= MIN_SAMPLE else None
            target = max(industry, own or 0.0)
            gap = target - actual
            if gap < MIN_REBOOKING_GAP:
                continue
            visit_value = net_cents / 100.0 / eligible
            dollars = gap * eligible * visit_value
            scope, name, location_id, provider_id = ctx.subject(level, key)
            target_source = (
                "own rate in the previous 182 days"
                if own is not None and own > industry
                else "industry average midpoint (seed 001: 55–65%)"
            )
            formula = (
                f"(target {target:.1%} − actual {actual:.1%}) × {eligible} eligible visits × "
                f"${visit_value:,.2f} average visit value = ${dollars:,.0f}"
            )
            facts = [
                _fact(
                    "rebooking_gap",
                    scope,
                    window,
                    "actual",
                    f"Rebooking rate, {name}",
                    round(actual, 6),
                    "percent",
                ),
                _fact(
                    "rebooking_gap",
                    scope,
                    window,
                    "target",
                    f"Rebooking target, {name}",
                    round(target, 6),
                    "percent",
                ),
                _fact(
                    "rebooking_gap",
                    scope,
                    window,
                    "eligible",
                    f"Eligible visits, {name}",
                    eligible,
                    "count",
                ),
                _fact(
                    "rebooking_gap",
                    scope,
                    window,
                    "visit_value",
                    f"Average visit value, {name}",
                    round(visit_value, 2),
                    "USD",
                ),
            ]
            drafts.append(
                ctx.draft(
                    kind="rebooking_gap",
                    scope=scope,
                    title=f"{name}: rebooking {actual:.0%} vs target {target:.0%}",
                    period=window,
                    dollars=dollars,
                    formula=formula,
                    action=f"Review checkout rebooking with {name}; rebook before the patient "
                    "leaves.",
                    evidence={
                        "eligible_visits": eligible,
                        "rebooked_visits": rebooked,
                        "actual_rate": round(actual, 4),
                        "target_rate": round(target, 4),
                        "target_source": target_source,
                        "baseline_rate": None if own is None else round(own, 4),
                        "baseline_eligible_visits": b_eligible,
                        "baseline_period": baseline.label(),
                        "average_visit_value_usd": round(visit_value, 2),
                        "benchmark": "rebooking_rate average 55–65%, top 75–85% (seed 001)",
                    },
                    facts=facts,
                    location_id=location_id,
                    provider_id=provider_id,
                )
            )
    return drafts


def _comp(ctx: _Context, as_of: date) -> list[FindingDraft]:
    end = as_of.replace(day=1) - timedelta(days=1)
    window = Period(_months_before(as_of.replace(day=1), 3), end)
    target = float(benchmark_value("comp_to_production", "target"))
    low, high = benchmark_value("comp_to_production", "healthy")
    risk = float(benchmark_value("comp_to_production", "retention_risk_below"))
    visits = attendance_counts(ctx.conn, ctx.res, window, group="provider")
    drafts = []
    for pid, (comp_cents, prod_cents, _) in sorted(
        comp_ratio_counts(ctx.conn, ctx.res, window).items()
    ):
        if prod_cents <= 0 or visits.get(pid, {}).get("completed", 0) < MIN_SAMPLE:
            continue
        comp_ratio = comp_cents / prod_cents
        production = prod_cents / 100.0
        scope, name, location_id, _ = ctx.subject("provider", pid)
        if comp_ratio > high:
            kind = "comp_above_range"
            dollars = (comp_ratio - target) * production
            formula = (
                f"(ratio {comp_ratio:.1%} − {target:.0%} benchmark midpoint) × "
                f"${production:,.0f} production = ${dollars:,.0f}"
            )
            title = f"{name}: compensation {comp_ratio:.0%} of production (healthy 35–50%)"
            action = f"Review {name}'s compensation plan against production."
        elif comp_ratio < risk:
            kind = "comp_below_range"
            dollars = (low - comp_ratio) * production
            formula = (
                f"({low:.0%} healthy floor − ratio {comp_ratio:.1%}) × "
                f"${production:,.0f} production = ${dollars:,.0f}"
            )
            title = f"{name}: compensation {comp_ratio:.0%} of production — retention risk"
            action = f"Check {name}'s pay against the market before they leave."
        else:
            continue
        facts = [
            _fact(
                kind,
                scope,
                window,
                "ratio",
                f"Comp-to-production ratio, {name}",
                round(comp_ratio, 6),
                "percent",
            ),
            _fact(
                kind,
                scope,
                window,
                "production",
                f"Production, {name}",
                round(production, 2),
                "USD",
            ),
            _fact(
                kind,
                scope,
                window,
                "compensation",
                f"Compensation, {name}",
                round(comp_cents / 100.0, 2),
                "USD",
            ),
        ]
        drafts.append(
            ctx.draft(
                kind=kind,
                scope=scope,
                title=title,
                period=window,
                dollars=dollars,
                formula=formula,
                action=action,
                evidence={
                    "comp_to_production": round(comp_ratio, 4),
                    "production_usd": round(production, 2),
                    "compensation_usd": round(comp_cents / 100.0, 2),
                    "benchmark": "comp-to-production healthy 35–50%, midpoint 40%, below 30% "
                    "retention risk (seed 001)",
                },
                facts=facts,
                location_id=location_id,
                provider_id=pid,
            )
        )
    return drafts


def _cac(ctx: _Context, as_of: date) -> list[FindingDraft]:
    recent = Period(_months_before(as_of.replace(day=1), 3), as_of)
    baseline = Period(_months_before(recent.start, 6), recent.start - timedelta(days=1))
    drafts = []
    for location_id in ctx.res.location_ids:
        res = resolve(ctx.conn, Scope(ctx.organization_id, location_id))
        spend_now, spend_before = (
            spend_counts(ctx.conn, res, recent),
            spend_counts(ctx.conn, res, baseline),
        )
        new_now, new_before = (
            new_patient_counts(ctx.conn, res, recent),
            new_patient_counts(ctx.conn, res, baseline),
        )
        for channel in sorted(spend_now):
            n_now, n_before = new_now.get(channel, 0), new_before.get(channel, 0)
            if n_now < MIN_SAMPLE or n_before < MIN_SAMPLE or not spend_before.get(channel):
                continue
            cac_now = spend_now[channel] / 100.0 / n_now
            cac_before = spend_before[channel] / 100.0 / n_before
            if cac_now < CAC_JUMP_RATIO * cac_before:
                continue
            dollars = (cac_now - cac_before) * n_now
            scope, name, _, _ = ctx.subject("location", location_id)
            formula = (
                f"(recent CAC ${cac_now:,.2f} − baseline CAC ${cac_before:,.2f}) × "
                f"{n_now} new patients = ${dollars:,.0f}"
            )
            kind = "cac_jump"
            facts = [
                _fact(
                    f"{kind}.{channel}",
                    scope,
                    recent,
                    "cac",
                    f"CAC, {channel}, {name}",
                    round(cac_now, 2),
                    "USD",
                ),
                _fact(
                    f"{kind}.{channel}",
                    scope,
                    baseline,
                    "cac",
                    f"Baseline CAC, {channel}, {name}",
                    round(cac_before, 2),
                    "USD",
                ),
                _fact(
                    f"{kind}.{channel}",
                    scope,
                    recent,
                    "new_patients",
                    f"New patients, {channel}, {name}",
                    n_now,
                    "count",
                ),
            ]
            drafts.append(
                ctx.draft(
                    kind=kind,
                    scope=scope,
                    title=f"{name}: {channel} cost per new patient up {cac_now / cac_before:.1f}×",
                    period=recent,
                    dollars=dollars,
                    formula=formula,
                    action=f"Review the {channel} campaigns at {name}; shift budget if "
                    "conversion does not recover.",
                    evidence={
                        "channel": channel,
                        "recent_cac_usd": round(cac_now, 2),
                        "baseline_cac_usd": round(cac_before, 2),
                        "ratio": round(cac_now / cac_before, 3),
                        "recent_spend_usd": round(spend_now[channel] / 100.0, 2),
                        "baseline_spend_usd": round(spend_before[channel] / 100.0, 2),
                        "recent_new_patients": n_now,
                        "baseline_new_patients": n_before,
                        "baseline_period": baseline.label(),
                        "benchmark": "own baseline (the six months before)",
                    },
                    facts=facts,
                    location_id=location_id,
                    provider_id=None,
                    fingerprint_key=f"{kind}|{scope}|{channel}",
                    fact_kind=f"{kind}.{channel}",
                )
            )
    return drafts


def _vip(ctx: _Context, engine: Engine, as_of: date, location_id: int | None) -> list[FindingDraft]:
    window = Period.trailing(365, as_of)
    scope_obj = Scope(ctx.organization_id, location_id)
    share = vip_concentration(engine, scope_obj, window)
    typical_low = load_benchmarks()["vip_concentration"].typical or (0.35, 0.45)
    if share.value is None or share.details["paying_patients"] < MIN_SAMPLE:
        return []
    if share.value < typical_low[0]:
        return []
    lapsing = lapsing_vips(engine, scope_obj, window, quiet_days=VIP_QUIET_DAYS)
    dollars = sum(v.revenue_12m for v in lapsing)
    if dollars <= 0:
        return []
    scope = share.scope
    name = ctx.res.name
    formula = (
        f"Σ 12-month revenue of {len(lapsing)} VIPs quiet for over {VIP_QUIET_DAYS} days and "
        f"1.5× their usual interval, nothing booked = ${dollars:,.0f} "
        f"(VIPs bring {share.value:.1%} of revenue)"
    )
    kind = "vip_concentration"
    facts = [
        *share.facts,
        _fact(
            kind,
            scope,
            window,
            "lapsing_vips",
            f"Lapsing VIP patients, {name}",
            len(lapsing),
            "count",
        ),
    ]
    return [
        ctx.draft(
            kind=kind,
            scope=scope,
            title=f"{name}: top 10% of patients bring {share.value:.0%} of revenue; "
            f"{len(lapsing)} of them have gone quiet",
            period=window,
            dollars=dollars,
            formula=formula,
            action="Call the lapsing VIPs first; they carry a disproportionate share of revenue.",
            evidence={
                "vip_share": round(share.value, 4),
                "vip_patients": share.details["vip_patients"],
                "paying_patients": share.details["paying_patients"],
                "lapsing_vips": [v.patient for v in lapsing[:50]],
                "lapsing_count": len(lapsing),
                "quiet_days": VIP_QUIET_DAYS,
                "benchmark": "top 10% typically drive 35–45% of revenue (seed 001)",
            },
            facts=facts,
            location_id=location_id,
            provider_id=None,
        )
    ]


def _utilization(ctx: _Context, as_of: date) -> list[FindingDraft]:
    window = Period.trailing(30, as_of)
    target = _midpoint("utilization")
    capacity = capacity_counts(ctx.conn, ctx.res, window, group="provider")
    production = revenue_counts(ctx.conn, ctx.res, window, group="provider", providers_only=True)
    attendance = attendance_counts(ctx.conn, ctx.res, window, group="provider")
    drafts = []
    for pid, (booked, available) in sorted(capacity.items(), key=lambda kv: kv[0] or 0):
        if pid is None or not available or not booked:
            continue
        if attendance.get(pid, {}).get("completed", 0) < MIN_SAMPLE:
            continue
        actual = booked / available
        if target - actual < MIN_UTILIZATION_GAP:
            continue
        per_hour = production.get(pid, 0) / 100.0 / (booked / 60.0)
        hours = available / 60.0
        dollars = (target - actual) * hours * per_hour
        if dollars <= 0:
            continue
        scope, name, location_id, _ = ctx.subject("provider", pid)
        formula = (
            f"(target {target:.0%} − actual {actual:.1%}) × {hours:,.0f} available hours × "
            f"${per_hour:,.2f} production per booked hour = ${dollars:,.0f}"
        )
        kind = "utilization_gap"
        drafts.append(
            ctx.draft(
                kind=kind,
                scope=scope,
                title=f"{name}: utilization {actual:.0%} vs {target:.0%}",
                period=window,
                dollars=dollars,
                formula=formula,
                action=f"Fill {name}'s open hours (waitlist, recall lists) or trim the schedule.",
                evidence={
                    "utilization": round(actual, 4),
                    "target": target,
                    "booked_minutes": booked,
                    "available_minutes": available,
                    "production_per_booked_hour_usd": round(per_hour, 2),
                    "benchmark": "utilization average 60–70%, top 80–90% (seed 001)",
                },
                facts=[
                    _fact(
                        kind,
                        scope,
                        window,
                        "actual",
                        f"Utilization, {name}",
                        round(actual, 6),
                        "percent",
                    ),
                    _fact(
                        kind,
                        scope,
                        window,
                        "available_hours",
                        f"Available hours, {name}",
                        round(hours, 1),
                        "hours",
                    ),
                ],
                location_id=location_id,
                provider_id=pid,
            )
        )
    return drafts


def _no_shows(ctx: _Context, as_of: date) -> list[FindingDraft]:
    window = Period.trailing(30, as_of)
    top_high = benchmark_value("no_show_rate", "top")[1]
    drafts = []
    counts = attendance_counts(ctx.conn, ctx.res, window, group="location")
    for lid, c in sorted(counts.items(), key=lambda kv: kv[0] or 0):
        seen = c["completed"] + c["no_show"]
        if lid is None or seen < MIN_SAMPLE or not c["no_show"]:
            continue
        rate = c["no_show"] / seen
        if rate <= top_high:
            continue
        value = c["no_show_value_cents"] / 100.0
        average = value / c["no_show"]
        scope, name, _, _ = ctx.subject("location", lid)
        formula = f"{c['no_show']} no-shows × ${average:,.2f} average booked value = ${value:,.0f}"
        kind = "no_show_cost"
        drafts.append(
            ctx.draft(
                kind=kind,
                scope=scope,
                title=f"{name}: {c['no_show']} no-shows ({rate:.0%}) in 30 days",
                period=window,
                dollars=value,
                formula=formula,
                action="Confirm appointments 48 h ahead and take deposits for repeat no-shows.",
                evidence={
                    "no_shows": c["no_show"],
                    "completed": c["completed"],
                    "no_show_rate": round(rate, 4),
                    "average_booked_value_usd": round(average, 2),
                    "benchmark": "no-show average 15–20%, top 5–8% (seed 001)",
                },
                facts=[
                    _fact(
                        kind,
                        scope,
                        window,
                        "rate",
                        f"No-show rate, {name}",
                        round(rate, 6),
                        "percent",
                    ),
                    _fact(
                        kind, scope, window, "no_shows", f"No-shows, {name}", c["no_show"], "count"
                    ),
                ],
                location_id=lid,
                provider_id=None,
            )
        )
    return drafts


# --------------------------------------------------------------------------- public API


def compute_findings(
    engine: Engine, *, organization_id: int, as_of: date, location_id: int | None = None
) -> list[FindingDraft]:
    """Every finding for the organization (or one location) as of a local day, ranked by
    dollars (largest first). See the module docstring for kinds, windows and formulas."""
    with engine.connect() as conn:
        ctx = _Context(conn, organization_id, location_id)
        drafts = [
            *_rebooking(ctx, as_of),
            *_comp(ctx, as_of),
            *_cac(ctx, as_of),
            *_utilization(ctx, as_of),
            *_no_shows(ctx, as_of),
        ]
    drafts.extend(_vip(ctx, engine, as_of, location_id))
    drafts = [d for d in drafts if d.dollars > 0]
    drafts.sort(key=lambda d: (-d.dollars, d.kind, d.scope))
    return drafts


def severity(dollars: float) -> int:
    """3 = ≥ $10,000, 2 = ≥ $2,500, 1 = anything less."""
    return 3 if dollars >= 10_000 else 2 if dollars >= 2_500 else 1


def persist_findings(
    engine: Engine, drafts: list[FindingDraft], *, now: datetime
) -> list[PersistedFinding]:
    """Upsert drafts into `Finding` by fingerprint: a new fingerprint inserts a row
    (`first_seen_at = last_seen_at = now`, is_new True); a known one updates dollars, period,
    evidence and `last_seen_at` and keeps `first_seen_at` and `status` (is_new False)."""
    f = t.finding
    results = []
    with engine.begin() as conn:
        for draft in drafts:
            fingerprint = draft.fingerprint()
            values = {
                "organization_id": draft.organization_id,
                "location_id": draft.location_id,
                "provider_id": draft.provider_id,
                "patient_id": draft.patient_id,
                "kind": draft.kind,
                "scope": draft.scope,
                "title": draft.title,
                "period_start": draft.period_start,
                "period_end": draft.period_end,
                "dollars_cents": round(draft.dollars * 100),
                "severity": severity(draft.dollars),
                "evidence": {
                    # JSON-safe (dates → ISO strings) whatever the detector put in.
                    **draft.model_dump(mode="json", include={"evidence"})["evidence"],
                    "formula": draft.formula,
                    "recommended_action": draft.recommended_action,
                    "facts": [fact.model_dump(mode="json") for fact in draft.facts],
                },
                "last_seen_at": now,
            }
            existing = conn.execute(select(f.c.id).where(f.c.fingerprint == fingerprint)).scalar()
            if existing is not None:
                conn.execute(update(f).where(f.c.id == existing).values(**values))
                results.append(PersistedFinding(finding_id=existing, is_new=False, draft=draft))
                continue
            insert_values = {**values, "fingerprint": fingerprint, "first_seen_at": now}
            if conn.dialect.name == "postgresql":
                # Two workers may race on the same fingerprint: let the unique index decide.
                stmt = (
                    pg_insert(f)
                    .values(**insert_values)
                    .on_conflict_do_update(index_elements=[f.c.fingerprint], set_=values)
                    .returning(f.c.id, f.c.first_seen_at)
                )
                row = conn.execute(stmt).one()
                finding_id, is_new = int(row[0]), row[1] == now
            else:
                inserted = conn.execute(f.insert().values(**insert_values)).inserted_primary_key
                if inserted is None:
                    raise RuntimeError("the database returned no id for the new finding")
                finding_id = int(inserted[0])
                is_new = True
            results.append(PersistedFinding(finding_id=finding_id, is_new=is_new, draft=draft))
    return results


def fingerprint_of(key: str) -> str:
    """The fingerprint a draft with `fingerprint_key=key` gets (for tests and tooling)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
