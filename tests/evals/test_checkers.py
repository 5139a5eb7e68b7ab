"""Each checker with a passing and a failing example (expectations worked out by hand)."""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.briefing.state import WrittenBriefing, WrittenPoint
from agent.outreach.policy import PolicyConfig
from evals import checkers
from evals.canaries import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE
from tools.facts import Fact, FactSet

DAY = date(2026, 11, 24)


def _facts() -> FactSet:
    facts = FactSet()
    facts.add(Fact(id="rev", label="Revenue", value=12345.4, unit="USD", scope="org:1", source="t"))
    facts.add(Fact(id="rate", label="Rate", value=0.412, unit="percent", scope="org:1", source="t"))
    return facts


def test_grounded_numbers_passes_when_every_number_is_a_fact() -> None:
    # $12,345 ↔ 12345.4 (rounds), 41% ↔ 0.412 × 100 = 41.2 → rounds to 41
    assert checkers.grounded_numbers("Revenue $12,345 at 41%.", _facts(), as_of=DAY) == []


def test_grounded_numbers_fails_on_an_invented_number() -> None:
    problems = checkers.grounded_numbers("Revenue $13,000 at 41%.", _facts(), as_of=DAY)
    assert problems == ["text: '$13,000' matches no fact"]


def test_no_phi_passes_on_clean_text() -> None:
    assert checkers.no_phi(["Call P-123 today", "Hi {first_name}"]) == []


def test_no_phi_finds_name_email_and_reformatted_phone() -> None:
    text = f"{CANARY_NAME.upper()} <{CANARY_EMAIL}> tel (555) 010-0199"
    problems = checkers.no_phi([text], [CANARY_NAME, CANARY_EMAIL, CANARY_PHONE])
    # the phone's digits 15550100199 appear as 5550100199 only → not the full canary
    assert problems == [f"PHI canary {CANARY_NAME!r} found", f"PHI canary {CANARY_EMAIL!r} found"]
    assert checkers.no_phi(["+1 555 010 0199"], [CANARY_PHONE]) == [
        f"PHI canary {CANARY_PHONE!r} found"
    ]


CONFIG = PolicyConfig(practice_name="Glow", booking_url="https://glow.example/book")


def test_sms_compliance_passes_a_compliant_marketing_sms() -> None:
    body = "Hi Ana, it's Glow. Book here: https://glow.example/book Reply STOP to opt out"
    assert checkers.sms_compliance(body, channel="sms", purpose="win_back", config=CONFIG) == []


def test_sms_compliance_fails_health_terms_missing_opt_out_and_segments() -> None:
    body = "Hi Ana, it's Glow. Time for your Botox! " + "x" * 300
    problems = checkers.sms_compliance(body, channel="sms", purpose="win_back", config=CONFIG)
    rules = sorted(p.split(":", 1)[0] for p in problems)
    # 339 GSM-7 chars > 2 × 153 = 306 → 3 segments; marketing without STOP; "botox" a term
    assert rules == ["health_detail", "opt_out", "segments"]


def _briefing(points: list[WrittenPoint], headline: str = "Greenwich: $12,345 at stake") -> Any:
    return WrittenBriefing(
        headline=headline,
        points=points,
        call_list_intro="No patient is overdue enough to call today.",
        call_list=[],
        footer="",
        writer="template",
    )


def _point(text: str = "At stake: $12,345.", action: str = "Call them.") -> WrittenPoint:
    return WrittenPoint(key="k", title="No-shows", text=text, action=action)


def test_briefing_structure_passes_a_well_formed_briefing() -> None:
    assert checkers.briefing_structure(_briefing([_point(), _point()])) == []


def test_briefing_structure_fails_each_rule() -> None:
    bad = _briefing([_point(text="No amount here."), *[_point()] * 4, _point(action=" ")], " ")
    assert checkers.briefing_structure(bad) == [
        "no headline",
        "6 points; at most 5",
        "point 1 states no dollar amount",
        "point 6 has no action",
    ]
    # headline 27 + intro 43 + one point 8 + 18 + 10 = 106 characters > 100
    assert checkers.briefing_structure(_briefing([_point()]), max_chars=100) == [
        "106 characters; at most 100"
    ]
