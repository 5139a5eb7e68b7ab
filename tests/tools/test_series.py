"""Robust seasonal scoring of plain series (tools.series) and of rate series."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tools.anomalies import rate_scores
from tools.series import SeriesError, detect_series, read_series_csv

WEEKDAY = np.array([0.8, 1.1, 1.1, 1.2, 1.1, 1.0, 0.3])


def seasonal_series(seed: int, days: int = 365) -> tuple[list[datetime], np.ndarray]:
    """Pattern-free: yearly swing ±20 %, weekday profile, 8 % multiplicative normal noise."""
    rng = np.random.default_rng(seed)
    stamps = [datetime(2025, 1, 1) + timedelta(days=i) for i in range(days)]
    level = 1000 * (1 + 0.2 * np.sin(np.arange(days) * 2 * np.pi / 365 + seed))
    profile = WEEKDAY[[s.weekday() for s in stamps]]
    return stamps, level * profile * (1 + rng.normal(0, 0.08, days))


def test_no_anomaly_on_pattern_free_series_over_50_seeds() -> None:
    fired = {
        seed: [a.timestamp for a in detect_series(*_as_lists(seasonal_series(seed)))]
        for seed in range(50)
    }
    assert {seed: hits for seed, hits in fired.items() if hits} == {}


def test_planted_spike_and_dip_are_found_with_their_baseline() -> None:
    stamps, values = seasonal_series(3)
    spike, dip = 202, 300  # a Tuesday and a Monday (Sundays are quiet: see below)
    values[spike] *= 1.7
    values[dip] *= 0.35
    found = {a.index: a for a in detect_series(stamps, values.tolist())}
    assert set(found) == {spike, dip}
    assert found[spike].direction == "up" and found[dip].direction == "down"
    # True level at the spike: 1000 × (1 + 0.2 sin(200·2π/365 + 3)) × weekday factor.
    # (A quiet Sunday would be judged with the pooled, busier-day σ: a deliberate, conservative
    # choice, so a +70 % Sunday is not flagged.)
    true_level = (
        1000
        * (1 + 0.2 * math.sin(spike * 2 * math.pi / 365 + 3))
        * WEEKDAY[stamps[spike].weekday()]
    )
    assert found[spike].baseline == pytest.approx(true_level, rel=0.06)
    assert found[spike].timestamp == stamps[spike].date().isoformat()


def test_sparse_series_needs_several_times_the_largest_recent_value() -> None:
    stamps = [datetime(2026, 1, 1) + timedelta(days=i) for i in range(120)]
    values = [100.0 if i % 9 == 0 else 0.0 for i in range(120)]
    values[110] = 150.0  # 1.5× the usual occasional 100: not an anomaly
    values[115] = 1000.0
    found = detect_series(stamps, values)
    # Every weekday's median and the MAD are 0, so σ = (largest residual in the window) / 2,
    # widened by 12/11 × √(1 + π/24 + π/8) ≈ 1.3465 (12 earlier values of that weekday).
    # Day 110: largest = 100 → σ = 67.3 → score 150 / 67.3 = 2.2 (quiet).
    # Day 115: largest = 150 (day 110) → σ = 75 × 1.3465 = 101.0 → score 1000 / 101.0 = 9.9.
    assert [(a.index, a.score) for a in found] == [(115, pytest.approx(9.9, abs=0.05))]


def test_rate_scores_use_the_binomial_noise_of_each_day() -> None:
    days = 7 * 13
    den = np.full(days, 100.0)
    num = np.full(days, 10.0)
    num[-1] = 30.0
    keys = np.arange(days) % 7
    scores = rate_scores(num, den, keys, period=7, start=days - 1)
    # p₀ = 10/100 on every earlier day of that weekday; no dispersion (φ = 1);
    # σ = √(0.1 × 0.9 / 100) = 0.03; score = (0.30 − 0.10) / 0.03 = 6.667.
    assert scores.baseline[-1] == pytest.approx(0.10)
    assert scores.scale[-1] == pytest.approx(0.03)
    assert scores.score[-1] == pytest.approx(6.667, abs=0.001)
    num[-1] = 30.0
    den[-1] = 15.0  # too few visits that day: not scored
    assert math.isnan(rate_scores(num, den, keys, period=7, start=days - 1).score[-1])


def test_read_series_csv_sorts_and_reports_bad_rows(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Timestamp,Value\n2026-01-02,5\n2026-01-01,4.5\n")
    stamps, values = read_series_csv(good)
    assert [s.date().isoformat() for s in stamps] == ["2026-01-01", "2026-01-02"]
    assert values == [4.5, 5.0]
    cases = {
        "timestamp,value\n2026-01-01,1\n2026-01-02,abc\n": "line 3, field 'value'",
        "timestamp,value\n2026-13-01,1\n": "line 2, field 'timestamp'",
        "timestamp,value\n2026-01-01,1\n2026-01-01,2\n": "line 3, field 'timestamp': duplicate",
        "day,value\n2026-01-01,1\n": "header must name",
        "timestamp,value\n": "no data rows",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(SeriesError, match=message.replace("(", r"\(")):
            read_series_csv(bad)


def _as_lists(series: tuple[list[datetime], np.ndarray]) -> tuple[list[datetime], list[float]]:
    return series[0], series[1].tolist()
