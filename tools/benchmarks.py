"""Benchmarks: the seed's industry ranges (kept in `benchmarks.json` with their source) and
portfolio peers (the other locations or providers of the same organization).

Every metric knows its direction (`higher_is_better`): from the benchmark file for the seed's
metrics, from `DIRECTIONS` for the others (net revenue: higher is better; late cancels: lower).

Industry comparison places a value against the average and top-performer ranges, in the words
of the metric's direction (a low no-show rate is *better*, never "below average"):
`top` (inside or beyond the top performers' range), `better_than_range` (better than the
industry average range), `within_range`, `worse_than_range`; for range-only metrics
(comp-to-production, VIP concentration): `below`, `within`, `above`. `words` says the same in a
sentence with the range, e.g. "worse than the industry average range (15–20%)".
Peer comparison ranks a value among peers (1 = best, per the metric's direction: for net
revenue the highest value ranks 1) and gives the median and the best peer.
"""

from __future__ import annotations

import json
import statistics
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field

from tools.facts import Fact


class BenchmarkError(ValueError):
    """The benchmark file is malformed (names the file and field)."""


class IndustryBenchmark(BaseModel):
    kpi: str
    label: str
    higher_is_better: bool | None
    average: tuple[float, float] | None = None
    top: tuple[float, float] | None = None
    healthy: tuple[float, float] | None = None
    typical: tuple[float, float] | None = None
    target: float | None = None
    retention_risk_below: float | None = None
    quote: str
    source: str

    @property
    def range(self) -> tuple[float, float] | None:
        """The reference range for range-only metrics."""
        return self.healthy or self.typical


class BenchmarkComparison(BaseModel):
    kpi: str
    value: float | None
    position: str | None = Field(
        description="top, better_than_range, within_range, worse_than_range; below/within/above "
        "for range-only metrics"
    )
    words: str | None = Field(default=None, description="The position in a sentence.")
    higher_is_better: bool | None = None
    benchmark: IndustryBenchmark
    facts: list[Fact] = Field(default_factory=list)


class PeerComparison(BaseModel):
    kpi: str
    level: str = Field(description="'location' or 'provider'.")
    subject_id: int
    value: float | None
    rank: int | None = Field(description="1 = best among peers with a value.")
    peers: int
    median: float | None
    best_id: int | None
    best_value: float | None
    values: dict[int, float | None]


BENCHMARK_FILE = "benchmarks.json"

# Directions of the metrics the seed gives no industry range for (True: higher is better).
DIRECTIONS: dict[str, bool | None] = {
    "net_revenue": True,
    "revenue_per_provider_hour": True,
    "late_cancel_rate": False,
    "new_patients": True,
    "cac": False,
    "membership_mrr": True,
    "membership_churn": False,
    "same_store_growth": True,
}


def higher_is_better(kpi: str) -> bool | None:
    """True when a higher value is better, False when lower is better, None when the metric has
    a healthy range instead (comp-to-production) or no known direction."""
    bench = load_benchmarks().get(kpi)
    if bench is not None:
        return bench.higher_is_better
    return DIRECTIONS.get(kpi)


