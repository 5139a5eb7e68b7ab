"""Industry ranges from the seed and portfolio peer ranking."""

from __future__ import annotations

import pytest

from tools.benchmarks import compare_to_industry, compare_to_peers, load_benchmarks


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
        ("rebooking_rate", 0.50, "below_average"),
        ("rebooking_rate", 0.60, "average"),
        ("rebooking_rate", 0.70, "above_average"),  # between 65% and 75%
        ("rebooking_rate", 0.80, "top"),
        ("no_show_rate", 0.25, "below_average"),  # lower is better
        ("no_show_rate", 0.12, "above_average"),
        ("no_show_rate", 0.06, "top"),
        ("comp_to_production", 0.55, "above"),
        ("comp_to_production", 0.28, "below"),
        ("vip_concentration", 0.40, "within"),
    ],
)
def test_industry_position(kpi: str, value: float, position: str) -> None:
    comparison = compare_to_industry(kpi, value)
    assert comparison is not None and comparison.position == position


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
