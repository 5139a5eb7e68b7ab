"""Verification of a whole written briefing: the generic claim and name checks of
`agent.verify` on every written part, plus the briefing's structure (the ranked points, in order,
each stating its own dollar amount). A point's action copied verbatim from the tool that made the
finding is the tool's text and not re-checked; likewise a fact's label quoted verbatim.
"""

from __future__ import annotations

from agent.briefing.state import Gathered, Outline, WrittenBriefing
from agent.briefing.writers.template import short_label
from agent.verify import CheckResult, check_names, check_text, extract_claims, pseudonyms_in


def _without_labels(text: str, labels: list[str]) -> str:
    """The text with quoted fact labels blanked: a label is the tool's description of a number
    ("… over the previous 12 weeks"), not a number the writer states."""
    for label in labels:
        if len(label) >= 8 and label in text:
            text = text.replace(label, " ")
    return text


def verify_briefing(
    written: WrittenBriefing,
    outline: Outline,
    gathered: Gathered,
) -> CheckResult:
    """Verify a whole written briefing against the gathered facts and the ranked outline.

    Besides every claim and name of every written part, the structure is checked: the points are
    the outline's points (same keys, same order) and each states its own dollar amount.
    """
    facts, as_of = gathered.facts, gathered.for_date
    result = CheckResult()
    pseudonyms = pseudonyms_in(facts)
    tool_actions = {point.action for point in outline.points}
    labels = sorted(
        {label for fact in facts.values() for label in (fact.label, short_label(fact))},
        key=len,
        reverse=True,
    )
    for where, text in written.checked_texts():
        if where.endswith(" action") and text in tool_actions:
            continue  # the tool's own recommended action, copied verbatim
        part = check_text(_without_labels(text, labels), facts, as_of=as_of, where=where)
        result.matched += part.matched
        result.reasons += part.reasons
        result.reasons += check_names(
            text,
            allowed_names=gathered.names,
            directory=gathered.directory,
            allowed_pseudonyms=pseudonyms,
            where=where,
        )
    expected = [point.key for point in outline.points]
    got = [point.key for point in written.points]
    if got != expected:
        result.reasons.append(f"points {got} are not the ranked points {expected}")
    by_key = {point.key: point for point in outline.points}
    for index, point in enumerate(written.points, start=1):
        candidate = by_key.get(point.key)
        if candidate is None:
            continue
        amounts = [
            claim
            for claim in extract_claims(f"{point.title} {point.text}")
            if claim.kind == "money" and claim.value is not None
        ]
        if not any(
            abs(abs(claim.value or 0) - abs(candidate.dollars)) <= claim.tolerance
            for claim in amounts
        ):
            result.reasons.append(
                f"point {index} does not state its dollar amount "
                f"({facts[candidate.dollars_fact_id].display()})"
            )
    return result
