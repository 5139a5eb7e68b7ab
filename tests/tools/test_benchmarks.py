"""Industry ranges from the seed and portfolio peer ranking."""

from __future__ import annotations

import pytest

from tools.benchmarks import (
    compare_to_industry,
    compare_to_peers,
    higher_is_better,
    load_benchmarks,
)
from tools.kpis import HEADLINE


def test_benchmark_file_holds_the_seed_ranges_with_their_source() -> None:
    benchmarks = load_benchmarks()
    assert benchmarks["rebooking_rate"].average == (0.55, 0.65)
    assert benchmarks["rebooking_rate"].top == (0.75, 0.85)
    assert benchmarks["no_show_rate"].top == (0.05, 0.08)
    assert benchmarks["comp_to_production"].healthy == (0.35, 0.50)
    assert all("seeds/001" in b.source for b in benchmarks.values())


@pytest.mark.parametrize(
    ("kpi", "value", "position"),
    [
        ("rebooking_rate", 0.50, "worse_than_range"),
        ("rebooking_rate", 0.60, "within_range"),
        ("rebooking_rate", 0.70, "better_than_range"),  # between 65% and 75%
        ("rebooking_rate", 0.80, "top"),
        ("no_show_rate", 0.25, "worse_than_range"),  # lower is better
        ("no_show_rate", 0.12, "better_than_range"),
        ("no_show_rate", 0.06, "top"),
        ("comp_to_production", 0.55, "above"),
        ("comp_to_production", 0.28, "below"),
        ("vip_concentration", 0.40, "within"),
    ],
)
def test_industry_position(kpi: str, value: float, position: str) -> None:
    comparison = compare_to_industry(kpi, value)
    assert comparison is not None and comparison.position == position


def test_position_words_follow_the_direction() -> None:
    # No-show 21.1% is above the 15–20% average range: lower is better, so it is *worse*.
    no_show = compare_to_industry("no_show_rate", 0.211)
    assert no_show is not None and no_show.higher_is_better is False
    assert no_show.words == "worse than the industry average range (15–20%)"
    # Rebooking 70% is above the 55–65% average range: higher is better, so it is *better*.
    rebooking = compare_to_industry("rebooking_rate", 0.70)
    assert rebooking is not None
    assert rebooking.words == "better than the industry average range (55–65%)"
    top = compare_to_industry("no_show_rate", 0.06)
    assert top is not None and top.words == "in or beyond the top performers' range (5–8%)"
    comp = compare_to_industry("comp_to_production", 0.55)
    assert comp is not None and comp.words == "above the healthy range (35–50%)"


def test_every_headline_kpi_has_a_direction() -> None:
    assert higher_is_better("net_revenue") is True
    assert higher_is_better("revenue_per_provider_hour") is True
    assert higher_is_better("late_cancel_rate") is False
    assert higher_is_better("no_show_rate") is False
    assert higher_is_better("comp_to_production") is None  # a healthy range, not a direction
    for kpi, _, _ in HEADLINE:
        if kpi not in ("comp_to_production", "vip_concentration"):
            assert higher_is_better(kpi) is not None, kpi


def test_no_benchmark_and_no_value() -> None:
    assert compare_to_industry("net_revenue", 1000.0) is None
    comparison = compare_to_industry("utilization", None)
    assert comparison is not None and comparison.position is None


def test_peer_ranking_follows_the_metric_direction() -> None:
    # No-show: lower is better → location 3 (5%) is best; location 1 (20%) ranks 3rd of 3.
    peers = compare_to_peers(
        "no_show_rate", 1, {1: 0.20, 2: 0.10, 3: 0.05, 4: None}, level="location"
    )
    assert (peers.rank, peers.peers, peers.best_id) == (3, 3, 3)
    assert peers.median == pytest.approx(0.10)
    # Comp-to-production has no direction: closest to the 40% target is best.
    comp = compare_to_peers("comp_to_production", 7, {7: 0.55, 8: 0.41, 9: 0.28}, level="provider")
    assert (comp.rank, comp.best_id) == (3, 8)  # |0.55−0.40| = 0.15 > |0.28−0.40| = 0.12


def test_peer_rank_one_is_the_highest_revenue() -> None:
    # Net revenue has no industry range but higher is better: $90k ranks 1, $30k ranks 3.
    values: dict[int, float | None] = {1: 30_000.0, 2: 90_000.0, 3: 60_000.0}
    low = compare_to_peers("net_revenue", 1, values, level="location")
    high = compare_to_peers("net_revenue", 2, values, level="location")
    assert (low.rank, high.rank, low.best_id, low.best_value) == (3, 1, 2, 90_000.0)
    per_hour = compare_to_peers("revenue_per_provider_hour", 3, values, level="location")
    assert per_hour.rank == 2
    # A metric with neither a direction nor a target is not ranked.
    unknown = compare_to_peers("some_new_metric", 1, values, level="location")
    assert (unknown.rank, unknown.best_id, unknown.peers) == (None, None, 3)
