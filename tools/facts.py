"""Facts and finding drafts: the typed currency between tools, writers and the verifier.

Every number Clarity shows is a `Fact` produced by a tool: it has a stable id the writer cites,
a label, a unit and the scope and period it describes. Writers (template or LLM) only arrange
facts into prose; the verifier matches each number in the text back to a fact.

Units and how values are stored:
- USD: dollars as a float (not cents), displayed "$12,345".
- percent: a fraction 0–1 (0.612), displayed "61.2%".
- ratio: a plain multiplier (2.1), displayed "2.1×".
- count, days, minutes, hours: plain numbers.
- date: an ISO date string "2026-11-24".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

Unit = Literal["USD", "percent", "ratio", "count", "days", "minutes", "hours", "date"]


class Fact(BaseModel):
    """One number (or date) computed by a tool, citable by id."""

    id: str = Field(description="Stable id, e.g. 'rebooking_rate.location-2.2026-10'.")
    label: str = Field(description="What it is, for a reader: 'Rebooking rate, Greenwich'.")
    value: float | int | str | None
    unit: Unit
    scope: str = Field(description="'org:1', 'location:2', 'provider:5' or 'patient:P-123'.")
    period_start: date | None = None
    period_end: date | None = None
    source: str = Field(description="The tool that computed it, e.g. 'tools.kpis.rebooking'.")

    def display(self) -> str:
        """The value as a person reads it."""
        value = self.value
        if value is None:
            return "n/a"
        if self.unit == "date" or isinstance(value, str):
            return str(value)
        if self.unit == "USD":
            return f"${value:,.0f}"
        if self.unit == "percent":
            return f"{value * 100:.1f}%"
        if self.unit == "ratio":
            return f"{value:.1f}×"
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.1f}"


@dataclass(frozen=True)
class FactMaker:
    """Makes the facts of one subject: they share an id prefix, a scope, a period and a source.

    `make("p_return", "Chance of a visit, P-1A2B", 0.31, "percent")` is the fact
    `{prefix}.p_return`; `period=(start, end)` gives one fact its own period.
    """

    prefix: str
    scope: str
    source: str
    period_start: date | None = None
    period_end: date | None = None

    def __call__(
        self,
        suffix: str,
        label: str,
        value: float | int | str | None,
        unit: Unit,
        *,
        period: tuple[date | None, date | None] | None = None,
    ) -> Fact:
        start, end = period if period is not None else (self.period_start, self.period_end)
        return Fact(
            id=f"{self.prefix}.{suffix}",
            label=label,
            value=value,
            unit=unit,
            scope=self.scope,
            period_start=start,
            period_end=end,
            source=self.source,
        )


class FactSet(BaseModel):
    """Facts by id, in insertion order."""

    facts: dict[str, Fact] = Field(default_factory=dict)

    def add(self, fact: Fact) -> Fact:
        self.facts[fact.id] = fact
        return fact

    def extend(self, facts: list[Fact]) -> None:
        for fact in facts:
            self.add(fact)

    def __getitem__(self, fact_id: str) -> Fact:
        return self.facts[fact_id]

    def __contains__(self, fact_id: object) -> bool:
        return fact_id in self.facts

    def __len__(self) -> int:
        return len(self.facts)

    def values(self) -> list[Fact]:
        return list(self.facts.values())


class FindingDraft(BaseModel):
    """A gap or anomaly before it is stored as a `store.models.Finding`.

    `dollars` is what the gap costs, could earn, or puts at risk in USD, computed by
    `formula` (kept human-readable in the evidence); `facts` are the numbers behind it.
    """

    kind: str
    title: str
    scope: str
    organization_id: int
    location_id: int | None = None
    provider_id: int | None = None
    patient_id: int | None = None
    period_start: date
    period_end: date
    dollars: float
    formula: str
    recommended_action: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    facts: list[Fact] = Field(default_factory=list)
    fingerprint_key: str = Field(
        default="",
        description="What makes two days' findings 'the same' (defaults to kind+scope).",
    )

    def fingerprint(self) -> str:
        """Stable across days for the same underlying issue, so it is not re-announced."""
        key = self.fingerprint_key or f"{self.kind}|{self.scope}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]
