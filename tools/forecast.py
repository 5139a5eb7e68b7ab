"""Revenue forecast for the next 30/60/90 days from treatment cycles and booked appointments.

Structural forecast of net revenue in (as_of, as_of + h], per location:
- *booked*: appointments booked by the end of `as_of` (not cancelled by then) for days in the
  window × the location's realisation rate (completed / all appointments of the 180 days before)
  × the average net revenue of a completed visit of that service category at that location
  (sales linked to the visit, 180 days before);
- *cycles*: every patient with a completed visit in the two years before and nothing booked
  after `as_of` returns within the window with probability (F(s + h) − F(s)) / (1 − F(s)),
  where s = days since her last visit and F is the empirical distribution of the gap from a
  visit of that category to the patient's next completed visit (two years of history, visits
  that were not rebooked at checkout; the mass never followed by a visit stays out of F), times
  the category's visit value;
- *calibration*: (booked + cycles) misses new patients, retail, memberships and second visits
  within the window, so it is scaled by Σ actual / Σ structural over the three windows of the
  same length that ended at `as_of` (each forecast as of its own start; windows starting in a
  location's first 180 days of data are skipped, except the most recent).

Horizons beyond `BLOCK_DAYS` (30) extend the calibrated daily rate of the first 30 days:
forecast(h) = forecast(30) × h / 30. Bookings thin out further ahead, and the calibration that
made up for it came from windows long ago — for a young location (Austin Domain, opened
2026-01) from months when new patients were most of its revenue, so the 60- and 90-day
forecasts ramped $250k → $333k → $400k per 30 days against ~$240k actual. `booked` and
`cycles` are still the horizon's own structural parts; `calibration` is forecast / (booked +
cycles).

The model is fitted on the organization: the gap distributions F come from every location's
visits, and a patient's next visit counts at any location, so a location's forecast is the same
whether the run asks for that location or for all of them.

`backtest` forecasts each of the last `months` calendar months as of the day before it starts
and compares with the actual net revenue, side by side with a trailing average (mean daily
revenue of the 90 days before × days in the month), for the locations asked for summed and for
each location on its own. MAPE = mean |forecast − actual| / actual.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from pydantic import BaseModel
from sqlalchemy import DateTime, Engine, func, select, type_coerce

from store import tables as t
from tools import forecast_snapshot
from tools.facts import Fact

SOURCE = "tools.forecast"
EPOCH = date(1970, 1, 1)
HISTORY_DAYS = 730
VALUE_DAYS = 180
CALIBRATION_WINDOWS = 3
BLOCK_DAYS = 30


class LocationForecast(BaseModel):
    location_id: int
    horizon_days: int
    booked: float
    cycles: float
    calibration: float
    forecast: float


class RevenueForecast(BaseModel):
    organization_id: int
    as_of: date
    horizons: list[int]
    by_location: list[LocationForecast]
    totals: dict[int, float]  # horizon → USD
    facts: list[Fact]


class BacktestMonth(BaseModel):
    month: str
    actual: float
    forecast: float
    trailing_average: float
    ape_forecast: float
    ape_trailing: float


class LocationBacktest(BaseModel):
    location_id: int
    months: list[BacktestMonth]
    mape_forecast: float
    mape_trailing: float


class Backtest(BaseModel):
    months: list[BacktestMonth]
    mape_forecast: float
    mape_trailing: float
    by_location: list[LocationBacktest] = []


@dataclass(frozen=True)
class _Data:
    patient: np.ndarray
    location: np.ndarray
    category: np.ndarray  # int code
    day: np.ndarray  # days since epoch
    completed: np.ndarray
    booked_day: np.ndarray  # day the booking was made (UTC date), large if unknown
    cancelled_day: np.ndarray  # day it was cancelled, large if never
    value: np.ndarray  # net sales linked to the appointment (USD)
    rebooked: np.ndarray  # completed and next appointment booked within 1 day of the visit
    revenue_day: np.ndarray  # daily revenue table: (location, day) → USD
    revenue_loc: np.ndarray
    revenue_usd: np.ndarray
    categories: list[str]


def _day(value: date | datetime | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, datetime):
        value = (value if value.tzinfo is None else value.astimezone(UTC)).date()
    return (value - EPOCH).days


def _load(engine: Engine, location_ids: list[int], start: date, end: date) -> _Data:
    a, s, sale = t.appointment, t.service, t.sale
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                a.c.id,
                a.c.patient_id,
                a.c.location_id,
                s.c.category,
                a.c.local_date,
                a.c.status,
                # Plain DateTime: only the UTC day is used (`_day` reads aware and naive-UTC
                # values alike), and the column type's per-value tz handling cost 0.2 s here.
                type_coerce(a.c.booked_at, DateTime(timezone=True)).label("booked_at"),
                type_coerce(a.c.cancelled_at, DateTime(timezone=True)).label("cancelled_at"),
            )
            .outerjoin(s, s.c.id == a.c.service_id)
            .where(a.c.location_id.in_(location_ids), a.c.local_date.between(start, end))
            .order_by(a.c.patient_id, a.c.start_at, a.c.id)
        ).all()
        linked = dict(
            conn.execute(
                select(sale.c.appointment_id, func.sum(sale.c.net_cents))
                .where(
                    sale.c.appointment_id.is_not(None),
                    sale.c.location_id.in_(location_ids),
                    sale.c.local_date.between(start, end),
                )
                .group_by(sale.c.appointment_id)
            ).all()
        )
        daily = conn.execute(
            select(sale.c.location_id, sale.c.local_date, func.sum(sale.c.net_cents))
            .where(sale.c.location_id.in_(location_ids), sale.c.local_date.between(start, end))
            .group_by(sale.c.location_id, sale.c.local_date)
        ).all()
    never = 10**7
    categories = sorted({r.category or "other" for r in rows})
    code = {c: i for i, c in enumerate(categories)}
    patient = np.array([r.patient_id for r in rows], dtype=np.int64)
    day = np.array([_day(r.local_date, 0) for r in rows], dtype=np.int64)
    completed = np.array([r.status == "completed" for r in rows], dtype=bool)
    booked_day = np.array([_day(r.booked_at, -never) for r in rows], dtype=np.int64)
    # Rebooked at checkout: the patient's next appointment was booked within a day of this visit.
    same_next = np.zeros(len(rows), dtype=bool)
    same_next[:-1] = patient[1:] == patient[:-1]
    next_booked = np.concatenate([booked_day[1:], [-never]])
    rebooked = completed & same_next & (next_booked >= day) & (next_booked <= day + 1)
    return _Data(
        patient=patient,
        location=np.array([r.location_id for r in rows], dtype=np.int64),
        category=np.array([code[r.category or "other"] for r in rows], dtype=np.int64),
        day=day,
        completed=completed,
        booked_day=booked_day,
        cancelled_day=np.array([_day(r.cancelled_at, never) for r in rows], dtype=np.int64),
        value=np.array([(linked.get(r.id) or 0) / 100 for r in rows]),
        rebooked=rebooked,
        revenue_day=np.array([_day(d, 0) for _, d, _ in daily], dtype=np.int64),
        revenue_loc=np.array([loc for loc, _, _ in daily], dtype=np.int64),
        revenue_usd=np.array([(c or 0) / 100 for _, _, c in daily]),
        categories=categories,
    )


def _actual(data: _Data, location: int, start: int, end: int) -> float:
    """Net revenue of days in (start, end]."""
    keep = (data.revenue_loc == location) & (data.revenue_day > start) & (data.revenue_day <= end)
    return float(data.revenue_usd[keep].sum())


def _gap_cdf(data: _Data, cut: int, category: int) -> np.ndarray:
    """F(g) for g = 0 … HISTORY_DAYS: share of (not rebooked) completed visits of `category`
    in the two years before `cut` followed by the patient's next completed visit within g
    days (only gaps observable before `cut`; the rest is the mass that never returns)."""
    idx = np.flatnonzero(
        data.completed
        & (data.category == category)
        & ~data.rebooked
        & (data.day <= cut)
        & (data.day > cut - HISTORY_DAYS)
    )
    gaps = np.zeros(HISTORY_DAYS + 1)
    if len(idx) == 0:
        return gaps
    done = np.flatnonzero(data.completed & (data.day <= cut))
    # next completed visit of the same patient: the next index in `done` after each idx
    position = np.searchsorted(done, idx, side="right")
    valid = position < len(done)
    nxt = done[np.minimum(position, len(done) - 1)]
    valid &= data.patient[nxt] == data.patient[idx]
    gap = data.day[nxt] - data.day[idx]
    # A visit's gap is only observable when the next visit happened before `cut`: weight the
    # count at each gap g by 1 / (share of visits old enough to have shown it).
    ages = cut - data.day[idx]
    observed = valid & (gap >= 1) & (gap <= HISTORY_DAYS)
    counts = np.bincount(gap[observed], minlength=HISTORY_DAYS + 1)[: HISTORY_DAYS + 1]
    sorted_ages = np.sort(ages)
    at_risk = len(ages) - np.searchsorted(sorted_ages, np.arange(HISTORY_DAYS + 1), side="left")
    density = np.where(at_risk > 0, counts / np.maximum(at_risk, 1), 0.0)
    return np.minimum(np.cumsum(density), 0.999)


def _structural(
    data: _Data, location: int, cut: int, horizon: int, cdfs: dict[int, np.ndarray]
) -> tuple[float, float]:
    """(booked, cycles) revenue in (cut, cut + horizon] as seen at the end of day `cut`."""
    at = data.location == location
    recent = at & (data.day <= cut) & (data.day > cut - VALUE_DAYS)
    past_all = recent & (data.booked_day <= data.day)
    realisation = float(data.completed[past_all].mean()) if past_all.any() else 0.85
    value = {}
    for c in range(len(data.categories)):
        done = recent & data.completed & (data.category == c)
        value[c] = float(data.value[done].mean()) if done.any() else 0.0
    booked_rows = (
        at
        & (data.day > cut)
        & (data.day <= cut + horizon)
        & (data.booked_day <= cut)
        & (data.cancelled_day > cut)
    )
    booked = realisation * sum(value[int(c)] for c in data.category[booked_rows])
    # Patients with any booking after the cut are covered by `booked` (or come later).
    ahead = set(
        data.patient[
            (data.day > cut) & (data.booked_day <= cut) & (data.cancelled_day > cut)
        ].tolist()
    )
    done = np.flatnonzero(at & data.completed & (data.day <= cut) & (data.day > cut - HISTORY_DAYS))
    if len(done) == 0:
        return booked, 0.0
    # last completed visit per patient (rows are ordered by patient, start)
    last_mask = np.ones(len(done), dtype=bool)
    last_mask[:-1] = data.patient[done[1:]] != data.patient[done[:-1]]
    last = done[last_mask]
    cycles = 0.0
    for i in last:
        if int(data.patient[i]) in ahead:
            continue
        c = int(data.category[i])
        cdf = cdfs[c]
        s = int(cut - data.day[i])
        f_s = cdf[min(s, HISTORY_DAYS)]
        f_end = cdf[min(s + horizon, HISTORY_DAYS)]
        cycles += (f_end - f_s) / (1 - f_s) * value[c]
    return booked, cycles


_CdfCache = dict[int, dict[int, np.ndarray]]


def _structural_at(
    data: _Data, location: int, cut: int, horizon: int, cache: _CdfCache
) -> tuple[float, float]:
    if cut not in cache:
        cache[cut] = {k: _gap_cdf(data, cut, k) for k in range(len(data.categories))}
    return _structural(data, location, cut, horizon, cache[cut])


def _forecast_location(
    data: _Data, location: int, cut: int, horizon: int, cache: _CdfCache
) -> tuple[float, float, float]:
    def structural_at(c: int) -> tuple[float, float]:
        return _structural_at(data, location, c, horizon, cache)

    booked, cycles = structural_at(cut)
    actual_sum = model_sum = 0.0
    at = data.location == location
    opened = int(data.day[at].min()) if at.any() else cut
    for k in range(1, CALIBRATION_WINDOWS + 1):
        start = cut - k * horizon
        if k > 1 and start - opened < VALUE_DAYS:
            break  # a young location's first months are all new patients: not comparable
        b, c = structural_at(start)
        actual_sum += _actual(data, location, start, start + horizon)
        model_sum += b + c
    calibration = actual_sum / model_sum if model_sum > 0 else 1.0
    return booked, cycles, calibration


def _locations(engine: Engine, organization_id: int, location_id: int | None) -> list[int]:
    """The organization's locations, or only `location_id` (the model is always fitted on all
    of them: see `_org_locations`)."""
    return [i for i in _org_locations(engine, organization_id) if location_id in (None, i)]


def _org_locations(engine: Engine, organization_id: int) -> list[int]:
    with engine.connect() as conn:
        ids = conn.execute(
            select(t.location.c.id)
            .where(t.location.c.organization_id == organization_id)
            .order_by(t.location.c.id)
        ).scalars()
        return list(ids)


def revenue_forecast(
    engine: Engine,
    *,
    organization_id: int,
    as_of: date,
    location_id: int | None = None,
    horizons: tuple[int, ...] = (30, 60, 90),
) -> RevenueForecast:
    """Net revenue expected in the next `horizons` days after `as_of`, per location (module
    doc), with facts. The organization's forecast is computed once per day and data version
    and stored (`tools.forecast_snapshot`); a location's is read from it. For a location,
    `totals` are that location's and no organization-wide fact is included."""
    key = forecast_snapshot.key_for(engine, organization_id, as_of, horizons)
    stored = forecast_snapshot.load(engine, key)
    if stored is not None:
        everyone = RevenueForecast.model_validate(stored)
    else:
        everyone = _organization_forecast(engine, organization_id, as_of, horizons)
        forecast_snapshot.save(engine, key, everyone.model_dump(mode="json"))
    return everyone if location_id is None else _only(everyone, location_id)


