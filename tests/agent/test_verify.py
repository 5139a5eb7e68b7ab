"""The generic fact checker (`agent.verify`): claims and names in any text against a FactSet."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from agent.verify import check_names, check_text, extract_claims
from tests.agent.briefing.sample import DAY, fact
from tools.facts import FactSet


def facts(*items) -> FactSet:
    result = FactSet()
    result.extend(list(items))
    return result


def test_extracts_money_percent_ratio_dates_and_plain_numbers() -> None:
    claims = extract_claims(
        "Revenue was $12,345 (61.2% of target, 2.1× last year) on Nov 24; 14 visits "
        "since 2026-10-26, down 12 points, $12.3k at risk [rebook.rate] for P-101."
    )
    got = [(c.kind, c.value if c.value is not None else (c.day or c.day_month)) for c in claims]
    assert got == [
        ("money", 12345.0),
        ("percent", 61.2),
        ("ratio", 2.1),
        ("date", (11, 24)),
        ("number", 14.0),
        ("date", date(2026, 10, 26)),
        ("points", 12.0),
        ("money", 12300.0),  # 12.3 × 1,000
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit", "ok"),
    [
        ("$12,345", 12345.4, "USD", True),  # |12345.4 − 12345| = 0.4 ≤ 0.5
        ("$12,346", 12345.4, "USD", False),  # 0.6 > 0.5
        ("$12.3k", 12340.0, "USD", True),  # 12,300 ± 50
        ("$12k", 12600.0, "USD", False),  # 12,000 ± 500 misses 12,600
        ("61%", 0.612, "percent", True),  # 61.2 rounds to 61
        ("61.2%", 0.6124, "percent", True),  # 61.24 rounds to 61.2
        ("62%", 0.612, "percent", False),
        ("down 12%", -0.12, "percent", True),  # sign carried by the word
        ("2.1×", 2.14, "ratio", True),
        ("2.2x", 2.14, "ratio", False),
        ("61 patients", 61, "count", True),
        ("61%", 61, "count", False),  # a count never backs a percentage
        ("$61", 0.61, "percent", False),  # nor a percentage a dollar amount
    ],
)
def test_rounding_rules(text: str, value: float, unit: str, ok: bool) -> None:
    result = check_text(text, facts(fact("f", "F", value, unit)), as_of=DAY)
    assert result.passed is ok, result.reasons


def test_dates_must_be_a_fact_date_a_period_bound_or_the_briefing_day() -> None:
    known = facts(fact("f", "F", 1, "count"))  # period 2026-10-26 .. 2026-11-24
    assert check_text("since 2026-10-26, as of November 24, 2026", known, as_of=DAY).passed
    assert check_text("in November 2026", known, as_of=DAY).passed
    result = check_text("since March 3", known, as_of=DAY)
    assert result.reasons == ["text: 'March 3' matches no fact"]


def test_the_briefing_day_is_supported_even_without_facts() -> None:
    # A day with no data at all still says which day it is about.
    empty = facts()
    assert check_text("Nothing urgent on 2026-11-24.", empty, as_of=DAY).passed
    assert not check_text("Nothing urgent on 2026-11-23.", empty, as_of=DAY).passed


def test_a_period_length_is_a_supported_number() -> None:
    known = facts(fact("f", "F", 1, "count"))  # 2026-10-26 .. 2026-11-24 = 30 days
    assert check_text("in the last 30 days", known, as_of=DAY).passed
    assert not check_text("in the last 31 days", known, as_of=DAY).passed


def test_names_must_be_the_facts_names() -> None:
    kwargs: dict[str, Any] = {
        "allowed_names": ["Maya Patel", "Greenwich"],
        "directory": ["Maya Patel", "Jordan Kim", "Greenwich", "Back Bay"],
        "allowed_pseudonyms": ["P-101"],
    }
    assert check_names("Maya Patel at Greenwich; call P-101.", **kwargs) == []
    assert check_names("Ask Dr. Patel.", **kwargs) == []
    assert check_names("Jordan Kim did better", **kwargs) == [
        "text: names 'Jordan Kim', whom the facts are not about"
    ]
    assert check_names("Ask Dr. Smith", **kwargs) == [
        "text: names 'Dr. Smith', whom the facts are not about"
    ]
    assert check_names("call P-999", **kwargs) == ["text: patient P-999 is not in the facts"]


def test_metric_name_constants_and_ranges() -> None:
    known = facts(fact("share", "VIP share", 0.384, "percent"), fact("lo", "Low", 0.35, "percent"))
    assert check_text("top 10% of patients bring 38% of 12-month revenue", known, as_of=DAY).passed
    assert not check_text("top 15% of patients bring 38%", known, as_of=DAY).passed
    # "35–50%" is two percentages: 35% is a fact, 50% is not.
    assert check_text("healthy 35–50%", known, as_of=DAY).reasons == ["text: '50%' matches no fact"]