@lru_cache(maxsize=1)
def load_benchmarks() -> dict[str, IndustryBenchmark]:
    """Parse `tools/benchmarks.json` (package data)."""
    text = resources.files("tools").joinpath(BENCHMARK_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    source = data.get("source", {}).get("document")
    if not source:
        raise BenchmarkError(f"{BENCHMARK_FILE}: field source.document is required")
    result = {}
    for kpi, spec in data.get("kpis", {}).items():
        try:
            result[kpi] = IndustryBenchmark(kpi=kpi, source=source, **spec)
        except Exception as exc:
            raise BenchmarkError(f"{BENCHMARK_FILE}: kpis.{kpi}: {exc}") from None
    return result


def _position(bench: IndustryBenchmark, value: float) -> str:
    if bench.higher_is_better is None:
        low, high = bench.range or (value, value)
        return "below" if value < low else "above" if value > high else "within"
    average, top = bench.average, bench.top
    if average is None or top is None:
        return "unknown"
    if bench.higher_is_better:
        if value >= top[0]:
            return "top"
        if value > average[1]:
            return "better_than_range"
        return "within_range" if value >= average[0] else "worse_than_range"
    if value <= top[1]:
        return "top"
    if value < average[0]:
        return "better_than_range"
    return "within_range" if value <= average[1] else "worse_than_range"


def _span(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.0%}–{bounds[1]:.0%}".replace("%–", "–")


def position_words(bench: IndustryBenchmark, position: str) -> str:
    """The position as an owner reads it: 'worse than the industry average range (15–20%)'."""
    if bench.higher_is_better is None:
        low_high = bench.range
        name = "healthy" if bench.healthy else "typical"
        span = f" ({_span(low_high)})" if low_high else ""
        return f"{position} the {name} range{span}"
    average = f" ({_span(bench.average)})" if bench.average else ""
    if position == "top":
        top = f" ({_span(bench.top)})" if bench.top else ""
        return f"in or beyond the top performers' range{top}"
    if position == "within_range":
        return f"within the industry average range{average}"
    better = position == "better_than_range"
    return f"{'better' if better else 'worse'} than the industry average range{average}"


def compare_to_industry(kpi: str, value: float | None) -> BenchmarkComparison | None:
    """Where `value` sits against the seed's ranges; None when the KPI has no benchmark."""
    bench = load_benchmarks().get(kpi)
    if bench is None:
        return None
    facts = []
    for name in ("average", "top", "healthy", "typical"):
        bounds = getattr(bench, name)
        if bounds is None:
            continue
        for edge, bound in zip(("low", "high"), bounds, strict=True):
            facts.append(
                Fact(
                    id=f"benchmark.{kpi}.{name}_{edge}",
                    label=f"{bench.label}, industry {name} range ({edge} end)",
                    value=bound,
                    unit="percent",
                    scope="industry",
                    source="tools.benchmarks",
                )
            )
    position = None if value is None else _position(bench, value)
    return BenchmarkComparison(
        kpi=kpi,
        value=value,
        position=position,
        words=None if position is None else position_words(bench, position),
        higher_is_better=bench.higher_is_better,
        benchmark=bench,
        facts=facts,
    )


def compare_to_peers(
    kpi: str,
    subject_id: int,
    values: dict[int, float | None],
    *,
    level: str,
    higher_is_better: bool | None = None,
) -> PeerComparison:
    """Rank `subject_id` among `values` (peers without a value are not ranked).

    Direction comes from `higher_is_better(kpi)` when not given; metrics without a direction
    (comp-to-production) rank by closeness to the benchmark target (40%). A metric with neither
    a direction nor a target gets no rank (rank None, best None).
    """
    bench = load_benchmarks().get(kpi)
    direction = higher_is_better if higher_is_better is not None else _direction(kpi)
    target = bench.target if bench else None
    known = {k: v for k, v in values.items() if v is not None}

    def badness(v: float) -> float:
        if direction is None:
            return abs(v - (target if target is not None else 0.0))
        return -v if direction else v

    rankable = direction is not None or target is not None
    order = sorted(known, key=lambda k: (badness(known[k]), k)) if rankable else []
    rank = order.index(subject_id) + 1 if subject_id in order else None
    best = order[0] if order else None
    return PeerComparison(
        kpi=kpi,
        level=level,
        subject_id=subject_id,
        value=values.get(subject_id),
        rank=rank,
        peers=len(known),
        median=statistics.median(known.values()) if known else None,
        best_id=best,
        best_value=known[best] if best is not None else None,
        values=values,
    )


def _direction(kpi: str) -> bool | None:
    return higher_is_better(kpi)


def benchmark_value(kpi: str, name: str) -> Any:
    """A single benchmark figure, e.g. ('comp_to_production', 'target') → 0.40."""
    bench = load_benchmarks()[kpi]
    return getattr(bench, name)
