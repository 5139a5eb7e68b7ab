"""No-show risk of upcoming booked appointments, learned from the practice's own history.

Training rows: appointments of the 365 days ending `as_of` that were completed or no-shows
(label: no_show). Features per appointment: lead time (log days from booking to start),
weekday and hour band (when the hour is known), location × weekday, the patient's earlier
no-shows, cancellations (incl. late) and completed visits (all before this appointment), new
patient (no completed visit before), age band at the visit, and the booking facts reminder
sent / confirmed / deposit paid, each as "known" and "yes" (an export without the column
says nothing either way). A start at exactly 00:00 local is a date-only export: hour unknown.

Model: logistic regression or gradient boosting (scikit-learn `HistGradientBoostingClassifier`),
whichever has the lower Brier score on a time-split back-test (fit on the training rows before
the last `BACKTEST_DAYS`, scored on those days); recent weeks weigh more (weight halves every 90
days). The chosen model is then calibrated per location: a shift of its log-odds that makes
its mean prediction on the back-test days equal that location's observed no-show rate there;
and refitted on all training rows. With fewer than 300 training rows or a single class, the
probability is the historical rate instead: the location × weekday rate shrunk toward the
location's rate (20 pseudo-visits), or 15 % without any history.

Scored: appointments booked after `as_of` (all of them, those of `day`, or of a range of days),
riskiest first. One fitted model per (store, as-of, data version) is cached, so scoring a
week day by day fits once. `expected_loss` = p_no_show × the service's list price (USD).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from store import tables as t
from store.models import pseudonym
from tools.facts import Fact, FactMaker

SOURCE = "tools.no_show_risk"
TRAINING_DAYS = 365
BACKTEST_DAYS = 60
MIN_BACKTEST_ROWS = 200
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
    local_hour: int | None  # None: the export had dates only
    p_no_show: float
    expected_loss: float
    reasons: list[str]
    method: str  # "model" or "historical_rate"
    model_kind: str  # "logistic", "boosting" or "historical_rate"
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
    reminder: np.ndarray  # 1.0 yes, 0.0 no, nan unknown (also confirmed, deposit)
    confirmed: np.ndarray
    deposit: np.ndarray
    hour_known: np.ndarray
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
            a.c.confirmed,
            a.c.deposit_paid,
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
        confirmations,
        deposits,
        births,
    ) = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 15
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
        reminder=_tristate(reminders),
        confirmed=_tristate(confirmations),
        deposit=_tristate(deposits),
        # 00:00 local to the second is a date-only export (a medspa opens no slot at midnight).
        hour_known=np.array(
            [
                not (h == 0 and s.minute == 0 and s.second == 0)
                for h, s in zip(hours, start_at, strict=True)
            ],
            dtype=bool,
        ),
        age=np.array(ages, dtype=float),
        prior_no_show=prior(is_no_show),
        prior_cancel=prior(is_cancel),
        prior_completed=prior(is_completed),
    )


def _tristate(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(bool(v)) for v in values], dtype=float)


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
    ]
    for fact in (rows.reminder[mask], rows.confirmed[mask], rows.deposit[mask]):
        columns += [(~np.isnan(fact)).astype(float), np.nan_to_num(fact, nan=0.0)]
    known = rows.hour_known[mask]
    columns += [(wd == d).astype(float) for d in range(7)]
    columns += [known & (hour < 12), known & (hour >= 17), ~known]
    columns += [(band == b).astype(float) for b in range(5)]
    for location in locations:
        columns += [((loc == location) & (wd == d)).astype(float) for d in range(7)]
    return np.column_stack(columns).astype(float)


@dataclass(frozen=True)
class BackTest:
    """Scores of the time-split back-test (fit before the last `BACKTEST_DAYS`, test on them).
    `calibration` maps location → (mean predicted before calibration, after, observed)."""

    brier: dict[str, float]
    auc: dict[str, float]
    chosen: str
    rows: int
    calibration: dict[int, tuple[float, float, float]]


@dataclass(frozen=True)
class NoShowModel:
    """A fitted model, or the historical-rate fallback when `classifier` is None. `shift` is
    each location's log-odds calibration offset (module doc)."""

    classifier: Any
    locations: list[int]
    rates: dict[tuple[int, int], float]
    training_rows: int
    base_rate: float
    kind: str = "historical_rate"
    shift: dict[int, float] = field(default_factory=dict)
    backtest: BackTest | None = None

    def predict(self, rows: _Rows, mask: np.ndarray) -> np.ndarray:
        if self.classifier is not None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1):
                raw = np.asarray(
                    self.classifier.predict_proba(_features(rows, mask, self.locations))[:, 1]
                )
            offset = np.array([self.shift.get(int(loc), 0.0) for loc in rows.location[mask]])
            return _shifted(raw, offset)
        return np.array(
            [
                self.rates.get((int(loc), int(wd)), self.rates.get((int(loc), -1), self.base_rate))
                for loc, wd in zip(rows.location[mask], rows.weekday[mask], strict=True)
            ]
        )


