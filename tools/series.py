"""Robust seasonal anomaly scoring of one plain series (no database).

Method, for each point evaluated:
- *baseline* = median of the earlier points of the same season slot (same weekday for a daily
  series, same hour of day for an hourly one, every point otherwise) within the previous
  `history` cycles;
- *scale* = 1.4826 × median absolute residual of every earlier point in that window, each taken
  against its own slot's median (a pooled, robust σ; 1.4826 makes it σ for normal noise). For a
  sparse series (median and MAD both 0, e.g. refunds) the scale is half the largest residual in
  the window, so a point must be several times the largest recent value to count;
- *score* = (value − baseline) / scale, capped at ±99; anomalous when |score| ≥ threshold.

Points lacking history (fewer than `min_same` earlier values in their slot, or fewer than
`min_pooled` values in the window) are not scored. Missing values (NaN) are skipped both as
points and as history.

Plain series (`score_series`, `clarity anomalies --series`): the *step* of a series is its
median spacing, daily (1 day ± 1 h) or hourly (1 h ± 1 min); anything else is irregular. The
*season* is `weekly` (weekday slots for a daily series, hour-of-week slots for an hourly one),
`daily` (hour-of-day slots; hourly series only) or `none` (one slot); by default weekly for a
daily series, daily for an hourly one, none otherwise. `min_history` = N cycles: a point is
scored once N earlier values share its slot and N whole cycles precede it in the window (the
window is max(12, N) cycles). With `bucket` ("hour" or "day") values are first summed per
hour or day (in the timestamps' own offset); a first or last bucket the data does not cover
whole — the data starts after the bucket's first step or ends before its last, typically
an export taken mid-day — is partial and ignored.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from pydantic import BaseModel

MAD_TO_SIGMA = 1.4826
SCORE_CAP = 99.0


class SeriesError(ValueError):
    """A series file or argument that cannot be read; the message names line and field."""


class SeriesAnomaly(BaseModel):
    index: int
    timestamp: str
    value: float
    baseline: float
    scale: float
    score: float
    direction: str  # "up" or "down"


@dataclass(frozen=True)
class Seasonality:
    """How points are grouped into slots: `period` points per cycle, slot key per timestamp."""

    name: str  # "weekday", "hour", "hour_of_week", "none"
    period: int


DAY_SECONDS = 86_400
HOUR_SECONDS = 3_600
SEASONS = ("weekly", "daily", "none")
BUCKETS = ("hour", "day")
DEFAULT_MIN_HISTORY = 8
DEFAULT_HISTORY = 12


def series_step(timestamps: Sequence[datetime]) -> str:
    """ "day", "hour" or "irregular", from the median spacing of the (sorted) timestamps."""
    if len(timestamps) < 2:
        return "irregular"
    steps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(timestamps))
    step = steps[len(steps) // 2]
    if abs(step - DAY_SECONDS) <= 3_600:
        return "day"
    if abs(step - HOUR_SECONDS) <= 60:
        return "hour"
    return "irregular"


def choose_seasonality(step: str, season: str | None) -> Seasonality:
    """The slots for a series of `step` under `season` (None: the default for the step)."""
    if season is None:
        season = {"day": "weekly", "hour": "daily"}.get(step, "none")
    if season not in SEASONS:
        raise SeriesError(f"season must be one of {', '.join(SEASONS)}, not {season!r}")
    if season == "none":
        return Seasonality("none", 1)
    if season == "weekly" and step == "day":
        return Seasonality("weekday", 7)
    if season == "weekly" and step == "hour":
        return Seasonality("hour_of_week", 168)
    if season == "daily" and step == "hour":
        return Seasonality("hour", 24)
    needs = "an hourly" if season == "daily" else "a daily or hourly"
    has = {"day": "daily", "hour": "hourly"}.get(step, "irregular")
    raise SeriesError(f"season {season!r} needs {needs} series; this one is {has}")


def infer_seasonality(timestamps: Sequence[datetime]) -> Seasonality:
    """Daily data → weekday slots; hourly → hour-of-day slots; anything else → no seasonality."""
    if len(timestamps) < 3:
        return Seasonality("none", 1)
    return choose_seasonality(series_step(timestamps), None)


def slot_keys(timestamps: Sequence[datetime], seasonality: Seasonality) -> np.ndarray:
    if seasonality.name == "weekday":
        return np.array([ts.weekday() for ts in timestamps], dtype=np.int64)
    if seasonality.name == "hour":
        return np.array([ts.hour for ts in timestamps], dtype=np.int64)
    if seasonality.name == "hour_of_week":
        return np.array([ts.weekday() * 24 + ts.hour for ts in timestamps], dtype=np.int64)
    return np.zeros(len(timestamps), dtype=np.int64)


def fast_median(values: np.ndarray) -> float:
    """`float(np.median(values))` for a 1-d array, by one sort (the same float: the middle
    element, or the mean of the two middle ones; NaN if any value is NaN). `np.median`'s
    generic reduction costs ~15 µs a call, and scoring takes tens of thousands of small medians."""
    ordered = np.sort(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    if math.isnan(ordered[-1]):
        return math.nan
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


@dataclass(frozen=True)
class Scores:
    baseline: np.ndarray
    scale: np.ndarray
    score: np.ndarray  # NaN where the point could not be scored


def seasonal_scores(
    values: np.ndarray,
    keys: np.ndarray,
    *,
    period: int,
    history: int = 12,
    min_same: int = 4,
    min_pooled: int | None = None,
    min_scale: float = 0.0,
    start: int = 0,
) -> Scores:
    """Baseline, scale and robust score of each point from `start` on (see module docstring)."""
    n = len(values)
    baseline = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    score = np.full(n, np.nan)
    window = history * period
    pooled_needed = min_pooled if min_pooled is not None else max(min_same, 8 * period)
    for i in range(max(start, 0), n):
        value = values[i]
        if math.isnan(value):
            continue
        lo = max(0, i - window)
        win = values[lo:i]
        win_keys = keys[lo:i]
        present = ~np.isnan(win)
        if int(present.sum()) < pooled_needed:
            continue
        same_mask = present & (win_keys == keys[i])
        if int(same_mask.sum()) < min_same:
            continue
        centres: dict[int, float] = {}
        residuals = []
        relative = []
        for key in np.unique(win_keys[present]):
            group = win[present & (win_keys == key)]
            centre = fast_median(group)
            centres[int(key)] = centre
            residuals.append(group - centre)
            if centre != 0.0:
                relative.append((group - centre) / abs(centre))
        base = _level_adjusted(centres[int(keys[i])], win, win_keys, present, centres, period)
        abs_resid = np.abs(np.concatenate(residuals))
        sigma = MAD_TO_SIGMA * fast_median(abs_resid)
        if relative and base != 0.0:
            # Multiplicative seasonality: busy slots are noisier in absolute terms.
            rel_sigma = MAD_TO_SIGMA * fast_median(np.abs(np.concatenate(relative)))
            sigma = max(sigma, rel_sigma * abs(base))
        if sigma == 0.0:
            sigma = float(abs_resid.max()) / 2.0
        # Residuals are taken from in-sample medians (biased low for small slots), and the
        # baseline itself is estimated: widen σ by both (variance of a median ≈ π/2 · σ²/n).
        n_same = int(same_mask.sum())
        sigma *= n_same / (n_same - 1) * math.sqrt(1 + math.pi / 2 / n_same + math.pi / 2 / 4)
        sigma = max(sigma, min_scale)
        baseline[i] = base
        scale[i] = sigma
        if sigma == 0.0:
            score[i] = 0.0 if value == base else math.copysign(SCORE_CAP, value - base)
        else:
            score[i] = max(-SCORE_CAP, min(SCORE_CAP, (value - base) / sigma))
    return Scores(baseline, scale, score)


def _level_adjusted(
    centre: float,
    win: np.ndarray,
    win_keys: np.ndarray,
    present: np.ndarray,
    centres: dict[int, float],
    period: int,
) -> float:
    """The slot's median moved to the series' current level: the slot medians describe the
    middle of the window, so a trend would otherwise bias the baseline. Current level = median
    ratio (multiplicative) or difference (when the slot median is 0) of the last two cycles
    (at least 4 points) to their own slot medians."""
    recent = max(2 * period, 4)
    values = win[-recent:]
    keys = win_keys[-recent:]
    ok = present[-recent:]
    slot = np.array([centres.get(int(k), np.nan) for k in keys])
    if centre > 0.0:
        usable = ok & (slot > 0)
        if int(usable.sum()) >= recent // 2:
            return centre * fast_median(values[usable] / slot[usable])
        return centre
    usable = ok & ~np.isnan(slot)
    if int(usable.sum()) >= recent // 2:
        return centre + fast_median(values[usable] - slot[usable])
    return centre


@dataclass(frozen=True)
class SeriesReport:
    """What scoring a plain series found. `needed` = points a series must have before its
    first point can be scored (N whole cycles before it, plus the point itself)."""

    anomalies: list[SeriesAnomaly]
    points: int  # after bucketing, partial buckets excluded
    scored: int
    needed: int
    step: str
    season: str  # "weekday", "hour", "hour_of_week" or "none"
    min_history: int
    ignored: list[str]  # partial buckets left out, as "2026-11-24 (partial)"

    @property
    def enough_history(self) -> bool:
        return self.scored > 0

    def history_message(self) -> str:
        """ "not enough history (need N)" with the unit spelled out."""
        unit = {"day": " daily", "hour": " hourly"}.get(self.step, "")
        return (
            f"not enough history (need {self.needed}{unit} points: {self.min_history} "
            f"{_cycle_name(self.season)} before the first scored one; have {self.points})"
        )


def _cycle_name(season: str) -> str:
    return {"weekday": "weeks", "hour": "days", "hour_of_week": "weeks"}.get(season, "points")


def score_series(
    timestamps: Sequence[datetime],
    values: Sequence[float],
    *,
    threshold: float = 5.0,
    season: str | None = None,
    min_history: int = DEFAULT_MIN_HISTORY,
    bucket: str | None = None,
) -> SeriesReport:
    """Score a plain series ordered by time (see module docstring)."""
    if len(timestamps) != len(values):
        raise SeriesError("timestamps and values differ in length")
    if not threshold > 0:
        raise SeriesError(f"threshold must be positive, not {threshold}")
    if min_history < 2:
        raise SeriesError(f"min-history must be at least 2 cycles, not {min_history}")
    ignored: list[str] = []
    if bucket is not None:
        timestamps, values, ignored = bucket_series(timestamps, values, bucket)
    step = series_step(timestamps)
    seasonality = choose_seasonality(step, season)
    array = np.asarray(values, dtype=float)
    keys = slot_keys(timestamps, seasonality)
    scores = seasonal_scores(
        array,
        keys,
        period=seasonality.period,
        history=max(DEFAULT_HISTORY, min_history),
        min_same=min_history,
        min_pooled=min_history * seasonality.period,
    )
    found = []
    for i, s in enumerate(scores.score):
        if not math.isnan(s) and abs(s) >= threshold:
            found.append(
                SeriesAnomaly(
                    index=i,
                    timestamp=_iso(timestamps[i]),
                    value=float(array[i]),
                    baseline=round(float(scores.baseline[i]), 6),
                    scale=round(float(scores.scale[i]), 6),
                    score=round(float(s), 2),
                    direction="up" if s > 0 else "down",
                )
            )
    return SeriesReport(
        anomalies=found,
        points=len(array),
        scored=int(np.count_nonzero(~np.isnan(scores.score))),
        needed=min_history * seasonality.period + 1,
        step=step,
        season=seasonality.name,
        min_history=min_history,
        ignored=ignored,
    )


def detect_series(
    timestamps: Sequence[datetime],
    values: Sequence[float],
    *,
    threshold: float = 5.0,
    season: str | None = None,
    min_history: int = DEFAULT_MIN_HISTORY,
) -> list[SeriesAnomaly]:
    """Anomalous points of a plain series ordered by time (see module docstring)."""
    return score_series(
        timestamps, values, threshold=threshold, season=season, min_history=min_history
    ).anomalies


def bucket_series(
    timestamps: Sequence[datetime], values: Sequence[float], bucket: str
) -> tuple[list[datetime], list[float], list[str]]:
    """Values summed per hour or day; a partial first or last bucket is left out (and named)."""
    if bucket not in BUCKETS:
        raise SeriesError(f"bucket must be one of {', '.join(BUCKETS)}, not {bucket!r}")
    size = timedelta(seconds=DAY_SECONDS if bucket == "day" else HOUR_SECONDS)
    spacing = sorted((b - a) for a, b in itertools.pairwise(timestamps))
    step = spacing[len(spacing) // 2] if spacing else size
    if step > size + timedelta(minutes=1):
        raise SeriesError(f"bucket {bucket!r} is finer than the series' own steps")
    sums: dict[datetime, float] = {}
    for ts, value in zip(timestamps, values, strict=True):
        start = _bucket_start(ts, bucket)
        sums[start] = sums.get(start, 0.0) + value
    starts = list(sums)
    ignored: list[str] = []
    if starts and timestamps[-1] - starts[-1] < size - step:
        ignored.append(f"{_iso(starts[-1])} (partial: data ends {_iso(timestamps[-1])})")
        del sums[starts[-1]]
    if len(starts) > 1 and timestamps[0] > starts[0]:
        ignored.insert(0, f"{_iso(starts[0])} (partial: data starts {_iso(timestamps[0])})")
        del sums[starts[0]]
    return list(sums), list(sums.values()), ignored


def _bucket_start(ts: datetime, bucket: str) -> datetime:
    if bucket == "day":
        return ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return ts.replace(minute=0, second=0, microsecond=0)


def _iso(ts: datetime) -> str:
    if ts.time() == datetime.min.time() and ts.tzinfo is None:
        return ts.date().isoformat()
    return ts.isoformat()


def _parse_timestamp(text: str) -> datetime:
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


MAX_FIELD_CHARS = 100
"""Longest timestamp or value cell a series file may hold."""


def read_series_csv(path: Path) -> tuple[list[datetime], list[float]]:
    """Read a `timestamp,value` CSV (header required; ISO dates or date-times; extra columns
    ignored), sorted by time. Bad rows raise `SeriesError` naming the line and field."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SeriesError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            rows = _read_rows(path, reader)
        except UnicodeDecodeError:
            raise SeriesError(f"{path}: not a CSV text file (not UTF-8)") from None
        except csv.Error as exc:
            raise SeriesError(
                f"{path}, line {reader.line_num}: not a CSV text file ({exc})"
            ) from None
    if not rows:
        raise SeriesError(f"{path}: no data rows")
    aware = {ts.tzinfo is not None for ts, _, _ in rows}
    if len(aware) > 1:
        raise SeriesError(f"{path}: mixes timestamps with and without a time zone")
    rows.sort(key=lambda r: r[0])
    for (a, _, line_a), (b, _, line_b) in itertools.pairwise(rows):
        if a == b:
            raise SeriesError(
                f"{path}, line {max(line_a, line_b)}, field 'timestamp': duplicate of line "
                f"{min(line_a, line_b)} ({_iso(a)})"
            )
    return [r[0] for r in rows], [r[1] for r in rows]


