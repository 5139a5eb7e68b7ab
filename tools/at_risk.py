"""At-risk patients: who is overdue or drifting away, how likely they return, what is at stake.

For every patient with a completed visit up to `as_of` and nothing booked after it:

- *visits* are completed appointments, one per patient and local day; at a location with no
  completed appointment up to `as_of` (a point-of-sale-only export: purchases imported as
  sales, no appointments) the patient's purchase days there — local days with a sale of a
  positive gross amount — are the visits, the sale's service (if any) standing for the visit;
- *due interval* of a visit = the service's `rebook_max_days`; inside a course
  (`course_sessions`) the same, after the course's last session a maintenance interval of 300
  days; services without an interval (consultations) use 90 days. The patient's own cadence
  (mean gap between her visits, with ≥ 2 gaps) stretches it: due = max(service due, 1.25 ×
  own mean gap). `expected_next_visit` = last visit + own mean gap (or the service's midpoint
  (min+max)/2 when she has fewer than 2 gaps); `days_overdue` = days past last visit + due;
- *churn signals*: overdue; declining frequency (visits in the last 12 months < 60 % of the 12
  before, which had ≥ 3); shrinking spend (last-12-month net < 60 % of the prior 12 months, which
  were ≥ $500); a no-show after ≥ 3 completed visits with no visit since; a cancellation with no
  visit or booking since;
- `p_return` and `expected_visits` within `horizon_days` come from `tools.clv.
  RepeatPurchaseModel` fitted on the practice's own visit history (BG/NBD + a logistic model on
  recency/frequency features and how overdue the last treatment is, learned from an internal
  split ending `horizon_days` before `as_of`);
- `trailing_12m_value` = Σ net sales of the patient in the 365 days ending `as_of` (USD);
  `annual_value` = max(trailing_12m_value, mean of the last two 365-day years): a patient who
  has already drifted away has a shrunken last year, which would understate what she is worth;
  `dollars_at_stake` = annual_value × (1 − p_return) — the year of spend lost if she does not
  come back (DESIGN's "trailing-12-month value × churn probability", with that correction).
  This is the one patient-level "at stake" definition (`dollars_at_stake`), also used by the
  quiet-VIP finding (`patient_outlook`). Scoring is cached per engine, day, horizon and data
  version, so the briefing, the findings and every location share one model fit; asked for an
  organization, the fitted scores are also stored (`tools.at_risk_snapshot`), so a briefing in a
  fresh process later that day reads them instead of fitting again.

Listed: patients overdue or with a churn signal, ranked by dollars at stake; with
`include_all`, every scored patient (booked ones too), in the same order.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from pydantic import BaseModel, computed_field
from sqlalchemy import Connection, Engine, Row, case, func, select

from store import tables as t
from store.models import pseudonym
from tools import at_risk_snapshot
from tools.clv import Purchases, Summary, fit_repeat_model, summarise
from tools.facts import Fact, FactMaker

SOURCE = "tools.at_risk"
NO_INTERVAL_DUE_DAYS = 90
MAINTENANCE_DUE_DAYS = 300
CADENCE_STRETCH = 1.25


class AtRiskPatient(BaseModel):
    patient_id: int
    pseudonym: str
    location_id: int
    reasons: list[str]
    last_treatment: str
    last_treatment_category: str
    last_visit: date
    days_overdue: int
    expected_next_visit: date
    p_return: float
    expected_visits: float
    trailing_12m_value: float
    annual_value: float
    dollars_at_stake: float
    as_of: date
    horizon_days: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def facts(self) -> list[Fact]:
        """The numbers behind this row, citable by id (built on access: a full list of tens of
        thousands of patients need not carry them)."""
        return _facts(self, self.as_of, self.horizon_days)


@dataclass(frozen=True)
class _Visits:
    """Completed visits sorted by (patient index, day); one row per patient and day."""

    patient: np.ndarray  # index into the patient arrays
    day: np.ndarray  # days since epoch (int)
    due: np.ndarray  # due interval after this visit (days)
    mid: np.ndarray  # expected interval by the service (days)
    service_id: np.ndarray
    location_id: np.ndarray


def _load_visits(engine: Engine, as_of: date) -> tuple[np.ndarray, _Visits, dict[int, tuple]]:
    a, s = t.appointment, t.service
    with engine.connect() as conn:
        services = {
            row.id: (
                row.name,
                row.category,
                row.rebook_min_days,
                row.rebook_max_days,
                row.course_sessions,
            )
            for row in conn.execute(
                select(
                    s.c.id,
                    s.c.name,
                    s.c.category,
                    s.c.rebook_min_days,
                    s.c.rebook_max_days,
                    s.c.course_sessions,
                )
            )
        }
        rows = conn.execute(
            select(a.c.patient_id, a.c.local_date, a.c.service_id, a.c.location_id)
            .where(a.c.status == "completed", a.c.local_date <= as_of)
            .order_by(a.c.patient_id, a.c.local_date, a.c.start_at)
        ).all()
        purchases = _purchase_days(conn, as_of, {int(r[3]) for r in rows})
    if purchases:
        # Stable: within a day, appointment rows keep their start order.
        rows = sorted([*rows, *purchases], key=lambda r: (r[0], _d(r[1])))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, _Visits(empty, empty, empty, empty, empty, empty), services
    pid = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    epoch = date(1970, 1, 1)
    day = np.fromiter(((_d(r[1]) - epoch).days for r in rows), dtype=np.int64, count=len(rows))
    svc = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=len(rows))
    loc = np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows))
    # Several services on one day: keep the day's last row (its service stands for the visit).
    last_of_day = np.ones(len(rows), dtype=bool)
    last_of_day[:-1] = (pid[1:] != pid[:-1]) | (day[1:] != day[:-1])
    pid, day, svc, loc = pid[last_of_day], day[last_of_day], svc[last_of_day], loc[last_of_day]
    patients, index = np.unique(pid, return_inverse=True)
    # Position of each visit inside a run of the same service (for courses), 1-based.
    new_run = np.ones(len(pid), dtype=bool)
    new_run[1:] = (pid[1:] != pid[:-1]) | (svc[1:] != svc[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(pid)), 0))
    position = np.arange(len(pid)) - run_start + 1
    max_days = np.array([_interval(services.get(int(v)), "max") for v in svc], dtype=float)
    min_days = np.array([_interval(services.get(int(v)), "min") for v in svc], dtype=float)
    course = np.array([(services.get(int(v)) or (0, 0, 0, 0, 0))[4] or 0 for v in svc])
    course_done = (course > 0) & (position % np.maximum(course, 1) == 0)
    due = np.where(course_done, MAINTENANCE_DUE_DAYS, max_days)
    mid = np.where(course_done, (120 + MAINTENANCE_DUE_DAYS) / 2, (min_days + max_days) / 2)
    return patients, _Visits(index, day, due, mid, svc, loc), services


def _purchase_days(conn: Connection, as_of: date, visited_locations: set[int]) -> list[Row]:
    """Sales that stand for visits: at locations without completed appointments (module doc)."""
    s = t.sale
    query = select(s.c.patient_id, s.c.local_date, s.c.service_id, s.c.location_id).where(
        s.c.patient_id.is_not(None), s.c.local_date <= as_of, s.c.gross_cents > 0
    )
    if visited_locations:
        query = query.where(s.c.location_id.not_in(sorted(visited_locations)))
    return list(conn.execute(query.order_by(s.c.patient_id, s.c.local_date, s.c.paid_at)).all())


def _interval(service: tuple | None, which: str) -> float:
    if service is None or service[3] is None:
        return float(NO_INTERVAL_DUE_DAYS)
    if which == "max":
        return float(service[3])
    return float(service[2] if service[2] is not None else service[3])


def _d(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _last_index(visits: _Visits, n: int, cut: float) -> np.ndarray:
    """Index of each patient's last visit on or before `cut` (−1 when none)."""
    last = np.full(n, -1, dtype=np.int64)
    mask = visits.day <= cut
    np.maximum.at(last, visits.patient[mask], np.flatnonzero(mask))
    return last