def _only(everyone: RevenueForecast, location_id: int) -> RevenueForecast:
    """One location's part of the organization's forecast."""
    mine = [f for f in everyone.by_location if f.location_id == location_id]
    return RevenueForecast(
        organization_id=everyone.organization_id,
        as_of=everyone.as_of,
        horizons=everyone.horizons,
        by_location=mine,
        totals={
            h: round(sum(f.forecast for f in mine if f.horizon_days == h), 2)
            for h in everyone.horizons
        },
        facts=[f for f in everyone.facts if f.scope == f"location:{location_id}"],
    )


def _organization_forecast(
    engine: Engine, organization_id: int, as_of: date, horizons: tuple[int, ...]
) -> RevenueForecast:
    """The forecast of every location of the organization and their totals (module doc)."""
    locations = _org_locations(engine, organization_id)
    longest = min(max(horizons), BLOCK_DAYS)
    start = as_of - timedelta(days=HISTORY_DAYS + (CALIBRATION_WINDOWS + 1) * longest)
    data = _load(
        engine,
        locations,
        start,
        as_of + timedelta(days=max(horizons)),
    )
    cut = (as_of - EPOCH).days
    by_location = []
    cache: _CdfCache = {}
    totals: dict[int, float] = {}
    facts: list[Fact] = []
    for horizon in horizons:
        for loc in locations:
            booked, cycles, calibration = _forecast_location(
                data, loc, cut, min(horizon, BLOCK_DAYS), cache
            )
            forecast = (booked + cycles) * calibration * max(horizon, BLOCK_DAYS) / BLOCK_DAYS
            if horizon > BLOCK_DAYS:
                booked, cycles = _structural_at(data, loc, cut, horizon, cache)
                calibration = forecast / (booked + cycles) if booked + cycles > 0 else 1.0
            by_location.append(
                LocationForecast(
                    location_id=loc,
                    horizon_days=horizon,
                    booked=round(booked, 2),
                    cycles=round(cycles, 2),
                    calibration=round(calibration, 4),
                    forecast=round(forecast, 2),
                )
            )
            facts.append(
                Fact(
                    id=f"forecast.revenue.location-{loc}.next-{horizon}d",
                    label=f"Forecast net revenue, next {horizon} days",
                    value=round(forecast, 2),
                    unit="USD",
                    scope=f"location:{loc}",
                    period_start=as_of + timedelta(days=1),
                    period_end=as_of + timedelta(days=horizon),
                    source=SOURCE,
                )
            )
        totals[horizon] = round(
            sum(f.forecast for f in by_location if f.horizon_days == horizon), 2
        )
        facts.append(
            Fact(
                id=f"forecast.revenue.org-{organization_id}.next-{horizon}d",
                label=f"Forecast net revenue, all locations, next {horizon} days",
                value=totals[horizon],
                unit="USD",
                scope=f"org:{organization_id}",
                period_start=as_of + timedelta(days=1),
                period_end=as_of + timedelta(days=horizon),
                source=SOURCE,
            )
        )
    return RevenueForecast(
        organization_id=organization_id,
        as_of=as_of,
        horizons=list(horizons),
        by_location=by_location,
        totals=totals,
        facts=facts,
    )