def _read_rows(path: Path, reader: csv.DictReader[str]) -> list[tuple[datetime, float, int]]:
    rows: list[tuple[datetime, float, int]] = []
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "timestamp" not in fields or "value" not in fields:
        raise SeriesError(f"{path}, line 1: header must name columns 'timestamp' and 'value'")
    reader.fieldnames = fields
    for record in reader:
        line = reader.line_num
        raw_ts = (record.get("timestamp") or "").strip()
        raw_value = (record.get("value") or "").strip()
        for name, raw in (("timestamp", raw_ts), ("value", raw_value)):
            # The csv module's own field limit is process-wide (the importer raises it), so
            # the series reader bounds its cells itself, and never echoes a huge one.
            if len(raw) > MAX_FIELD_CHARS:
                raise SeriesError(
                    f"{path}, line {line}, field {name!r}: longer than {MAX_FIELD_CHARS:,} "
                    "characters: not a timestamp,value CSV"
                )
        try:
            ts = _parse_timestamp(raw_ts)
        except ValueError:
            raise SeriesError(
                f"{path}, line {line}, field 'timestamp': not an ISO date/time: {raw_ts!r}"
            ) from None
        try:
            value = float(raw_value)
        except ValueError:
            raise SeriesError(
                f"{path}, line {line}, field 'value': not a number: {raw_value!r}"
            ) from None
        if not math.isfinite(value):
            raise SeriesError(f"{path}, line {line}, field 'value': not finite: {raw_value!r}")
        rows.append((ts, value, line))
    return rows


def daily_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
