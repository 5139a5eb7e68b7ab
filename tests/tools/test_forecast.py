"""Cycle-based revenue forecast on the demo practice: it beats a trailing average."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from tools.forecast import backtest, revenue_forecast


def test_backtest_beats_trailing_average(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    result = backtest(engine, organization_id=manifest["organization_id"], as_of=as_of)
    # The six complete months before 2026-11-24: 2026-05 … 2026-10.
    assert [m.month for m in result.months] == [f"2026-{k:02d}" for k in range(5, 11)]
    for m in result.months:
        assert m.ape_forecast == pytest.approx(abs(m.forecast - m.actual) / m.actual)
    assert result.mape_forecast == pytest.approx(sum(m.ape_forecast for m in result.months) / 6)
    assert result.mape_forecast < result.mape_trailing
    assert result.mape_forecast < 0.06


def test_forecast_shape_and_facts(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    result = revenue_forecast(engine, organization_id=manifest["organization_id"], as_of=as_of)
    assert result.horizons == [30, 60, 90]
    assert result.totals[30] < result.totals[60] < result.totals[90]
    for horizon in result.horizons:
        parts = [f for f in result.by_location if f.horizon_days == horizon]
        assert len(parts) == 3
        assert sum(f.forecast for f in parts) == pytest.approx(result.totals[horizon], abs=0.05)
        for f in parts:
            # (the calibration factor is shown rounded to 4 decimals)
            assert f.forecast == pytest.approx((f.booked + f.cycles) * f.calibration, rel=1e-4)
            assert f.booked > 0 and f.cycles > 0
    # A month of this practice nets about $1.0M (see the backtest): the 30-day total is close.
    assert 0.8e6 < result.totals[30] < 1.3e6
    assert {f.id for f in result.facts} >= {"forecast.revenue.org-1.next-30d"}
    one = revenue_forecast(
        engine,
        organization_id=manifest["organization_id"],
        as_of=as_of,
        location_id=2,
        horizons=(30,),
    )
    assert [f.location_id for f in one.by_location] == [2]


def test_a_locations_forecast_does_not_depend_on_the_runs_scope(
    demo_engine: tuple[Engine, dict],
) -> None:
    # The model is fitted on the organization: `--location 3` and the all-locations run give
    # location 3 the same figures, to the cent.
    engine, manifest = demo_engine
    org, as_of = manifest["organization_id"], date.fromisoformat(manifest["as_of"])
    everyone = revenue_forecast(engine, organization_id=org, as_of=as_of)
    for loc in (1, 3):
        alone = revenue_forecast(engine, organization_id=org, as_of=as_of, location_id=loc)
        mine = [f for f in everyone.by_location if f.location_id == loc]
        assert alone.by_location == mine


def test_longer_horizons_extend_the_first_30_days_rate(demo_engine: tuple[Engine, dict]) -> None:
    # No ramp: the 60- and 90-day forecasts are 2× and 3× the 30-day forecast (Austin's went
    # $250k → $333k → $400k per 30 days against ~$240k actual).
    engine, manifest = demo_engine
    org, as_of = manifest["organization_id"], date.fromisoformat(manifest["as_of"])
    result = revenue_forecast(engine, organization_id=org, as_of=as_of)
    for loc in (1, 2, 3):
        by_h = {f.horizon_days: f.forecast for f in result.by_location if f.location_id == loc}
        assert by_h[60] == pytest.approx(2 * by_h[30], abs=0.02)
        assert by_h[90] == pytest.approx(3 * by_h[30], abs=0.02)


def test_backtest_per_location(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    org, as_of = manifest["organization_id"], date.fromisoformat(manifest["as_of"])
    result = backtest(engine, organization_id=org, as_of=as_of)
    assert [b.location_id for b in result.by_location] == [1, 2, 3]
    for b in result.by_location:
        assert b.mape_forecast == pytest.approx(sum(m.ape_forecast for m in b.months) / 6)
    # The locations' months add up to the organization's.
    for k, month in enumerate(result.months):
        parts = sum(b.months[k].actual for b in result.by_location)
        assert parts == pytest.approx(month.actual, abs=0.05)
    # One location alone is back-tested with the organization's fit: the same figures.
    alone = backtest(engine, organization_id=org, as_of=as_of, location_id=3)
    assert alone.by_location == [result.by_location[2]]
