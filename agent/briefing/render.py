"""Render a written briefing: Markdown (CLI), HTML e-mail with inline PNG charts, plain text,
and Slack Block Kit.

Rendering keeps patients pseudonymous: the call list holds markers (`⟦patient:123⟧`) that
`resolve_identities` replaces with the patient's name and phone number by reading `Patient`
rows — in the practice's own store, at the moment a message is built for a person. Slack
messages keep pseudonyms and link to the app, so names never sit in a third-party chat log.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine

from agent.briefing.charts import Chart, dollars_chart, series_chart
from agent.briefing.state import (
    CallLine,
    ChartImage,
    Gathered,
    Outline,
    Rendered,
    WrittenBriefing,
)
from agent.briefing.wording import short_kpi_label
from agent.briefing.writers.template import short_label
from agent.contacts import patient_contacts
from clarity import literal
from tools.facts import Fact

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MARKER = re.compile(r"⟦patient:(\d+)⟧")
SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150
SLACK_MAX_BLOCKS = 50
MAX_POINT_CHARTS = 2
MAX_KPIS = 8


@dataclass(frozen=True)
class KpiLine:
    """One row of the key-numbers table: short label, value, previous period, industry range."""

    label: str
    value: str
    previous: str = ""
    target: str = ""

    def display(self) -> str:
        return self.value


def kpi_line(fact_id: str, gathered: Gathered) -> KpiLine:
    """The table row of a KPI fact with the comparisons in `gathered.kpi_compare`."""
    facts = gathered.facts.facts
    fact = facts[fact_id]
    days = (
        (fact.period_end - fact.period_start).days + 1
        if fact.period_start and fact.period_end
        else 0
    )
    previous_id, low_id, high_id = (gathered.kpi_compare.get(fact_id) or ["", "", ""])[:3]
    previous = facts[previous_id].display() if previous_id in facts else ""
    target = ""
    if low_id in facts and high_id in facts:
        target = f"{facts[low_id].display()}–{facts[high_id].display()}"
    label = short_kpi_label(fact_id, days, fact.period_end)
    return KpiLine(label, fact.display(), previous, target)


def kpi_label(fact: Fact) -> str:
    """'Net revenue, Greenwich (last 30 days)' / '… (2026-11-24)' from the fact's period."""
    label = short_label(fact)
    if fact.period_start and fact.period_end:
        days = (fact.period_end - fact.period_start).days + 1
        when = fact.period_end.isoformat() if days == 1 else f"last {days} days"
        label = f"{label} ({when})"
    return label


def _as_is(value: object) -> object:
    return value


@lru_cache(maxsize=3)
def _environment(kind: str = "html") -> Environment:
    """Templates of one kind: `html` autoescapes; in `md` every `{{ }}` is escaped as literal
    Markdown and in `txt` control characters are made visible (names come from imported files)."""
    finalize: Callable[[object], object] = {"md": literal.markdown, "txt": literal.visible}.get(
        kind, _as_is
    )
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )


def briefing_url(app_base_url: str, scope: str, day: str) -> str:
    return f"{app_base_url.rstrip('/')}/briefings/{scope}/{day}"


def status_line(verification: dict[str, Any]) -> str:
    """One line on how the text was written and checked."""
    checked = verification.get("checked", 0)
    if verification.get("fallback"):
        reason = str(verification.get("fallback_reason") or "")
        if reason == "no model configured" and verification.get("passed"):
            return f"template text (no model configured); all {checked} figures verified"
        if reason != "no model configured":
            return "template text (the model's draft failed verification)"
    if verification.get("passed"):
        who = "written by the model" if verification.get("writer") == "llm" else "template text"
        return f"{who}; all {checked} figures verified"
    return f"verification failed ({len(verification.get('reasons', []))} problems)"


def _charts(outline: Outline, gathered: Gathered) -> list[Chart]:
    charts: list[Chart] = []
    if "revenue" in gathered.series:
        charts.append(series_chart(gathered.series["revenue"], "chart-revenue@clarity"))
    if outline.points:
        charts.append(dollars_chart(outline.points, "chart-points@clarity"))
    keys = [
        p.series_key
        for p in outline.points
        if p.series_key in gathered.series and p.series_key != "revenue"
    ]
    for index, key in enumerate(dict.fromkeys(keys)):
        if index >= MAX_POINT_CHARTS or key is None:
            break
        charts.append(series_chart(gathered.series[key], f"chart-point-{index + 1}@clarity"))
    return charts


def _portfolio(gathered: Gathered) -> tuple[list[str], list[dict[str, Any]]]:
    facts = gathered.facts.facts
    rows = [
        {"name": row.name, "facts": [facts.get(fid) for fid in row.fact_ids]}
        for row in gathered.portfolio
    ]
    return gathered.portfolio_headers, rows


