from __future__ import annotations

from agent.rank import rank
from agent.state import Candidate
from tests.agent.sample import sample_gathered


def candidate(key: str, dollars: float, *, kind: str = "k", new: bool = True, provider=None):  # noqa: ANN001, ANN201
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


def test_points_ranked_by_dollars_times_novelty_one_idea_each_at_most_five() -> None:
    gathered = sample_gathered()
    gathered.candidates = [
        candidate("old-10k", 10_000, kind="a", new=False),  # 10,000 × 0.6 = 6,000
        candidate("new-7k", 7_000, kind="b"),  # 7,000
        candidate("dup-of-new-7k", 5_000, kind="b"),  # same kind/provider/location → dropped
        candidate("zero", 0, kind="c"),  # no dollars → dropped
        *[candidate(f"p{i}", 1_000 * i, kind=f"k{i}", provider=i) for i in range(1, 6)],
    ]
    outline, _ = rank(gathered)
    # scores: new-7k 7000, old-10k 6000, p5 5000, p4 4000, p3 3000 | p2, p1 ranked out
    assert [p.key for p in outline.points] == ["new-7k", "old-10k", "p5", "p4", "p3"]
    assert any(d.startswith("dup-of-new-7k: same idea") for d in outline.dropped)
    assert any(d.startswith("zero: no dollars") for d in outline.dropped)
    assert any(d.startswith("p1: ranked below") for d in outline.dropped)


def test_call_list_is_the_most_dollars_at_stake_with_count_and_sum_as_facts() -> None:
    outline, gathered = rank(sample_gathered(), call_limit=1)
    assert [p.pseudonym for p in outline.call_list] == ["P-101"]  # $4,100 beats $3,200
    assert gathered.facts["call_list.count"].value == 1
    assert gathered.facts["call_list.dollars"].value == 4100.0
    outline, gathered = rank(sample_gathered())
    assert gathered.facts["call_list.dollars"].value == 7300.0  # 4,100 + 3,200
