"""The gather step's interface: anything that turns (scope, day) into a `Gathered`.

The real implementation calls the practice-intelligence tools (`agent.briefing.gather_tools`); tests
hand in a `StaticGatherer` with hand-built facts.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy import Engine

from agent.briefing.state import Gathered


class Gatherer(Protocol):
    def __call__(
        self, engine: Engine, *, organization_id: int, location_id: int | None, as_of: date
    ) -> Gathered: ...


class StaticGatherer:
    """Returns the same hand-built `Gathered` whatever it is asked (for tests and evals)."""

    def __init__(self, gathered: Gathered) -> None:
        self.gathered = gathered

    def __call__(
        self, engine: Engine, *, organization_id: int, location_id: int | None, as_of: date
    ) -> Gathered:
        return self.gathered.model_copy(deep=True)