def _shifted(p: np.ndarray, offset: np.ndarray | float) -> np.ndarray:
    """Probabilities with `offset` added to their log-odds."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(1.0 / (1.0 + np.exp(-(np.log(q / (1 - q)) + offset))))


def _calibration_shift(p: np.ndarray, observed: float) -> float:
    """The log-odds offset δ with mean(shifted(p, δ)) = observed (bisection; mean is monotone)."""
    target = float(np.clip(observed, 1e-4, 1 - 1e-4))
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _shifted(p, mid).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _classifier(kind: str) -> Any:
    if kind == "boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=0,
        )
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=3000)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def fit_no_show_model(rows: _Rows, as_of: date, *, kind: str | None = None) -> NoShowModel:
    """Fit on the completed/no-show rows of the `TRAINING_DAYS` ending `as_of` (module doc).
    `kind` forces "logistic" or "boosting" (the back-test still calibrates per location)."""
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    # One BLAS/OpenMP thread: with other processes on the cores, oversubscribed threads made a
    # 12,000-row fit take 37 s (boosting) and 5.8 s (logistic) instead of 1.7 s and 0.1 s.
    with threadpool_limits(limits=1):
        return _fit(rows, as_of, kind)


def _fit(rows: _Rows, as_of: date, kind: str | None) -> NoShowModel:
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
    y_all = rows.status == "no_show"
    weights = 0.5 ** (days / HALF_LIFE_DAYS)
    early = train & (days >= BACKTEST_DAYS)
    late = train & (days < BACKTEST_DAYS)
    kinds = [kind] if kind else ["logistic", "boosting"]
    backtest: BackTest | None = None
    shift: dict[int, float] = {}
    usable = (
        int(early.sum()) >= MIN_TRAINING_ROWS
        and int(late.sum()) >= MIN_BACKTEST_ROWS
        and 0 < int(y_all[early].sum()) < int(early.sum())
    )
    chosen = kinds[0]
    if usable:
        x_early = _features(rows, early, locations)
        x_late = _features(rows, late, locations)
        y_late = y_all[late]
        predictions: dict[str, np.ndarray] = {}
        for k in kinds:
            fitted = _classifier(k).fit(x_early, y_all[early], sample_weight=weights[early])
            predictions[k] = np.asarray(fitted.predict_proba(x_late)[:, 1])
        del x_early, x_late
        brier = {k: float(np.mean((p - y_late) ** 2)) for k, p in predictions.items()}
        chosen = min(kinds, key=lambda k: brier[k])
        p_late = predictions[chosen]
        calibration: dict[int, tuple[float, float, float]] = {}
        for location in locations:
            at = rows.location[late] == location
            if int(at.sum()) < 30:
                continue
            observed = float(y_late[at].mean())
            shift[location] = _calibration_shift(p_late[at], observed)
            after = float(_shifted(p_late[at], shift[location]).mean())
            calibration[location] = (float(p_late[at].mean()), after, observed)
        backtest = BackTest(
            brier=brier,
            auc={k: _auc(y_late, p) for k, p in predictions.items()},
            chosen=chosen,
            rows=int(late.sum()),
            calibration=calibration,
        )
    classifier = _classifier(chosen)
    classifier.fit(_features(rows, train, locations), labels, sample_weight=weights[train])
    return NoShowModel(
        classifier, locations, rates, int(train.sum()), base, chosen, shift, backtest
    )


def load_history(engine: Engine, as_of: date, until: date | None = None) -> _Rows:
    """Appointments from two years before `as_of` to 60 days after it (or to `until`, if
    later); earlier ones feed the patients' prior counts."""
    end = max(as_of + timedelta(days=60), until or as_of)
    return _load(engine, as_of - timedelta(days=730), end)


def _data_version(engine: Engine) -> tuple[int, int]:
    a = t.appointment
    with engine.connect() as conn:
        count, top = conn.execute(select(func.count(), func.max(a.c.id))).one()
    return int(count), int(top or 0)


_ModelKey = tuple[date, tuple[int, int]]
# Per engine (dropped with it): by (as-of, data version), the fitted model, the loaded rows and
# the last day they reach; a handful at most.
_MODELS: weakref.WeakKeyDictionary[Engine, dict[_ModelKey, tuple[NoShowModel, _Rows, date]]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_SIZE = 4


def cached_model(
    engine: Engine, as_of: date, until: date | None = None
) -> tuple[NoShowModel, _Rows]:
    """The model fitted as of `as_of` on this store's current data (fitted once) and the rows
    up to `until` (loaded again only when a later day is asked for)."""
    key = (as_of, _data_version(engine))
    cache = _MODELS.setdefault(engine, {})
    wanted = max(as_of + timedelta(days=60), until or as_of)
    found = cache.get(key)
    if found is not None and found[2] >= wanted:
        return found[0], found[1]
    rows = load_history(engine, as_of, until)
    model = found[0] if found is not None else fit_no_show_model(rows, as_of)
    if found is None and len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = (model, rows, wanted)
    return model, rows


def score_upcoming(
    engine: Engine,
    *,
    as_of: date,
    location_id: int | None = None,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[NoShowRisk]:
    """Booked appointments after `as_of` (only `day`'s, or those from `start` to `end`
    inclusive, when given), riskiest first."""
    if day is not None:
        start = end = day
    model, rows = cached_model(engine, as_of, end)
    upcoming = (rows.status == "booked") & np.array([d > as_of for d in rows.day], dtype=bool)
    if start is not None:
        upcoming &= np.array([d >= start for d in rows.day], dtype=bool)
    if end is not None:
        upcoming &= np.array([d <= end for d in rows.day], dtype=bool)
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
                local_hour=int(rows.hour[i]) if rows.hour_known[i] else None,
                p_no_show=round(p, 4),
                expected_loss=round(loss, 2),
                reasons=reasons,
                method=method,
                model_kind=model.kind,
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
    if rows.reminder[i] == 0:  # not when the export did not say
        reasons.append("no reminder sent")
    if rows.confirmed[i] == 0:
        reasons.append("not confirmed")
    if rows.deposit[i] == 0:
        reasons.append("no deposit")
    weekday = WEEKDAYS[int(rows.weekday[i])]
    hour = f"{int(rows.hour[i]):02d}:00" if rows.hour_known[i] else "hour unknown"
    reasons.append(f"{weekday} {hour}")
    return reasons
