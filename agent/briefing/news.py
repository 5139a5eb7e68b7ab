"""News first: what a briefing has already told its reader, and how much that counts.

Definitions (one scope, briefing day D):
- the *previous briefing* is the stored briefing of the same scope with the latest day before D;
- a candidate was *reported* when its fingerprint (`Candidate.key`) was a point of the previous
  briefing, or a finding told inside one (`related`);
- a reported candidate is a *repeat* when its dollars are within `SIMILAR` (25 %) of the amount
  reported: |now − then| ≤ 0.25 × |then|; else it has *changed* (worth telling again);
- anything not reported is *new* to the reader (an anomaly of yesterday, a finding that appeared,
  or one that was ranked out before).

Ranking weight (`weight`): new and first seen in this briefing 1.0; new to the reader but
first seen earlier (ranked out before) 0.6; changed 0.8; repeat 0.3 — so an open issue keeps a
place only while it stays much more expensive than what is new. A repeated point is told in one
line; the headline is the best point that is new, else one that changed, else the best point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Engine, select

from agent.briefing.state import Candidate
from store import tables as t

News = Literal["new", "changed", "repeat"]

SIMILAR = 0.25
WEIGHTS: dict[str, float] = {"new": 1.0, "changed": 0.8, "repeat": 0.3}
OLD_UNTOLD_WEIGHT = 0.6


@dataclass(frozen=True)
class Reported:
    """A finding the previous briefing told: its fingerprint, dollars and day."""

    key: str
    dollars: float
    on: date


def reported_in(outline: dict[str, Any], on: date) -> dict[str, Reported]:
    """The findings a stored outline (`Outline.model_dump(mode="json")`) told, by fingerprint:
    its points and the related findings told inside them."""
    found: dict[str, Reported] = {}
    for point in outline.get("points") or []:
        for told in [point, *(point.get("related") or [])]:
            key = str(told["key"])
            found.setdefault(key, Reported(key, float(told["dollars"]), on))
    return found


def previous_reported(engine: Engine, scope: str, before: date) -> dict[str, Reported]:
    """What the latest stored briefing of `scope` dated before `before` told (empty if none)."""
    b = t.briefing
    with engine.connect() as conn:
        row = conn.execute(
            select(b.c.for_date, b.c.facts)
            .where(b.c.scope == scope, b.c.for_date < before)
            .order_by(b.c.for_date.desc())
            .limit(1)
        ).first()
    if row is None or not isinstance(row.facts, dict):
        return {}
    return reported_in(row.facts.get("outline") or {}, row.for_date)


def classify(candidate: Candidate, reported: dict[str, Reported]) -> News:
    """new / changed / repeat against what was reported (module doc)."""
    before = reported.get(candidate.key)
    if before is None:
        return "new"
    if abs(candidate.dollars - before.dollars) <= SIMILAR * abs(before.dollars):
        return "repeat"
    return "changed"


def mark(candidates: list[Candidate], reported: dict[str, Reported]) -> list[Candidate]:
    """The candidates with `news`, `reported_on` and `reported_dollars` filled in."""
    marked = []
    for candidate in candidates:
        news = classify(candidate, reported)
        before = reported.get(candidate.key)
        marked.append(
            candidate.model_copy(
                update={
                    "news": news,
                    "reported_on": before.on if before else None,
                    "reported_dollars": before.dollars if before else None,
                }
            )
        )
    return marked


def weight(candidate: Candidate) -> float:
    """The novelty factor of a candidate's score (module doc)."""
    if candidate.news == "new" and not candidate.is_new:
        return OLD_UNTOLD_WEIGHT
    return WEIGHTS[candidate.news]


def headline_point(points: list[Candidate]) -> Candidate | None:
    """The point the headline tells: the first new one first seen in this briefing, else the
    first new one, else the first changed, else the first point."""
    wanted: list[tuple[str, bool]] = [("new", True), ("new", False), ("changed", False)]
    for news, fresh in wanted:
        for point in points:
            if point.news == news and (point.is_new or not fresh):
                return point
    return points[0] if points else None
