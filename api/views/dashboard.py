"""The dashboard: one scope's KPIs with small charts against the industry range and the
organization's peers, utilization by weekday × hour with revenue, the new-patient funnel by
channel, treatment mix and margin, provider P&L after compensation, and — for a user who sees
several locations of the whole organization — the portfolio (same-store growth, ranking).

The page (`/dashboard`) and `/api/v1/dashboard` both render `dashboard_view`. Every number comes
from a hand-tested tool (`tools.kpis`, `tools.slots`, `tools.marketing`, `tools.portfolio`,
`tools.pnl`); this module only chooses the scope and lays the numbers out (chart geometry in
percent of a bar's width, heat-map shading levels).

Drill-down: `location` narrows the organization to one location, `provider` to one provider
(of a location the user sees); the funnel is per location or organization only.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from api.deps import UserScope
from api.views.kpis import FIRST_DAY, LAST_DAY, NoData, chosen_location
from store import tables as t
from store.scope import last_activity_day
from tools.kpi_base import ScopeError, last_complete_month
from tools.kpis import KpiEntry, KpiSnapshot, kpi_snapshot
from tools.marketing import ChannelFunnel, new_patient_funnel
from tools.pnl import ProviderPnl, provider_pnl
from tools.portfolio import SameStoreGrowth, ServiceMix, same_store_growth, treatment_mix
from tools.scope import Period, Scope
from tools.slots import SlotGrid, slot_grid

#: Shading steps of the heat map (0 = no booked time, 4 = the busiest cells).
HEAT_LEVELS = 4
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ProviderNotVisible(LookupError):
    """The provider does not exist or works at no location the user sees."""


class Band(BaseModel):
    """A shaded stretch of a KPI bar: `kind` is 'average', 'top' or 'healthy'."""

    kind: str
    start: float = Field(description="Percent of the bar's width.")
    end: float


class KpiChart(BaseModel):
    """Geometry of one KPI's small bar chart: the axis runs from 0 to `axis_max` (in the KPI's
    unit); positions are percent of the bar's width (clipped to 0–100)."""

    kpi: str
    axis_max: float
    value: float | None = Field(description="Where the scope's value sits, percent.")
    bands: list[Band]
    peers: list[float] = Field(description="Where each peer's value sits, percent.")


class HeatCell(BaseModel):
    """One weekday × hour slot: `level` shades it by utilization (by booked minutes when no
    shift minutes are known); revenue is the net revenue of completed visits in the slot."""

    hour: int
    completed: int
    booked_minutes: int
    revenue: float
    revenue_per_booked_hour: float | None
    utilization: float | None
    level: int


class HeatRow(BaseModel):
    weekday: int
    weekday_name: str
    utilization: float | None = Field(description="Booked / shift minutes of the weekday.")
    cells: list[HeatCell | None] = Field(description="One per hour of `HeatMap.hours`.")


class HeatMap(BaseModel):
    hours: list[int]
    rows: list[HeatRow]
    revenue: float = Field(description="Revenue of every slot in the map.")


class DashboardView(BaseModel):
    scope: str
    name: str
    period_start: date
    period_end: date
    location_id: int | None
    provider_id: int | None
    kpis: KpiSnapshot
    charts: list[KpiChart]
    heatmap: HeatMap
    funnel: list[ChannelFunnel] | None = Field(description="None for a provider (per location).")
    mix: list[ServiceMix]
    providers: list[ProviderPnl]
    portfolio: SameStoreGrowth | None = Field(
        description="Only for the whole organization with more than one location."
    )


def _pct(value: float, axis_max: float) -> float:
    if axis_max <= 0:
        return 0.0
    return round(min(max(value / axis_max, 0.0), 1.0) * 100, 1)


def kpi_chart(entry: KpiEntry) -> KpiChart:
    """A bar from 0 to the largest of the value, the industry range and the peers (1.0 for a
    rate that stays within 0–1), with the industry bands and peer ticks on it."""
    value = entry.current.value
    ranges: list[tuple[str, tuple[float, float]]] = []
    if entry.industry is not None:
        bench = entry.industry.benchmark
        for kind, span in (
            ("average", bench.average),
            ("top", bench.top),
            ("healthy", bench.healthy),
        ):
            if span is not None:
                ranges.append((kind, span))
    peers = [v for v in (entry.peers.values.values() if entry.peers else []) if v is not None]
    known = [abs(v) for v in [value, *peers] if v is not None] + [hi for _, (_, hi) in ranges]
    top = max(known, default=0.0)
    axis_max = 1.0 if entry.current.unit == "percent" and top <= 1.0 else top * 1.1
    return KpiChart(
        kpi=entry.kpi,
        axis_max=axis_max,
        value=None if value is None else _pct(value, axis_max),
        bands=[
            Band(kind=k, start=_pct(lo, axis_max), end=_pct(hi, axis_max)) for k, (lo, hi) in ranges
        ],
        peers=[_pct(v, axis_max) for v in peers],
    )


