"""Dollar-attached findings: the gaps that matter, ranked by dollars, with their evidence.

`compute_findings` looks at the organization (or one location) as of a day and returns drafts;
`persist_findings` upserts them into `store.models.Finding` by fingerprint, so the same gap seen
again tomorrow updates the row instead of being announced again.

Every finding's dollars are **per month** (`tools.targets.per_month`: the amount over the
finding's window × 30.4375 / the window's days), so findings from different windows are
comparable and are ranked in that unit; the formula shows the window and the normalization.
Targets come from `tools.targets.Targets` (settings, defaults = the seed's ranges) and each
finding names the one it used (`evidence.target_used`).

Kinds, windows and dollar formulas (every formula is also written, with its numbers, into the
draft's `formula` and `evidence`):

- `rebooking_gap` (per provider and per location): completed rebookable visits in the 30 days
  ending `as_of` — the window of the rebooking-rate KPI in the briefing's table
  (`Period.trailing(30, as_of)`), so one scope and period give one rate everywhere. Target =
  the higher of the rebooking target (60%) and the subject's own rate in the 182 days before
  the window. dollars = (target − actual) × eligible visits × average visit value, per month.
- `comp_above_range` / `comp_below_range` (per provider): the last three calendar months that
  are complete on `as_of` **and** that the provider's payroll reaches (payroll imported up to
  Nov 15 makes October the last month), over the days payroll covers. Ratio above the healthy
  range (50%): dollars = (ratio − 40% midpoint) × production. Ratio below the retention-risk
  line (30%): dollars = (35% healthy floor − ratio) × production, the raise that would bring
  pay to the bottom of the healthy range. Per month over the covered days.
- `cac_jump` (per location and paid channel): the current month to date and the three months
  before it, against the six months before those. When CAC rose ≥ 25%:
  dollars = (recent CAC − baseline CAC) × recent new patients (the extra spend), per month.
- `vip_concentration` (organization, or the location asked for): trailing 12 months. When the
  top 10% of patients bring ≥ 35% of revenue, dollars = Σ over the VIPs who have gone quiet
  (no visit for 120 days and 1.5 × their own usual interval, nothing booked) of
  `tools.at_risk.dollars_at_stake` (annual value × (1 − p_return), the 12 months of spend
  expected to be lost) ÷ 12.
- `utilization_gap` (per provider): the 30 days ending `as_of`. Target = 65%;
  dollars = (target − actual) × available hours × production per booked hour, per month.
- `retention_gap` (per location): 12-month retention (`tools.operations.retention_12m`) as
  of `as_of` below the retention target (35%, the seed's 30–40% average) by 2 points or more:
  dollars = (target − actual) × cohort patients × revenue per patient over the 365 days ending
  `as_of` (`tools.seed_metrics.revenue_per_patient`), per month — the retention gap of
  `tools.opportunity`.
- `no_show_cost` (per location): the 30 days ending `as_of`, when the no-show rate is worse
  than the target (17.5%): dollars = (rate − target) × seen appointments (completed +
  no-shows) × average ticket (net sales of the window's completed visits / completed visits),
  per month; nothing when at or better than the target.

Small samples make no finding: fewer than 30 eligible visits, completed appointments (for
compensation and utilization), seen appointments (no-shows), new patients (CAC) or paying
patients (VIP) in the window, and in the baseline where one is used.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from store import tables as t
from tools.at_risk import dollars_at_stake, patient_outlook
from tools.benchmarks import load_benchmarks
from tools.clv import NotEnoughHistoryError
from tools.facts import Fact, FactMaker, FindingDraft, Unit
from tools.kpi_base import GroupBy, Resolved, fact_id, resolve
from tools.marketing import new_patient_counts, spend_counts
from tools.operations import (
    attendance_counts,
    capacity_counts,
    rebooking_counts,
    retention_12m,
    revenue_counts,
)
from tools.pnl import comp_ratio_counts
from tools.scope import Period, Scope
from tools.targets import Targets, per_month, per_month_words
from tools.vip import lapsing_vips, vip_concentration

SOURCE = "tools.findings"
MIN_SAMPLE = 30
MIN_REBOOKING_GAP = 0.02
MIN_UTILIZATION_GAP = 0.02
MIN_RETENTION_GAP = 0.02
YEAR_DAYS = 365
CAC_JUMP_RATIO = 1.25
VIP_QUIET_DAYS = 120
KPI_WINDOW_DAYS = 30  # the briefing's KPI table: the 30 days ending as_of


class PersistedFinding(BaseModel):
    finding_id: int
    is_new: bool
    draft: FindingDraft


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

    def __init__(
        self,
        conn: Connection,
        organization_id: int,
        location_id: int | None,
        targets: Targets,
        min_sample: int,
    ) -> None:
        self.conn = conn
        self.organization_id = organization_id
        self.targets = targets
        self.min_sample = min_sample
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
        window_dollars: float,
        window_days: int,
        target_used: str,
    ) -> FindingDraft:
        """`dollars` are per month; `window_dollars` the same gap over `window_days`."""
        dollars = round(dollars, 2)
        facts = [
            _fact(
                fact_kind or kind,
                scope,
                period,
                "dollars",
                f"Dollars at stake per month: {title}",
                dollars,
                "USD",
            ),
            *facts,
        ]
        evidence = {
            **evidence,
            "dollars_unit": "USD per month",
            "window_dollars_usd": round(window_dollars, 2),
            "window_days": window_days,
            "target_used": target_used,
        }
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
    window = Period.trailing(KPI_WINDOW_DAYS, as_of)
    baseline = Period(window.start - timedelta(days=182), window.start - timedelta(days=1))
    setting = ctx.targets.rebooking_rate
    drafts = []
    levels: tuple[GroupBy, ...] = ("provider", "location")
    for level in levels:
        now = rebooking_counts(ctx.conn, ctx.res, window, group=level)
        before = rebooking_counts(ctx.conn, ctx.res, baseline, group=level)
        for key, (eligible, rebooked, net_cents) in sorted(now.items(), key=lambda kv: kv[0] or 0):
            if key is None or eligible < ctx.min_sample:
                continue
            actual = rebooked / eligible
            b_eligible, b_rebooked, _ = before.get(key, (0, 0, 0))
            own = b_rebooked / b_eligible if b_eligible >= ctx.min_sample else None
            target = max(setting, own or 0.0)
            gap = target - actual
            if gap < MIN_REBOOKING_GAP:
                continue
            visit_value = net_cents / 100.0 / eligible
            total = gap * eligible * visit_value
            dollars = per_month(total, window.days)
            scope, name, location_id, provider_id = ctx.subject(level, key)
            target_used = (
                f"own rebooking rate {own:.1%} in the previous 182 days"
                if own is not None and own > setting
                else f"rebooking target {setting:.1%} (setting target_rebooking_rate; "
                "seed 001 industry average 55–65%)"
            )
            formula = (
                f"(target {target:.1%} − actual {actual:.1%}) × {eligible} eligible visits × "
                f"${visit_value:,.2f} average visit value = {per_month_words(total, window.days)}"
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
                        "target_source": target_used,
                        "baseline_rate": None if own is None else round(own, 4),
                        "baseline_eligible_visits": b_eligible,
                        "baseline_period": baseline.label(),
                        "average_visit_value_usd": round(visit_value, 2),
                        "benchmark": "rebooking_rate average 55–65%, top 75–85% (seed 001)",
                    },
                    facts=facts,
                    location_id=location_id,
                    provider_id=provider_id,
                    window_dollars=total,
                    window_days=window.days,
                    target_used=target_used,
                )
            )
    return drafts


def _month_end_on_or_before(day: date) -> date:
    """The day itself when it ends its month, else the last day of the month before."""
    if (day + timedelta(days=1)).day == 1:
        return day
    return day.replace(day=1) - timedelta(days=1)


def comp_windows(ctx: _Context, as_of: date) -> dict[int, Period]:
    """Per provider with payroll: the three calendar months the comp finding looks at — the
    last ones complete on `as_of` that the provider's payroll reaches to the end."""
    last_complete = as_of.replace(day=1) - timedelta(days=1)
    c = t.compensation
    ends = ctx.conn.execute(
        select(c.c.provider_id, func.max(c.c.period_end))
        .where(c.c.provider_id.in_(list(ctx.providers)))
        .group_by(c.c.provider_id)
    ).all()
    windows = {}
    for pid, payroll_end in ends:
        end = min(last_complete, _month_end_on_or_before(_as_date(payroll_end)))
        windows[int(pid)] = Period(_months_before(end.replace(day=1), 2), end)
    return windows


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _comp(ctx: _Context, as_of: date) -> list[FindingDraft]:
    windows = comp_windows(ctx, as_of)
    drafts = []
    for window in sorted(set(windows.values()), key=lambda p: p.start):
        visits = attendance_counts(ctx.conn, ctx.res, window, group="provider")
        counts = comp_ratio_counts(ctx.conn, ctx.res, window)
        for pid, (comp_cents, prod_cents, days) in sorted(counts.items()):
            if windows.get(pid) != window:
                continue
            if prod_cents <= 0 or visits.get(pid, {}).get("completed", 0) < ctx.min_sample:
                continue
            drafts.extend(_comp_draft(ctx, pid, window, comp_cents, prod_cents, days))
    return drafts


