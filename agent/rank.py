"""Rank what the gather step found into at most five points and a call list.

Score of a candidate = dollars × novelty, where novelty is 1 for an issue first seen in this
briefing and 0.6 for one already announced (same fingerprint) — an open issue keeps its place
only while it stays expensive. One idea per point: candidates with the same key, or of the same
kind about the same provider and location, collapse to the most expensive one. Candidates with
no dollars attached are dropped: every point carries dollars.

The call list is the at-risk patients with the most dollars at stake (at most `call_limit`).
"""

from __future__ import annotations

from agent.state import CallCandidate, Candidate, Gathered, Outline
from tools.facts import Fact

MAX_POINTS = 5
CALL_LIMIT = 8
REPEAT_WEIGHT = 0.6
CALL_COUNT_FACT = "call_list.count"
CALL_DOLLARS_FACT = "call_list.dollars"


def score(candidate: Candidate) -> float:
    return abs(candidate.dollars) * (1.0 if candidate.is_new else REPEAT_WEIGHT)


def rank(
    gathered: Gathered, *, max_points: int = MAX_POINTS, call_limit: int = CALL_LIMIT
) -> tuple[Outline, Gathered]:
    """The outline, and `gathered` with the call list's count and dollars added as facts."""
    dropped: list[str] = []
    best: dict[tuple[str, ...], Candidate] = {}
    for candidate in sorted(gathered.candidates, key=score, reverse=True):
        if candidate.dollars == 0:
            dropped.append(f"{candidate.key}: no dollars attached")
            continue
        idea = (candidate.kind, str(candidate.provider_id), str(candidate.location_id))
        if candidate.key in {c.key for c in best.values()} or idea in best:
            dropped.append(f"{candidate.key}: same idea as a higher-ranked point")
            continue
        best[idea] = candidate
    ordered = list(best.values())
    points = ordered[:max_points]
    dropped += [f"{c.key}: ranked below the top {max_points}" for c in ordered[max_points:]]
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
