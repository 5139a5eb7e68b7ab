"""Anomalies in a practice's daily and weekly series, each compared with its own baseline.

Series, per location and per provider, by local date (definitions):
- `revenue`: Σ net of sale lines that are not refunds (services, products, memberships), USD.
- `refunds`: Σ refund amount of refund lines dated that day, USD.
- `discounts`: Σ discount given on sale lines, USD.
- `completed_visits`: appointments with status completed.
- `cancellations`: appointments with status cancelled or late_cancel, by appointment date.
- `new_patients` (locations only): patients whose first completed visit (ever) was that day,
  counted at their home location.
- `no_show_rate`: no_show / (completed + no_show).
- `rebooking_rate`: completed visits of rebookable services after which the patient had a next
  appointment booked within 1 day of the visit's end / all such visits (the visit day must be
  before `as_of`, so the day after it is in the data).

Daily series are scored against the median of the same weekday over the previous 12 weeks,
weekly series (7-day blocks ending on `as_of`) against the previous 12 weeks, with a pooled
robust σ (1.4826 × MAD; `tools.series`). A point is an anomaly when |score| ≥ 4 *and* it
passes the minimum-sample rules: rates need ≥ 30 visits in the day/week, counts and amounts
must move by at least a minimum absolute amount, and downward count/amount anomalies need a
baseline that is not a quiet day. US public holidays are neither scored nor used as baseline
(a holiday alone never fires). Daily anomalies of one series on the same weekday, two or more
in the look-back window, become one weekday-pattern finding.

Dollars: amounts → |value − baseline|; counts → |Δ| × average visit value; rates →
|Δ rate| × visits × average visit value. Average visit value = revenue / completed visits of
the entity over the 84 days before the look-back window.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import numpy as np
from sqlalchemy import Engine, func, select

from store import tables as t
from tools.facts import FactMaker, FindingDraft, Unit
from tools.series import MAD_TO_SIGMA, SCORE_CAP, Scores, fast_median, seasonal_scores

SOURCE = "tools.anomalies"
THRESHOLD = 4.0
HISTORY_WEEKS = 12
MIN_RATE_VISITS = 30
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Kind = Literal["amount", "count", "rate"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: Kind
    adverse: Literal["up", "down"]
    min_delta_daily: float
    min_delta_weekly: float
    min_scale: float  # floor of σ, in the series' unit (USD, count, fraction)


METRICS: tuple[Metric, ...] = (
    Metric("revenue", "Revenue", "amount", "down", 1_500.0, 3_000.0, 150.0),
    Metric("refunds", "Refunds", "amount", "up", 1_500.0, 2_500.0, 50.0),
    Metric("discounts", "Discounts", "amount", "up", 1_000.0, 2_000.0, 50.0),
    Metric("completed_visits", "Completed visits", "count", "down", 4.0, 8.0, 1.0),
    Metric("cancellations", "Cancellations", "count", "up", 4.0, 8.0, 1.0),
    Metric("new_patients", "New patients", "count", "down", 3.0, 5.0, 1.0),
    Metric("no_show_rate", "No-show rate", "rate", "up", 0.05, 0.04, 0.01),
    Metric("rebooking_rate", "Rebooking rate", "rate", "down", 0.05, 0.04, 0.01),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}
QUIET_DAY_COUNT = 5.0  # a count baseline below this is a quiet day: no downward alarms


@dataclass(frozen=True)
class Entity:
    kind: Literal["location", "provider"]
    id: int
    name: str
    location_id: int

    @property
    def scope(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class _Series:
    """Dense daily numerator (and denominator for rates) over [start, as_of]."""

    num: np.ndarray
    den: np.ndarray | None = None


@dataclass
class _Hit:
    metric: Metric
    entity: Entity
    frequency: Literal["daily", "weekly"]
    start: date
    end: date
    value: float
    baseline: float
    scale: float
    score: float
    n: float | None
    dollars: float
    extra: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- holidays


def us_holidays(years: Iterable[int]) -> set[date]:
    """US public holidays a practice is likely closed or quiet on (observed dates not shifted)."""

    def nth(year: int, month: int, weekday: int, n: int) -> date:
        days = [
            date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() == weekday
        ]
        return days[n] if n >= 0 else days[-1]

    found: set[date] = set()
    for y in years:
        found |= {
            date(y, 1, 1),
            nth(y, 5, 0, -1),  # Memorial Day
            date(y, 7, 4),
            nth(y, 9, 0, 0),  # Labor Day
            nth(y, 11, 3, 3),  # Thanksgiving
            date(y, 12, 24),
            date(y, 12, 25),
            date(y, 12, 31),
        }
    return found


# --------------------------------------------------------------------------- data


def _entities(
    engine: Engine, organization_id: int, location_id: int | None
) -> tuple[list[Entity], list[Entity]]:
    with engine.connect() as conn:
        loc_rows = conn.execute(
            select(t.location.c.id, t.location.c.name)
            .where(t.location.c.organization_id == organization_id)
            .order_by(t.location.c.id)
        ).all()
        prov_rows = conn.execute(
            select(
                t.provider.c.id,
                t.provider.c.first_name,
                t.provider.c.last_name,
                t.provider.c.location_id,
            )
            .join(t.location, t.location.c.id == t.provider.c.location_id)
            .where(t.location.c.organization_id == organization_id)
            .order_by(t.provider.c.id)
        ).all()
    locations = [
        Entity("location", r.id, r.name, r.id)
        for r in loc_rows
        if location_id is None or r.id == location_id
    ]
    providers = [
        Entity("provider", r.id, f"{r.first_name} {r.last_name}", r.location_id)
        for r in prov_rows
        if location_id is None or r.location_id == location_id
    ]
    return locations, providers


def _load(
    engine: Engine, location_ids: list[int], start: date, as_of: date
) -> dict[tuple[str, int, str], _Series]:
    days = (as_of - start).days + 1
    series: dict[tuple[str, int, str], _Series] = {}

    def get(kind: str, entity_id: int, metric: str) -> _Series:
        key = (kind, entity_id, metric)
        if key not in series:
            rate = METRIC_BY_NAME[metric].kind == "rate"
            series[key] = _Series(np.zeros(days), np.zeros(days) if rate else None)
        return series[key]

    def add(entity_id: int | None, loc: int, metric: str, i: int, num: float, den: float) -> None:
        targets = [("location", loc)] + ([("provider", entity_id)] if entity_id else [])
        for kind, eid in targets:
            s = get(kind, eid, metric)
            s.num[i] += num
            if s.den is not None:
                s.den[i] += den

    a = t.appointment
    s = t.sale
    with engine.connect() as conn:
        appts = conn.execute(
            select(a.c.location_id, a.c.provider_id, a.c.local_date, a.c.status, func.count())
            .where(a.c.location_id.in_(location_ids), a.c.local_date.between(start, as_of))
            .group_by(a.c.location_id, a.c.provider_id, a.c.local_date, a.c.status)
        ).all()
        sales = conn.execute(
            select(
                s.c.location_id,
                s.c.provider_id,
                s.c.local_date,
                s.c.kind,
                func.sum(s.c.net_cents),
                func.sum(s.c.discount_cents),
                func.sum(s.c.refund_cents),
            )
            .where(s.c.location_id.in_(location_ids), s.c.local_date.between(start, as_of))
            .group_by(s.c.location_id, s.c.provider_id, s.c.local_date, s.c.kind)
        ).all()
        first_visit = (
            select(a.c.patient_id, func.min(a.c.local_date).label("first_day"))
            .where(a.c.status == "completed")
            .group_by(a.c.patient_id)
            .subquery()
        )
        new_patients = conn.execute(
            select(t.patient.c.home_location_id, first_visit.c.first_day, func.count())
            .join(t.patient, t.patient.c.id == first_visit.c.patient_id)
            .where(
                t.patient.c.home_location_id.in_(location_ids),
                first_visit.c.first_day.between(start, as_of),
            )
            .group_by(t.patient.c.home_location_id, first_visit.c.first_day)
        ).all()
        rebook_visits = conn.execute(
            select(
                a.c.id,
                a.c.patient_id,
                a.c.location_id,
                a.c.provider_id,
                a.c.local_date,
                a.c.start_at,
                a.c.end_at,
            )
            .join(t.service, t.service.c.id == a.c.service_id)
            .where(
                a.c.location_id.in_(location_ids),
                a.c.local_date.between(start, as_of - timedelta(days=1)),
                a.c.status == "completed",
                t.service.c.rebookable.is_(True),
            )
        ).all()
        later = conn.execute(
            select(a.c.patient_id, a.c.start_at, a.c.booked_at).where(
                a.c.location_id.in_(location_ids),
                a.c.local_date >= start,
                a.c.booked_at.is_not(None),
            )
        ).all()

    for loc, prov, day, status, count in appts:
        i = (_as_date(day) - start).days
        if status == "completed":
            add(prov, loc, "completed_visits", i, count, 0)
            add(prov, loc, "no_show_rate", i, 0, count)
        elif status == "no_show":
            add(prov, loc, "no_show_rate", i, count, count)
        elif status in ("cancelled", "late_cancel"):
            add(prov, loc, "cancellations", i, count, 0)
    for loc, prov, day, kind, net, discount, refund in sales:
        i = (_as_date(day) - start).days
        if kind == "refund":
            add(prov, loc, "refunds", i, float(refund or 0) / 100, 0)
        else:
            add(prov, loc, "revenue", i, float(net or 0) / 100, 0)
        add(prov, loc, "discounts", i, float(discount or 0) / 100, 0)
    for loc, day, count in new_patients:
        get("location", loc, "new_patients").num[(_as_date(day) - start).days] += count

    bookings: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for pid, start_at, booked_at in later:
        bookings[pid].append((_utc(start_at), _utc(booked_at)))
    for v in rebook_visits:
        v_start, v_end = _utc(v.start_at), _utc(v.end_at)
        limit = v_end + timedelta(days=1)
        rebooked = any(
            s_at > v_start and v_start <= b_at <= limit for s_at, b_at in bookings[v.patient_id]
        )
        add(
            v.provider_id,
            v.location_id,
            "rebooking_rate",
            (_as_date(v.local_date) - start).days,
            1.0 if rebooked else 0.0,
            1.0,
        )
    return series


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _utc(value: datetime) -> datetime:
    """SQLite returns naive UTC datetimes, PostgreSQL aware ones: compare as naive UTC."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- scoring