def _comp_draft(
    ctx: _Context, pid: int, window: Period, comp_cents: float, prod_cents: int, days: int
) -> list[FindingDraft]:
    targets = ctx.targets
    comp_ratio = comp_cents / prod_cents
    production = prod_cents / 100.0
    scope, name, location_id, _ = ctx.subject("provider", pid)
    months = f"{window.start:%Y-%m}..{window.end:%Y-%m}"
    covered = "" if days >= window.days else f", payroll covers {days} of {window.days} days"
    if comp_ratio > targets.comp_high:
        kind = "comp_above_range"
        total = (comp_ratio - targets.comp_target) * production
        formula = (
            f"(ratio {comp_ratio:.1%} − {targets.comp_target:.0%} benchmark midpoint) × "
            f"${production:,.0f} production ({months}{covered}) = {per_month_words(total, days)}"
        )
        title = (
            f"{name}: compensation {comp_ratio:.0%} of production "
            f"(healthy {targets.comp_low:.0%}–{targets.comp_high:.0%})"
        )
        action = f"Review {name}'s compensation plan against production."
        target_used = (
            f"healthy range {targets.comp_low:.0%}–{targets.comp_high:.0%}, midpoint "
            f"{targets.comp_target:.0%} (settings target_comp_*; seed 001)"
        )
    elif comp_ratio < targets.comp_retention_risk:
        kind = "comp_below_range"
        total = (targets.comp_low - comp_ratio) * production
        formula = (
            f"({targets.comp_low:.0%} healthy floor − ratio {comp_ratio:.1%}) × "
            f"${production:,.0f} production ({months}{covered}) = {per_month_words(total, days)}"
        )
        title = f"{name}: compensation {comp_ratio:.0%} of production — retention risk"
        action = f"Check {name}'s pay against the market before they leave."
        target_used = (
            f"retention risk below {targets.comp_retention_risk:.0%}, healthy floor "
            f"{targets.comp_low:.0%} (settings target_comp_*; seed 001)"
        )
    else:
        return []
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
    return [
        ctx.draft(
            kind=kind,
            scope=scope,
            title=title,
            period=window,
            dollars=per_month(total, days),
            formula=formula,
            action=action,
            evidence={
                "comp_to_production": round(comp_ratio, 4),
                "production_usd": round(production, 2),
                "compensation_usd": round(comp_cents / 100.0, 2),
                "payroll_days_covered": days,
                "benchmark": "comp-to-production healthy 35–50%, midpoint 40%, below 30% "
                "retention risk (seed 001)",
            },
            facts=facts,
            location_id=location_id,
            provider_id=pid,
            window_dollars=total,
            window_days=days,
            target_used=target_used,
        )
    ]


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
            if n_now < ctx.min_sample or n_before < ctx.min_sample:
                continue
            if not spend_before.get(channel):
                continue
            cac_now = spend_now[channel] / 100.0 / n_now
            cac_before = spend_before[channel] / 100.0 / n_before
            if cac_now < CAC_JUMP_RATIO * cac_before:
                continue
            total = (cac_now - cac_before) * n_now
            scope, name, _, _ = ctx.subject("location", location_id)
            formula = (
                f"(recent CAC ${cac_now:,.2f} − baseline CAC ${cac_before:,.2f}) × "
                f"{n_now} new patients = {per_month_words(total, recent.days)}"
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
                    dollars=per_month(total, recent.days),
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
                    window_dollars=total,
                    window_days=recent.days,
                    target_used=f"own baseline CAC {baseline.label()} (× {CAC_JUMP_RATIO} to flag)",
                )
            )
    return drafts


