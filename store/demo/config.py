"""What a demo build is asked for (`DemoConfig`) and the constants every part of it shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEMO_SOURCE = "demo"  # `source` of every imported-style demo row
DEFAULT_AS_OF = date(2026, 11, 24)
FUTURE_DAYS = 30  # already-booked appointments after `as_of`


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 7
    patients: int = 15_000
    as_of: date = DEFAULT_AS_OF
    days: int = 730
    lapsed_vips: int = 40
    # Benchmarks only: replicate the three locations with their providers (copies get no planted
    # patterns). Pass patients × copies to keep patients per location. 1 = the default demo.
    location_copies: int = 1
