"""The template writer: a complete briefing from facts with Jinja2 and no model.

It is the default and the fallback when a model's text fails verification, so it only ever
prints numbers through `Fact.display()`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from agent.briefing.news import headline_point
from agent.briefing.state import (
    CallLine,
    Candidate,
    Gathered,
    Outline,
    WrittenBriefing,
    WrittenPoint,
)
from agent.briefing.wording import addressed_action, display, short_kpi_label
from tools.facts import Fact

TEMPLATE_NAME = "briefing.v1.j2"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


_PERIOD_SUFFIX = re.compile(r"(?:,?\s*\d{4}-\d{2}(?:-\d{2})?(?:\.\.\d{4}-\d{2}-\d{2})?|,\s*P-\d+)$")
_UNINFORMATIVE = ("numerator", "denominator", "dollars", "previous")
SUPPORTING_FACTS = 1
SUPPORTING_LABEL_WORDS = 5  # a longer label costs the phone reader more than the number gives
WORD_BUDGET = 250  # words before the call list (issue 13: a two-minute read on a phone)
FRAME_WORDS = 19  # status line but its scope label, table header, section heading
MAX_TABLE_ROWS = 8  # = agent.briefing.render.MAX_KPIS
_WORD = re.compile(r"\S*\w\S*")


def words(text: str) -> int:
    """Words as a reader counts them: whitespace-separated tokens with a letter or digit."""
    return len(_WORD.findall(text))


def short_label(fact: Fact) -> str:
    """The fact's label without a trailing period ('…, 2026-10-26..2026-11-24') or patient
    pseudonym ('…, P-123': the call list row already says whom it is about)."""
    return _PERIOD_SUFFIX.sub("", fact.label).strip()


def supporting(fact_ids: list[str], facts: dict[str, Fact]) -> list[str]:
    """The facts worth a reader's attention in a point: rates and ratios before counts, without
    numerators, denominators or a second dollars figure."""
    usable = [
        fid
        for fid in fact_ids
        if fid in facts
        and facts[fid].value is not None
        and not fid.rsplit(".", 1)[-1].startswith(_UNINFORMATIVE)
        and not facts[fid].label.startswith("Dollars at stake")
        and facts[fid].unit != "USD"  # the point states its dollars, with their unit, once
        and words(short_label(facts[fid])) <= SUPPORTING_LABEL_WORDS
    ]
    order = {"percent": 0, "ratio": 0, "count": 1, "days": 1, "hours": 1, "minutes": 1}
    usable.sort(key=lambda fid: order.get(facts[fid].unit, 2))
    return usable[:SUPPORTING_FACTS]


def per(candidate: Candidate) -> str:
    """The unit words after a candidate's dollars: findings and the at-risk point are ranked
    per month; an anomaly is a one-off amount."""
    return " one-off" if candidate.kind.startswith("anomaly") else " a month"


@lru_cache(maxsize=1)
def _macros() -> Any:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["short_label"] = short_label
    env.filters["supporting"] = supporting
    env.filters["per"] = per
    env.filters["display"] = display
    env.filters["usd"] = lambda value: f"${float(value):,.0f}"
    env.filters["without_scope"] = without_scope
    return env.get_template(TEMPLATE_NAME).module


def _clean(text: object) -> str:
    return " ".join(str(text).split())


def call_lines(outline: Outline, gathered: Gathered) -> list[CallLine]:
    """The call list rows (pseudonym + why, from facts): the same for every writer."""
    macros = _macros()
    return [
        CallLine(
            patient_id=p.patient_id,
            pseudonym=p.pseudonym,
            why=_clean(macros.call_why(p, gathered.facts.facts)),
            dollars_fact_id=p.dollars_fact_id,
        )
        for p in outline.call_list
    ]


def footer(outline: Outline, gathered: Gathered) -> str:
    """The 'how this was computed' footer: the tools, the data's last day and each formula."""
    sources = sorted(set(gathered.sources) | {c.source for c in outline.points if c.source})
    text = _macros().footer(gathered.for_date, sources or ["tools"], outline.points, gathered.facts)
    notes = "".join(f" {note}" for note in gathered.footer_notes)
    return _clean(display(str(text), gathered.display_names) + notes)


def call_total_fact_id(outline: Outline) -> str | None:
    return "call_list.dollars" if outline.call_list else None


