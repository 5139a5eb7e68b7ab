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

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from store import tables as t
from store.scope import ScopeError, resolve_scope
from tools.facts import Fact, FindingDraft, Unit
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

    def drafts(
        self, location_id: int | None, detect: Callable[..., list[FindingDraft]]
    ) -> list[FindingDraft]:
        """What `detect` (findings, anomalies) reports in each scope the caller may see, as of
        the last day with data, most dollars first."""
        found: list[FindingDraft] = []
        for scope in self.scopes(location_id):
            found.extend(
                detect(
                    self.engine,
                    organization_id=self.organization_id,
                    as_of=self.last_day,
                    location_id=scope.location_id,
                )
            )
        found.sort(key=lambda d: -d.dollars)
        return found


def _period(access: _Access, text: str | None) -> Period:
    if not text or text == "last-month":
        return last_complete_month(access.last_day)
    try:
        return Period.parse(text, access.last_day)
    except ValueError as exc:
        raise ToolException(str(exc)) from None


def _fact_view(fact: Fact) -> dict[str, Any]:
    return {
        "fact_id": fact.id,
        "value": fact.value,
        "display": fact.display(),
        "unit": fact.unit,
        "scope": fact.scope,
    }


def _labelled(fact: Fact) -> dict[str, Any]:
    """The view of a fact with its label (what the model quotes it by)."""
    return _fact_view(fact) | {"label": fact.label}


def _made(fact_id: str, label: str, value: float | int, unit: Unit = "count") -> dict[str, Any]:
    """The view of a fact a tool makes itself (a count or total over rows)."""
    fact = Fact(id=fact_id, label=label, value=value, unit=unit, scope="tool", source="chat")
    return _fact_view(fact) | {"label": label}


def _rate(slug: str, kind: str, key: str, label: str, value: float | None) -> dict[str, Any]:
    """A rate row of a tool result: a fact view, or the label with no value."""
    if value is None:
        return {"label": label, "value": None}
    return _made(f"{kind}.{slug}.{key}", label, round(value, 6), "percent")


def facts_in(result: Any) -> list[Fact]:
    """Every fact inside a tool result (any dict with `fact_id`, `value` and `unit`), so a
    writer's numbers can be verified against exactly what the tools returned."""
    found: dict[str, Fact] = {}

    def walk(node: Any, label: str) -> None:
        if isinstance(node, dict):
            here = str(node.get("label") or label)
            if "fact_id" in node and "unit" in node:
                found.setdefault(
                    node["fact_id"],
                    Fact(
                        id=node["fact_id"],
                        label=here,
                        value=node.get("value"),
                        unit=node["unit"],
                        scope=str(node.get("scope") or "tool"),
                        source="tools.langchain_tools",
                    ),
                )
            for value in node.values():
                walk(value, here)
        elif isinstance(node, list):
            for item in node:
                walk(item, label)

    walk(result, "")
    return list(found.values())


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


METRICS = (
    "net_revenue",
    "rebooking_rate",
    "retention_12m",
    "no_show_rate",
    "late_cancel_rate",
    "utilization",
    "revenue_per_provider_hour",
    "comp_to_production",
    "vip_concentration",
    "new_patients",
    "cac",
    "membership_mrr",
    "membership_churn",
)
Metric = Literal[
    "net_revenue",
    "rebooking_rate",
    "retention_12m",
    "no_show_rate",
    "late_cancel_rate",
    "utilization",
    "revenue_per_provider_hour",
    "comp_to_production",
    "vip_concentration",
    "new_patients",
    "cac",
    "membership_mrr",
    "membership_churn",
]


class MetricArgs(BaseModel):
    metric: Metric = Field(description="Which metric (an allowlisted KPI name).")
    by: Literal["none", "location", "provider"] = Field(
        default="none",
        description="'location' or 'provider' ranks every one the user may see; 'none' gives "
        "one value for the location (or all visible locations).",
    )
    location_id: int | None = Field(default=None, description=LOCATION_HELP)
    provider_id: int | None = Field(default=None, description="Id of one provider, optional.")
    category: str | None = Field(
        default=None,
        description="Service category filter (rebooking_rate only), e.g. 'filler'.",
    )
    period: str = Field(default="last-month", description=PERIOD_HELP)


class PatientListArgs(BaseModel):
    location_id: int | None = Field(default=None, description=LOCATION_HELP)
    limit: int = Field(default=10, ge=1, le=50, description="How many patients, top first.")


