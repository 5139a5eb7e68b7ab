"""Issue 13 item 5 and item 7 on the demo practice (both DBs): the rebooking rate a location's
briefing states in a point is the rate of its KPI table (one metric, scope and period → one
value), and the Monday briefing carries the weekly total opportunity after the call list while
the Tuesday one does not. The values come from the tools (tested by hand in tests/tools); here
only their agreement across the briefing is asserted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import run_briefing
from tools.operations import rebooking_rate
from tools.scope import Period, Scope


def test_rebooking_point_and_table_agree_and_monday_has_the_opportunity(
    demo_engine: tuple[Engine, dict],
) -> None:
    engine, manifest = demo_engine
    org = manifest["organization_id"]
    last = date.fromisoformat(manifest["as_of"])  # 2026-11-24, a Tuesday
    monday = date(2026, 11, 23)
    assert monday.weekday() == 0 and last.weekday() == 1
    for day in (monday, last):
        result = run_briefing(
            engine,
            organization_id=org,
            location_id=1,
            for_date=day,
            gatherer=ToolsGatherer(persist=False),
        )
        facts = result.gathered.facts.facts
        table = rebooking_rate(engine, Scope(org, 1), Period.trailing(30, day))
        assert table.fact.id in facts and facts[table.fact.id].value == table.fact.value
        gaps = [
            c
            for c in result.gathered.candidates
            if c.kind == "rebooking_gap" and c.location_id == 1 and c.provider_id is None
        ]
        assert gaps  # Back Bay rebooks below the 60% target on both days
        for gap in gaps:
            stated = [
                float(facts[f].value or 0.0)
                for f in gap.fact_ids
                if f in facts and f.endswith(".actual")
            ]
            assert stated and all(abs(v - float(table.value or 0.0)) < 1e-4 for v in stated), (
                stated,
                table.value,
            )
        markdown = result.rendered.markdown
        if day == monday:
            assert markdown.index("## Call list") < markdown.index("## Total opportunity")
            assert "Total opportunity per year" in markdown
        else:
            assert "Total opportunity" not in markdown