def _vip(ctx: _Context, engine: Engine, as_of: date, location_id: int | None) -> list[FindingDraft]:
    window = Period.trailing(365, as_of)
    scope_obj = Scope(ctx.organization_id, location_id)
    share = vip_concentration(engine, scope_obj, window)
    typical_low = load_benchmarks()["vip_concentration"].typical or (0.35, 0.45)
    if share.value is None or share.details["paying_patients"] < ctx.min_sample:
        return []
    if share.value < typical_low[0]:
        return []
    lapsing = lapsing_vips(engine, scope_obj, window, quiet_days=VIP_QUIET_DAYS)
    if not lapsing:
        return []
    model_note = None
    try:
        outlook = patient_outlook(engine, as_of=as_of, patient_ids=[v.patient_id for v in lapsing])
    except NotEnoughHistoryError as exc:
        # Too little history to fit the return model (a tiny practice): say so, count the year.
        outlook, model_note = {}, f"return model unavailable ({exc}): chance of return taken as 0"
    stakes = []
    for vip in lapsing:
        seen = outlook.get(vip.patient_id)
        # No model score (no completed visit on record, or no model): her whole year at stake.
        stake = seen.dollars_at_stake if seen else dollars_at_stake(vip.revenue_12m, 0.0)
        p = seen.p_return if seen else 0.0
        stakes.append((vip, p, stake))
    stakes.sort(key=lambda row: (-row[2], row[0].patient_id))
    total = sum(stake for _, _, stake in stakes)
    if total <= 0:
        return []
    scope = share.scope
    name = ctx.res.name
    revenue = sum(v.revenue_12m for v in lapsing)
    formula = (
        f"Σ over {len(lapsing)} VIPs quiet for over {VIP_QUIET_DAYS} days and 1.5× their usual "
        f"interval, nothing booked, of annual value × (1 − chance of a visit in the next 90 "
        f"days) = ${total:,.0f} of the next 12 months (their last 12 months: ${revenue:,.0f}) "
        f"÷ 12 = ${total / 12:,.0f} per month (VIPs bring {share.value:.1%} of revenue)"
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
            dollars=total / 12,
            formula=formula,
            action="Call the lapsing VIPs first; they carry a disproportionate share of revenue.",
            evidence={
                "vip_share": round(share.value, 4),
                "vip_patients": share.details["vip_patients"],
                "paying_patients": share.details["paying_patients"],
                "lapsing_vips": [v.patient for v, _, _ in stakes[:50]],
                "lapsing_stakes_usd": {
                    v.patient: {"p_return": p, "at_stake_12m": round(stake, 2)}
                    for v, p, stake in stakes[:50]
                },
                "lapsing_count": len(lapsing),
                "lapsing_revenue_12m_usd": round(revenue, 2),
                "at_stake_12m_usd": round(total, 2),
                "quiet_days": VIP_QUIET_DAYS,
                "return_model_note": model_note,
                "benchmark": "top 10% typically drive 35–45% of revenue (seed 001)",
            },
            facts=facts,
            location_id=location_id,
            provider_id=None,
            window_dollars=total,
            window_days=365,
            target_used="VIP concentration typical range 35–45% (seed 001)",
        )
    ]


