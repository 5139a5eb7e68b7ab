"""News first (`agent.briefing.news`): novelty against the previous stored briefing, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from agent.briefing.news import (
    Reported,
    classify,
    headline_point,
    mark,
    previous_reported,
    reported_in,
    weight,
)
from agent.briefing.persist import upsert_briefing
from agent.briefing.rank import rank, score
from agent.briefing.state import Candidate
from tests.agent.briefing.sample import sample_gathered

DAY = date(2026, 11, 17)
YESTERDAY = date(2026, 11, 16)


def cand(key: str, dollars: float, *, kind: str = "k", is_new: bool = True) -> Candidate:
    return Candidate(
        key=key,
        kind=kind,
        title=key,
        dollars=dollars,
        dollars_fact_id="rebook.dollars",
        action="act",
        is_new=is_new,
    )


def test_similar_amount_is_a_repeat_a_moved_one_changed_an_unknown_one_new() -> None:
    reported = {"a": Reported("a", 10_000.0, YESTERDAY)}
    # |12,500 − 10,000| = 2,500 ≤ 0.25 × 10,000 = 2,500 → repeat (the bound is inclusive)
    assert classify(cand("a", 12_500), reported) == "repeat"
    # |12,600 − 10,000| = 2,600 > 2,500 → changed
    assert classify(cand("a", 12_600), reported) == "changed"
    assert classify(cand("a", 7_400), reported) == "changed"  # 2,600 below
    assert classify(cand("b", 100), reported) == "new"


def test_weights() -> None:
    assert weight(cand("x", 1).model_copy(update={"news": "new"})) == 1.0
    assert weight(cand("x", 1, is_new=False).model_copy(update={"news": "new"})) == 0.6
    assert weight(cand("x", 1).model_copy(update={"news": "changed"})) == 0.8
    assert weight(cand("x", 1).model_copy(update={"news": "repeat"})) == 0.3


def test_a_new_anomaly_outranks_a_bigger_repeated_finding() -> None:
    reported = {"rebook": Reported("rebook", 40_000.0, YESTERDAY)}
    gathered = sample_gathered()
    gathered.candidates = mark(
        [
            cand("rebook", 42_000, kind="rebooking_gap"),
            cand("refund", 8_900, kind="anomaly.refunds"),
        ],
        reported,
    )
    outline, _ = rank(gathered)
    # rebook: 42,000 × 0.3 = 12,600; refund: 8,900 × 1.0 = 8,900 → rebooking still first …
    assert [p.key for p in outline.points] == ["rebook", "refund"]
    assert score(outline.points[0]) == 42_000 * 0.3
    # … but the headline tells the news.
    top = headline_point(outline.points)
    assert top is not None and top.key == "refund"
    assert outline.points[0].reported_on == YESTERDAY
    assert outline.points[0].reported_dollars == 40_000.0


def test_headline_falls_back_to_changed_then_first() -> None:
    repeat = cand("r", 5).model_copy(update={"news": "repeat"})
    changed = cand("c", 4).model_copy(update={"news": "changed"})
    old_new = cand("o", 3, is_new=False).model_copy(update={"news": "new"})
    fresh = cand("f", 2).model_copy(update={"news": "new"})
    assert headline_point([repeat, changed, old_new, fresh]) == fresh
    assert headline_point([repeat, old_new, changed]) == changed  # long known is not news
    assert headline_point([old_new, repeat]) == old_new  # nothing is news: the best point
    assert headline_point([repeat]) == repeat
    assert headline_point([]) is None


def test_reported_in_reads_points_and_related() -> None:
    outline = {
        "points": [
            {"key": "a", "dollars": 100.0, "related": [{"key": "b", "dollars": 50.0}]},
            {"key": "c", "dollars": 7.5, "related": []},
        ]
    }
    assert reported_in(outline, YESTERDAY) == {
        "a": Reported("a", 100.0, YESTERDAY),
        "b": Reported("b", 50.0, YESTERDAY),
        "c": Reported("c", 7.5, YESTERDAY),
    }


def _store(engine: Engine, day: date, scope: str, points: list[dict]) -> None:
    upsert_briefing(
        engine,
        {
            "organization_id": 1,
            "location_id": None,
            "scope": scope,
            "for_date": day,
            "headline": "h",
            "text_md": "t",
            "html": "h",
            "writer": "template",
            "verified": True,
            "verification": {},
            "facts": {"outline": {"points": points}},
            "created_at": datetime(2026, 11, 30, tzinfo=UTC),
        },
    )


def test_previous_briefings_are_the_last_seven_days_of_the_scope_latest_report_first(
    engine: Engine,
) -> None:
    from tests.agent.briefing.sample import seed_store

    seed_store(engine)
    assert previous_reported(engine, "org:1", DAY) == {}
    _store(engine, date(2026, 11, 9), "org:1", [{"key": "too-old", "dollars": 9.0}])  # 8 days
    _store(engine, date(2026, 11, 10), "org:1", [{"key": "y", "dollars": 1.0}])  # 7 days
    _store(engine, YESTERDAY, "org:1", [{"key": "y", "dollars": 2.0}])
    _store(engine, DAY, "org:1", [{"key": "today", "dollars": 3.0}])  # not before the day
    _store(engine, YESTERDAY, "location:2", [{"key": "other", "dollars": 4.0}])
    # "y" was last reported yesterday with $2; the 2026-11-10 report is older.
    assert previous_reported(engine, "org:1", DAY) == {"y": Reported("y", 2.0, YESTERDAY)}


def test_a_weekly_anomaly_over_a_moved_window_is_the_same_news() -> None:
    told = {
        "points": [
            {
                "key": "fp-week-1",
                "kind": "anomaly.revenue",
                "title": "Revenue up at Tessa Brandt (Greenwich) in the week "
                "2026-11-01..2026-11-07: $27,980 vs $9,929 usual",
                "dollars": 18_051.0,
            }
        ]
    }
    reported = reported_in(told, YESTERDAY)
    moved = Candidate(
        key="fp-week-2",  # another fingerprint: the window starts a day later
        kind="anomaly.revenue",
        title="Revenue up at Tessa Brandt (Greenwich) in the week 2026-11-02..2026-11-08: "
        "$27,980 vs $9,929 usual",
        dollars=18_051.0,
        dollars_fact_id="x",
        action="a",
    )
    assert classify(moved, reported) == "repeat"
    other_day = moved.model_copy(
        update={
            "key": "fp-day",
            "title": "Revenue up at Tessa Brandt (Greenwich) on Monday "
            "2026-11-16: $9,000 vs $3,000 usual",
        }
    )
    assert classify(other_day, reported) == "new"  # other amounts: other news


def test_an_old_anomaly_is_not_fresh_news() -> None:
    old = cand("old", 2_081, kind="anomaly.cancellations").model_copy(
        update={"period_end": date(2026, 10, 23)}
    )
    recent = cand("recent", 8_900, kind="anomaly.refunds").model_copy(
        update={"period_end": YESTERDAY}
    )
    # 2026-11-17 − 2026-10-23 = 25 days > 3: first seen earlier for ranking (weight 0.6);
    # 1 day ≤ 3: fresh (weight 1.0). A finding (not an anomaly) is never stale.
    marked = {c.key: c for c in mark([old, recent, cand("finding", 5)], {}, DAY)}
    assert [weight(marked[k]) for k in ("old", "recent", "finding")] == [0.6, 1.0, 1.0]
    assert headline_point([marked["old"], marked["recent"]]) == marked["recent"]
