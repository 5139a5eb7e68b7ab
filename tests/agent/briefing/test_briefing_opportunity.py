"""The weekly total-opportunity section, rendered after the call list with the figures of
`tools.opportunity` on the hand-built practice (both DBs). The gatherer adds those facts on
Mondays (`agent.briefing.gather_tools.OPPORTUNITY_WEEKDAY`); here a static gatherer hands them
over with the sample briefing, so only the templates and the render hook are under test."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import run_briefing
from store.models import Patient
from tests.agent.briefing.sample import CANARY_PATIENTS, DAY, sample_gathered
from tests.tools import handmade
from tools.opportunity import total_opportunity


def _store(engine: Engine) -> None:
    """The hand-built practice plus the sample's two call-list patients."""
    handmade.build(engine)
    with Session(engine) as session:
        for pid, (first, last, phone, email) in CANARY_PATIENTS.items():
            session.add(
                Patient(
                    id=pid,
                    home_location_id=2,
                    first_name=first,
                    last_name=last,
                    phone_e164=phone,
                    email=email,
                )
            )
        session.commit()


def test_opportunity_section_after_the_call_list(engine: Engine) -> None:
    _store(engine)
    # As of 2026-11-02 (a Monday). Year Nov 3 2025 – Nov 2 2026: the rows of the year ending
    # Oct 31 in tests/tools/test_opportunity.py plus Ana's $40 retail sale of Nov 2 and Nov 1–2
    # of Cy's Nov 1–15 payroll. Back Bay compensation: Ana's production on her covered days
    # stays $1,500 (Nov 2 is not covered) → $32,532.61; capacity: Ana 1,540 / 2.5 h = $616/h
    # → (0.65 − 0.15625) × 16 × 616 = $4,866.40, + Ben $1,280 = $6,146.40; no-shows $653.13.
    # Austin compensation: payroll covers Sep 26–Nov 2 = 38 days, pay 1,000 + 2,600 +
    # 1,000 × 2/15 = $3,733.33 against $300 → (3,733.33/300 − 0.40) × 300 = $3,613.33 ×
    # 365/38 = $34,707.02. Total 6,146.40 + 32,532.61 + 653.13 + 34,707.02 = $74,039.16 on
    # revenue 2,399 + 40 + 300 = $2,739 → 2703.1%.
    found = total_opportunity(engine, organization_id=1, as_of=date(2026, 11, 2))
    gathered = sample_gathered()
    gathered.facts.extend(found.facts)
    gathered.opportunity_fact_ids = [f.id for f in found.facts]
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(gathered),
    )
    for text, heading in (
        (result.rendered.markdown, "## Total opportunity this week"),
        (result.rendered.text, "TOTAL OPPORTUNITY THIS WEEK"),
        (result.rendered.html, "Total opportunity this week"),
    ):
        assert heading in text
        section = text[text.index(heading) :]
        assert "$74,039" in section and "2703.1%" in section
        assert "$6,146" in section and "$67,240" in section and "$653" in section
    markdown = result.rendered.markdown
    assert markdown.index("## Call list") < markdown.index("## Total opportunity this week")


def test_no_section_without_opportunity_facts(engine: Engine) -> None:
    _store(engine)
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(sample_gathered()),
    )
    assert "Total opportunity" not in result.rendered.markdown
    assert "TOTAL OPPORTUNITY" not in result.rendered.text