def _level(share: float | None) -> int:
    """0 for nothing booked, else 1–HEAT_LEVELS by the share of the busiest cell."""
    if share is None or share <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, int(share * HEAT_LEVELS + 0.999)))


def heat_map(grid: SlotGrid) -> HeatMap:
    """The grid as rows Mon–Sun over the hours from the first to the last booked. Utilization
    shades a cell relative to the busiest cell, so a quiet practice still shows its peak."""
    booked = [c.hour for c in grid.cells]
    hours = list(range(min(booked), max(booked) + 1)) if booked else []
    by_slot = {(c.weekday, c.hour): c for c in grid.cells}
    peak_util = max((c.utilization_estimate or 0.0 for c in grid.cells), default=0.0)
    peak_minutes = max((c.booked_minutes for c in grid.cells), default=0)
    days = {d.weekday: d for d in grid.weekdays}
    rows: list[HeatRow] = []
    for weekday, name in enumerate(WEEKDAYS):
        cells: list[HeatCell | None] = []
        for hour in hours:
            cell = by_slot.get((weekday, hour))
            if cell is None:
                cells.append(None)
                continue
            share: float | None
            if cell.utilization_estimate is not None and peak_util > 0:
                share = cell.utilization_estimate / peak_util
            else:
                share = cell.booked_minutes / peak_minutes if peak_minutes else None
            cells.append(
                HeatCell(
                    hour=hour,
                    completed=cell.completed,
                    booked_minutes=cell.booked_minutes,
                    revenue=cell.revenue,
                    revenue_per_booked_hour=cell.revenue_per_booked_hour,
                    utilization=cell.utilization_estimate,
                    level=_level(share),
                )
            )
        day = days.get(weekday)
        rows.append(
            HeatRow(
                weekday=weekday,
                weekday_name=name,
                utilization=day.utilization if day else None,
                cells=cells,
            )
        )
    return HeatMap(hours=hours, rows=rows, revenue=round(sum(c.revenue for c in grid.cells), 2))


def provider_location(engine: Engine, scope: UserScope, provider_id: int) -> int:
    """The location of a provider the user may see; `ProviderNotVisible` otherwise."""
    with engine.connect() as conn:
        location_id = conn.execute(
            select(t.provider.c.location_id).where(t.provider.c.id == provider_id)
        ).scalar()
    if location_id is None or not scope.allows_location(int(location_id)):
        raise ProviderNotVisible(f"no provider {provider_id} in your scope")
    return int(location_id)


def dashboard_view(
    engine: Engine,
    scope: UserScope,
    *,
    location_id: int | None = None,
    provider_id: int | None = None,
    period: str | None = None,
    as_of: date | None = None,
) -> DashboardView:
    """Every part of the dashboard for the chosen scope and period (defaults as `kpis_view`).
    Raises `LocationNotVisible`, `ProviderNotVisible`, `ChooseLocation`, `NoData` or
    `ValueError` (bad period)."""
    if provider_id is not None:
        location_id = provider_location(engine, scope, provider_id)
    location = chosen_location(scope, location_id)
    day = as_of or last_activity_day(engine, scope.organization_id, sorted(scope.location_ids))
    if day is None:
        raise NoData("no sales in this scope yet")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"as_of must be between {FIRST_DAY} and {LAST_DAY}")
    chosen = Period.parse(period, day) if period else last_complete_month(day)
    if chosen.start < FIRST_DAY or chosen.end > LAST_DAY:
        raise ValueError(f"period must lie between {FIRST_DAY} and {LAST_DAY}")
    tool_scope = Scope(scope.organization_id, location, provider_id)
    snapshot = kpi_snapshot(engine, tool_scope, chosen)
    funnel: list[ChannelFunnel] | None = None
    if provider_id is None:
        try:
            funnel = new_patient_funnel(engine, tool_scope, chosen)
        except ScopeError:
            funnel = None
    portfolio = None
    if location is None and len(scope.location_ids) > 1:
        portfolio = same_store_growth(engine, scope.organization_id, chosen)
    return DashboardView(
        scope=snapshot.scope,
        name=snapshot.name,
        period_start=chosen.start,
        period_end=chosen.end,
        location_id=location,
        provider_id=provider_id,
        kpis=snapshot,
        charts=[kpi_chart(entry) for entry in snapshot.entries],
        heatmap=heat_map(slot_grid(engine, tool_scope, chosen)),
        funnel=funnel,
        mix=treatment_mix(engine, tool_scope, chosen),
        providers=provider_pnl(engine, tool_scope, chosen),
        portfolio=portfolio,
    )
