"""Practice KPIs: the single source of every number Clarity shows.

Each KPI is a function `(engine, scope, period, **options) -> KpiValue` whose docstring states
its definition (DESIGN.md "Definitions"); all are computed in SQL (SQLAlchemy Core, grouped in
the database) and run on SQLite and PostgreSQL. This module gathers them and adds
`kpi_snapshot`: every headline KPI of a scope with the previous period, the industry benchmark
and the portfolio peers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select

from store import tables as t
from tools.benchmarks import (
    BenchmarkComparison,
    PeerComparison,
    compare_to_industry,
    compare_to_peers,
    higher_is_better,
)
from tools.facts import Fact, FactSet
from tools.kpi_base import GroupBy, KpiValue, Resolved, ScopeError, fact_id, ratio, resolve
from tools.marketing import (
    ChannelFunnel,
    ChannelLtv,
    cac,
    cac_by_channel,
    marketing_ltv,
    new_patient_funnel,
    new_patients,
)
from tools.membership import (
    membership_churn,
    membership_conversion,
    membership_mrr,
    revenue_per_member,
)
from tools.operations import (
    Grain,
    attendance_counts,
    buckets,
    capacity_counts,
    late_cancel_rate,
    net_revenue,
    no_show_rate,
    rebooking_counts,
    rebooking_rate,
    retention_12m,
    revenue_counts,
    revenue_per_provider_hour,
    revenue_series,
    utilization,
)
from tools.pnl import ProviderPnl, comp_ratio_counts, comp_to_production, provider_pnl
from tools.portfolio import (
    LocationGrowth,
    SameStoreGrowth,
    ServiceMix,
    same_store_growth,
    treatment_mix,
)
from tools.scope import Period, Scope
from tools.vip import LapsingVip, VipPatient, lapsing_vips, vip_concentration, vip_list

__all__ = [
    "ChannelFunnel",
    "ChannelLtv",
    "KpiEntry",
    "KpiSnapshot",
    "KpiValue",
    "LapsingVip",
    "LocationGrowth",
    "ProviderPnl",
    "SameStoreGrowth",
    "ScopeError",
    "ServiceMix",
    "VipPatient",
    "cac",
    "cac_by_channel",
    "comp_to_production",
    "kpi_series",
    "kpi_snapshot",
    "lapsing_vips",
    "late_cancel_rate",
    "location_snapshots",
    "marketing_ltv",
    "membership_churn",
    "membership_conversion",
    "membership_mrr",
    "net_revenue",
    "new_patient_funnel",
    "new_patients",
    "no_show_rate",
    "previous_period",
    "provider_pnl",
    "rebooking_rate",
    "retention_12m",
    "revenue_per_member",
    "revenue_per_provider_hour",
    "revenue_series",
    "same_store_growth",
    "treatment_mix",
    "utilization",
    "vip_concentration",
    "vip_list",
]

KpiFunction = Callable[[Engine, Scope, Period], KpiValue]

# Headline KPIs of a snapshot, in display order, and whether they apply to a provider scope.
HEADLINE: tuple[tuple[str, KpiFunction, bool], ...] = (
    ("net_revenue", net_revenue, True),
    ("rebooking_rate", rebooking_rate, True),
    ("retention_12m", retention_12m, True),
    ("no_show_rate", no_show_rate, True),
    ("late_cancel_rate", late_cancel_rate, True),
    ("utilization", utilization, True),
    ("revenue_per_provider_hour", revenue_per_provider_hour, True),
    ("comp_to_production", comp_to_production, True),
    ("vip_concentration", vip_concentration, False),
    ("new_patients", new_patients, False),
    ("cac", cac, False),
    ("membership_mrr", membership_mrr, False),
    ("membership_churn", membership_churn, False),
)


class KpiEntry(BaseModel):
    kpi: str
    current: KpiValue
    previous: KpiValue
    change: float | None = Field(description="current − previous (fraction points for %).")
    higher_is_better: bool | None = Field(
        default=None, description="The metric's direction; None for range metrics (comp ratio)."
    )
    industry: BenchmarkComparison | None = None
    peers: PeerComparison | None = None


class KpiSnapshot(BaseModel):
    """All headline KPIs of one scope for one period, with context, and every fact behind them."""

    scope: str
    name: str
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    entries: list[KpiEntry]
    facts: list[Fact]

    def get(self, kpi: str) -> KpiEntry:
        for entry in self.entries:
            if entry.kpi == kpi:
                return entry
        raise KeyError(kpi)

    def fact_set(self) -> FactSet:
        facts = FactSet()
        facts.extend(self.facts)
        return facts


def previous_period(period: Period) -> Period:
    """The calendar month before a calendar-month period; otherwise the same number of days
    just before it."""
    if period.label() == f"{period.start:%Y-%m}":
        last = period.start - timedelta(days=1)
        return Period.month(last.year, last.month)
    return period.previous()


def kpi_series(
    engine: Engine,
    scope: Scope,
    kpi: KpiFunction,
    start: date,
    end: date,
    grain: Grain = "week",
) -> list[tuple[Period, KpiValue]]:
    """Any period KPI (e.g. `rebooking_rate`, `no_show_rate`) per day, week (Monday–Sunday) or
    calendar month from `start` to `end`; the first and last buckets are clipped to the range.
    One SQL evaluation per bucket."""
    return [(bucket, kpi(engine, scope, bucket)) for bucket in buckets(start, end, grain)]


# --------------------------------------------------------------------------- peers

PeerValues = dict[str, dict[int, float | None]]


def peer_values(conn: Connection, org: Resolved, period: Period, level: GroupBy) -> PeerValues:
    """Values of the peer-comparable KPIs for every location (or provider) of the organization,
    one grouped query per KPI."""
    values: PeerValues = {}
    reb = rebooking_counts(conn, org, period, group=level)
    values["rebooking_rate"] = {k: ratio(r, e) for k, (e, r, _) in reb.items() if k is not None}
    att = attendance_counts(conn, org, period, group=level)
    values["no_show_rate"] = {
        k: ratio(c["no_show"], c["completed"] + c["no_show"]) for k, c in att.items() if k
    }
    values["late_cancel_rate"] = {
        k: ratio(c["late_cancel"], c["completed"] + c["no_show"] + c["late_cancel"])
        for k, c in att.items()
        if k
    }
    cap = capacity_counts(conn, org, period, group=level)
    values["utilization"] = {k: ratio(b, a) for k, (b, a) in cap.items() if k is not None}
    rev = revenue_counts(conn, org, period, group=level)
    values["net_revenue"] = {k: v / 100.0 for k, v in rev.items() if k is not None}
    prod = revenue_counts(conn, org, period, group=level, providers_only=True)
    values["revenue_per_provider_hour"] = {
        k: ratio(prod.get(k, 0) / 100.0, a / 60.0) for k, (_, a) in cap.items() if k is not None
    }
    comp = comp_ratio_counts(conn, org, period)
    if level == "provider":
        values["comp_to_production"] = {
            k: ratio(c, n) if n > 0 else None for k, (c, n, _) in comp.items()
        }
    else:
        home = dict(
            conn.execute(
                select(t.provider.c.id, t.provider.c.location_id).where(
                    t.provider.c.location_id.in_(org.location_ids)
                )
            ).all()
        )
        sums: dict[int, list[float]] = {}
        for pid, (c, n, _) in comp.items():
            acc = sums.setdefault(home[pid], [0.0, 0.0])
            acc[0] += c
            acc[1] += n
        values["comp_to_production"] = {
            k: ratio(c, n) if n > 0 else None for k, (c, n) in sums.items()
        }
    return values


# --------------------------------------------------------------------------- snapshot


def _entry(
    kpi: str,
    function: KpiFunction,
    engine: Engine,
    scope: Scope,
    period: Period,
    previous: Period,
    peers: PeerValues | None,
    subject: tuple[GroupBy, int] | None,
) -> KpiEntry:
    current = function(engine, scope, period)
    before = function(engine, scope, previous)
    change = (
        None
        if current.value is None or before.value is None
        else round(current.value - before.value, 6)
    )
    peer = None
    if peers is not None and subject is not None and kpi in peers:
        level, subject_id = subject
        peer = compare_to_peers(kpi, subject_id, peers[kpi], level=level)
    return KpiEntry(
        kpi=kpi,
        current=current,
        previous=before,
        change=change,
        higher_is_better=higher_is_better(kpi),
        industry=compare_to_industry(kpi, current.value),
        peers=peer,
    )


def _entry_facts(entry: KpiEntry, scope_key: str, period: Period) -> list[Fact]:
    facts = [*entry.current.facts, *entry.previous.facts]
    unit = entry.current.unit
    if entry.change is not None:
        facts.append(
            Fact(
                id=fact_id(entry.kpi, scope_key, period, "change"),
                label=f"Change in {entry.current.label} vs the previous period",
                value=entry.change,
                unit=unit,
                scope=scope_key,
                period_start=period.start,
                period_end=period.end,
                source="tools.kpis.kpi_snapshot",
            )
        )
    if entry.industry is not None:
        facts.extend(entry.industry.facts)
    if entry.peers is not None and entry.peers.peers:
        for suffix, title, value, peer_unit in (
            (
                "peer_rank",
                f"Rank among {entry.peers.peers} peers (1 = best)",
                entry.peers.rank,
                "count",
            ),
            ("peer_median", "Median of peers", entry.peers.median, unit),
            ("peer_best", "Best peer", entry.peers.best_value, unit),
        ):
            facts.append(
                Fact(
                    id=fact_id(entry.kpi, scope_key, period, suffix),
                    label=f"{title} ({entry.peers.level}s), {entry.current.label}",
                    value=value,
                    unit=peer_unit,
                    scope=scope_key,
                    period_start=period.start,
                    period_end=period.end,
                    source="tools.benchmarks.compare_to_peers",
                )
            )
    return facts


def _snapshot(
    engine: Engine, res: Resolved, period: Period, peers: PeerValues | None
) -> KpiSnapshot:
    scope = res.scope
    previous = previous_period(period)
    subject: tuple[GroupBy, int] | None = None
    if scope.provider_id is not None:
        subject = ("provider", scope.provider_id)
    elif scope.location_id is not None:
        subject = ("location", scope.location_id)
    entries = [
        _entry(kpi, function, engine, scope, period, previous, peers, subject)
        for kpi, function, per_provider in HEADLINE
        if per_provider or scope.provider_id is None
    ]
    facts: list[Fact] = []
    seen: set[str] = set()
    for entry in entries:
        for fact in _entry_facts(entry, res.key, period):
            if fact.id not in seen:
                seen.add(fact.id)
                facts.append(fact)
    return KpiSnapshot(
        scope=res.key,
        name=res.name,
        period_start=period.start,
        period_end=period.end,
        previous_start=previous.start,
        previous_end=previous.end,
        entries=entries,
        facts=facts,
    )


# Peer values are organization-wide: with hundreds of locations briefed at the same minute,
# each briefing recomputing them made the batch quadratic (0.25 s per briefing at 500
# locations). A worker process may share them between its briefings (`share_peer_values`):
# keyed by database, organization, period and level, and by the import log's state (count,
# newest id, newest finish), so any import, in any process, makes a new key.
_peer_cache: dict[tuple[object, ...], tuple[float, PeerValues]] = {}
_peer_cache_lock = threading.Lock()
_peer_cache_seconds = 0.0  # 0: not shared (every call computes)


def share_peer_values(seconds: float) -> None:
    """Let this process reuse peer values for `seconds` while no import ran (0 turns it off)."""
    global _peer_cache_seconds
    with _peer_cache_lock:
        _peer_cache_seconds = seconds
        _peer_cache.clear()


def _imports_state(conn: Connection) -> tuple[object, ...]:
    runs = t.ingest_run
    row = conn.execute(
        select(func.count(), func.max(runs.c.id), func.max(runs.c.finished_at))
    ).one()
    return tuple(row)


def _shared_peer_values(
    conn: Connection, engine: Engine, organization_id: int, period: Period, level: GroupBy
) -> PeerValues:
    if _peer_cache_seconds <= 0:
        return peer_values(conn, resolve(conn, Scope(organization_id)), period, level)
    key = (str(engine.url), organization_id, period.start, period.end, level, _imports_state(conn))
    now = time.monotonic()
    with _peer_cache_lock:
        cached = _peer_cache.get(key)
    if cached is not None and now - cached[0] < _peer_cache_seconds:
        return cached[1]
    values = peer_values(conn, resolve(conn, Scope(organization_id)), period, level)
    with _peer_cache_lock:
        if len(_peer_cache) >= 64:  # stale keys (an import ran, another day) pile up here
            _peer_cache.clear()
        _peer_cache[key] = (now, values)
    return values


def kpi_snapshot(engine: Engine, scope: Scope, period: Period) -> KpiSnapshot:
    """Every headline KPI of the scope for the period, with the previous period (the previous
    calendar month for a month), the change, the industry benchmark, and — for a location or a
    provider — its rank, median and best among the organization's locations / providers."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        peers = None
        if scope.provider_id is not None or scope.location_id is not None:
            level: GroupBy = "provider" if scope.provider_id is not None else "location"
            peers = _shared_peer_values(conn, engine, scope.organization_id, period, level)
    return _snapshot(engine, res, period, peers)


def location_snapshots(
    engine: Engine, organization_id: int, period: Period
) -> dict[int, KpiSnapshot]:
    """`kpi_snapshot` of every location of the organization, sharing one peer computation."""
    with engine.connect() as conn:
        org = resolve(conn, Scope(organization_id))
        peers = peer_values(conn, org, period, "location")
        resolved = [resolve(conn, Scope(organization_id, lid)) for lid in org.location_ids]
    return {res.location_ids[0]: _snapshot(engine, res, period, peers) for res in resolved}
