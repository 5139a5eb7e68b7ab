"""Robust seasonal scoring of plain series (tools.series) and of rate series."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tools.anomalies import rate_scores
from tools.series import SeriesError, detect_series, read_series_csv, score_series

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


# --------------------------------------------------------------------------- options


def test_threshold_decides_what_counts() -> None:
    stamps = [datetime(2026, 1, 1) + timedelta(days=i) for i in range(9)]
    values = [10.0, 12.0] * 4 + [20.0]
    # season none, min-history 4: points 4–8 are scored (4 earlier values each).
    # Point 8: window = the 8 earlier values, median 11, every |residual| 1 → σ = 1.4826;
    # level: last 4 values / 11 have median 1 → baseline 11; widened by
    # 8/7 × √(1 + π/16 + π/8) = 1.44066 → σ = 2.13592; score = (20 − 11) / 2.13592 = 4.214.
    report = score_series(stamps, values, season="none", min_history=4, threshold=4.0)
    assert (report.points, report.scored, report.needed) == (9, 5, 5)
    assert [(a.index, a.baseline, a.score) for a in report.anomalies] == [
        (8, 11.0, pytest.approx(4.21, abs=0.005))
    ]
    assert report.anomalies[0].scale == pytest.approx(2.13592, abs=1e-4)
    assert score_series(stamps, values, season="none", min_history=4).anomalies == []  # 4.2 < 5


def test_not_enough_history_says_what_is_needed() -> None:
    stamps = [datetime(2026, 1, 5) + timedelta(days=i) for i in range(40)]
    values = [100.0 + (i % 3) for i in range(40)]
    report = score_series(stamps, values)
    # Daily → weekly season; 8 weeks (56 points) before the first scored point: 57 needed.
    assert (report.step, report.season, report.scored, report.needed) == ("day", "weekday", 0, 57)
    assert not report.enough_history
    assert report.history_message() == (
        "not enough history (need 57 daily points: 8 weeks before the first scored one; have 40)"
    )
    # --min-history 4: points 28–39 have 28 earlier points and 4 of their weekday: 12 scored.
    shorter = score_series(stamps, values, min_history=4)
    assert (shorter.scored, shorter.needed) == (12, 29)


def test_hourly_series_seasons() -> None:
    stamps = [datetime(2026, 3, 2) + timedelta(hours=i) for i in range(24 * 10)]
    # Hour-of-day profile 10 + hour, ±1 alternating by day; a spike of +40 at 14:00 on day 10.
    values = [10.0 + s.hour + (1 if s.day % 2 else -1) for s in stamps]
    spike = 24 * 9 + 14
    values[spike] += 40
    report = score_series(stamps, values)
    # Hourly → daily season (hour-of-day slots, period 24): 8 days = 192 points before the first
    # scored one, so the last 2 days (48 points) are scored.
    assert (report.step, report.season, report.needed, report.scored) == ("hour", "hour", 193, 48)
    assert [a.index for a in report.anomalies] == [spike]
    # Slot 14:00 has had 23 or 25 (±1): the baseline is within 1 of 24.
    assert report.anomalies[0].baseline == pytest.approx(24, abs=1)
    weekly = score_series(stamps, values, season="weekly")
    assert (weekly.season, weekly.needed, weekly.scored) == ("hour_of_week", 8 * 168 + 1, 0)
    assert score_series(stamps, values, season="none").season == "none"
    with pytest.raises(
        SeriesError, match="season 'daily' needs an hourly series; this one is daily"
    ):
        score_series([s.replace(hour=0) for s in stamps[::24]], values[:10], season="daily")
    with pytest.raises(SeriesError, match="season must be one of weekly, daily, none"):
        score_series(stamps, values, season="monthly")


def test_partial_last_day_is_ignored_when_summing_hours() -> None:
    # 60 whole days of hourly values of 10 (every day sums to 24 × 10 = 240), then a last day
    # exported at 13:00 (14 hours: 140) and a first day starting at 09:00.
    start = datetime(2026, 1, 1, 9)
    end = datetime(2026, 3, 3, 13)  # 2026-01-02 … 2026-03-02 are the 60 whole days
    stamps = [
        start + timedelta(hours=i) for i in range(int((end - start).total_seconds()) // 3600 + 1)
    ]
    values = [10.0] * len(stamps)
    report = score_series(stamps, values, bucket="day")
    assert report.ignored == [
        "2026-01-01 (partial: data starts 2026-01-01T09:00:00)",
        "2026-03-03 (partial: data ends 2026-03-03T13:00:00)",
    ]
    # 60 days; 8 weeks (56 days) before the first scored one → days 57–60 scored, all at 240.
    assert (report.points, report.scored, report.anomalies) == (60, 4, [])
    # Kept, the partial day (140 vs a flat 240, so σ = 0) would be a −99 dip.
    days = [datetime(2026, 1, 2) + timedelta(days=i) for i in range(61)]
    sums = [240.0] * 60 + [140.0]
    assert [(a.timestamp, a.score) for a in detect_series(days, sums)] == [("2026-03-03", -99.0)]


def test_bucket_cannot_be_finer_than_the_data() -> None:
    stamps = [datetime(2026, 1, 1) + timedelta(days=i) for i in range(10)]
    with pytest.raises(SeriesError, match="bucket 'hour' is finer than the series' own steps"):
        score_series(stamps, [1.0] * 10, bucket="hour")
    with pytest.raises(SeriesError, match="min-history must be at least 2"):
        score_series(stamps, [1.0] * 10, min_history=1)
    with pytest.raises(SeriesError, match="threshold must be positive"):
        score_series(stamps, [1.0] * 10, threshold=0)


def test_binary_and_nul_files_are_refused_in_one_line(tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SeriesError, match=r"chart.png: not a CSV text file \(not UTF-8\)"):
        read_series_csv(png)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"timestamp,value\n2026-01-01,1\n2026-01-02,\x002\n")
    with pytest.raises(SeriesError, match=r"nul.csv, line 3, field 'value': not a number"):
        read_series_csv(nul)
    huge = tmp_path / "huge.csv"
    huge.write_text("timestamp,value\n2026-01-01," + "9" * 200_000 + "\n")
    # Which check refuses it depends on the csv module's process-wide field limit (raised when
    # the importer is loaded): either way it is one line naming the file and line.
    refused = r"huge.csv, line \d(, field 'value': longer than 100 |: not a CSV text file)"
    with pytest.raises(SeriesError, match=refused):
        read_series_csv(huge)