class VipArgs(PatientListArgs):
    lapsed_only: bool = Field(
        default=False, description="Only VIPs who have gone quiet (no visit, nothing booked)."
    )
    quiet_days: int = Field(
        default=120, ge=30, le=730, description="Days without a visit that count as quiet."
    )


class ForecastArgs(BaseModel):
    location_id: int | None = Field(default=None, description=LOCATION_HELP)


class PortfolioArgs(BaseModel):
    period: str = Field(default="last-month", description=PERIOD_HELP)


def _user_errors(function: Any) -> Any:
    """A tool whose data cannot answer (too few patients to fit a model, a bad scope) returns
    the one-line reason to the caller as a tool error instead of raising."""

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ToolException:
            raise
        except ValueError as exc:  # ScopeError included
            raise ToolException(str(exc)) from None

    return wrapped


# --------------------------------------------------------------------------- metric query


def _metric_function(metric: str, category: str | None) -> Any:
    from tools import kpis

    function = getattr(kpis, metric)
    if category is None:
        return function

    def with_category(engine: Engine, scope: Scope, period: Period) -> Any:
        return function(engine, scope, period, category=category)

    return with_category


def _subjects(
    engine: Engine,
    access: _Access,
    by: str,
    location_id: int | None,
    provider_id: int | None,
) -> list[tuple[Scope, str]]:
    """The scopes a metric query covers, each with its display name; only allowed locations."""
    org = access.organization_id
    locations = [location_id] if location_id is not None else access.allowed
    for lid in locations:
        access.scopes(lid)  # refuses a location the caller may not see
    with engine.connect() as conn:
        names = dict(
            conn.execute(
                select(t.location.c.id, t.location.c.name).where(t.location.c.id.in_(locations))
            ).all()
        )
        providers = conn.execute(
            select(
                t.provider.c.id,
                t.provider.c.location_id,
                t.provider.c.first_name,
                t.provider.c.last_name,
            )
            .where(t.provider.c.location_id.in_(locations))
            .order_by(t.provider.c.id)
        ).all()
    if provider_id is not None:
        row = next((p for p in providers if p.id == provider_id), None)
        if row is None:
            raise ToolException(f"provider {provider_id} is not at a location you may see")
        return [(Scope(org, row.location_id, row.id), f"{row.first_name} {row.last_name}")]
    if by == "provider":
        return [
            (Scope(org, p.location_id, p.id), f"{p.first_name} {p.last_name}") for p in providers
        ]
    if by == "location":
        return [(Scope(org, lid), str(names[lid])) for lid in locations]
    return [
        (scope, str(names.get(scope.location_id, "all locations")))
        for scope in access.scopes(location_id)
    ]


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
                        "figures": [_labelled(f) for f in row.facts],
                    }
                )
        return {"period": chosen.label(), "providers": rows}

    def get_findings(
        config: RunnableConfig, location_id: int | None = None, limit: int = 10
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        drafts = access.drafts(location_id, compute_findings)
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
            result["same_store"] = [_labelled(f) for f in growth.facts]
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

    def query_metric(
        config: RunnableConfig,
        metric: str,
        by: str = "none",
        location_id: int | None = None,
        provider_id: int | None = None,
        category: str | None = None,
        period: str = "last-month",
    ) -> dict[str, Any]:
        access = _Access(engine, config)
        chosen = _period(access, period)
        if metric not in METRICS:
            raise ToolException(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
        if category is not None and metric != "rebooking_rate":
            raise ToolException("a service category filter applies to rebooking_rate only")
        function = _metric_function(metric, category)
        subjects = _subjects(engine, access, by, location_id, provider_id)
        rows = []
        for scope, name in subjects:
            try:
                value = function(engine, scope, chosen)
            except ScopeError as exc:
                raise ToolException(str(exc)) from None
            rows.append(
                {"subject": scope.key(), "name": name, "label": value.fact.label}
                | _fact_view(value.fact)
            )
        ranked = [r for r in rows if r["value"] is not None]
        ranked.sort(key=lambda r: r["value"])
        return {
            "metric": metric,
            "period": chosen.label(),
            "category": category,
            "rows": rows,
            "lowest": ranked[0]["subject"] if ranked else None,
            "highest": ranked[-1]["subject"] if ranked else None,
        }

    def get_at_risk(
        config: RunnableConfig, location_id: int | None = None, limit: int = 10
    ) -> dict[str, Any]:
        from tools.at_risk import at_risk_patients

        access = _Access(engine, config)
        patients = []
        for scope in access.scopes(location_id):
            patients.extend(
                at_risk_patients(
                    engine,
                    as_of=access.last_day,
                    organization_id=access.organization_id,
                    location_id=scope.location_id,
                )
            )
        patients.sort(key=lambda p: (-p.dollars_at_stake, p.patient_id))
        total = round(sum(float(p.dollars_at_stake) for p in patients), 2)
        return {
            "as_of": access.last_day.isoformat(),
            "count": _made(
                f"at_risk.count.{access.last_day.isoformat()}", "Patients at risk", len(patients)
            ),
            "total": _made(
                f"at_risk.total.{access.last_day.isoformat()}",
                "Dollars at stake, all at-risk patients",
                total,
                "USD",
            ),
            "patients": [
                {
                    "patient": p.pseudonym,
                    "location_id": p.location_id,
                    "last_treatment": p.last_treatment_category,
                    "last_visit": p.last_visit.isoformat(),
                    "figures": [_labelled(f) for f in p.facts],
                }
                for p in patients[:limit]
            ],
        }

    def get_vips(
        config: RunnableConfig,
        location_id: int | None = None,
        limit: int = 10,
        lapsed_only: bool = False,
        quiet_days: int = 120,
    ) -> dict[str, Any]:
        from tools.vip import lapsing_vips, vip_list

        access = _Access(engine, config)
        chosen = Period.trailing(1, access.last_day)
        rows: list[Any] = []
        for scope in access.scopes(location_id):
            if lapsed_only:
                rows.extend(lapsing_vips(engine, scope, chosen, quiet_days=quiet_days))
            else:
                rows.extend(vip_list(engine, scope, chosen))
        rows.sort(key=lambda v: (-v.revenue_12m, v.patient_id))
        day = access.last_day.isoformat()
        return {
            "as_of": day,
            "lapsed_only": lapsed_only,
            "count": _made(
                f"vips.count.{day}", "lapsed VIPs" if lapsed_only else "VIPs", len(rows)
            ),
            "patients": [
                {
                    "patient": v.patient,
                    "last_visit": v.last_visit.isoformat() if v.last_visit else None,
                    "revenue_12m": _made(
                        f"vips.{v.patient}.revenue_12m.{day}",
                        f"Net spend in the last 12 months, {v.patient}",
                        v.revenue_12m,
                        "USD",
                    ),
                    "days_since_visit": getattr(v, "days_since_visit", None),
                }
                for v in rows[:limit]
            ],
        }

    def get_anomalies(
        config: RunnableConfig, location_id: int | None = None, limit: int = 10
    ) -> dict[str, Any]:
        from tools.anomalies import detect_anomalies

        access = _Access(engine, config)
        drafts = access.drafts(location_id, detect_anomalies)
        return {
            "as_of": access.last_day.isoformat(),
            "anomalies": [
                {
                    "kind": d.kind,
                    "title": d.title,
                    "scope": d.scope,
                    "period": f"{d.period_start}..{d.period_end}",
                    "formula": d.formula,
                    "facts": [_labelled(f) for f in d.facts],
                }
                for d in drafts[:limit]
            ],
        }

    def _organization_tool(
        config: RunnableConfig, location_id: int | None, run: Callable[..., Any]
    ) -> tuple[_Access, list[tuple[str, Any]]]:
        """`run(engine, organization_id=…, as_of=…, location_id=…)` for each visible scope."""
        access = _Access(engine, config)
        found = [
            (
                scope.key(),
                run(
                    engine,
                    organization_id=access.organization_id,
                    as_of=access.last_day,
                    location_id=scope.location_id,
                ),
            )
            for scope in access.scopes(location_id)
        ]
        return access, found

    def get_forecast(config: RunnableConfig, location_id: int | None = None) -> dict[str, Any]:
        from tools.forecast import revenue_forecast

        # A location's forecast holds only that location's facts (tools.forecast._only).
        access, found = _organization_tool(config, location_id, revenue_forecast)
        return {
            "as_of": access.last_day.isoformat(),
            "results": [
                {"scope": key, "facts": [_labelled(f) for f in forecast.facts]}
                for key, forecast in found
            ],
        }

    def get_more_metrics(
        config: RunnableConfig, location_id: int | None = None, period: str = "last-month"
    ) -> dict[str, Any]:
        from tools.seed_metrics import more_metrics

        access = _Access(engine, config)
        chosen = _period(access, period)
        results = []
        for scope in access.scopes(location_id):
            more = more_metrics(engine, scope, chosen)
            slug = f"{scope.key().replace(':', '-')}.{chosen.label()}"

            results.append(
                {
                    "scope": scope.key(),
                    "kpis": [_labelled(k.fact) for k in more.kpis],
                    "rebooking_by_cohort": [
                        _rate(
                            slug,
                            "rebooking_by_cohort",
                            r.cohort,
                            f"Rebooking, {r.cohort} patients",
                            r.rate,
                        )
                        for r in more.rebooking_by_cohort
                    ],
                    "rebooking_by_treatment": [
                        _rate(
                            slug,
                            "rebooking_by_treatment",
                            r.category,
                            f"Rebooking, {r.category}",
                            r.rate,
                        )
                        for r in more.rebooking_by_treatment
                    ],
                    "cac_by_first_treatment": [
                        _made(
                            f"cac_by_first_treatment.{slug}.{r.category}",
                            f"CAC, first treatment {r.category}",
                            r.cac or 0.0,
                            "USD",
                        )
                        for r in more.cac_by_first_treatment
                    ],
                    "margin_by_location": [
                        _rate(
                            slug,
                            "gross_margin",
                            f"location-{m.location_id}",
                            f"Gross margin, {m.name}",
                            m.margin,
                        )
                        for m in more.treatment_mix
                    ],
                    "revenue_per_provider_hour_after_pay": [
                        _labelled(k.fact) for k in more.provider_hours if k.value is not None
                    ],
                    "utilization_by_weekday": [
                        _rate(
                            slug,
                            "utilization_by_weekday",
                            d.weekday_name,
                            f"Utilization, {d.weekday_name}",
                            d.utilization,
                        )
                        for d in more.weekdays
                    ],
                    "best_slots": [
                        _made(
                            f"revenue_per_booked_hour.{slug}.{c.weekday_name}-{c.hour:02d}",
                            f"Revenue per booked hour, {c.weekday_name} {c.hour:02d}:00",
                            round(c.revenue_per_booked_hour or 0.0, 2),
                            "USD",
                        )
                        for c in more.best_slots
                    ],
                }
            )
        return {"period": chosen.label(), "results": results}

    def get_opportunity(config: RunnableConfig, location_id: int | None = None) -> dict[str, Any]:
        from tools.opportunity import total_opportunity

        access, found = _organization_tool(config, location_id, total_opportunity)
        return {
            "as_of": access.last_day.isoformat(),
            "results": [
                {
                    "scope": key,
                    "facts": [_labelled(f) for f in opportunity.facts],
                    "formulas": {
                        f"{row.name}: {g.label}": g.formula
                        for row in opportunity.by_location
                        for g in row.gaps
                    },
                }
                for key, opportunity in found
            ],
        }

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
        (
            query_metric,
            "query_metric",
            MetricArgs,
            "One metric from an allowlist, for one location/provider or ranked across the "
            "locations or providers the user may see (lowest and highest named), for a period; "
            "rebooking can be filtered by service category. Use for 'which provider has the "
            "lowest rebooking on filler' or 'compare no-shows across locations'.",
        ),
        (
            get_at_risk,
            "get_at_risk",
            PatientListArgs,
            "Patients overdue for their usual visit, ranked by dollars at stake (pseudonyms "
            "P-123 only), with the count and total dollars at stake.",
        ),
        (
            get_vips,
            "get_vips",
            VipArgs,
            "VIP patients (top 10% by net spend over the last 12 months), optionally only those "
            "who have gone quiet (no visit for quiet_days, nothing booked). Pseudonyms only.",
        ),
        (
            get_anomalies,
            "get_anomalies",
            PatientListArgs,
            "Unusual days or weeks in the last four weeks (revenue drops, no-show spikes, ...) "
            "with the usual level they depart from. Use for 'why did revenue drop'.",
        ),
        (
            get_forecast,
            "get_forecast",
            ForecastArgs,
            "Net revenue expected over the next 30, 60 and 90 days (booked plus expected).",
        ),
        (
            get_more_metrics,
            "get_more_metrics",
            KpiArgs,
            "Further metrics for a period: cost per lead, revenue per patient, cost per "
            "retained patient, membership revenue per member and conversion, rebooking by "
            "patient cohort (new/returning) and by treatment, CAC by first treatment, gross "
            "margin per location, revenue per provider hour after compensation, utilization "
            "by weekday and the best slots by revenue per booked hour.",
        ),
        (
            get_opportunity,
            "get_opportunity",
            ForecastArgs,
            "Total opportunity: what closing the rebooking, capacity, provider compensation, "
            "retention and no-show gaps to their targets is worth per year, and as a share of "
            "revenue, per location and in all.",
        ),
    ]
    return [
        StructuredTool.from_function(
            func=_user_errors(function),
            name=name,
            description=description,
            args_schema=schema,
            handle_tool_error=True,
        )
        for function, name, schema, description in specs
    ]
