"""Targets the findings measure gaps against, and the one dollar unit they report in.

Targets are settings (`clarity.settings.Settings.target_*`, environment `CLARITY_TARGET_*`)
whose defaults are the seed's industry ranges (`tools/benchmarks.json`):
- rebooking rate 60% (the midpoint of the 55–65% industry average);
- no-show rate 17.5% (the midpoint of the 15–20% industry average; a location at or better
  than it costs nothing);
- utilization 65% (the midpoint of the 60–70% industry average);
- compensation-to-production: healthy 35–50%, 40% midpoint, below 30% retention risk;
- 12-month retention 35% (the midpoint of the 30–40% industry average; used by the total
  opportunity, `tools.opportunity`, and the `retention_gap` finding).
Each finding names the target it used (`evidence.target_used`).

Every finding's dollars are **per month**: the amount over the finding's window × 30.4375 /
the window's days (30.4375 = 365.25 / 12, the average month). A 30-day window gives
× 1.015, three calendar months (92 days) × 0.331, twelve months ÷ 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.benchmarks import benchmark_value

if TYPE_CHECKING:
    from clarity.settings import Settings

MONTH_DAYS = 365.25 / 12


def _midpoint(kpi: str, name: str = "average") -> float:
    low, high = benchmark_value(kpi, name)
    return round((low + high) / 2, 4)


@dataclass(frozen=True)
class Targets:
    """Target rates (fractions). Build with `Targets.default()` or from settings."""

    rebooking_rate: float
    no_show_rate: float
    utilization: float
    comp_low: float
    comp_high: float
    comp_target: float
    comp_retention_risk: float
    retention_12m: float = 0.35

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        """The `CLARITY_TARGET_*` settings (whose defaults are the seed's ranges)."""
        return cls(
            rebooking_rate=settings.target_rebooking_rate,
            no_show_rate=settings.target_no_show_rate,
            utilization=settings.target_utilization,
            comp_low=settings.target_comp_low,
            comp_high=settings.target_comp_high,
            comp_target=settings.target_comp_midpoint,
            comp_retention_risk=settings.target_comp_retention_risk,
            retention_12m=settings.target_retention_12m,
        )

    @classmethod
    def default(cls) -> Targets:
        """The seed's ranges (the defaults of the settings)."""
        low, high = benchmark_value("comp_to_production", "healthy")
        return cls(
            rebooking_rate=_midpoint("rebooking_rate"),
            no_show_rate=_midpoint("no_show_rate"),
            utilization=_midpoint("utilization"),
            comp_low=float(low),
            comp_high=float(high),
            comp_target=float(benchmark_value("comp_to_production", "target")),
            comp_retention_risk=float(
                benchmark_value("comp_to_production", "retention_risk_below")
            ),
            retention_12m=_midpoint("retention_12m"),
        )


def per_month(amount: float, days: int) -> float:
    """An amount over a window of `days` days, expressed per average month (30.4375 days)."""
    return amount * MONTH_DAYS / days


def per_month_words(amount: float, days: int) -> str:
    """The normalization as a formula shows it: '$1,000 over 30 days × 30.44/30 = $1,015/month'."""
    return (
        f"${amount:,.0f} over {days} days × {MONTH_DAYS:.2f}/{days} = "
        f"${per_month(amount, days):,.0f} per month"
    )
