"""The LangChain tools, called the way an agent calls them (a tool call + config); no LLM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import BaseModel
from sqlalchemy import Engine

from tests.tools import handmade
from tools.langchain_tools import make_tools


@pytest.fixture
def tools(engine: Engine) -> dict[str, StructuredTool]:
    handmade.build(engine)
    return {tool.name: tool for tool in make_tools(engine)}


def call(tool: StructuredTool, args: dict[str, Any], allowed: list[int]) -> ToolMessage:
    """What an agent does: a tool call produced by the model, the scope from the caller."""
    message = tool.invoke(
        {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args},
        config={"configurable": {"organization_id": 1, "allowed_location_ids": allowed}},
    )
    assert isinstance(message, ToolMessage)
    return message


def content(message: ToolMessage) -> Any:
    assert isinstance(message.content, str)
    return json.loads(message.content)


def properties_of(tool: StructuredTool) -> dict[str, Any]:
    schema = tool.tool_call_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel)
    return dict(schema.model_json_schema()["properties"])


def test_schemas_expose_only_what_the_model_chooses(tools: dict[str, StructuredTool]) -> None:
    assert set(tools) == {
        "get_kpis",
        "get_provider_pnl",
        "get_findings",
        "get_revenue_series",
        "get_portfolio",
        "get_acquisition",
        "query_metric",
        "get_at_risk",
        "get_vips",
        "get_anomalies",
        "get_forecast",
        "get_more_metrics",
        "get_opportunity",
    }
    for tool in tools.values():
        properties = properties_of(tool)
        assert "config" not in properties and "allowed_location_ids" not in properties
        assert "organization_id" not in properties
        assert len(tool.description) > 40
    assert set(properties_of(tools["get_kpis"])) == {
        "location_id",
        "period",
    }


def test_kpis_for_an_allowed_location(tools: dict[str, StructuredTool]) -> None:
    message = call(tools["get_kpis"], {"location_id": 1, "period": "2026-10"}, allowed=[1])
    assert message.status == "success"
    (result,) = content(message)["results"]
    rebooking = next(k for k in result["kpis"] if k["kpi"] == "rebooking_rate")
    # 3 of 5 eligible October visits at Back Bay were rebooked (see handmade.py).
    assert rebooking["fact_id"] == "rebooking_rate.location-1.2026-10"
    assert rebooking["display"] == "60.0%"


def test_a_location_outside_the_callers_scope_is_refused(tools: dict[str, StructuredTool]) -> None:
    message = call(tools["get_kpis"], {"location_id": 2}, allowed=[1])
    assert message.status == "error"
    assert "location 2 is not one you may see" in str(message.content)


def test_no_location_means_every_allowed_location(tools: dict[str, StructuredTool]) -> None:
    # Only Back Bay allowed: the P&L lists Back Bay's providers (Ana, Ben), never Austin's Cy.
    message = call(tools["get_provider_pnl"], {"period": "2026-10"}, allowed=[1])
    providers = content(message)["providers"]
    assert {p["provider"] for p in providers} == {"Ana Test", "Ben Test"}
    ben = next(p for p in providers if p["provider"] == "Ben Test")
    assert ben["compensation_known"] is False
    # Both locations allowed = the organization: one org-wide snapshot.
    whole = content(call(tools["get_kpis"], {"period": "2026-10"}, allowed=[1, 2]))
    assert [r["scope"] for r in whole["results"]] == ["org:1"]


def test_default_period_is_the_last_complete_month(tools: dict[str, StructuredTool]) -> None:
    # The last sale is on 2026-11-02, so "last-month" is October 2026.
    message = call(tools["get_portfolio"], {}, allowed=[1, 2])
    result = content(message)
    assert result["period"] == "2026-10"
    assert result["same_store"][0]["fact_id"] == "same_store_growth.org-1.2026-10"
    series = call(
        tools["get_revenue_series"],
        {"location_id": 1, "start": "2026-10-01", "end": "2026-11-30", "grain": "month"},
        allowed=[1],
    )
    points = content(series)["series"][0]["points"]
    assert points == [
        {"bucket": "2026-10-01", "net_revenue_usd": 2399.0},
        {"bucket": "2026-11-01", "net_revenue_usd": 40.0},
    ]


def test_missing_caller_scope_is_an_error(tools: dict[str, StructuredTool]) -> None:
    message = tools["get_findings"].invoke(
        {"type": "tool_call", "id": "c", "name": "get_findings", "args": {}},
        config={"configurable": {}},
    )
    assert message.status == "error"
    assert "allowed_location_ids" in str(message.content)


def test_more_metrics_tool(tools: dict[str, StructuredTool]) -> None:
    # Back Bay, October (the last complete month before 2026-11-02); figures worked out in
    # tests/tools/test_seed_metrics.py: $900 / 4 leads, $2,399 / 6 patients, new 50%.
    data = content(call(tools["get_more_metrics"], {"location_id": 1}, [1, 2]))
    assert data["period"] == "2026-10"
    (result,) = data["results"]
    by_label = {k["label"].split(",")[0]: k["value"] for k in result["kpis"]}
    assert by_label["Cost per lead"] == 225.0
    assert by_label["Revenue per patient"] == pytest.approx(399.83)
    cohorts = {r["label"]: r["value"] for r in result["rebooking_by_cohort"]}
    assert cohorts == {"Rebooking, new patients": 0.5, "Rebooking, returning patients": 1.0}


def test_opportunity_tool_respects_the_callers_locations(
    tools: dict[str, StructuredTool],
) -> None:
    # As of 2026-11-02 (tests/agent/briefing/test_briefing_opportunity.py): the organization
    # $74,039.16 a year. A caller who sees only Austin gets Austin's last day with data,
    # Oct 12: Cy's payroll covers Sep 26–Oct 12 = 10 + 7 days, pay 1,000 + 2,600 × 7/26 =
    # $1,700 against $300 → (1,700/300 − 0.40) × 300 = $1,580 × 365/17 = $33,923.53.
    data = content(call(tools["get_opportunity"], {}, [1, 2]))
    (org,) = data["results"]
    totals = {f["fact_id"]: f["value"] for f in org["facts"]}
    assert totals["opportunity.org-1.2026-11-02.total"] == pytest.approx(74_039.15, abs=0.02)
    data = content(call(tools["get_opportunity"], {}, [2]))
    (austin,) = data["results"]
    assert austin["scope"] == "location:2"
    totals = {f["fact_id"]: f["value"] for f in austin["facts"]}
    assert totals["opportunity.location-2.2026-10-12.total"] == pytest.approx(33_923.53)
    assert all("Back Bay" not in key for key in austin["formulas"])