def render_briefing(
    written: WrittenBriefing,
    outline: Outline,
    gathered: Gathered,
    *,
    verification: dict[str, Any],
    app_base_url: str,
) -> Rendered:
    """All formats of the briefing; patients appear as markers (Markdown, text, HTML) or
    pseudonyms (Slack)."""
    env = _environment()
    facts = gathered.facts.facts
    kpis = [kpi_line(fid, gathered) for fid in gathered.kpi_fact_ids if fid in facts][:MAX_KPIS]
    headers, portfolio = _portfolio(gathered)
    day = gathered.for_date.isoformat()
    url = briefing_url(app_base_url, gathered.scope, day)
    charts = _charts(outline, gathered)
    context: dict[str, Any] = {
        "w": written,
        "scope_label": gathered.scope_label,
        "day": day,
        "status": status_line(verification),
        "kpis": kpis,
        "portfolio": portfolio,
        "portfolio_headers": headers,
        "url": url,
        "charts": charts,
        "patient": call_line_marker,
        "opportunity": [facts[fid] for fid in gathered.opportunity_fact_ids if fid in facts],
    }
    return Rendered(
        subject=f"{gathered.scope_label} briefing, {day}: {written.headline}"[:200],
        markdown=_environment("md").get_template("briefing.md.j2").render(**context),
        text=_environment("txt").get_template("briefing.txt.j2").render(**context),
        html=env.get_template("briefing_email.html.j2").render(**context),
        slack_text=written.headline,
        slack_blocks=slack_blocks(written, gathered, url=url, status=context["status"]),
        charts=[ChartImage(cid=c.cid, title=c.title, alt=c.alt, png=c.png) for c in charts],
        url=url,
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SLACK_SECTION_LIMIT)}}


def _mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_blocks(
    written: WrittenBriefing, gathered: Gathered, *, url: str, status: str
) -> list[dict[str, Any]]:
    """Block Kit: header, one section per point, the call list by pseudonym, a link to the app.

    Slack's limits hold by construction: ≤ 3,000 characters per section text, ≤ 150 in the
    header, ≤ 50 blocks.
    """
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(written.headline, SLACK_HEADER_LIMIT)},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _cut(
                        _mrkdwn(
                            f"{gathered.scope_label} · data through "
                            f"{gathered.for_date.isoformat()} · {status}"
                        ),
                        SLACK_SECTION_LIMIT,
                    ),
                }
            ],
        },
    ]
    for index, point in enumerate(written.points, start=1):
        blocks.append(
            _section(
                f"*{index}. {_mrkdwn(point.title)}*\n{_mrkdwn(point.text)}\n"
                f"→ *Do this:* {_mrkdwn(point.action)}"
            )
        )
    blocks.append({"type": "divider"})
    lines = [_mrkdwn(written.call_list_intro)]
    lines += [f"• `{line.pseudonym}` {_mrkdwn(line.why)}" for line in written.call_list]
    call_text = "\n".join(lines)
    if len(call_text) > SLACK_SECTION_LIMIT:
        call_text = _cut(call_text, SLACK_SECTION_LIMIT - 60).rsplit("\n", 1)[0] + (
            "\n… more in Clarity"
        )
    blocks.append(_section(call_text))
    blocks.append(_section(f"Names, phone numbers and the full briefing: <{url}|open in Clarity>"))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _cut(_mrkdwn(written.footer), 3000)}],
        }
    )
    return blocks[:SLACK_MAX_BLOCKS]


# --------------------------------------------------------------------------- identities


def resolve_identities(
    engine: Engine, text: str, *, html: bool = False, markdown: bool = False
) -> str:
    """Replace every `⟦patient:ID⟧` marker with the patient's name and phone (or pseudonym
    when the row is gone), escaped for HTML or Markdown, control characters made visible."""
    ids = {int(match) for match in MARKER.findall(text)}
    contacts = patient_contacts(engine, ids)

    def replace(match: re.Match[str]) -> str:
        patient_id = int(match.group(1))
        value = contacts.get(patient_id, f"P-{patient_id}")
        if html:
            return html_lib.escape(literal.visible(value))
        return literal.markdown(value) if markdown else literal.visible(value)

    return MARKER.sub(replace, text)


def pseudonymize(text: str) -> str:
    """Replace markers by pseudonyms (for places that must not hold names)."""
    return MARKER.sub(lambda m: f"P-{m.group(1)}", text)


def html_with_data_uris(html: str, charts: list[ChartImage]) -> str:
    """The e-mail HTML with `cid:` images inlined as data URIs (for showing it in the app)."""
    for chart in charts:
        data = base64.b64encode(chart.png).decode("ascii")
        html = html.replace(f"cid:{chart.cid}", f"data:image/png;base64,{data}")
    return html


def call_line_marker(line: CallLine) -> str:
    return f"⟦patient:{line.patient_id}⟧"
