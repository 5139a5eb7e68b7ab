"""Rank what the gather step found into at most five points and a call list.

Score of a candidate = |dollars| × novelty, where novelty (`agent.briefing.news.weight`) is 1
for an issue new today, 0.8 for one reported in the previous briefing whose amount changed, 0.3
for one reported there with a similar amount, 0.6 for one never reported but first seen
earlier: an open issue keeps its place only while it stays much more expensive than the news.
Candidates with no dollars attached are dropped: every point carries dollars.

One idea per point: candidates are grouped into families (no-shows, rebooking, lapsed patients,
compensation, utilization, acquisition cost, refunds, …, by their kind). The best-scoring
candidate of a family is the point; up to two others of the family ride along as `related`
(other kinds first — e.g. a weekday no-show anomaly under the no-show cost — then by score), so
a provider's rebooking drop is told inside the rebooking point rather than as a second point.

The call list is the at-risk patients with the most dollars at stake (at most `call_limit`).
"""

from __future__ import annotations

from agent.briefing.news import weight
from agent.briefing.state import CallCandidate, Candidate, Gathered, Outline
from tools.facts import Fact

MAX_POINTS = 5
MAX_RELATED = 2
CALL_LIMIT = 8
CALL_COUNT_FACT = "call_list.count"
CALL_DOLLARS_FACT = "call_list.dollars"
FAMILIES: tuple[tuple[str, str], ...] = (
    ("no_show", "no_shows"),
    ("rebook", "rebooking"),
    ("vip", "lapsed_patients"),
    ("at_risk", "lapsed_patients"),
    ("lapsed", "lapsed_patients"),
    ("comp", "compensation"),
    ("utiliz", "utilization"),
    ("cac", "acquisition"),
    ("refund", "refunds"),
    ("revenue", "revenue"),
    ("membership", "membership"),
)


def family(kind: str) -> str:
    """The idea a kind of finding belongs to (`no_show_cost` and `no_show_weekday` → no_shows)."""
    for keyword, name in FAMILIES:
        if keyword in kind:
            return name
    return kind


def score(candidate: Candidate) -> float:
    return abs(candidate.dollars) * weight(candidate)


def rank(
    gathered: Gathered, *, max_points: int = MAX_POINTS, call_limit: int = CALL_LIMIT
) -> tuple[Outline, Gathered]:
    """The outline, and `gathered` with the call list's count and dollars added as facts."""
    dropped: list[str] = []
    groups: dict[str, list[Candidate]] = {}
    seen_keys: set[str] = set()
    for candidate in sorted(gathered.candidates, key=score, reverse=True):
        if candidate.dollars == 0:
            dropped.append(f"{candidate.key}: no dollars attached")
            continue
        if candidate.key in seen_keys:
            dropped.append(f"{candidate.key}: duplicate")
            continue
        seen_keys.add(candidate.key)
        groups.setdefault(family(candidate.kind), []).append(candidate)
    heads: list[Candidate] = []
    for members in groups.values():
        head, rest = members[0], members[1:]
        others = sorted(rest, key=lambda c: (c.kind == head.kind, -score(c)))
        related = others[:MAX_RELATED]
        dropped += [f"{c.key}: same idea as {head.key}" for c in others[MAX_RELATED:]]
        heads.append(head.model_copy(update={"related": related}))
    heads.sort(key=score, reverse=True)
    points = heads[:max_points]
    dropped += [f"{c.key}: ranked below the top {max_points}" for c in heads[max_points:]]
    call_list: list[CallCandidate] = sorted(
        gathered.at_risk, key=lambda p: (-p.dollars_at_stake, p.patient_id)
    )[:call_limit]
    facts = gathered.facts.model_copy(deep=True)
    count_id = None
    if call_list:
        count_id = CALL_COUNT_FACT
        facts.add(
            Fact(
                id=count_id,
                label="Patients on today's call list",
                value=len(call_list),
                unit="count",
                scope=gathered.scope,
                source="agent.rank",
            )
        )
        facts.add(
            Fact(
                id=CALL_DOLLARS_FACT,
                label="Yearly spend of the patients on today's call list",
                value=round(sum(p.dollars_at_stake for p in call_list), 2),
                unit="USD",
                scope=gathered.scope,
                source="agent.rank (sum of the listed patients' dollars at stake)",
            )
        )
    outline = Outline(
        points=points, call_list=call_list, call_count_fact_id=count_id, dropped=dropped
    )
    return outline, gathered.model_copy(update={"facts": facts})