def _overdue_ratio(visits: _Visits, n: int, cut: float) -> np.ndarray:
    last = _last_index(visits, n, cut)
    safe = np.maximum(last, 0)
    ratio = (cut - visits.day[safe]) / visits.due[safe]
    return np.where(last >= 0, np.log1p(np.maximum(ratio, 0.0)), 0.0)


def _patient_money(engine: Engine, as_of: date) -> dict[int, tuple[float, float]]:
    """Net sales (USD) per patient: (365 days ending as_of, the 365 days before)."""
    s = t.sale
    recent_start = as_of - timedelta(days=364)
    prior_start = recent_start - timedelta(days=365)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                s.c.patient_id,
                func.sum(case((s.c.local_date >= recent_start, s.c.net_cents), else_=0)),
                func.sum(case((s.c.local_date < recent_start, s.c.net_cents), else_=0)),
            )
            .where(s.c.patient_id.is_not(None), s.c.local_date.between(prior_start, as_of))
            .group_by(s.c.patient_id)
        ).all()
    return {int(p): ((r or 0) / 100, (q or 0) / 100) for p, r, q in rows}


def _booked_ahead(engine: Engine, as_of: date) -> set[int]:
    a = t.appointment
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(a.c.patient_id)
                .where(a.c.status == "booked", a.c.local_date > as_of)
                .distinct()
            ).scalars()
        )