def place_and_person(candidate: Candidate, gathered: Gathered) -> tuple[str | None, str | None]:
    """The location name and provider name a candidate is about (None when not known)."""
    names = gathered.display_names
    place = names.get(f"location:{candidate.location_id}") if candidate.location_id else None
    if place is None and gathered.location_id is not None:
        place = gathered.scope_label
    person = names.get(f"provider:{candidate.provider_id}") if candidate.provider_id else None
    return place, person


def action_for(candidate: Candidate, gathered: Gathered) -> str:
    """The point's action addressed to a person (`agent.briefing.wording.addressed_action`)."""
    return addressed_action(candidate, *place_and_person(candidate, gathered))


def _words_of(headline: str, points: list[WrittenPoint]) -> int:
    """Words of the headline and points as rendered: each point's number ("2."), title, text
    and action (a repeat shows no action)."""
    told = [headline]
    for p in points:
        told += [p.title, p.text] if p.repeat else [p.title, p.text, p.action]
    return sum(words(text) for text in told) + len(points)


def frame_words(gathered: Gathered) -> int:
    """Words the rendering adds before the call list: the status line (its scope label and
    `FRAME_WORDS` more), the table header and section heading, and the key-numbers table (a
    row = its label, the figure, and the previous period and industry range when it has them)."""
    facts = gathered.facts.facts
    rows = [fid for fid in gathered.kpi_fact_ids if fid in facts][:MAX_TABLE_ROWS]
    total = FRAME_WORDS + words(gathered.scope_label)
    for fid in rows:
        fact = facts[fid]
        start, end = fact.period_start, fact.period_end
        days = (end - start).days + 1 if start and end else 0
        compare = gathered.kpi_compare.get(fid) or []
        total += words(short_kpi_label(fid, days, end)) + 1
        total += sum(1 for other in compare[:2] if other in facts)
    return total


def without_scope(title: str, scope_label: str) -> str:
    """A title without the leading "Scope label: " the briefing's heading already says."""
    prefix = f"{scope_label}: "
    if title.startswith(prefix) and len(title) > len(prefix):
        rest = title[len(prefix) :]
        return rest[0].upper() + rest[1:]
    return title


def write_template(outline: Outline, gathered: Gathered) -> WrittenBriefing:
    """Headline (the most important new point), one point per ranked candidate (a repeat in one
    line), the call list and the footer."""
    macros = _macros()
    facts = gathered.facts.facts
    names = gathered.display_names
    top = headline_point(outline.points)
    count_fact = facts.get(outline.call_count_fact_id or "")
    total_id = call_total_fact_id(outline)
    headline = _clean(macros.headline(gathered.scope_label, gathered.for_date, top, facts, names))
    # Detail of each point: 2 = supporting facts and a related finding, 1 = the related finding
    # (often the provider behind a location's figure), 0 = its dollars only.
    detail = [2] * len(outline.points)

    def point(index: int, c: Candidate) -> WrittenPoint:
        return WrittenPoint(
            key=c.key,
            title=without_scope(display(c.title, names), gathered.scope_label),
            text=_clean(macros.point_text(c, facts, names, detail[index], gathered.scope_label)),
            action=action_for(c, gathered),
            repeat=c.news == "repeat",
            fact_ids=[
                c.dollars_fact_id,
                *c.fact_ids,
                *[r.dollars_fact_id for r in c.related[:1]],
                *[
                    fid
                    for fid in (f"news.{c.key}.reported_on", f"news.{c.key}.reported_dollars")
                    if fid in facts
                ],
            ],
        )

    points = [point(i, c) for i, c in enumerate(outline.points)]
    # Over the phone budget: supporting facts go first, then related findings, the
    # lowest-ranked points first.
    for level in (1, 0):
        for index in reversed(range(len(points))):
            if _words_of(headline, points) <= WORD_BUDGET - frame_words(gathered):
                break
            detail[index] = level
            points[index] = point(index, outline.points[index])
    return WrittenBriefing(
        headline=headline,
        points=points,
        call_list_intro=_clean(macros.call_intro(count_fact, facts.get(total_id or ""))),
        call_list=call_lines(outline, gathered),
        footer=footer(outline, gathered),
        writer="template",
    )
