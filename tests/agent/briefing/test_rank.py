from __future__ import annotations

from agent.briefing.rank import family, rank
from agent.briefing.state import Candidate
from tests.agent.briefing.sample import sample_gathered


def candidate(key: str, dollars: float, *, kind: str = "k", new: bool = True, provider=None):
    return Candidate(
        key=key,
        kind=kind,
        title=key,
        dollars=dollars,
        dollars_fact_id="rebook.dollars",
        action="act",
        is_new=new,
        provider_id=provider,
    )


def test_families_group_kinds_that_are_one_idea() -> None:
    assert family("no_show_cost") == family("no_show_weekday_spike") == "no_shows"
    assert family("vip_concentration") == family("at_risk_patients") == "lapsed_patients"
    assert family("rebooking_gap") == family("rebooking_drop") == "rebooking"
    assert family("something_else") == "something_else"


def test_points_ranked_by_dollars_times_novelty_one_idea_each_at_most_five() -> None:
    gathered = sample_gathered()
    gathered.candidates = [
        candidate("old-10k", 10_000, kind="a", new=False),  # 10,000 × 0.6 = 6,000
        candidate("new-7k", 7_000, kind="b"),  # 7,000
        candidate("zero", 0, kind="c"),  # no dollars → dropped
        *[candidate(f"p{i}", 1_000 * i, kind=f"k{i}", provider=i) for i in range(1, 6)],
    ]
    outline, _ = rank(gathered)
    # scores: new-7k 7000, old-10k 6000, p5 5000, p4 4000, p3 3000 | p2, p1 ranked out
    assert [p.key for p in outline.points] == ["new-7k", "old-10k", "p5", "p4", "p3"]
    assert "zero: no dollars attached" in outline.dropped
    assert "p2: ranked below the top 5" in outline.dropped


def test_one_point_per_family_other_kinds_ride_along_first() -> None:
    gathered = sample_gathered()
    gathered.candidates = [
        candidate("cost-loc1", 60_000, kind="no_show_cost"),
        candidate("cost-loc2", 50_000, kind="no_show_cost"),
        candidate("cost-loc3", 40_000, kind="no_show_cost"),
        candidate("tuesday", 9_000, kind="no_show_weekday_spike"),
        candidate("rebook", 20_000, kind="rebooking_gap"),
    ]
    outline, _ = rank(gathered)
    assert [p.key for p in outline.points] == ["cost-loc1", "rebook"]
    # The weekday anomaly (another kind) comes first among the related, then the best other.
    assert [r.key for r in outline.points[0].related] == ["tuesday", "cost-loc2"]
    assert "cost-loc3: same idea as cost-loc1" in outline.dropped


def test_call_list_is_the_most_dollars_at_stake_with_count_and_sum_as_facts() -> None:
    outline, gathered = rank(sample_gathered(), call_limit=1)
    assert [p.pseudonym for p in outline.call_list] == ["P-101"]  # $4,100 beats $3,200
    assert gathered.facts["call_list.count"].value == 1
    assert gathered.facts["call_list.dollars"].value == 4100.0
    outline, gathered = rank(sample_gathered())
    assert gathered.facts["call_list.dollars"].value == 7300.0  # 4,100 + 3,200
