"""LangChain tools over the KPI, P&L and findings functions, for the chat and briefing agents.

Read-only. The model chooses only what to look at (a location among those allowed, a period);
*who may see what* comes from the caller through `config["configurable"]`:

- `organization_id` (int, required);
- `allowed_location_ids` (list of ints, required): the locations the asking user may see.
  A location outside this list is refused; with no location given, tools cover every allowed
  location (the whole organization only when all of its locations are allowed).

Both are checked by `store.scope.resolve_scope`; answers are as of the last day with any
activity (sales, appointment outcomes, leads) at the allowed locations.

The engine is bound when the tools are built (`make_tools(engine)`); nothing is created at
import time. Every figure returned carries its fact id so answers can cite it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from store import tables as t
from store.scope import ScopeError, resolve_scope
from tools.facts import Fact
from tools.findings import compute_findings
from tools.kpi_base import last_complete_month
from tools.kpis import (
    KpiSnapshot,
    cac_by_channel,
    kpi_snapshot,
    new_patient_funnel,
    provider_pnl,
    revenue_series,
    same_store_growth,
)
from tools.scope import Period, Scope

PERIOD_HELP = (
    "Which period: 'last-month' (the last complete calendar month, the default), a month "
    "'YYYY-MM', 'last-30d' (or last-Nd) ending on the last day with data, or "
    "'YYYY-MM-DD..YYYY-MM-DD'."
)
LOCATION_HELP = "Id of one location to look at; leave empty for every location the user may see."


class _Caller(BaseModel):
    organization_id: int
    allowed_location_ids: list[int]


def _caller(config: RunnableConfig) -> _Caller:
    configurable = (config or {}).get("configurable") or {}
    try:
        return _Caller(
            organization_id=configurable["organization_id"],
            allowed_location_ids=configurable["allowed_location_ids"],
        )
    except (KeyError, ValueError) as exc:
        raise ToolException(
            "tool misconfigured: config['configurable'] needs organization_id and "
            f"allowed_location_ids ({exc})"
        ) from None


class _Access:
    """What the caller may see, resolved against the store by `store.scope.resolve_scope`: the
    allowed locations of the organization and the last day with any activity at them (the as-of
    day of every answer). A scope that does not resolve is a `ToolException` with its message."""

    def __init__(self, engine: Engine, config: RunnableConfig) -> None:
        caller = _caller(config)
        self.engine = engine
        self.organization_id = caller.organization_id
        with engine.connect() as conn:
            try:
                resolved = resolve_scope(
                    conn,
                    org=caller.organization_id,
                    allowed_locations=caller.allowed_location_ids,
                )
            except ScopeError as exc:
                raise ToolException(str(exc)) from None
            org_locations = set(
                conn.execute(
                    select(t.location.c.id).where(
                        t.location.c.organization_id == caller.organization_id
                    )
                ).scalars()
            )
        self.allowed = list(resolved.allowed_location_ids)
        self.last_day: date = resolved.last_data_day
        self.everything = set(self.allowed) == org_locations

    def scopes(self, location_id: int | None) -> list[Scope]:
        """The scopes to answer for: one location, the organization, or each allowed one."""
        if location_id is not None:
            if location_id not in self.allowed:
                raise ToolException(
                    f"location {location_id} is not one you may see; allowed: {self.allowed}"
                )
            return [Scope(self.organization_id, location_id)]
        if self.everything:
            return [Scope(self.organization_id)]
        return [Scope(self.organization_id, lid) for lid in self.allowed]


def _period(access: _Access, text: str | None) -> Period:
    if not text or text == "last-month":
        return last_complete_month(access.last_day)
    try:
        return Period.parse(text, access.last_day)
    except ValueError as exc:
        raise ToolException(str(exc)) from None


def _fact_view(fact: Fact) -> dict[str, Any]:
    return {"fact_id": fact.id, "value": fact.value, "display": fact.display()}


def _snapshot_view(snapshot: KpiSnapshot) -> dict[str, Any]:
    kpis = []
    for entry in snapshot.entries:
        item: dict[str, Any] = {
            "kpi": entry.kpi,
            "label": entry.current.label,
            **_fact_view(entry.current.fact),
            "previous": _fact_view(entry.previous.fact),
            "change": entry.change,
        }
        if entry.industry is not None:
            item["industry_position"] = entry.industry.position
            item["industry_words"] = entry.industry.words
            bench = entry.industry.benchmark
            item["industry_ranges"] = {
                k: v
                for k, v in (
                    ("average", bench.average),
                    ("top", bench.top),
                    ("healthy", bench.healthy),
                    ("typical", bench.typical),
                )
                if v is not None
            }
        if entry.peers is not None and entry.peers.peers:
            item["peers"] = {
                "level": entry.peers.level,
                "rank": entry.peers.rank,
                "of": entry.peers.peers,
                "median": entry.peers.median,
                "best_id": entry.peers.best_id,
                "best_value": entry.peers.best_value,
            }
        kpis.append(item)
    return {
        "scope": snapshot.scope,
        "name": snapshot.name,
        "period": f"{snapshot.period_start}..{snapshot.period_end}",
        "previous_period": f"{snapshot.previous_start}..{snapshot.previous_end}",
        "kpis": kpis,
    }


# --------------------------------------------------------------------------- argument schemas


class KpiArgs(BaseModel):
    location_id: int | None = Field(default=None, description=LOCATION_HELP)
    period: str = Field(default="last-month", description=PERIOD_HELP)


class FindingsArgs(BaseModel):
    location_id: int | None = Field(default=None, description=LOCATION_HELP)
    limit: int = Field(default=10, ge=1, le=50, description="How many findings, largest first.")


class RevenueArgs(BaseModel):
    location_id: int | None = Field(default=None, description=LOCATION_HELP)
    start: date = Field(description="First local day, YYYY-MM-DD.")
    end: date = Field(description="Last local day, YYYY-MM-DD (inclusive).")
    grain: Literal["day", "week", "month"] = Field(default="week", description="Bucket size.")


class PortfolioArgs(BaseModel):
    period: str = Field(default="last-month", description=PERIOD_HELP)


# --------------------------------------------------------------------------- tools


def make_tools(engine: Engine) -> list[StructuredTool]:
    """The read-only tools, bound to `engine`; scope comes from each call's config."""

    def get_kpis(
        config: RunnableConfig, location_id: int | None = None, period: str = "last-month"
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        chosen = _period(access, period)
        return {
            "results": [
                _snapshot_view(kpi_snapshot(engine, scope, chosen))
                for scope in access.scopes(location_id)
            ]
        }

    def get_provider_pnl(
        config: RunnableConfig, location_id: int | None = None, period: str = "last-month"
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        chosen = _period(access, period)
        rows = []
        for scope in access.scopes(location_id):
            for row in provider_pnl(engine, scope, chosen):
                rows.append(
                    {
                        "provider_id": row.provider_id,
                        "provider": row.name,
                        "location": row.location_name,
                        "compensation_known": row.compensation_known,
                        "payroll_note": row.payroll_note,
                        "figures": [_fact_view(f) | {"label": f.label} for f in row.facts],
                    }
                )
        return {"period": chosen.label(), "providers": rows}

    def get_findings(
        config: RunnableConfig, location_id: int | None = None, limit: int = 10
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        drafts = []
        for scope in access.scopes(location_id):
            drafts.extend(
                compute_findings(
                    engine,
                    organization_id=scope.organization_id,
                    as_of=access.last_day,
                    location_id=scope.location_id,
                )
            )
        drafts.sort(key=lambda d: -d.dollars)
        return {
            "as_of": access.last_day.isoformat(),
            "findings": [
                {
                    "kind": d.kind,
                    "title": d.title,
                    "scope": d.scope,
                    "dollars": d.dollars,
                    "dollars_unit": "USD per month",
                    "formula": d.formula,
                    "recommended_action": d.recommended_action,
                    "period": f"{d.period_start}..{d.period_end}",
                    "facts": [_fact_view(f) for f in d.facts],
                }
                for d in drafts[:limit]
            ],
        }

    def get_revenue_series(
        config: RunnableConfig,
        start: date,
        end: date,
        location_id: int | None = None,
        grain: Literal["day", "week", "month"] = "week",
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        try:
            Period(start, end)
        except ValueError as exc:
            raise ToolException(str(exc)) from None
        return {
            "grain": grain,
            "series": [
                {
                    "scope": scope.key(),
                    "points": [
                        {"bucket": day.isoformat(), "net_revenue_usd": usd}
                        for day, usd in revenue_series(engine, scope, start, end, grain)
                    ],
                }
                for scope in access.scopes(location_id)
            ],
        }

    def get_portfolio(config: RunnableConfig, period: str = "last-month") -> dict[str, Any]:
        access = _Access(engine, config)
        chosen = _period(access, period)
        growth = same_store_growth(engine, access.organization_id, chosen)
        locations = [
            row.model_dump(mode="json")
            for row in growth.locations
            if row.location_id in access.allowed
        ]
        result: dict[str, Any] = {"period": chosen.label(), "locations": locations}
        if access.everything:
            result["same_store"] = [_fact_view(f) | {"label": f.label} for f in growth.facts]
        return result

    def get_acquisition(
        config: RunnableConfig, location_id: int | None = None, period: str = "last-month"
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        chosen = _period(access, period)
        results = []
        for scope in access.scopes(location_id):
            results.append(
                {
                    "scope": scope.key(),
                    "cac": [
                        _fact_view(k.fact) | {"channel": k.details["channel"]}
                        for k in cac_by_channel(engine, scope, chosen)
                    ],
                    "funnel": [
                        f.model_dump(mode="json", exclude={"facts"})
                        for f in new_patient_funnel(engine, scope, chosen)
                    ],
                }
            )
        return {"period": chosen.label(), "results": results}

    specs: list[tuple[Any, str, type[BaseModel], str]] = [
        (
            get_kpis,
            "get_kpis",
            KpiArgs,
            "Headline practice KPIs (net revenue, rebooking, retention, no-shows, utilization, "
            "revenue per provider hour, comp-to-production, VIP concentration, new patients, "
            "CAC, membership) for a location or all visible locations, with the previous "
            "period, the industry benchmark and the rank among the organization's locations. "
            "Cite figures by their fact_id.",
        ),
        (
            get_provider_pnl,
            "get_provider_pnl",
            KpiArgs,
            "Provider P&L for a period: production, compensation (payroll prorated by days; "
            "'unknown' when there is no payroll), cost of goods, profit and comp-to-production "
            "ratio per provider. Use for 'which provider is most profitable'.",
        ),
        (
            get_findings,
            "get_findings",
            FindingsArgs,
            "The biggest current gaps with dollars attached (rebooking gaps by provider, "
            "compensation outliers, CAC jumps, VIPs at risk, utilization gaps, no-show cost), "
            "largest first, each with its formula and evidence.",
        ),
        (
            get_revenue_series,
            "get_revenue_series",
            RevenueArgs,
            "Net revenue (USD) per day, week or month between two dates, for trends.",
        ),
        (
            get_portfolio,
            "get_portfolio",
            PortfolioArgs,
            "Same-store revenue growth versus a year earlier and the ranking of locations "
            "(locations open at least 13 months are comparable).",
        ),
        (
            get_acquisition,
            "get_acquisition",
            KpiArgs,
            "Patient acquisition: cost per new patient (CAC) by marketing channel and the "
            "lead → booked → completed → rebooked funnel by channel.",
        ),
    ]
    return [
        StructuredTool.from_function(
            func=function,
            name=name,
            description=description,
            args_schema=schema,
            handle_tool_error=True,
        )
        for function, name, schema, description in specs
    ]
