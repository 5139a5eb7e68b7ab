"""The real gather step: call the practice-intelligence tools for one scope and day.

For a location, or the whole organization (portfolio roll-up), as of day D:
- KPI snapshot of the 30 days ending D vs the 30 before, with benchmarks and peers
  (`tools.kpis.kpi_snapshot`), and net revenue on D itself;
- dollar-attached findings (`tools.findings.compute_findings`) and anomalies
  (`tools.anomalies.detect_anomalies`), stored by fingerprint with
  `persist_findings`; a finding first seen at or after the end of D is new in this briefing;
- at-risk patients for the call list (`agent.briefing.at_risk_source`);
- net revenue by week over the last 26 weeks (the trend chart);
- the revenue forecast (`tools.forecast.revenue_forecast`);
- for an organization: each location's snapshot, ranked by revenue, and same-store growth;
- on Mondays (the first briefing of the week) the total opportunity
  (`tools.opportunity.total_opportunity`), rendered after the call list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, select

from agent.briefing.at_risk_source import at_risk
from agent.briefing.state import Candidate, Gathered, PortfolioRow, Series
from store import tables as t
from tools.anomalies import detect_anomalies
from tools.facts import Fact, FactSet, FindingDraft
from tools.findings import compute_findings, persist_findings
from tools.forecast import RevenueForecast, revenue_forecast
from tools.kpis import (
    KpiEntry,
    KpiSnapshot,
    kpi_snapshot,
    location_snapshots,
    net_revenue,
    revenue_series,
    same_store_growth,
)
from tools.opportunity import total_opportunity
from tools.scope import Period, Scope
from tools.targets import Targets

KPI_DAYS = 30
TREND_WEEKS = 26
KPI_STRIP = ("net_revenue", "rebooking_rate", "no_show_rate", "utilization", "retention_12m")
OPPORTUNITY_WEEKDAY = 0  # Monday: the first briefing of the week carries the total opportunity
PORTFOLIO_COLUMNS = ("net_revenue", "rebooking_rate", "no_show_rate", "utilization")


def _directory(
    engine: Engine, organization_id: int
) -> tuple[str, dict[int, str], list[str], dict[str, str]]:
    """Organization name, location names by id, every staff and place name, and the display
    name of each scope key (`location:1` → "Back Bay", `provider:3` → "Jordan Whitley")."""
    with engine.connect() as conn:
        org = conn.execute(
            select(t.organization.c.name).where(t.organization.c.id == organization_id)
        ).scalar()
        if org is None:
            raise LookupError(f"no organization with id {organization_id}")
        locations = dict(
            conn.execute(
                select(t.location.c.id, t.location.c.name).where(
                    t.location.c.organization_id == organization_id
                )
            ).all()
        )
        by_id = {
            pid: f"{first} {last}"
            for pid, first, last in conn.execute(
                select(t.provider.c.id, t.provider.c.first_name, t.provider.c.last_name).where(
                    t.provider.c.location_id.in_(list(locations))
                )
            )
        }
    names = {f"location:{lid}": str(name) for lid, name in locations.items()}
    names |= {f"provider:{pid}": name for pid, name in by_id.items()}
    names[f"org:{organization_id}"] = str(org)
    return str(org), locations, [str(org), *locations.values(), *by_id.values()], names


def _first_seen(engine: Engine, finding_ids: list[int]) -> dict[int, datetime]:
    if not finding_ids:
        return {}
    f = t.finding
    with engine.connect() as conn:
        rows = conn.execute(select(f.c.id, f.c.first_seen_at).where(f.c.id.in_(finding_ids)))
        return {row.id: row.first_seen_at for row in rows}


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def candidate_from(
    draft: FindingDraft, *, is_new: bool, first_seen: date | None
) -> tuple[Candidate, list[Fact]]:
    """A finding draft as a ranking candidate, with its dollars as a citable fact."""
    facts = list(draft.facts)
    dollars_fact = next(
        (
            f
            for f in facts
            if f.unit == "USD"
            and isinstance(f.value, int | float)
            and abs(float(f.value) - draft.dollars) < 0.005
        ),
        None,
    )
    if dollars_fact is None:
        dollars_fact = Fact(
            id=f"{draft.kind}.{draft.fingerprint()[:12]}.dollars",
            label=f"Dollars at stake: {draft.title}",
            value=round(draft.dollars, 2),
            unit="USD",
            scope=draft.scope,
            period_start=draft.period_start,
            period_end=draft.period_end,
            source=draft.evidence.get("source", draft.kind),
        )
        facts.insert(0, dollars_fact)
    known = {f.id for f in facts}
    for key, value in draft.evidence.items():
        # A multiplier the tool wrote into its title ("up 1.7×") but kept only as evidence.
        fid = f"{dollars_fact.id.removesuffix('.dollars')}.{key}"
        if isinstance(value, list) and value and fid not in known:
            # "(3 days, …)": how many days/weeks the tool flagged, kept as an evidence list.
            facts.append(
                Fact(
                    id=fid,
                    label=f"Number of {key.replace('_', ' ')} flagged: {draft.title}",
                    value=len(value),
                    unit="count",
                    scope=draft.scope,
                    period_start=draft.period_start,
                    period_end=draft.period_end,
                    source=f"{dollars_fact.source} (evidence)",
                )
            )
        if key.endswith("ratio") and isinstance(value, int | float) and fid not in known:
            facts.append(
                Fact(
                    id=fid,
                    label="Now vs before (×)",
                    value=value,
                    unit="ratio",
                    scope=draft.scope,
                    period_start=draft.period_start,
                    period_end=draft.period_end,
                    source=f"{dollars_fact.source} (evidence)",
                )
            )
    candidate = Candidate(
        key=draft.fingerprint(),
        kind=draft.kind,
        title=draft.title,
        dollars=draft.dollars,
        dollars_fact_id=dollars_fact.id,
        action=draft.recommended_action,
        formula=draft.formula,
        fact_ids=[f.id for f in facts if f.id != dollars_fact.id],
        is_new=is_new,
        first_seen=first_seen,
        period_end=draft.period_end,
        location_id=draft.location_id,
        provider_id=draft.provider_id,
        source=facts[-1].source if facts else draft.kind,
    )
    return candidate, facts


def _comparison(entry: KpiEntry, facts: FactSet) -> list[str]:
    """[previous period's fact id, industry range low id, high id] of a KPI ("" when none);
    the facts are added to `facts`."""
    previous = entry.previous.fact.id if entry.previous.facts else ""
    if entry.previous.facts:
        facts.extend(entry.previous.facts[:1])
    low = high = ""
    if entry.industry is not None:
        by_end = {f.id.rsplit(".", 1)[-1]: f for f in entry.industry.facts}
        if "average_low" in by_end and "average_high" in by_end:
            facts.extend([by_end["average_low"], by_end["average_high"]])
            low, high = by_end["average_low"].id, by_end["average_high"].id
    return [previous, low, high]


class ToolsGatherer:
    """`Gatherer` backed by the tools. `persist=False` leaves the `Finding` table untouched
    (every finding then counts as new)."""

    def __init__(
        self,
        *,
        persist: bool = True,
        targets: Targets | None = None,
        footer_notes: Sequence[str] = (),
    ) -> None:
        self.persist = persist
        self.footer_notes = list(footer_notes)  # copied into `Gathered.footer_notes`
        self.targets = targets  # None: the seed's ranges (`Targets.default()`)
        self.timings: dict[str, float] = {}  # seconds per tool in the last call (benchmarks)

    def _timed(self, name: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        started = perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.timings[name] = perf_counter() - started

    def __call__(
        self, engine: Engine, *, organization_id: int, location_id: int | None, as_of: date
    ) -> Gathered:
        org_name, locations, directory, display_names = _directory(engine, organization_id)
        if location_id is not None and location_id not in locations:
            raise LookupError(
                f"location {location_id} is not a location of organization {organization_id}"
            )
        scope = Scope(organization_id, location_id)
        scope_key = scope.key()
        label = locations[location_id] if location_id is not None else org_name
        period = Period.trailing(KPI_DAYS, as_of)
        facts = FactSet()
        sources = ["tools.kpis", "tools.findings"]
        is_portfolio = location_id is None and len(locations) > 1
        trend_start = as_of - timedelta(weeks=TREND_WEEKS) + timedelta(days=1)

        self.timings = {}

        def call(name: str, function: Any) -> Any:
            return self._timed(
                name,
                function,
                engine,
                organization_id=organization_id,
                as_of=as_of,
                location_id=location_id,
            )

        # Sequential on purpose: the tools are CPU-bound Python/numpy, and threads made the
        # at-risk scoring three times slower under the GIL (measured: 2.6 s → 8.8 s).
        risky = call("at_risk", at_risk)
        snapshot = self._timed("kpi_snapshot", kpi_snapshot, engine, scope, period)
        drafts = list(
            self._timed(
                "findings",
                compute_findings,
                engine,
                organization_id=organization_id,
                as_of=as_of,
                location_id=location_id,
                targets=self.targets,
            )
        )
        anomalies: list[FindingDraft] = call("anomalies", detect_anomalies)
        forecast_result: RevenueForecast = call("forecast", revenue_forecast)
        day_revenue = self._timed("revenue", net_revenue, engine, scope, Period(as_of, as_of))
        daily = self._timed(
            "revenue_series", revenue_series, engine, scope, trend_start, as_of, "day"
        )
        growth = snapshots = None
        if is_portfolio:
            growth = self._timed(
                "same_store_growth", same_store_growth, engine, organization_id, period
            )
            snapshots = self._timed(
                "location_snapshots", location_snapshots, engine, organization_id, period
            )

        # KPIs: the day's revenue first, then the 30-day headline KPIs.
        kpi_ids: list[str] = []
        if day_revenue.facts:
            facts.extend(day_revenue.facts)
            kpi_ids.append(day_revenue.fact.id)
        facts.extend(snapshot.facts)
        by_kpi = {entry.kpi: entry for entry in snapshot.entries}
        compare: dict[str, list[str]] = {}
        for kpi in KPI_STRIP:
            entry = by_kpi.get(kpi)
            if entry is not None and entry.current.value is not None and entry.current.facts:
                kpi_ids.append(entry.current.fact.id)
                compare[entry.current.fact.id] = _comparison(entry, facts)

        # Findings and anomalies, stored by fingerprint for novelty.
        drafts += anomalies
        sources.append("tools.anomalies")
        candidates = self._timed("persist_findings", self._candidates, engine, drafts, as_of, facts)

        # At-risk patients: the call list, and a point of their own.
        sources.append(risky.source)
        facts.extend(risky.facts)
        total_id = None
        if risky.patients:
            # The point is about the patients one can call: the most valuable `POOL` of them.
            total_id = f"at_risk.{scope_key}.{as_of.isoformat()}.top_dollars"
            monthly_id = f"{total_id}_per_month"
            count_id = f"at_risk.{scope_key}.{as_of.isoformat()}.count"
            at_stake = round(sum(p.dollars_at_stake for p in risky.patients), 2)
            facts.add(
                Fact(
                    id=total_id,
                    label=f"Spend at stake over 12 months, the {len(risky.patients)} most "
                    f"valuable at-risk patients, {label}",
                    value=at_stake,
                    unit="USD",
                    scope=scope_key,
                    period_end=as_of,
                    source=risky.source,
                )
            )
            # Ranked against findings in their unit: dollars per month (12 months ÷ 12).
            facts.add(
                Fact(
                    id=monthly_id,
                    label=f"Spend at stake per month, the {len(risky.patients)} most valuable "
                    f"at-risk patients, {label}",
                    value=round(at_stake / 12, 2),
                    unit="USD",
                    scope=scope_key,
                    period_end=as_of,
                    source=risky.source,
                )
            )
            facts.add(
                Fact(
                    id=count_id,
                    label=f"At-risk patients in all, {label}",
                    value=risky.count,
                    unit="count",
                    scope=scope_key,
                    period_end=as_of,
                    source=risky.source,
                )
            )
            candidates.append(
                Candidate(
                    key=f"at_risk|{scope_key}",
                    kind="at_risk_patients",
                    title=f"{label}: high-value patients overdue for their next treatment",
                    dollars=facts[monthly_id].value,
                    dollars_fact_id=monthly_id,
                    action="Call the patients on the list below, most valuable first.",
                    formula=f"Σ dollars at stake over 12 months of the {len(risky.patients)} "
                    "at-risk patients with the most at stake (yearly value × chance they do not "
                    "return), ÷ 12 for a month",
                    fact_ids=[count_id, total_id],
                    location_id=location_id,
                    source=risky.source,
                )
            )

        # Trend chart: net revenue per 7 days ending on the briefing's day, so that the last
        # point is a whole week (calendar weeks would end on a partial one).
        weeks = [daily[i : i + 7] for i in range(0, len(daily) - len(daily) % 7, 7)]
        series = {
            "revenue": Series(
                key="revenue",
                label=f"Net revenue per week (7 days ending on the date), {label}",
                unit="USD",
                points=[
                    (chunk[-1][0].isoformat(), float(sum(value for _, value in chunk)))
                    for chunk in weeks
                ],
            )
        }

        forecast_facts = list(forecast_result.facts)
        facts.extend(forecast_facts)
        wanted = f"forecast.revenue.{scope_key.replace(':', '-')}.next-30d"
        kpi_ids += [f.id for f in forecast_facts if f.id == wanted][:1]
        sources.append("tools.forecast")

        portfolio: list[PortfolioRow] = []
        headers: list[str] = []
        if growth is not None and snapshots is not None:
            facts.extend(growth.facts)
            kpi_ids[1:1] = [f.id for f in growth.facts[:1]]  # right after the day's revenue
            portfolio = self._portfolio(snapshots, period, facts)
            headers = [
                "Net revenue (30 days)",
                "Growth vs a year earlier",
                "Rebooking rate",
                "No-show rate",
                "Utilization",
            ]
            sources.append("tools.portfolio")

        # The weekly total opportunity: in the first briefing of the week (Monday's).
        opportunity_ids: list[str] = []
        if as_of.weekday() == OPPORTUNITY_WEEKDAY:
            found = self._timed(
                "opportunity",
                total_opportunity,
                engine,
                organization_id=organization_id,
                as_of=as_of,
                location_id=location_id,
                targets=self.targets,
            )
            facts.extend(found.facts)
            opportunity_ids = [f.id for f in found.facts]
            sources.append("tools.opportunity")

        texts = [f.label for f in facts.values()] + [c.title for c in candidates] + [label]
        names = [name for name in directory if any(name in text for text in texts)]
        return Gathered(
            scope=scope_key,
            scope_label=label,
            organization_id=organization_id,
            location_id=location_id,
            for_date=as_of,
            facts=facts,
            kpi_fact_ids=kpi_ids,
            kpi_compare=compare,
            display_names=display_names,
            candidates=candidates,
            at_risk=risky.patients,
            at_risk_total_fact_id=total_id,
            series=series,
            portfolio=portfolio,
            portfolio_headers=headers,
            names=names,
            directory=directory,
            sources=sorted(set(sources)),
            opportunity_fact_ids=opportunity_ids,
            footer_notes=[*self.footer_notes, *([risky.note] if risky.note else [])],
        )

    def _candidates(
        self, engine: Engine, drafts: list[FindingDraft], as_of: date, facts: FactSet
    ) -> list[Candidate]:
        """Ranking candidates; a finding first stored at or after the end of `as_of` is new."""
        end_of_day = datetime.combine(as_of + timedelta(days=1), time(0), UTC)
        if self.persist:
            persisted = persist_findings(engine, drafts, now=end_of_day)
            seen = _first_seen(engine, [p.finding_id for p in persisted])
            pairs = [(p.draft, seen.get(p.finding_id)) for p in persisted]
        else:
            pairs = [(d, None) for d in drafts]
        candidates = []
        for draft, first in pairs:
            first_utc = _as_utc(first) if first else None
            candidate, draft_facts = candidate_from(
                draft,
                is_new=first_utc is None or first_utc >= end_of_day,
                first_seen=first_utc.date() if first_utc else None,
            )
            facts.extend(draft_facts)
            candidates.append(candidate)
        return candidates

    @staticmethod
    def _portfolio(
        snapshots: dict[int, KpiSnapshot], period: Period, facts: FactSet
    ) -> list[PortfolioRow]:
        """Each location's headline KPIs and year-over-year growth, best revenue first."""
        rows: list[tuple[float, PortfolioRow]] = []
        for location_id, snap in snapshots.items():
            by_kpi = {entry.kpi: entry for entry in snap.entries}
            fact_ids: list[str] = []
            for kpi in PORTFOLIO_COLUMNS:
                entry = by_kpi.get(kpi)
                if entry is not None and entry.current.facts:
                    facts.extend(entry.current.facts[:1])
                    fact_ids.append(entry.current.fact.id)
                else:
                    fact_ids.append("")
            growth_id = f"revenue_growth.location-{location_id}.{period.label()}"
            fact_ids.insert(1, growth_id if growth_id in facts else "")
            revenue = by_kpi.get("net_revenue")
            value = revenue.current.value if revenue and revenue.current.value else 0.0
            rows.append(
                (value, PortfolioRow(location_id=location_id, name=snap.name, fact_ids=fact_ids))
            )
        return [row for _, row in sorted(rows, key=lambda item: -item[0])]