def _missed(engine: Engine, as_of: date) -> dict[int, dict[str, date]]:
    """Latest no-show and latest cancellation (incl. late) per patient, up to as_of."""
    a = t.appointment
    kind = case((a.c.status == "no_show", "no_show"), else_="cancelled")
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.c.patient_id, kind, func.max(a.c.local_date))
            .where(a.c.status.in_(("no_show", "cancelled", "late_cancel")), a.c.local_date <= as_of)
            .group_by(a.c.patient_id, kind)
        ).all()
    found: dict[int, dict[str, date]] = {}
    for pid, k, day in rows:
        found.setdefault(int(pid), {})[str(k)] = _d(day)
    return found


def _org_locations(engine: Engine, organization_id: int | None) -> set[int] | None:
    if organization_id is None:
        return None
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(t.location.c.id).where(t.location.c.organization_id == organization_id)
            ).scalars()
        )


def dollars_at_stake(annual_value: float, p_return: float) -> float:
    """The one patient-level "at stake" figure (at-risk list, VIP finding, call list): the
    expected spend over the next 12 months lost if the patient does not return =
    annual value × (1 − p_return). `annual_value` is what she would plausibly spend in a year
    (`annual_value()`), p_return is clipped to [0, 1], a negative value counts as 0 — so the
    figure is never above a year of her own spend."""
    return max(annual_value, 0.0) * (1.0 - min(max(p_return, 0.0), 1.0))


def annual_value(trailing_12m: float, prior_12m: float) -> float:
    """What a patient would plausibly spend in a year: max(the last 365 days' net spend, the
    mean of the last two 365-day years) — a patient who has already drifted away has a shrunken
    last year, which would understate what she is worth."""
    return max(trailing_12m, (trailing_12m + prior_12m) / 2)


class PatientOutlook(BaseModel):
    """A patient's chance of returning and her 12-month stake (see `dollars_at_stake`)."""

    patient_id: int
    p_return: float
    horizon_days: int
    trailing_12m_value: float
    annual_value: float
    dollars_at_stake: float


