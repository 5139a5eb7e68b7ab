"""State of the briefing graph: ids, facts and the text written from them — never patient
names, phone numbers or emails. Patients appear only as `pseudonym(id)` (`P-1234`); names are
looked up in the store when a briefing is rendered for delivery (see `agent.briefing.render`).

Everything here is plain data (pydantic models, JSON-serialisable), so a checkpointer could
store it without holding PHI.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field

from tools.facts import FactSet

WriterName = Literal["template", "llm"]


class Series(BaseModel):
    """A chartable series of one quantity: x labels (ISO dates or categories) and values."""

    key: str
    label: str
    unit: str
    points: list[tuple[str, float]] = Field(default_factory=list)
    kind: Literal["line", "bar"] = "line"


class Candidate(BaseModel):
    """One idea that may become a point of the briefing (a finding, an anomaly, the at-risk list).

    `dollars` is what it costs, could earn or puts at risk (USD), cited by `dollars_fact_id`.
    `key` is the finding's fingerprint: the same issue on two days has the same key.
    """

    key: str
    kind: str
    title: str
    dollars: float
    dollars_fact_id: str
    action: str
    formula: str = ""
    fact_ids: list[str] = Field(default_factory=list)
    is_new: bool = True
    first_seen: date | None = None
    news: Literal["new", "changed", "repeat"] = Field(
        default="new", description="Against the previous briefing (`agent.briefing.news`)."
    )
    reported_on: date | None = None
    reported_dollars: float | None = None
    period_end: date | None = Field(default=None, description="Last day the finding is about.")
    location_id: int | None = None
    provider_id: int | None = None
    series_key: str | None = None
    source: str = ""
    related: list[Candidate] = Field(
        default_factory=list, description="Lesser findings of the same idea, told in this point."
    )


class CallCandidate(BaseModel):
    """A patient to call, by pseudonym only; the name is resolved at render time in the store."""

    patient_id: int
    pseudonym: str
    location_id: int | None = None
    reasons: list[str] = Field(default_factory=list)
    last_treatment: str | None = None
    last_visit: date | None = None
    days_overdue: int | None = None
    dollars_at_stake: float
    dollars_fact_id: str
    fact_ids: list[str] = Field(default_factory=list)


class PortfolioRow(BaseModel):
    """One location in an organization roll-up: its name and one fact id per column of
    `Gathered.portfolio_headers` ("" where the location has no such fact)."""

    location_id: int
    name: str
    fact_ids: list[str] = Field(default_factory=list)


class Gathered(BaseModel):
    """What the gather step found for one scope and day."""

    scope: str
    scope_label: str
    organization_id: int
    location_id: int | None = None
    for_date: date
    facts: FactSet = Field(default_factory=FactSet)
    kpi_fact_ids: list[str] = Field(default_factory=list)
    kpi_compare: dict[str, list[str]] = Field(
        default_factory=dict,
        description="KPI fact id → [previous period's fact id, industry range low, high] "
        '("" where none): the comparison each key number needs.',
    )
    display_names: dict[str, str] = Field(
        default_factory=dict, description="Scope key (`provider:3`) → the name a reader uses."
    )
    candidates: list[Candidate] = Field(default_factory=list)
    at_risk: list[CallCandidate] = Field(default_factory=list)
    at_risk_total_fact_id: str | None = None
    series: dict[str, Series] = Field(default_factory=dict)
    portfolio: list[PortfolioRow] = Field(default_factory=list)
    portfolio_headers: list[str] = Field(default_factory=list)
    names: list[str] = Field(
        default_factory=list, description="Staff and place names the facts are about."
    )
    directory: list[str] = Field(
        default_factory=list,
        description="Every staff and place name of the organization (to catch invented names).",
    )
    sources: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Tools that were unavailable.")
    opportunity_fact_ids: list[str] = Field(
        default_factory=list,
        description="The weekly total-opportunity section (first briefing of the week): facts.",
    )
    footer_notes: list[str] = Field(
        default_factory=list,
        description="Lines for the footer from outside the tools (e.g. rejected import rows).",
    )


class Outline(BaseModel):
    """The ranked content: at most five points (one idea each) and the call list."""

    points: list[Candidate]
    call_list: list[CallCandidate]
    call_count_fact_id: str | None = None
    dropped: list[str] = Field(default_factory=list, description="Keys ranked out, with why.")


class WrittenPoint(BaseModel):
    key: str
    title: str
    text: str
    action: str
    fact_ids: list[str] = Field(default_factory=list)
    repeat: bool = Field(default=False, description="Told before: rendered as one line.")


class CallLine(BaseModel):
    """One row of the call list: the pseudonym plus a short 'why' built from facts."""

    patient_id: int
    pseudonym: str
    why: str
    dollars_fact_id: str


class WrittenBriefing(BaseModel):
    """The output structure shared by every writer."""

    headline: str
    points: list[WrittenPoint]
    call_list_intro: str
    call_list: list[CallLine]
    footer: str
    writer: WriterName

    def checked_texts(self) -> list[tuple[str, str]]:
        """(where, text) of every part a writer wrote, i.e. everything the verifier checks."""
        parts = [("headline", self.headline)]
        for index, point in enumerate(self.points, start=1):
            parts += [
                (f"point {index} title", point.title),
                (f"point {index} text", point.text),
                (f"point {index} action", point.action),
            ]
        parts.append(("call list intro", self.call_list_intro))
        parts += [(f"call list {line.pseudonym}", line.why) for line in self.call_list]
        return parts


class ChartImage(BaseModel):
    """A PNG chart of the briefing, referenced in the HTML as `cid:{cid}`."""

    cid: str
    title: str
    alt: str
    png: bytes


class Rendered(BaseModel):
    """Every format of one briefing, pseudonymous (markers where names go)."""

    subject: str
    markdown: str
    text: str
    html: str = Field(description="HTML e-mail body; charts referenced as cid:<id>.")
    slack_text: str
    slack_blocks: list[dict[str, Any]]
    charts: list[ChartImage]
    url: str


class Attempt(BaseModel):
    """One writing attempt and its verification result."""

    writer: WriterName
    outcome: Literal["passed", "verification_failed", "invalid_output", "error", "timeout"]
    reasons: list[str] = Field(default_factory=list)
    checked: int = 0
    llm_call_id: int | None = None


class BriefingState(TypedDict, total=False):
    """LangGraph state. Ids, facts, pseudonymous text and PNG charts only."""

    organization_id: int
    location_id: int | None
    for_date: date
    writer: WriterName
    deliver: bool
    gathered: Gathered
    outline: Outline
    draft: WrittenBriefing | None
    draft_writer: WriterName
    draft_outcome: str
    draft_error: str | None
    use_template: bool
    draft_llm_call_id: int | None
    llm_attempts: int
    feedback: list[str]
    attempts: list[Attempt]
    written: WrittenBriefing
    rendered: Rendered  # pseudonymous; names are resolved at delivery
    briefing_id: int
    deliveries: list[dict[str, Any]]
