"""News first: what a briefing has already told its reader, and how much that counts.

Definitions (one scope, briefing day D):
- the *previous briefings* are the stored briefings of the same scope dated D − 7 … D − 1 (the
  latest first: the previous briefing, then the ones before it, so that a finding told on Monday
  and ranked out on Tuesday is not news again on Wednesday);
- a candidate was *reported* when its identity was a point of a previous briefing, or a finding
  told inside one (`related`); its identity is its fingerprint (`Candidate.key`) and, for an
  anomaly, also its title without dates and weekdays (`alias`): a weekly anomaly re-detected
  over a window moved by a day has a new fingerprint but is the same news;
- a reported candidate is a *repeat* when its dollars are within `SIMILAR` (25 %) of the amount
  last reported: |now − then| ≤ 0.25 × |then|; else it has *changed* (worth telling again);
- anything not reported is *new* to the reader (an anomaly of yesterday, a finding that appeared,
  or one that was ranked out before);
- an anomaly whose period ended more than `STALE_DAYS` (3) before D is not fresh: it counts as a
  finding first seen earlier (`is_new` False), whatever day the detector first stored it.

Ranking weight (`weight`): new and first seen in this briefing 1.0; new to the reader but
first seen earlier (ranked out before) 0.6; changed 0.8; repeat 0.3 — so an open issue keeps a
place only while it stays much more expensive than what is new. A repeated point is told in one
line; the headline is the best point that is news today, else one that changed, else the best
point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, select

from agent.briefing.state import Candidate
from store import tables as t
from tools.facts import Fact

News = Literal["new", "changed", "repeat"]

SIMILAR = 0.25
LOOKBACK_DAYS = 7
STALE_DAYS = 3
_DATES = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:\.\.\d{4}-\d{2}-\d{2})?\b|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?\b"
    r"|\(\d+ days?,[^)]*\)|\bin the week\b|\bon\b"
)
WEIGHTS: dict[str, float] = {"new": 1.0, "changed": 0.8, "repeat": 0.3}
OLD_UNTOLD_WEIGHT = 0.6


@dataclass(frozen=True)
class Reported:
    """A finding the previous briefing told: its fingerprint, dollars and day."""

    key: str
    dollars: float
    on: date


def alias(kind: str, title: str) -> str | None:
    """An anomaly's identity across moving windows: kind + title without dates and weekdays."""
    if not kind.startswith("anomaly"):
        return None
    return f"{kind}|" + " ".join(_DATES.sub(" ", title).split())


def identities(candidate: Candidate) -> list[str]:
    """The keys a candidate may have been reported under (fingerprint, then alias)."""
    other = alias(candidate.kind, candidate.title)
    return [candidate.key, *([other] if other else [])]


def reported_in(outline: dict[str, Any], on: date) -> dict[str, Reported]:
    """The findings a stored outline (`Outline.model_dump(mode="json")`) told, by fingerprint
    and alias: its points and the related findings told inside them."""
    found: dict[str, Reported] = {}
    for point in outline.get("points") or []:
        for told in [point, *(point.get("related") or [])]:
            key = str(told["key"])
            reported = Reported(key, float(told["dollars"]), on)
            found.setdefault(key, reported)
            other = alias(str(told.get("kind", "")), str(told.get("title", "")))
            if other:
                found.setdefault(other, reported)
    return found


def previous_reported(engine: Engine, scope: str, before: date) -> dict[str, Reported]:
    """What the stored briefings of `scope` dated `before` − 7 … `before` − 1 told, the latest
    report of each finding winning (empty if there are none)."""
    b = t.briefing
    with engine.connect() as conn:
        rows = conn.execute(
            select(b.c.for_date, b.c.facts)
            .where(
                b.c.scope == scope,
                b.c.for_date < before,
                b.c.for_date >= before - timedelta(days=LOOKBACK_DAYS),
            )
            .order_by(b.c.for_date.desc())
        ).all()
    found: dict[str, Reported] = {}
    for row in rows:
        if isinstance(row.facts, dict):
            for key, reported in reported_in(row.facts.get("outline") or {}, row.for_date).items():
                found.setdefault(key, reported)
    return found


def last_report(candidate: Candidate, reported: dict[str, Reported]) -> Reported | None:
    return next((reported[k] for k in identities(candidate) if k in reported), None)


def classify(candidate: Candidate, reported: dict[str, Reported]) -> News:
    """new / changed / repeat against what was reported (module doc)."""
    before = last_report(candidate, reported)
    if before is None:
        return "new"
    if abs(candidate.dollars - before.dollars) <= SIMILAR * abs(before.dollars):
        return "repeat"
    return "changed"


def stale(candidate: Candidate, day: date) -> bool:
    """An anomaly whose period ended more than `STALE_DAYS` before `day`."""
    end = candidate.period_end
    return (
        candidate.kind.startswith("anomaly") and end is not None and (day - end).days > STALE_DAYS
    )


def mark(
    candidates: list[Candidate], reported: dict[str, Reported], day: date | None = None
) -> list[Candidate]:
    """The candidates with `news`, `reported_on` and `reported_dollars` filled in (and a stale
    anomaly's `is_new` cleared when `day` is given)."""
    marked = []
    for candidate in candidates:
        news = classify(candidate, reported)
        before = last_report(candidate, reported)
        update: dict[str, Any] = {
            "news": news,
            "reported_on": before.on if before else None,
            "reported_dollars": before.dollars if before else None,
        }
        if day is not None and stale(candidate, day):
            update["is_new"] = False
        marked.append(candidate.model_copy(update=update))
    return marked


def news_facts(candidates: list[Candidate], scope: str) -> list[Fact]:
    """Citable facts for what a point says about its news: the day and dollars it was last
    reported, the day it was first seen (ids `news.<key>.…`)."""
    facts: list[Fact] = []
    for c in candidates:
        prefix = f"news.{c.key}"
        if c.reported_on is not None:
            facts.append(
                Fact(
                    id=f"{prefix}.reported_on",
                    label=f"Last reported in a briefing: {c.title}",
                    value=c.reported_on.isoformat(),
                    unit="date",
                    scope=scope,
                    period_end=c.reported_on,
                    source="agent.briefing.news (stored briefings)",
                )
            )
        if c.reported_dollars is not None:
            facts.append(
                Fact(
                    id=f"{prefix}.reported_dollars",
                    label=f"Dollars last reported: {c.title}",
                    value=round(c.reported_dollars, 2),
                    unit="USD",
                    scope=scope,
                    period_end=c.reported_on,
                    source="agent.briefing.news (stored briefings)",
                )
            )
        if c.first_seen is not None:
            facts.append(
                Fact(
                    id=f"{prefix}.first_seen",
                    label=f"First seen: {c.title}",
                    value=c.first_seen.isoformat(),
                    unit="date",
                    scope=scope,
                    period_end=c.first_seen,
                    source="agent.briefing.news (stored findings)",
                )
            )
    return facts


def weight(candidate: Candidate) -> float:
    """The novelty factor of a candidate's score (module doc)."""
    if candidate.news == "new" and not candidate.is_new:
        return OLD_UNTOLD_WEIGHT
    return WEIGHTS[candidate.news]


def headline_point(points: list[Candidate]) -> Candidate | None:
    """The point the headline tells: the first one that is news today (new to the reader and
    first seen in this briefing), else the first whose amount changed, else the first point.
    A finding never reported but long known (or a stale anomaly) is not news."""
    for point in points:
        if point.news == "new" and point.is_new:
            return point
    for point in points:
        if point.news == "changed":
            return point
    return points[0] if points else None
