"""No-show risk that travels (issue 14, item 7).

Store-level tests (SQLite and PostgreSQL) import appointments through the real CSV import;
model tests build training rows directly, with a known mechanism, so the expectations are
the mechanism's, not the code's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select

from store import tables as t
from store.ingest import ingest_csv
from tests.store.ingest.conftest import NOW, seed_catalog, write
from tools.no_show_risk import _MODELS, _Rows, fit_no_show_model, score_upcoming

HEADER = "external_id,start_at,status,patient_external_id,service_external_id,location_external_id"


def _appointments(engine: Engine, folder: Path, header: str, lines: list[str]) -> None:
    path = write(folder, "appointments.csv", header + "\n" + "\n".join(lines) + "\n")
    result = ingest_csv(engine, "appointments", path, now=NOW)
    assert result.rejected == 0, result.rejects


def test_booking_facts_are_imported_and_unknown_is_not_no(engine: Engine, tmp_path: Path) -> None:
    seed_catalog(engine, tmp_path)
    _appointments(
        engine,
        tmp_path,
        HEADER + ",reminder_sent,confirmed,deposit_paid",
        [
            "A1,2026-06-03 10:00,booked,PT1,SV1,L1,yes,no,yes",
            "A2,2026-06-03 11:00,booked,PT2,SV1,L2,no,,no",
        ],
    )
    _appointments(engine, tmp_path, HEADER, ["A3,2026-06-04 10:00,booked,PT1,SV2,L1"])
    with engine.connect() as conn:
        stored = {
            r.external_id: (r.reminder_sent, r.confirmed, r.deposit_paid)
            for r in conn.execute(select(t.appointment))
        }
    assert stored == {
        "A1": (True, False, True),
        "A2": (False, None, False),
        "A3": (None, None, None),  # the export did not say
    }
    risks = {
        r.appointment_id: r.reasons
        for r in score_upcoming(engine, as_of=date(2026, 6, 1), start=date(2026, 6, 3))
    }
    by_ext = dict(zip(("A1", "A2", "A3"), sorted(risks), strict=True))
    assert "not confirmed" in risks[by_ext["A1"]] and "no reminder sent" not in risks[by_ext["A1"]]
    assert {"no reminder sent", "no deposit"} <= set(risks[by_ext["A2"]])
    assert not {"no reminder sent", "not confirmed", "no deposit"} & set(risks[by_ext["A3"]])


def test_date_only_exports_have_hour_unknown(engine: Engine, tmp_path: Path) -> None:
    seed_catalog(engine, tmp_path)
    _appointments(
        engine,
        tmp_path,
        HEADER,
        ["D1,2026-06-03,booked,PT1,SV1,L1", "D2,2026-06-03 14:00,booked,PT2,SV1,L2"],
    )
    found = {r.local_hour: r.reasons[-1] for r in score_upcoming(engine, as_of=date(2026, 6, 1))}
    assert found == {None: "Wed hour unknown", 14: "Wed 14:00"}


def test_a_range_is_scored_with_one_fitted_model(engine: Engine, tmp_path: Path) -> None:
    seed_catalog(engine, tmp_path)
    _appointments(
        engine,
        tmp_path,
        HEADER,
        [f"R{d},2026-06-{d:02d} 10:00,booked,PT1,SV1,L1" for d in range(2, 10)],
    )
    as_of = date(2026, 6, 1)
    week = score_upcoming(engine, as_of=as_of, start=date(2026, 6, 3), end=date(2026, 6, 7))
    assert sorted(r.local_date.day for r in week) == [3, 4, 5, 6, 7]
    for day in range(2, 10):
        score_upcoming(engine, as_of=as_of, day=date(2026, 6, day))
    assert len(_MODELS[engine]) == 1  # one fit for the range and the eight single days


# ------------------------------------------------------------------ model choice, calibration


def _synthetic(mechanism: str, n: int = 12_000, seed: int = 0) -> tuple[_Rows, date]:
    """Completed/no-show rows over the 365 days to AS_OF at two locations. `interaction`: a
    no-show is likely only for evening AND unconfirmed appointments (an XOR-like shape a
    logistic model cannot express); `linear`: log-odds add up."""
    rng = np.random.default_rng(seed)
    as_of = date(2026, 6, 1)
    day = [as_of - timedelta(days=int(d)) for d in rng.integers(0, 365, n)]
    hour = rng.choice([9, 11, 14, 18, 19], n)
    confirmed = (rng.random(n) < 0.6).astype(float)
    location = rng.choice([1, 2], n)
    evening = hour >= 17
    if mechanism == "interaction":
        p = np.where(evening & (confirmed == 0), 0.55, 0.05)
    else:
        p = 1 / (1 + np.exp(-(-2.0 + 1.0 * (confirmed == 0) + 0.5 * evening)))
    p = np.where(location == 2, np.minimum(p * 1.6, 0.95), p)
    status = np.where(rng.random(n) < p, "no_show", "completed").astype(object)
    starts = [
        datetime(d.year, d.month, d.day, int(h), tzinfo=UTC) for d, h in zip(day, hour, strict=True)
    ]
    zeros = np.zeros(n)
    return (
        _Rows(
            id=np.arange(n),
            patient=np.arange(n),
            location=location,
            provider=[None] * n,
            service=["Botox"] * n,
            price=np.full(n, 450.0),
            start_at=starts,
            day=day,
            hour=hour,
            weekday=np.array([d.weekday() for d in day]),
            status=status,
            lead_days=np.full(n, 7.0),
            reminder=np.full(n, np.nan),
            confirmed=confirmed,
            deposit=np.full(n, np.nan),
            hour_known=np.ones(n, dtype=bool),
            age=np.full(n, 40.0),
            prior_no_show=zeros.astype(int),
            prior_cancel=zeros.astype(int),
            prior_completed=zeros.astype(int),
        ),
        as_of,
    )


def test_boosting_is_chosen_when_the_back_test_says_so() -> None:
    rows, as_of = _synthetic("interaction")
    model = fit_no_show_model(rows, as_of)
    assert model.backtest is not None
    assert model.backtest.chosen == "boosting" == model.kind
    assert model.backtest.brier["boosting"] < model.backtest.brier["logistic"]


def test_the_choice_follows_the_lower_brier_score() -> None:
    rows, as_of = _synthetic("linear", seed=1)
    bt = fit_no_show_model(rows, as_of).backtest
    assert bt is not None
    assert bt.chosen == min(bt.brier, key=lambda k: bt.brier[k])


def test_each_location_is_calibrated_within_a_point_on_the_back_test() -> None:
    rows, as_of = _synthetic("interaction", seed=2)
    bt = fit_no_show_model(rows, as_of).backtest
    assert bt is not None and set(bt.calibration) == {1, 2}
    for _before, after, observed in bt.calibration.values():
        assert abs(after - observed) <= 0.01
