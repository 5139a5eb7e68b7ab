"""Answers without a model: route the question, call the one tool, fill a Jinja2 template with
the figures the tool returned (each cited by its fact id).

`ChatAnswer.facts` are exactly the facts in the tool's result (`tools.langchain_tools.facts_in`)
so an answer can be verified and shown with its sources. Patients appear as pseudonyms; for a
role that may see contact data they are resolved to name and phone after the text is written
(and after verification on the agent path), reading the store directly, so names never pass
through a template, a log or a model.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Environment, StrictUndefined, Template
from langchain_core.tools import StructuredTool

from agent.chat import cache as chat_cache
from agent.chat.context import Context
from agent.chat.directory import Directory
from agent.chat.router import SUGGESTIONS, Route, Router
from agent.contacts import patient_contacts
from store.scope import ScopeError, resolve_scope
from tools.facts import Fact
from tools.langchain_tools import facts_in, make_tools

log = logging.getLogger(__name__)

PSEUDONYM = re.compile(r"\bP-(\d+)\b")


@dataclass
class ChatAnswer:
    """- `status`: answer, refuse, clarify, unknown or error.
    - `text`: what the user reads (figures cited as [fact_id]).
    - `facts`: the facts the figures come from; `tools`: the calls made, with arguments.
    """

    status: str
    text: str
    facts: list[Fact] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    writer: str = "template"
    verification: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "answer": self.text,
            "intent": self.intent,
            "writer": self.writer,
            "facts": [
                {"id": f.id, "label": f.label, "value": f.value, "display": f.display()}
                for f in self.facts
            ],
            "tools": self.tools,
            "verification": self.verification,
        }


TEMPLATES: dict[str, str] = {
    "metric": (
        "{% for r in result.rows %}{{ r.label }}: {{ r.display }} [{{ r.fact_id }}].\n{% endfor %}"
    ),
    "compare": (
        "{{ metric_label }}, {{ result.period }}"
        "{% if result.category %} ({{ result.category }}){% endif %}:\n"
        "{% for r in rows %}- {{ r.name }}: {{ r.display }} [{{ r.fact_id }}]\n{% endfor %}"
        "{% if lowest %}Lowest: {{ lowest.name }} ({{ lowest.display }}); "
        "highest: {{ highest.name }} ({{ highest.display }}).{% else %}"
        "No values for this period.{% endif %}"
    ),
    "overview": (
        "{% for res in result.results %}{{ res.name }}, {{ res.period }}:\n"
        "{% for k in res.kpis %}- {{ k.label }}: {{ k.display }} [{{ k.fact_id }}]"
        "{% if k.previous.value is not none %} (previous {{ k.previous.display }} "
        "[{{ k.previous.fact_id }}]){% endif %}\n{% endfor %}{% endfor %}"
    ),
    "pnl": (
        "Provider P&L, {{ result.period }}:\n"
        "{% for p in providers %}- {{ p.provider }} ({{ p.location }}): "
        "{% for f in p.figures %}{{ f.label.split(',')[0] }} {{ f.display }} [{{ f.fact_id }}]"
        "{% if not loop.last %}; {% endif %}{% endfor %}"
        "{% if not p.compensation_known %} (no payroll on file){% endif %}\n"
        "{% else %}{% if focus %}{{ focus }} has{% else %}There is{% endif %} no production "
        "or payroll in this period.\n{% endfor %}"
    ),
    "at_risk": (
        "{{ result.count.value }} patients are at risk [{{ result.count.fact_id }}], "
        "{{ money(result.total.value) }} at stake [{{ result.total.fact_id }}]."
        "{% if result.patients %} Top {{ result.patients | length }}:{% endif %}\n"
        "{% for p in result.patients %}- {{ p.patient }}, last {{ p.last_treatment }}: "
        "{% for f in p.figures %}{% if f.unit in ('USD', 'days') %}{{ f.label.split(',')[0] }} "
        "{{ f.display }} [{{ f.fact_id }}]; {% endif %}{% endfor %}\n{% endfor %}"
    ),
    "vips": (
        "{{ result.count.value }} {{ result.count.label }} [{{ result.count.fact_id }}]."
        "{% if result.patients %} Top {{ result.patients | length }} by net spend over "
        "12 months:{% endif %}\n"
        "{% for p in result.patients %}- {{ p.patient }}: {{ p.revenue_12m.display }} "
        "[{{ p.revenue_12m.fact_id }}]{% if p.last_visit %}, last visit {{ p.last_visit }}"
        "{% endif %}\n{% endfor %}"
    ),
    "anomalies": (
        "{% for a in result.anomalies %}- {{ a.title }} ({{ a.period }}): "
        "{% for f in a.facts[:3] %}{{ f.label }} {{ f.display }} [{{ f.fact_id }}]"
        "{% if not loop.last %}; {% endif %}{% endfor %}\n"
        "{% else %}Nothing unusual in the four weeks to {{ result.as_of }}: no day or week "
        "departs from its usual level.\n{% endfor %}"
    ),
    "forecast": (
        "Forecast from {{ result.as_of }}:\n{% for res in result.results %}"
        "{% for f in res.facts %}- {{ f.label }}: {{ f.display }} [{{ f.fact_id }}]\n"
        "{% endfor %}{% endfor %}"
    ),
    "findings": (
        "{% for f in result.findings %}- {{ f.title }}: {{ money(f.dollars) }} a month"
        "{% for x in f.facts[:1] %} [{{ x.fact_id }}]{% endfor %}. {{ f.recommended_action }}\n"
        "{% else %}No gaps worth attention right now.\n{% endfor %}"
    ),
    "portfolio": (
        "Same-store growth, {{ result.period }}:\n{% for f in result.same_store | default([]) %}"
        "- {{ f.label }}: {{ f.display }} [{{ f.fact_id }}]\n{% endfor %}"
        "{% for loc in result.locations %}- {{ loc.name | default(loc.location_id) }}\n"
        "{% endfor %}"
    ),
    "acquisition": (
        "Cost per new patient by channel, {{ result.period }}:\n"
        "{% for res in result.results %}{% for c in res.cac %}- {{ c.channel }}: "
        "{{ c.display }} [{{ c.fact_id }}]\n{% endfor %}{% endfor %}"
    ),
    "opportunity": (
        "What closing each gap to its target is worth per year, data through "
        "{{ result.as_of }}:\n{% for res in result.results %}{% for f in res.facts %}"
        "- {{ f.label }}: {{ f.display }} [{{ f.fact_id }}]\n{% endfor %}{% endfor %}"
    ),
    "more_metrics": (
        "{{ result.period }}:\n{% for res in result.results %}"
        "{% for k in res.kpis + res.rebooking_by_cohort + res.cac_by_first_treatment"
        " + res.margin_by_location + res.revenue_per_provider_hour_after_pay %}"
        "{% if k.fact_id is defined %}- {{ k.label }}: {{ k.display }} [{{ k.fact_id }}]\n"
        "{% endif %}{% endfor %}{% endfor %}"
    ),
}
TEMPLATE_OF_INTENT = {"lapsed_vips": "vips"}


def _money(value: float | int | None) -> str:
    return "n/a" if value is None else f"${value:,.0f}"


@dataclass
class _Templates:
    """The answer templates, compiled once (compiling one costs ~3 ms; rendering far less)."""

    compiled: dict[str, Template]

    @classmethod
    def make(cls) -> _Templates:
        env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        env.globals["money"] = _money
        return cls({name: env.from_string(source) for name, source in TEMPLATES.items()})

    def render(self, name: str, **values: Any) -> str:
        return self.compiled[name].render(**values).strip()


_TEMPLATES = _Templates.make()

METRIC_LABELS = {
    "net_revenue": "Net revenue",
    "rebooking_rate": "Rebooking rate",
    "retention_12m": "12-month retention",
    "no_show_rate": "No-show rate",
    "late_cancel_rate": "Late-cancel rate",
    "utilization": "Utilization",
    "revenue_per_provider_hour": "Revenue per provider hour",
    "comp_to_production": "Comp-to-production ratio",
    "vip_concentration": "VIP concentration",
    "new_patients": "New patients",
    "cac": "Cost per new patient",
    "membership_mrr": "Membership MRR",
    "membership_churn": "Membership churn",
}


def render_answer(
    intent: str,
    result: dict[str, Any],
    provider_id: int | None = None,
    focus: str | None = None,
) -> str:
    """The template answer of an intent for a tool result."""
    name = TEMPLATE_OF_INTENT.get(intent, intent)
    values: dict[str, Any] = {"result": result}
    if name == "compare":
        rows = sorted(
            result["rows"], key=lambda r: (r["value"] is None, r["value"] or 0), reverse=False
        )
        by_subject = {r["subject"]: r for r in result["rows"]}
        values |= {
            "rows": rows,
            "metric_label": METRIC_LABELS.get(result["metric"], result["metric"]),
            "lowest": by_subject.get(result["lowest"]),
            "highest": by_subject.get(result["highest"]),
        }
    if name == "pnl":
        values["focus"] = focus
        values["providers"] = [
            p for p in result["providers"] if provider_id is None or p["provider_id"] == provider_id
        ]
    return _TEMPLATES.render(name, **values)


def not_understood(message: str) -> str:
    return f"{message} I can answer questions like:\n" + "\n".join(f"- {s}" for s in SUGGESTIONS)


class ChatService:
    """Answers questions for one user's `Context`. Cheap to build per question: the tools, the
    store's names, the last day with data and recent tool results come from the engine's
    `agent.chat.cache` while the data version is unchanged."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cache = chat_cache.for_engine(context.engine)
        if not self.cache.tools:
            self.cache.tools = {t.name: t for t in make_tools(context.engine)}
        self.tools: dict[str, StructuredTool] = self.cache.tools
        org = context.organization_id
        directory = self.cache.directories.get(org)
        if directory is None:
            directory = self.cache.directories[org] = Directory.load(context.engine, org)
        self.directory = directory
        self.router = Router(directory)
        scope_key = (org, context.allowed_location_ids)
        last_day = self.cache.last_days.get(scope_key)
        if last_day is None:
            last_day = resolve_scope(
                context.engine, org=org, allowed_locations=context.allowed_location_ids
            ).last_data_day
            self.cache.last_days[scope_key] = last_day
        self.last_day: date = last_day

    def route(self, question: str) -> Route:
        return self.router.route(
            question,
            allowed_location_ids=self.context.allowed_location_ids,
            last_day=self.last_day,
            location_id=self.context.location_id,
        )

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any] | str:
        """The tool's result, or its one-line error; the scope always comes from the context."""
        started = time.perf_counter()
        key = chat_cache.result_key(
            name, args, self.context.organization_id, self.context.allowed_location_ids
        )
        result = self.cache.result(key)
        cached = result is not None
        if result is None:
            result = self.tools[name].invoke(args, config=self.context.tool_config())  # type: ignore[arg-type]
            self.cache.keep(key, result)
        log.info(
            "chat tool %s args=%s ok=%s cached=%s ms=%d",
            name,
            sorted(args.items()),
            isinstance(result, dict),
            cached,
            1000 * (time.perf_counter() - started),
        )
        return result

    def answer(self, question: str) -> ChatAnswer:
        """The router's answer, with contact data for roles that may see it."""
        answer = self.answer_pseudonymous(question)
        answer.text = self.with_contacts(answer.text)
        return answer

    def answer_pseudonymous(self, question: str) -> ChatAnswer:
        """The router's answer with patients as pseudonyms (what the agent's state keeps)."""
        route = self.route(question)
        log.info("chat question routed: intent=%s status=%s", route.intent, route.status)
        if route.status == "unknown":
            return ChatAnswer("unknown", not_understood(route.message))
        if route.status in ("refuse", "clarify"):
            return ChatAnswer(route.status, route.message, intent=route.intent)
        assert route.tool is not None and route.intent is not None
        result = self.call_tool(route.tool, route.args)
        calls = [{"name": route.tool, "args": route.args}]
        if not isinstance(result, dict):
            return ChatAnswer("error", f"I couldn't answer that: {result}", tools=calls)
        text = render_answer(
            route.intent,
            result,
            route.entities.get("provider_id"),
            route.entities.get("provider"),
        )
        return ChatAnswer(
            "answer",
            text,
            facts=facts_in(result),
            tools=calls,
            intent=route.intent,
        )

    def with_contacts(self, text: str) -> str:
        """Pseudonyms → name and phone, only for roles that may see contact data."""
        ids = {int(m) for m in PSEUDONYM.findall(text)}
        if not ids or not self.context.may_see_contacts:
            return text
        contacts = patient_contacts(self.context.engine, ids)
        return PSEUDONYM.sub(lambda m: contacts.get(int(m[1]), m[0]), text)


def scope_error_message(exc: ScopeError) -> str:
    return str(exc)