def _utilization(ctx: _Context, as_of: date) -> list[FindingDraft]:
    window = Period.trailing(KPI_WINDOW_DAYS, as_of)
    target = ctx.targets.utilization
    capacity = capacity_counts(ctx.conn, ctx.res, window, group="provider")
    production = revenue_counts(ctx.conn, ctx.res, window, group="provider", providers_only=True)
    attendance = attendance_counts(ctx.conn, ctx.res, window, group="provider")
    drafts = []
    for pid, (booked, available) in sorted(capacity.items(), key=lambda kv: kv[0] or 0):
        if pid is None or not available or not booked:
            continue
        if attendance.get(pid, {}).get("completed", 0) < ctx.min_sample:
            continue
        actual = booked / available
        if target - actual < MIN_UTILIZATION_GAP:
            continue
        per_hour = production.get(pid, 0) / 100.0 / (booked / 60.0)
        hours = available / 60.0
        total = (target - actual) * hours * per_hour
        if total <= 0:
            continue
        scope, name, location_id, _ = ctx.subject("provider", pid)
        formula = (
            f"(target {target:.0%} − actual {actual:.1%}) × {hours:,.0f} available hours × "
            f"${per_hour:,.2f} production per booked hour = {per_month_words(total, window.days)}"
        )
        kind = "utilization_gap"
        drafts.append(
            ctx.draft(
                kind=kind,
                scope=scope,
                title=f"{name}: utilization {actual:.0%} vs {target:.0%}",
                period=window,
                dollars=per_month(total, window.days),
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
                window_dollars=total,
                window_days=window.days,
                target_used=f"utilization target {target:.0%} (setting target_utilization; "
                "seed 001 industry average 60–70%)",
            )
        )
    return drafts


