"""No-show risk of upcoming booked appointments, learned from the practice's own history.

Training rows: appointments of the 365 days ending `as_of` that were completed or no-shows
(label: no_show). Features per appointment: lead time (log days from booking to start),
weekday and hour band, location × weekday, the patient's earlier no-shows, cancellations
(incl. late) and completed visits (all before this appointment), new patient (no completed
visit before), age band at the visit, reminder sent. Model: logistic regression (scikit-learn),
whose probabilities are calibrated by construction of its loss; recent weeks weigh more (weight
halves every 90 days) so a new pattern is picked up. With fewer than 300 training rows or a
single class, the probability is the historical rate instead: the location × weekday rate
shrunk toward the location's rate (20 pseudo-visits), or 15 % without any history.

Scored: appointments booked after `as_of` (all of them, or those of `day`), riskiest first.
`expected_loss` = p_no_show × the service's list price (USD).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Engine, select

from store import tables as t
from store.models import pseudonym
from tools.facts import Fact, FactMaker

SOURCE = "tools.no_show_risk"
TRAINING_DAYS = 365
HALF_LIFE_DAYS = 90.0
MIN_TRAINING_ROWS = 300
DEFAULT_RATE = 0.15
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class NoShowRisk(BaseModel):
    appointment_id: int
    patient_id: int
    pseudonym: str
    location_id: int
    provider_id: int | None
    service: str
    start_at: datetime
    local_date: date
    local_hour: int
    p_no_show: float
    expected_loss: float
    reasons: list[str]
    method: str  # "model" or "historical_rate"
    facts: list[Fact]


@dataclass
class _Rows:
    id: np.ndarray
    patient: np.ndarray
    location: np.ndarray
    provider: list[int | None]
    service: list[str]
    price: np.ndarray
    start_at: list[datetime]
    day: list[date]
    hour: np.ndarray
    weekday: np.ndarray
    status: np.ndarray
    lead_days: np.ndarray
    reminder: np.ndarray
    age: np.ndarray
    prior_no_show: np.ndarray
    prior_cancel: np.ndarray
    prior_completed: np.ndarray


def _load(engine: Engine, start: date, end: date) -> _Rows:
    a, p, s = t.appointment, t.patient, t.service
    query = (
        select(
            a.c.id,
            a.c.patient_id,
            a.c.location_id,
            a.c.provider_id,
            s.c.name,
            s.c.price_cents,
            a.c.start_at,
            a.c.booked_at,
            a.c.local_date,
            a.c.local_hour,
            a.c.status,
            a.c.reminder_sent,
            p.c.birth_date,
        )
        .join(p, p.c.id == a.c.patient_id)
        .outerjoin(s, s.c.id == a.c.service_id)
        .where(a.c.local_date.between(start, end))
        .order_by(a.c.patient_id, a.c.start_at, a.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    n = len(rows)
    (
        ids,
        patients,
        locations,
        providers,
        names,
        prices,
        starts,
        booked,
        days,
        hours,
        statuses,
        reminders,
        births,
    ) = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 13
    status = np.array(statuses, dtype=object)
    patient = np.array(patients, dtype=np.int64)
    is_no_show = (status == "no_show").astype(int)
    is_cancel = np.isin(status, ("cancelled", "late_cancel")).astype(int)
    is_completed = (status == "completed").astype(int)
    # Counts of earlier appointments of the same patient (rows are ordered by patient, start).
    first_of_patient = np.ones(n, dtype=bool)
    first_of_patient[1:] = patient[1:] != patient[:-1]
    group_start = np.maximum.accumulate(np.where(first_of_patient, np.arange(n), 0))

    def prior(flags: np.ndarray) -> np.ndarray:
        before = np.concatenate([[0], np.cumsum(flags)[:-1]]) if n else flags
        return before - before[group_start]

    start_at = [_aware(v) for v in starts]
    lead = [
        max(0.0, (st - _aware(b)).total_seconds() / 86_400) if b is not None else 0.0
        for st, b in zip(start_at, booked, strict=True)
    ]
    ages = [
        (d - b).days / 365.25 if b is not None else np.nan
        for d, b in zip(days, births, strict=True)
    ]
    return _Rows(
        id=np.array(ids, dtype=np.int64),
        patient=patient,
        location=np.array(locations, dtype=np.int64),
        provider=providers,
        service=[name or "appointment" for name in names],
        price=np.array([(c or 0) / 100 for c in prices]),
        start_at=start_at,
        day=days,
        hour=np.array(hours, dtype=np.int64),
        weekday=np.array([d.weekday() for d in days], dtype=np.int64),
        status=status,
        lead_days=np.array(lead, dtype=float),
        reminder=np.array([bool(v) for v in reminders], dtype=bool),
        age=np.array(ages, dtype=float),
        prior_no_show=prior(is_no_show),
        prior_cancel=prior(is_cancel),
        prior_completed=prior(is_completed),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _age_band(age: np.ndarray) -> np.ndarray:
    bands = np.digitize(np.nan_to_num(age, nan=-1), [0, 30, 45, 60])  # 0 = unknown
    return bands


def _features(rows: _Rows, mask: np.ndarray, locations: list[int]) -> np.ndarray:
    """Design matrix (one-hot categoricals, log counts) of the rows in `mask`."""
    wd = rows.weekday[mask]
    hour = rows.hour[mask]
    loc = rows.location[mask]
    band = _age_band(rows.age[mask])
    columns: list[np.ndarray] = [
        np.log1p(rows.lead_days[mask]),
        np.log1p(rows.prior_no_show[mask]),
        np.log1p(rows.prior_cancel[mask]),
        np.log1p(rows.prior_completed[mask]),
        (rows.prior_completed[mask] == 0).astype(float),
        rows.reminder[mask].astype(float),
    ]
    columns += [(wd == d).astype(float) for d in range(7)]
    columns += [(hour < 12).astype(float), (hour >= 17).astype(float)]
    columns += [(band == b).astype(float) for b in range(5)]
    for location in locations:
        columns += [((loc == location) & (wd == d)).astype(float) for d in range(7)]
    return np.column_stack(columns)


@dataclass(frozen=True)
class NoShowModel:
    """A fitted model, or the historical-rate fallback when `classifier` is None."""

    classifier: Any
    locations: list[int]
    rates: dict[tuple[int, int], float]
    training_rows: int
    base_rate: float

    def predict(self, rows: _Rows, mask: np.ndarray) -> np.ndarray:
        if self.classifier is not None:
            return np.asarray(
                self.classifier.predict_proba(_features(rows, mask, self.locations))[:, 1]
            )
        return np.array(
            [
                self.rates.get((int(loc), int(wd)), self.rates.get((int(loc), -1), self.base_rate))
                for loc, wd in zip(rows.location[mask], rows.weekday[mask], strict=True)
            ]
        )


def fit_no_show_model(rows: _Rows, as_of: date) -> NoShowModel:
    """Fit on the completed/no-show rows of the `TRAINING_DAYS` ending `as_of` (module doc)."""
    from sklearn.linear_model import LogisticRegression

    days = np.array([(as_of - d).days for d in rows.day])
    train = np.isin(rows.status, ("completed", "no_show")) & (days >= 0) & (days < TRAINING_DAYS)
    labels = rows.status[train] == "no_show"
    base = float(labels.mean()) if train.any() else DEFAULT_RATE
    rates: dict[tuple[int, int], float] = {}
    for location in np.unique(rows.location[train]):
        at = rows.location[train] == location
        loc_rate = float(labels[at].mean())
        rates[(int(location), -1)] = loc_rate
        for weekday in range(7):
            cell = at & (rows.weekday[train] == weekday)
            rates[(int(location), weekday)] = (labels[cell].sum() + 20 * loc_rate) / (
                cell.sum() + 20
            )
    locations = sorted(int(v) for v in np.unique(rows.location[train]))
    if int(train.sum()) < MIN_TRAINING_ROWS or labels.all() or not labels.any():
        return NoShowModel(None, locations, rates, int(train.sum()), base)
    weights = 0.5 ** (days[train] / HALF_LIFE_DAYS)
    classifier = LogisticRegression(C=1.0, max_iter=3000)
    classifier.fit(_features(rows, train, locations), labels, sample_weight=weights)
    return NoShowModel(classifier, locations, rates, int(train.sum()), base)


def load_history(engine: Engine, as_of: date) -> _Rows:
    """Appointments from two years before `as_of` to 60 days after (earlier ones feed the
    patients' prior counts)."""
    return _load(engine, as_of - timedelta(days=730), as_of + timedelta(days=60))


def score_upcoming(
    engine: Engine,
    *,
    as_of: date,
    location_id: int | None = None,
    day: date | None = None,
) -> list[NoShowRisk]:
    """Booked appointments after `as_of` (only `day`'s when given), riskiest first."""
    rows = load_history(engine, as_of)
    model = fit_no_show_model(rows, as_of)
    upcoming = (rows.status == "booked") & np.array([d > as_of for d in rows.day], dtype=bool)
    if day is not None:
        upcoming &= np.array([d == day for d in rows.day], dtype=bool)
    if location_id is not None:
        upcoming &= rows.location == location_id
    if not upcoming.any():
        return []
    probabilities = model.predict(rows, upcoming)
    method = "model" if model.classifier is not None else "historical_rate"
    found = []
    for i, p in zip(np.flatnonzero(upcoming), probabilities, strict=True):
        p = float(p)
        reasons = _reasons(rows, int(i))
        pid = int(rows.patient[i])
        loss = p * float(rows.price[i])
        who, day_i = pseudonym(pid), rows.day[i]
        make = FactMaker(
            prefix=f"no_show_risk.appointment-{rows.id[i]}",
            scope=f"patient:{who}",
            source=SOURCE,
            period_start=day_i,
            period_end=day_i,
        )
        found.append(
            NoShowRisk(
                appointment_id=int(rows.id[i]),
                patient_id=pid,
                pseudonym=who,
                location_id=int(rows.location[i]),
                provider_id=rows.provider[i],
                service=rows.service[i],
                start_at=rows.start_at[i],
                local_date=rows.day[i],
                local_hour=int(rows.hour[i]),
                p_no_show=round(p, 4),
                expected_loss=round(loss, 2),
                reasons=reasons,
                method=method,
                facts=[
                    make(
                        "p", f"No-show risk, {who} on {day_i.isoformat()}", round(p, 4), "percent"
                    ),
                    make(
                        "expected_loss",
                        f"Expected loss from a no-show, {who}",
                        round(loss, 2),
                        "USD",
                    ),
                ],
            )
        )
    found.sort(key=lambda r: (-r.p_no_show, r.start_at, r.appointment_id))
    return found


def _reasons(rows: _Rows, i: int) -> list[str]:
    reasons = []
    if rows.prior_no_show[i]:
        reasons.append(f"{rows.prior_no_show[i]} earlier no-show(s)")
    if rows.prior_cancel[i]:
        reasons.append(f"{rows.prior_cancel[i]} earlier cancellation(s)")
    if rows.prior_completed[i] == 0:
        reasons.append("new patient")
    if rows.lead_days[i] > 21:
        reasons.append(f"booked {rows.lead_days[i]:.0f} days ahead")
    if not rows.reminder[i]:
        reasons.append("no reminder sent")
    reasons.append(f"{WEEKDAYS[int(rows.weekday[i])]} {int(rows.hour[i]):02d}:00")
    return reasons