@dataclass(frozen=True)
class _Scored:
    """Everything at-risk needs that does not depend on the scope asked for."""

    patients: np.ndarray
    visits: _Visits
    services: dict[int, tuple]
    summary: Summary
    p_return: np.ndarray  # clipped to [0, 1]
    expected: np.ndarray
    recent_value: np.ndarray
    prior_value: np.ndarray
    booked: frozenset[int]
    missed: dict[int, dict[str, date]]


def _data_version(engine: Engine) -> tuple[int, int, int, int]:
    """(count, max id) of appointments and sales: a cheap stamp that changes on import."""
    a, s = t.appointment, t.sale
    with engine.connect() as conn:
        n_a, max_a = conn.execute(select(func.count(), func.max(a.c.id))).one()
        n_s, max_s = conn.execute(select(func.count(), func.max(s.c.id))).one()
    return int(n_a), int(max_a or 0), int(n_s), int(max_s or 0)


_ScoreKey = tuple[date, int, tuple[int, int, int, int]]
# Per engine (dropped with it): the last few scorings by (day, horizon, data version).
_CACHE: weakref.WeakKeyDictionary[Engine, dict[_ScoreKey, _Scored | None]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_SIZE = 4


def _score(
    engine: Engine, as_of: date, horizon_days: int, organization_id: int | None = None
) -> _Scored | None:
    """Fit the return model and score every patient as of a day, once per engine, day, horizon
    and data version (scoring takes seconds on a real practice; the briefing, the findings and
    each location's scope share one scoring). With an organization, the fitted scores are read
    from / stored in its `AtRiskSnapshot`."""
    version = _data_version(engine)
    key = (as_of, horizon_days, version)  # the scoring is store-wide, whoever asks
    cache = _CACHE.setdefault(engine, {})
    if key in cache:
        return cache[key]
    snapshot = (
        None
        if organization_id is None
        else (organization_id, at_risk_snapshot.version_key(version))
    )
    scored = _score_uncached(engine, as_of, horizon_days, snapshot)
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = scored
    return scored


def _fit_and_predict(
    log: Purchases, visits: _Visits, n: int, cut: float, horizon_days: int, summary: Summary
) -> tuple[np.ndarray, np.ndarray]:
    model = fit_repeat_model(
        log,
        cut=cut,
        horizon=float(horizon_days),
        extra=lambda c: _overdue_ratio(visits, n, c)[:, None],
    )
    return model.predict(summary, float(horizon_days), _overdue_ratio(visits, n, cut)[:, None])


def _score_uncached(
    engine: Engine, as_of: date, horizon_days: int, snapshot: tuple[int, str] | None = None
) -> _Scored | None:
    """`snapshot` = (organization id, stored data version) to read/store the fitted scores."""
    patients, visits, services = _load_visits(engine, as_of)
    n = len(patients)
    if n == 0:
        return None
    epoch = date(1970, 1, 1)
    cut = float((as_of - epoch).days)
    log = Purchases(visits.patient, visits.day.astype(float), n)
    summary: Summary = summarise(log, cut)
    key = (
        at_risk_snapshot.SnapshotKey(snapshot[0], as_of, horizon_days, snapshot[1])
        if snapshot
        else None
    )
    stored = at_risk_snapshot.load(engine, key, patients) if key else None
    if stored is not None:
        p_return, expected = stored
    else:
        p_return, expected = _fit_and_predict(log, visits, n, cut, horizon_days, summary)
        if key:
            at_risk_snapshot.save(
                engine, key, patients=patients, p_return=p_return, expected=expected
            )
    money = _patient_money(engine, as_of)
    ids = [int(p) for p in patients]
    return _Scored(
        patients=patients,
        visits=visits,
        services=services,
        summary=summary,
        p_return=np.clip(p_return, 0.0, 1.0),
        expected=expected,
        recent_value=np.array([money.get(p, (0.0, 0.0))[0] for p in ids]),
        prior_value=np.array([money.get(p, (0.0, 0.0))[1] for p in ids]),
        booked=frozenset(_booked_ahead(engine, as_of)),
        missed=_missed(engine, as_of),
    )


def patient_outlook(
    engine: Engine, *, as_of: date, patient_ids: list[int], horizon_days: int = 90
) -> dict[int, PatientOutlook]:
    """p_return and 12-month stake of the given patients (those with a completed visit up to
    `as_of`; others are left out), from the same scoring as `at_risk_patients`."""
    scored = _score(engine, as_of, horizon_days)
    if scored is None:
        return {}
    index = {int(p): i for i, p in enumerate(scored.patients)}
    found = {}
    for pid in patient_ids:
        i = index.get(pid)
        if i is None:
            continue
        recent, prior = float(scored.recent_value[i]), float(scored.prior_value[i])
        annual = annual_value(recent, prior)
        p = float(scored.p_return[i])
        found[pid] = PatientOutlook(
            patient_id=pid,
            p_return=round(p, 4),
            horizon_days=horizon_days,
            trailing_12m_value=round(recent, 2),
            annual_value=round(annual, 2),
            dollars_at_stake=round(dollars_at_stake(annual, p), 2),
        )
    return found


def at_risk_patients(
    engine: Engine,
    *,
    as_of: date,
    organization_id: int | None = None,
    location_id: int | None = None,
    horizon_days: int = 90,
    limit: int | None = None,
    include_all: bool = False,
) -> list[AtRiskPatient]:
    """Patients overdue or showing churn signals (every scored patient with `include_all`),
    most dollars at stake first (module doc)."""
    scored = _score(engine, as_of, horizon_days, organization_id)
    if scored is None:
        return []
    patients, visits, services, summary = (
        scored.patients,
        scored.visits,
        scored.services,
        scored.summary,
    )
    n = len(patients)
    epoch = date(1970, 1, 1)
    cut = float((as_of - epoch).days)
    expected = scored.expected

    last = _last_index(visits, n, cut)
    last_day = visits.day[last]
    mean_gap = np.where(summary.x >= 2, summary.t_x / np.maximum(summary.x, 1), np.nan)
    due = np.where(
        np.isnan(mean_gap),
        visits.due[last],
        np.maximum(visits.due[last], CADENCE_STRETCH * np.nan_to_num(mean_gap)),
    )
    expected_gap = np.where(np.isnan(mean_gap), visits.mid[last], mean_gap)
    days_since = cut - last_day
    overdue = np.maximum(0, np.floor(days_since - due)).astype(int)
    year = 365.0
    visits_recent = np.bincount(visits.patient[visits.day > cut - year], minlength=n)
    visits_prior = np.bincount(
        visits.patient[(visits.day <= cut - year) & (visits.day > cut - 2 * year)], minlength=n
    )

    booked = scored.booked
    missed = scored.missed
    allowed = _org_locations(engine, organization_id)
    ids = [int(p) for p in patients]
    recent_value = scored.recent_value
    prior_value = scored.prior_value
    no_show_day = np.array([_day(missed.get(p, {}).get("no_show")) for p in ids])
    cancel_day = np.array([_day(missed.get(p, {}).get("cancelled")) for p in ids])
    last_loc = visits.location_id[last]

    declining = (visits_prior >= 3) & (visits_recent < 0.6 * visits_prior)
    shrinking = (prior_value >= 500) & (recent_value < 0.6 * prior_value)
    no_show_after = (no_show_day > last_day) & (summary.x + 1 >= 3)
    cancel_after = cancel_day > last_day
    if include_all:
        listed = np.ones(n, dtype=bool)
    else:
        listed = (overdue > 0) | declining | shrinking | no_show_after | cancel_after
        listed &= ~np.isin(patients, np.fromiter(booked, dtype=np.int64, count=len(booked)))
    if location_id is not None:
        listed &= last_loc == location_id
    if allowed is not None:
        listed &= np.isin(last_loc, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
    p_clipped = scored.p_return
    annual = np.maximum(recent_value, (recent_value + prior_value) / 2)  # = annual_value()
    stake = np.maximum(annual, 0.0) * (1 - p_clipped)  # = dollars_at_stake(), vectorized
    order = sorted(np.flatnonzero(listed), key=lambda i: (-round(stake[i], 2), ids[i]))
    if limit is not None:
        order = order[:limit]

    found: list[AtRiskPatient] = []
    for i in order:
        pid = ids[i]
        last_visit = epoch + timedelta(days=int(last_day[i]))
        service = services.get(int(visits.service_id[last[i]]))
        treatment = service[0] if service else "visit"
        reasons: list[str] = []
        if overdue[i] > 0:
            reasons.append(
                f"{overdue[i]} days overdue: last {treatment} on {last_visit.isoformat()}, "
                f"usually back within {int(due[i])} days"
            )
        if declining[i]:
            reasons.append(
                f"declining frequency: {visits_recent[i]} visits in the last 12 months, "
                f"{visits_prior[i]} in the 12 before"
            )
        if shrinking[i]:
            reasons.append(
                f"shrinking spend: ${recent_value[i]:,.0f} in the last 12 months, "
                f"${prior_value[i]:,.0f} in the 12 before"
            )
        if no_show_after[i]:
            reasons.append(
                f"no-show on {epoch + timedelta(days=int(no_show_day[i]))} after "
                f"{int(summary.x[i]) + 1} completed visits, not seen since"
            )
        if cancel_after[i]:
            reasons.append(
                f"cancelled the visit of {epoch + timedelta(days=int(cancel_day[i]))} "
                "and has not rebooked"
            )
        p = float(p_clipped[i])
        reasons.append(f"{p:.0%} chance of a visit in the next {horizon_days} days (model)")
        row = AtRiskPatient(
            patient_id=pid,
            pseudonym=pseudonym(pid),
            location_id=int(last_loc[i]),
            reasons=reasons,
            last_treatment=treatment,
            last_treatment_category=service[1] if service else "unknown",
            last_visit=last_visit,
            days_overdue=int(overdue[i]),
            expected_next_visit=last_visit + timedelta(days=round(float(expected_gap[i]))),
            p_return=round(p, 4),
            expected_visits=round(float(expected[i]), 4),  # as p_return: rounding keeps ≥
            trailing_12m_value=round(float(recent_value[i]), 2),
            annual_value=round(float(annual[i]), 2),
            dollars_at_stake=round(float(stake[i]), 2),
            as_of=as_of,
            horizon_days=horizon_days,
        )
        found.append(row)
    return found


def _day(value: date | None) -> int:
    return -1 if value is None else (value - date(1970, 1, 1)).days


def _facts(row: AtRiskPatient, as_of: date, horizon_days: int) -> list[Fact]:
    who = row.pseudonym
    make = FactMaker(
        prefix=f"at_risk.{who}",
        scope=f"patient:{who}",
        source=SOURCE,
        period_start=as_of - timedelta(days=364),
        period_end=as_of,
    )
    horizon = (as_of, as_of + timedelta(days=horizon_days))
    return [
        make("dollars_at_stake", f"Dollars at stake, {who}", row.dollars_at_stake, "USD"),
        make(
            "trailing_12m_value",
            f"Net spend in the last 12 months, {who}",
            row.trailing_12m_value,
            "USD",
        ),
        make(
            "p_return",
            f"Chance of a visit in the next {horizon_days} days, {who}",
            row.p_return,
            "percent",
            period=horizon,
        ),
        make(
            "days_overdue",
            f"Days overdue, {who}",
            row.days_overdue,
            "days",
            period=(None, as_of),
        ),
    ]


__all__ = [
    "AtRiskPatient",
    "PatientOutlook",
    "annual_value",
    "at_risk_patients",
    "dollars_at_stake",
    "patient_outlook",
]