def ticket_counts(conn: Connection, res: Resolved, period: Period) -> dict[int, int]:
    """Per location: net cents of the sales attached to the period's completed appointments
    (the numerator of the average ticket)."""
    a, s = t.appointment, t.sale
    rows = conn.execute(
        select(a.c.location_id, func.coalesce(func.sum(s.c.net_cents), 0))
        .select_from(s.join(a, a.c.id == s.c.appointment_id))
        .where(
            a.c.status == "completed",
            a.c.local_date.between(period.start, period.end),
            a.c.location_id.in_(res.location_ids),
        )
        .group_by(a.c.location_id)
    ).all()
    return {int(lid): int(cents) for lid, cents in rows}


def _no_shows(ctx: _Context, as_of: date) -> list[FindingDraft]:
    window = Period.trailing(KPI_WINDOW_DAYS, as_of)
    target = ctx.targets.no_show_rate
    drafts = []
    counts = attendance_counts(ctx.conn, ctx.res, window, group="location")
    tickets = ticket_counts(ctx.conn, ctx.res, window)
    for lid, c in sorted(counts.items(), key=lambda kv: kv[0] or 0):
        seen = c["completed"] + c["no_show"]
        if lid is None or seen < ctx.min_sample or not c["completed"]:
            continue
        rate = c["no_show"] / seen
        if rate <= target:
            continue  # at or better than the target: no cost
        ticket = tickets.get(lid, 0) / 100.0 / c["completed"]
        excess = (rate - target) * seen
        total = excess * ticket
        if total <= 0:
            continue
        scope, name, _, _ = ctx.subject("location", lid)
        formula = (
            f"(no-show rate {rate:.1%} − target {target:.1%}) × {seen} seen appointments × "
            f"${ticket:,.2f} average ticket = {per_month_words(total, window.days)}"
        )
        kind = "no_show_cost"
        drafts.append(
            ctx.draft(
                kind=kind,
                scope=scope,
                title=f"{name}: no-show rate {rate:.0%} vs target {target:.1%}",
                period=window,
                dollars=per_month(total, window.days),
                formula=formula,
                action="Confirm appointments 48 h ahead and take deposits for repeat no-shows.",
                evidence={
                    "no_shows": c["no_show"],
                    "completed": c["completed"],
                    "no_show_rate": round(rate, 4),
                    "target_rate": target,
                    "excess_no_shows": round(excess, 2),
                    "average_ticket_usd": round(ticket, 2),
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
                    _fact(
                        kind,
                        scope,
                        window,
                        "target",
                        f"No-show target rate, {name}",
                        round(target, 6),
                        "percent",
                    ),
                ],
                location_id=lid,
                provider_id=None,
                window_dollars=total,
                window_days=window.days,
                target_used=f"no-show target {target:.1%} (setting target_no_show_rate; "
                "seed 001 industry average 15–20%)",
            )
        )
    return drafts