def _month_row(month: str, actual: float, forecast: float, trailing: float) -> BacktestMonth:
    return BacktestMonth(
        month=month,
        actual=round(actual, 2),
        forecast=round(forecast, 2),
        trailing_average=round(trailing, 2),
        ape_forecast=abs(forecast - actual) / actual if actual else 0.0,
        ape_trailing=abs(trailing - actual) / actual if actual else 0.0,
    )


def _mape(rows: list[BacktestMonth], field: str) -> float:
    return float(np.mean([getattr(r, field) for r in rows])) if rows else 0.0


def backtest(
    engine: Engine,
    *,
    organization_id: int,
    as_of: date,
    location_id: int | None = None,
    months: int = 6,
) -> Backtest:
    """Forecast each of the last `months` complete calendar months up to `as_of` as of the day
    before it, next to the trailing average (module doc): the locations asked for summed, and
    each on its own (`by_location`, MAPE per location). Fitted on the organization."""
    locations = _locations(engine, organization_id, location_id)
    first_month = date(as_of.year, as_of.month, 1)
    if as_of.day != calendar.monthrange(as_of.year, as_of.month)[1]:
        first_month = (first_month - timedelta(days=1)).replace(day=1)  # last complete month
    month_starts = []
    m = first_month
    for _ in range(months):
        month_starts.append(m)
        m = (m - timedelta(days=1)).replace(day=1)
    month_starts.reverse()
    earliest = month_starts[0] - timedelta(days=HISTORY_DAYS + (CALIBRATION_WINDOWS + 1) * 31)
    last_day = first_month.replace(day=calendar.monthrange(first_month.year, first_month.month)[1])
    data = _load(engine, _org_locations(engine, organization_id), earliest, last_day)
    rows = []
    per_location: dict[int, list[BacktestMonth]] = {loc: [] for loc in locations}
    cache: _CdfCache = {}
    for start in month_starts:
        length = calendar.monthrange(start.year, start.month)[1]
        cut = (start - EPOCH).days - 1
        actual = forecast = trailing = 0.0
        for loc in locations:
            booked, cycles, calibration = _forecast_location(data, loc, cut, length, cache)
            f = (booked + cycles) * calibration
            a = _actual(data, loc, cut, cut + length)
            tr = _actual(data, loc, cut - 90, cut) / 90 * length
            per_location[loc].append(_month_row(f"{start:%Y-%m}", a, f, tr))
            forecast += f
            actual += a
            trailing += tr
        rows.append(_month_row(f"{start:%Y-%m}", actual, forecast, trailing))
    return Backtest(
        months=rows,
        mape_forecast=_mape(rows, "ape_forecast"),
        mape_trailing=_mape(rows, "ape_trailing"),
        by_location=[
            LocationBacktest(
                location_id=loc,
                months=loc_rows,
                mape_forecast=_mape(loc_rows, "ape_forecast"),
                mape_trailing=_mape(loc_rows, "ape_trailing"),
            )
            for loc, loc_rows in per_location.items()
        ],
    )