def _values(series: _Series, metric: Metric, slice_: slice | None = None) -> np.ndarray:
    num = series.num if slice_ is None else series.num[slice_]
    if metric.kind != "rate":
        return num.astype(float)
    assert series.den is not None
    den = series.den if slice_ is None else series.den[slice_]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(den >= MIN_RATE_VISITS, num / np.where(den == 0, 1, den), np.nan)
    return rates


def rate_scores(
    num: np.ndarray,
    den: np.ndarray,
    keys: np.ndarray,
    *,
    period: int,
    start: int,
    min_n: float = MIN_RATE_VISITS,
    history: int = HISTORY_WEEKS,
    min_same: int = 6,
) -> Scores:
    """Scores of a rate series k/n against a binomial baseline.

    Baseline p₀ = median rate of the same slot over the previous `history` cycles (points with
    n ≥ `min_n` only); σ = √(p₀(1−p₀)/n) × φ, where φ ≥ 1 is the over-dispersion of the window
    (1.4826 × MAD of every window point's binomial z against its own slot's median)."""
    size = len(num)
    baseline, scale, score = np.full(size, np.nan), np.full(size, np.nan), np.full(size, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(den >= min_n, num / np.where(den == 0, 1, den), np.nan)
    for i in range(max(start, 0), size):
        if math.isnan(rates[i]):
            continue
        lo = max(0, i - history * period)
        win, win_n, win_keys = rates[lo:i], den[lo:i], keys[lo:i]
        present = ~np.isnan(win)
        same = present & (win_keys == keys[i])
        if int(same.sum()) < min_same:
            continue
        zs = []
        for key in np.unique(win_keys[present]):
            group = present & (win_keys == key)
            p = fast_median(win[group])
            if 0.0 < p < 1.0:
                zs.append((win[group] - p) / np.sqrt(p * (1 - p) / win_n[group]))
        phi = max(1.0, MAD_TO_SIGMA * fast_median(np.abs(np.concatenate(zs)))) if zs else 1.0
        p0 = fast_median(win[same])
        p_var = min(max(p0, 0.02), 0.98)  # a zero baseline still has binomial noise
        sigma = math.sqrt(p_var * (1 - p_var) / den[i]) * phi
        baseline[i], scale[i] = p0, sigma
        score[i] = max(-SCORE_CAP, min(SCORE_CAP, (rates[i] - p0) / sigma))
    return Scores(baseline, scale, score)


def _passes_rules(metric: Metric, value: float, base: float, weekly: bool) -> bool:
    delta = value - base
    if abs(delta) < (metric.min_delta_weekly if weekly else metric.min_delta_daily):
        return False
    quiet = QUIET_DAY_COUNT * (5 if weekly else 1)
    return not (metric.kind == "count" and delta < 0 and base < quiet)


def _dollars(
    metric: Metric, value: float, base: float, n: float | None, visit_value: float
) -> float:
    if metric.kind == "amount":
        return abs(value - base)
    if metric.kind == "count":
        return abs(value - base) * visit_value
    return abs(value - base) * (n or 0.0) * visit_value


def detect_anomalies(
    engine: Engine,
    *,
    organization_id: int,
    as_of: date,
    location_id: int | None = None,
    lookback_days: int = 28,
    threshold: float = THRESHOLD,
) -> list[FindingDraft]:
    """Anomalies of the daily and weekly series (module docstring) whose day or week ends in
    the `lookback_days` up to `as_of`, largest dollars first."""
    locations, providers = _entities(engine, organization_id, location_id)
    if not locations:
        return []
    history_days = HISTORY_WEEKS * 7
    start = as_of - timedelta(days=lookback_days + history_days + 6)
    data = _load(engine, [loc.id for loc in locations], start, as_of)
    days = [start + timedelta(days=i) for i in range((as_of - start).days + 1)]
    holidays = us_holidays({d.year for d in days})
    holiday_mask = np.array([d in holidays for d in days])
    keys = np.array([d.weekday() for d in days], dtype=np.int64)
    first_eval = len(days) - lookback_days
    base_slice = slice(max(0, first_eval - history_days), first_eval)
    names = {loc.id: loc.name for loc in locations}

    hits: list[_Hit] = []
    for entity in [*locations, *providers]:
        revenue = data.get((entity.kind, entity.id, "revenue"))
        visits = data.get((entity.kind, entity.id, "completed_visits"))
        visit_value = 0.0
        if revenue is not None and visits is not None and visits.num[base_slice].sum() > 0:
            visit_value = float(revenue.num[base_slice].sum() / visits.num[base_slice].sum())
        for metric in METRICS:
            series = data.get((entity.kind, entity.id, metric.name))
            if series is None:
                continue
            hits.extend(
                _daily_hits(
                    metric,
                    entity,
                    series,
                    days,
                    keys,
                    holiday_mask,
                    first_eval,
                    threshold,
                    visit_value,
                )
            )
            hits.extend(
                _weekly_hits(
                    metric, entity, series, days, holidays, lookback_days, threshold, visit_value
                )
            )
    drafts = [_draft(hit, organization_id, names) for hit in _deduplicate(_merge_weekdays(hits))]
    drafts.sort(key=lambda d: -d.dollars)
    return drafts


def _daily_hits(
    metric: Metric,
    entity: Entity,
    series: _Series,
    days: list[date],
    keys: np.ndarray,
    holiday_mask: np.ndarray,
    first_eval: int,
    threshold: float,
    visit_value: float,
) -> list[_Hit]:
    values = _values(series, metric)
    values[holiday_mask] = np.nan
    if series.den is not None:
        den = np.where(holiday_mask, 0.0, series.den)
        scores = rate_scores(series.num, den, keys, period=7, start=first_eval)
    else:
        scores = seasonal_scores(
            values,
            keys,
            period=7,
            history=HISTORY_WEEKS,
            min_same=6,
            min_pooled=36,
            min_scale=metric.min_scale,
            start=first_eval,
        )
    hits = []
    for i in range(first_eval, len(days)):
        score = scores.score[i]
        if math.isnan(score) or abs(score) < threshold:
            continue
        value, base = float(values[i]), float(scores.baseline[i])
        if not _passes_rules(metric, value, base, weekly=False):
            continue
        n = float(series.den[i]) if series.den is not None else None
        hits.append(
            _Hit(
                metric,
                entity,
                "daily",
                days[i],
                days[i],
                value,
                base,
                float(scores.scale[i]),
                float(score),
                n,
                _dollars(metric, value, base, n, visit_value),
            )
        )
    return hits


def _weekly_hits(
    metric: Metric,
    entity: Entity,
    series: _Series,
    days: list[date],
    holidays: set[date],
    lookback_days: int,
    threshold: float,
    visit_value: float,
) -> list[_Hit]:
    n_weeks = len(days) // 7
    offset = len(days) - n_weeks * 7  # weeks end on as_of; drop the oldest partial week
    num = series.num[offset:].reshape(n_weeks, 7).sum(axis=1)
    den = series.den[offset:].reshape(n_weeks, 7).sum(axis=1) if series.den is not None else None
    weekly = _values(_Series(num, den), metric)
    week_days = [days[offset + 7 * w : offset + 7 * w + 7] for w in range(n_weeks)]
    eval_weeks = max(1, lookback_days // 7)
    week_keys = np.zeros(n_weeks, dtype=np.int64)
    if den is not None:
        scores = rate_scores(num, den, week_keys, period=1, start=n_weeks - eval_weeks)
    else:
        scores = seasonal_scores(
            weekly,
            week_keys,
            period=1,
            history=HISTORY_WEEKS,
            min_same=6,
            min_pooled=8,
            min_scale=metric.min_scale * 2,
            start=n_weeks - eval_weeks,
        )
    hits = []
    for w in range(n_weeks - eval_weeks, n_weeks):
        score = scores.score[w]
        if math.isnan(score) or abs(score) < threshold:
            continue
        value, base = float(weekly[w]), float(scores.baseline[w])
        if not _passes_rules(metric, value, base, weekly=True):
            continue
        adverse_down = value < base
        if adverse_down and any(d in holidays for d in week_days[w]):
            continue  # a holiday week is quieter; it alone does not fire
        n = float(den[w]) if den is not None else None
        hits.append(
            _Hit(
                metric,
                entity,
                "weekly",
                week_days[w][0],
                week_days[w][-1],
                value,
                base,
                float(scores.scale[w]),
                float(score),
                n,
                _dollars(metric, value, base, n, visit_value),
            )
        )
    return hits


def _merge_weekdays(hits: list[_Hit]) -> list[_Hit]:
    """Two or more daily anomalies of one series on the same weekday, same direction → one."""
    groups: dict[tuple[str, str, int, bool, int], list[_Hit]] = defaultdict(list)
    merged: list[_Hit] = []
    for hit in hits:
        if hit.frequency != "daily":
            merged.append(hit)
            continue
        key = (hit.metric.name, hit.entity.scope, hit.start.weekday(), hit.score > 0, 0)
        groups[key].append(hit)
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        group.sort(key=lambda h: h.start)
        n_total = sum(h.n or 0.0 for h in group)
        if group[0].metric.kind == "rate":
            value = sum(h.value * (h.n or 0.0) for h in group) / n_total
            base = float(np.median([h.baseline for h in group]))
        else:
            value = float(np.mean([h.value for h in group]))
            base = float(np.mean([h.baseline for h in group]))
        merged.append(
            _Hit(
                group[0].metric,
                group[0].entity,
                "daily",
                group[0].start,
                group[-1].start,
                value,
                base,
                float(np.median([h.scale for h in group])),
                float(np.median([h.score for h in group])),
                n_total if n_total else None,
                sum(h.dollars for h in group),
                {
                    "weekday": group[0].start.weekday(),
                    "weekday_name": WEEKDAYS[group[0].start.weekday()],
                    "days": [h.start.isoformat() for h in group],
                    "day_scores": [round(h.score, 2) for h in group],
                },
            )
        )
    return merged


def _deduplicate(hits: list[_Hit]) -> list[_Hit]:
    """One event, one finding: a weekly hit whose week holds a daily hit of the same series and
    direction is dropped, and so is a provider hit covered by its location's hit (the location
    finding lists the providers involved)."""
    daily = [h for h in hits if h.frequency == "daily"]
    kept = [
        h
        for h in hits
        if h.frequency == "daily"
        or not any(
            d.metric is h.metric
            and d.entity == h.entity
            and (d.score > 0) == (h.score > 0)
            and h.start <= d.end
            and d.start <= h.end
            for d in daily
        )
    ]
    result = []
    for hit in kept:
        if hit.entity.kind == "provider":
            cover = next(
                (
                    h
                    for h in kept
                    if h.entity.kind == "location"
                    and h.entity.id == hit.entity.location_id
                    and h.metric is hit.metric
                    and h.frequency == hit.frequency
                    and (h.score > 0) == (hit.score > 0)
                    and h.start <= hit.end
                    and hit.start <= h.end
                ),
                None,
            )
            if cover is not None:
                providers = cover.extra.setdefault("providers", [])
                assert isinstance(providers, list)
                providers.append(
                    {
                        "provider_id": hit.entity.id,
                        "value": round(hit.value, 4),
                        "baseline": round(hit.baseline, 4),
                    }
                )
                continue
        result.append(hit)
    return result


# --------------------------------------------------------------------------- findings


def _fmt(metric: Metric, value: float) -> str:
    if metric.kind == "amount":
        return f"${value:,.0f}"
    if metric.kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:,.1f}".removesuffix(".0")


def _unit(metric: Metric) -> Unit:
    return {"amount": "USD", "count": "count", "rate": "percent"}[metric.kind]  # type: ignore[return-value]


def _draft(hit: _Hit, organization_id: int, names: dict[int, str]) -> FindingDraft:
    m, e = hit.metric, hit.entity
    direction = "up" if hit.value > hit.baseline else "down"
    where = e.name if e.kind == "location" else f"{e.name} ({names.get(e.location_id, '')})"
    if "weekday" in hit.extra:
        days = list(hit.extra["days"])  # type: ignore[call-overload]
        when = f"on {hit.extra['weekday_name']}s ({len(days)} days, {days[0]} to {days[-1]})"
        baseline_used = (
            f"median of the same weekday over the previous {HISTORY_WEEKS} weeks, per day"
        )
        period_label = f"{hit.start.isoformat()}..{hit.end.isoformat()}"
    elif hit.frequency == "daily":
        when = f"on {WEEKDAYS[hit.start.weekday()]} {hit.start.isoformat()}"
        baseline_used = f"median of the same weekday over the previous {HISTORY_WEEKS} weeks"
        period_label = hit.start.isoformat()
    else:
        when = f"in the week {hit.start.isoformat()}..{hit.end.isoformat()}"
        baseline_used = f"median of the previous {HISTORY_WEEKS} weeks"
        period_label = f"{hit.start.isoformat()}..{hit.end.isoformat()}"
    title = (
        f"{m.label} {direction} at {where} {when}: {_fmt(m, hit.value)} vs "
        f"{_fmt(m, hit.baseline)} usual"
    )
    formula = {
        "amount": "|value − baseline|",
        "count": "|value − baseline| × average visit value",
        "rate": "|rate − baseline rate| × visits × average visit value",
    }[m.kind]
    make = FactMaker(
        prefix=f"anomaly.{m.name}.{e.kind}-{e.id}.{hit.frequency}.{period_label}",
        scope=e.scope,
        source=SOURCE,
        period_start=hit.start,
        period_end=hit.end,
    )
    facts = [
        make("value", f"{m.label}, {where}, {period_label}", round(hit.value, 4), _unit(m)),
        make(
            "baseline",
            f"Usual {m.label.lower()}, {where} ({baseline_used})",
            round(hit.baseline, 4),
            _unit(m),
        ),
        make(
            "dollars",
            f"Dollar impact of the {m.label.lower()} anomaly",
            round(hit.dollars, 2),
            "USD",
        ),
    ]
    adverse = direction == m.adverse
    action = (
        f"Look into what changed at {where} {when} ({m.label.lower()})."
        if adverse
        else f"Note what went well at {where} {when} and whether it can be repeated."
    )
    return FindingDraft(
        kind=f"anomaly.{m.name}",
        title=title,
        scope=e.scope,
        organization_id=organization_id,
        location_id=e.location_id,
        provider_id=e.id if e.kind == "provider" else None,
        period_start=hit.start,
        period_end=hit.end,
        dollars=round(hit.dollars, 2),
        formula=formula,
        recommended_action=action,
        evidence={
            "metric": m.name,
            "frequency": hit.frequency,
            "direction": direction,
            "adverse": adverse,
            "value": round(hit.value, 4),
            "baseline": round(hit.baseline, 4),
            "baseline_method": baseline_used,
            "scale": round(hit.scale, 4),
            "score": round(hit.score, 2),
            "threshold": THRESHOLD,
            "visits": hit.n,
            **hit.extra,
        },
        facts=facts,
        fingerprint_key=f"anomaly|{m.name}|{hit.frequency}|{e.scope}|{hit.start.isoformat()}"
        + (f"|weekday-{hit.extra['weekday']}" if "weekday" in hit.extra else ""),
    )
