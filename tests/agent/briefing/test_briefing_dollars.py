"""The dollars a briefing states, end to end through the graph, against expectations computed
by hand from the hand-built sample (tests/agent/briefing/sample.py):

- rebooking finding $18,750, no-show finding $9,420, at-risk patients $7,300;
- patients P-101 $4,100 and P-102 $3,200 at stake.
"""

from __future__ import annotations

from sqlalchemy import Engine

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import run_briefing
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store


def test_points_in_dollar_order_each_with_its_dollars(engine: Engine) -> None:
    seed_store(engine)
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(sample_gathered()),
    )
    # All new, so ranked by dollars: 18,750 > 9,420 > 7,300.
    assert [p.title for p in result.written.points] == [
        "Maya Patel's rebooking rate fell",
        "Tuesday no-shows are up",
        "Lapsed VIP patients",
    ]
    texts = [p.text for p in result.written.points]
    assert "$18,750" in texts[0]
    assert "$9,420" in texts[1]
    assert "$7,300" in texts[2]
    markdown = result.rendered.markdown
    headline = "# Greenwich: Maya Patel's rebooking rate fell — $18,750 a month at stake"
    assert markdown.startswith(headline)
    # Call list: most at stake first; its total 4,100 + 3,200 = 7,300.
    assert "Call these 2 patients — $7,300 at stake over the next 12 months." in markdown
    assert markdown.index("⟦patient:101⟧ | Neurotoxin · Days overdue: 61 · $4,100") < (
        markdown.index("⟦patient:102⟧ | Filler · Days overdue: 45 · $3,200")
    )
    assert "$4,100 at stake over 12 months |" in markdown


def test_an_announced_issue_counts_for_less(engine: Engine) -> None:
    seed_store(engine)
    gathered = sample_gathered()
    gathered.candidates[1].is_new = False  # the no-shows were in yesterday's briefing
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(gathered),
    )
    # Scores: rebooking 18,750 × 1 = 18,750; at-risk 7,300 × 1 = 7,300;
    # no-shows 9,420 × 0.6 = 5,652 < 7,300, so they drop to third.
    assert [p.key for p in result.written.points] == ["fp-rebook", "fp-atrisk", "fp-noshow"]
    assert "$9,420" in result.written.points[2].text