def _retention_gap(ctx: _Context, engine: Engine, as_of: date) -> list[FindingDraft]:
    from tools.seed_metrics import revenue_per_patient

    year = Period.trailing(YEAR_DAYS, as_of)
    target = ctx.targets.retention_12m
    drafts = []
    for loc in sorted(ctx.res.location_ids):
        scope = Scope(ctx.organization_id, loc)
        kpi = retention_12m(engine, scope, year)
        cohort = int(kpi.denominator or 0)
        if kpi.value is None or cohort < ctx.min_sample or target - kpi.value < MIN_RETENTION_GAP:
            continue
        per_patient = revenue_per_patient(engine, scope, year).value or 0.0
        total = (target - kpi.value) * cohort * per_patient
        if total <= 0:
            continue
        key, name, location_id, _ = ctx.subject("location", loc)
        target_used = f"retention target {target:.0%} (seed 001 industry average 30–40%, midpoint)"
        formula = (
            f"(target {target:.0%} − actual {kpi.value:.1%}) × {cohort} patients seen the year "
            f"before × ${per_patient:,.2f} revenue per patient = "
            f"{per_month_words(total, year.days)}"
        )
        drafts.append(
            ctx.draft(
                kind="retention_gap",
                scope=key,
                title=f"{name}: 12-month retention {kpi.value:.0%} vs target {target:.0%}",
                period=year,
                dollars=per_month(total, year.days),
                formula=formula,
                action=f"Have {name}'s front desk call last year's patients who have not "
                "been back, starting with the most valuable.",
                evidence={
                    "retention": round(kpi.value, 4),
                    "target": target,
                    "cohort_patients": cohort,
                    "retained_patients": int(kpi.numerator or 0),
                    "revenue_per_patient_usd": round(per_patient, 2),
                    "benchmark": "retention average 30–40%, top 60–80% (seed 001)",
                },
                facts=[
                    _fact(
                        "retention_gap",
                        key,
                        year,
                        "actual",
                        f"12-month retention, {name}",
                        round(kpi.value, 6),
                        "percent",
                    ),
                ],
                location_id=location_id,
                provider_id=None,
                window_dollars=total,
                window_days=year.days,
                target_used=target_used,
            )
        )
    return drafts


# --------------------------------------------------------------------------- public API


def compute_findings(
    engine: Engine,
    *,
    organization_id: int,
    as_of: date,
    location_id: int | None = None,
    targets: Targets | None = None,
    min_sample: int = MIN_SAMPLE,
) -> list[FindingDraft]:
    """Every finding for the organization (or one location) as of a local day, ranked by
    dollars per month (largest first). See the module docstring for kinds, windows and
    formulas. `targets` default to the seed's ranges (`Targets.default()`); `min_sample` is
    the smallest sample that makes a finding."""
    chosen = targets or Targets.default()
    with engine.connect() as conn:
        ctx = _Context(conn, organization_id, location_id, chosen, min_sample)
        drafts = [
            *_rebooking(ctx, as_of),
            *_comp(ctx, as_of),
            *_cac(ctx, as_of),
            *_utilization(ctx, as_of),
            *_no_shows(ctx, as_of),
        ]
    drafts.extend(_vip(ctx, engine, as_of, location_id))
    drafts.extend(_retention_gap(ctx, engine, as_of))
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
