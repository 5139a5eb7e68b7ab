"""No-show risk: calibrated on a time-split back-test, picks up the planted Tuesday spike."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from tools.no_show_risk import fit_no_show_model, load_history, score_upcoming


def pattern(manifest: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [p for p in manifest["patterns"] if p["kind"] == kind]
    return found


def test_backtest_calibration_and_brier(demo_engine: tuple[Engine, dict]) -> None:
    """Fit with data up to 8 weeks before the end, score the 8 weeks after (outcomes known)."""
    engine, manifest = demo_engine
    cut = date.fromisoformat(manifest["as_of"]) - timedelta(days=56)
    rows = load_history(engine, cut)
    model = fit_no_show_model(rows, cut)
    assert model.classifier is not None and model.training_rows > 10_000
    later = np.array([cut < d <= cut + timedelta(days=56) for d in rows.day])
    test = later & np.isin(rows.status, ("completed", "no_show"))
    p = model.predict(rows, test)
    y = (rows.status[test] == "no_show").astype(float)
    brier = float(np.mean((p - y) ** 2))
    constant = float(np.mean((model.base_rate - y) ** 2))  # the historical rate for everyone
    assert brier < constant
    # Calibration: mean predicted vs observed no-show rate, overall and in each risk tercile.
    assert abs(p.mean() - y.mean()) < 0.02
    edges = np.quantile(p, [1 / 3, 2 / 3])
    for lo, hi in ((0.0, edges[0]), (edges[0], edges[1]), (edges[1], 1.0)):
        band = (p > lo) & (p <= hi) if lo else p <= hi
        assert abs(p[band].mean() - y[band].mean()) < 0.04
    assert y[p > edges[1]].mean() > y[p <= edges[0]].mean()  # risk ranks


def test_upcoming_greenwich_tuesdays_score_higher(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    spike = pattern(manifest, "no_show_weekday_spike")
    risks = score_upcoming(engine, as_of=as_of, location_id=spike["location_id"])
    assert risks and all(r.local_date > as_of for r in risks)
    assert [r.p_no_show for r in risks] == sorted((r.p_no_show for r in risks), reverse=True)
    tuesday = [r.p_no_show for r in risks if r.local_date.weekday() == spike["weekday"]]
    other = [r.p_no_show for r in risks if r.local_date.weekday() != spike["weekday"]]
    assert np.mean(tuesday) > np.mean(other) + 0.03
    first = risks[0]
    assert first.method == "model" and first.pseudonym == f"P-{first.patient_id}"
    assert first.expected_loss >= 0 and first.facts[0].unit == "percent"
    one_day = score_upcoming(engine, as_of=as_of, day=as_of + timedelta(days=1))
    assert one_day and {r.local_date for r in one_day} == {as_of + timedelta(days=1)}


def test_short_history_falls_back_to_historical_rates(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["data_start"]) + timedelta(days=1)
    rows = load_history(engine, as_of)
    model = fit_no_show_model(rows, as_of)
    assert model.training_rows < 300 and model.classifier is None
    # (The snapshot holds final statuses for these days, so score them as if upcoming.)
    later = np.array([as_of < d <= as_of + timedelta(days=14) for d in rows.day])
    p = model.predict(rows, later)
    # Each probability is that location/weekday's shrunk historical rate (or the base rate):
    # (no-shows + 20 × location rate) / (visits + 20).
    for prob, loc, weekday in zip(p, rows.location[later], rows.weekday[later], strict=True):
        expected = model.rates.get((loc, weekday), model.rates.get((loc, -1), model.base_rate))
        assert prob == expected
    loc, weekday = int(rows.location[later][0]), int(rows.weekday[later][0])
    seen = np.isin(rows.status, ("completed", "no_show")) & np.array(
        [as_of - timedelta(days=364) <= d <= as_of for d in rows.day]
    )
    at_loc = seen & (rows.location == loc)
    loc_rate = (rows.status[at_loc] == "no_show").mean()
    cell = at_loc & (rows.weekday == weekday)
    by_hand = ((rows.status[cell] == "no_show").sum() + 20 * loc_rate) / (cell.sum() + 20)
    assert model.rates[(loc, weekday)] == by_hand
