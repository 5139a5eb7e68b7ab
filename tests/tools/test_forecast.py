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
