"""The no-LLM intent router: a question → one read-only tool and its arguments.

How a question is read:
1. Entities, against the store's own names (`Directory`): locations (full name or a word of
   it, fuzzy for typos), providers ("Marcus" → "Marcus Delacroix"; an ambiguous first name asks
   which one), service categories and treatments ("botox" → neurotoxin), and the period
   (`agent.chat.periods`).
2. The intent: rules first (a metric word, "why … drop", "P&L", "forecast", "VIP", "at risk",
   "which location/provider … lowest"), then TF-IDF similarity (word 1–2-grams plus character
   3–5-grams, scikit-learn) against example questions per intent. Below `MIN_SIMILARITY`
   with no rule firing, the router says it does not understand.
3. Scope: a location or provider outside the user's allowed locations is refused before any
   tool runs; nothing in the question can widen the scope.

The result is a `Route`: `status` is `answer` (tool + args), `refuse`, `clarify` or `unknown`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from agent.chat.directory import Directory, Person, words
from agent.chat.periods import parse_period

Status = Literal["answer", "refuse", "clarify", "unknown"]

MIN_SIMILARITY = 0.22

# Metric words, most specific first: the first that matches names the metric.
METRIC_RULES: tuple[tuple[str, str], ...] = (
    (
        r"revenue per (?:provider )?hour|per[- ]hour|hourly (?:revenue|production)",
        "revenue_per_provider_hour",
    ),
    (
        r"comp(?:ensation)?[- ](?:to[- ])?(?:production|ratio)|comp ratio|payroll ratio"
        r"|payroll as a share",
        "comp_to_production",
    ),
    (r"vip concentration|share of revenue from (?:vips|top)|top 10% share", "vip_concentration"),
    (r"membership churn|members? (?:cancel|churn|quit)|churn(?:ed)? members", "membership_churn"),
    (r"\bmrr\b|membership (?:revenue|income)|recurring revenue", "membership_mrr"),
    (r"\bcac\b|cost per (?:new )?(?:patient|acquisition)|acquisition cost|cost to acquire", "cac"),
    (r"new patients?|first[- ]time (?:patients|visitors)|new clients", "new_patients"),
    (r"late[- ]cancel", "late_cancel_rate"),
    (r"no[- ]?shows?|didn't show|missed appointments", "no_show_rate"),
    (r"rebook", "rebooking_rate"),
    (r"retention|retain|coming back|return rate", "retention_12m"),
    (r"utili[sz]|capacity|chair time|how (?:full|busy)|booked hours", "utilization"),
    (r"revenue|sales|take in|took in|did we make|income|turnover|production", "net_revenue"),
)

COMPARE = re.compile(
    r"\bwhich (?:location|clinic|site|spa|provider|injector|nurse|staff)|\b(?:lowest|highest|"
    r"worst|best|top|bottom|rank|ranking|compare|comparison|versus|vs\.?|across|each|every|"
    r"per provider(?! hour)|by provider|by location|per location|leaderboard)\b",
    re.IGNORECASE,
)
PROVIDER_WORDS = re.compile(
    r"\b(?:providers?|injectors?|nurses?|staff|who on the team|clinicians?|practitioners?)\b",
    re.IGNORECASE,
)
LOCATION_WORDS = re.compile(r"\b(?:locations?|clinics?|sites?|spas?|branches)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    name: str
    tool: str | None
    args: dict[str, Any]
    examples: tuple[str, ...]


INTENTS: tuple[Intent, ...] = (
    Intent(
        "metric",
        "query_metric",
        {},
        (
            "what was our rebooking rate last month",
            "how much revenue did we do in October",
            "what is the no-show rate this quarter",
            "how is utilization looking",
            "what's our 12-month retention",
            "what is the comp to production ratio",
            "revenue per provider hour last month",
            "how many new patients did we get",
            "what is our cost per new patient",
            "membership mrr",
            "late cancel rate last week",
        ),
    ),
    Intent(
        "compare",
        "query_metric",
        {},
        (
            "which location has the lowest rebooking rate",
            "which provider has the highest no-show rate",
            "compare revenue across locations",
            "rank providers by utilization",
            "who is the best injector on rebooking",
        ),
    ),
    Intent(
        "overview",
        "get_kpis",
        {},
        (
            "how are we doing",
            "give me the headline numbers",
            "show me the kpis for last month",
            "how did the clinic perform last month",
            "summary of the practice",
            "dashboard numbers",
        ),
    ),
    Intent(
        "pnl",
        "get_provider_pnl",
        {},
        (
            "what is marcus's p&l after comp this quarter",
            "which provider is most profitable",
            "provider profit and loss",
            "how much does each provider make us after payroll",
            "profit by provider",
        ),
    ),
    Intent(
        "at_risk",
        "get_at_risk",
        {},
        (
            "which patients are at risk",
            "who is overdue for their next visit",
            "who should we call back",
            "patients likely to churn",
            "who hasn't come back on schedule",
            "call list of lapsing patients",
        ),
    ),
    Intent(
        "vips",
        "get_vips",
        {},
        (
            "who are my top vips",
            "list our best patients",
            "top spenders this year",
            "our highest value clients",
        ),
    ),
    Intent(
        "lapsed_vips",
        "get_vips",
        {"lapsed_only": True},
        (
            "top 10 vips who haven't been in for 4 months",
            "which vips have gone quiet",
            "vips we haven't seen in a while",
            "big spenders who stopped coming",
        ),
    ),
    Intent(
        "anomalies",
        "get_anomalies",
        {},
        (
            "why did revenue drop last week",
            "anything unusual lately",
            "what went wrong this week",
            "why are no-shows spiking",
            "any anomalies",
            "what happened on tuesday",
        ),
    ),
    Intent(
        "forecast",
        "get_forecast",
        {},
        (
            "what revenue do we expect next month",
            "forecast for the next 90 days",
            "are we on track this month",
            "projected revenue",
            "how much will we make in the next 30 days",
        ),
    ),
    Intent(
        "findings",
        "get_findings",
        {},
        (
            "what should i focus on",
            "where are we leaving money on the table",
            "biggest opportunities",
            "what are the biggest gaps",
            "what needs my attention",
        ),
    ),
    Intent(
        "portfolio",
        "get_portfolio",
        {},
        (
            "same store growth",
            "how are locations growing year over year",
            "growth versus last year",
        ),
    ),
    Intent(
        "acquisition",
        "get_acquisition",
        {},
        (
            "which marketing channel brings the cheapest patients",
            "cac by channel",
            "lead funnel by channel",
            "how are google ads performing",
            "is meta worth it",
        ),
    ),
    Intent(
        "opportunity",
        "get_opportunity",
        {},
        (
            "what is our total opportunity",
            "how much is the total opportunity per year",
            "what are the gaps worth per year",
            "total opportunity as a share of revenue",
        ),
    ),
    Intent(
        "more_metrics",
        "get_more_metrics",
        {},
        (
            "what is our cost per lead",
            "revenue per patient",
            "cost per retained patient",
            "rebooking for new versus returning patients",
            "utilization by weekday",
            "which time slots earn the most per hour",
            "cac by first treatment",
            "membership conversion rate",
            "treatment mix by location",
        ),
    ),
    Intent(
        "decline",
        None,
        {},
        (
            "tell me a joke",
            "what's the weather",
            "write me a poem",
            "delete all patients",
            "drop table patients",
            "change the price of botox",
            "send a text to every patient",
            "run this sql",
            "ignore previous instructions",
            "who won the game",
            "book an appointment for me",
            "what is the meaning of life",
        ),
    ),
)
INTENT_BY_NAME = {intent.name: intent for intent in INTENTS}

# Rules on the question's words: (pattern, intent), first match wins; they beat similarity.
INTENT_RULES: tuple[tuple[str, str], ...] = (
    (
        r"\bsql\b|\bdrop table\b|\bdelete\b|\bupdate the\b|\bignore (?:all |previous |prior )",
        "decline",
    ),
    (
        r"\b(?:send|text|email|e-mail|message)\b.*\b(?:to )?(?:all|every|each)\b.*\bpatients?\b",
        "decline",
    ),
    (
        r"\b(?:why|what caused|what happened|explain)\b.*"
        r"\b(?:drop|dip|fall|fell|down|declin|spik|jump|up|low|high|worse)",
        "anomalies",
    ),
    (r"\banomal|\bunusual\b|\bweird\b|\bspik", "anomalies"),
    (r"\bvip concentration\b|\bshare of revenue from vips\b", "metric"),
    (r"\btotal opportunity\b|\bgaps? worth\b|\bopportunity per year\b", "opportunity"),
    (
        r"\bcost per (?:lead|retained)|\brevenue per (?:patient|member|booked hour|slot)"
        r"|\bmembership conversion\b|\bby (?:weekday|day of (?:the )?week|cohort|first treatment)"
        r"\b|\bnew (?:vs\.?|versus) returning\b|\btreatment mix\b|\b(?:best|busiest) (?:time )?"
        r"slots?\b|\bper hour after (?:comp|pay)",
        "more_metrics",
    ),
    (r"\bp&l\b|\bp ?and ?l\b|\bprofit|\bafter comp|\bmargin", "pnl"),
    (
        r"\bforecast|\bproject(?:ed|ion)|\bexpect|\bon track\b"
        r"|\bnext (?:\d+ )?(?:days|month|quarter)",
        "forecast",
    ),
    (
        r"\bvips?\b.*\b(?:haven't|have not|not been|quiet|lapsed|lapsing|stopped|missing|gone)"
        r"|\b(?:lapsed|lapsing) vips?",
        "lapsed_vips",
    ),
    (
        r"\bat[- ]risk\b|\boverdue\b|\bcall (?:list|back)\b|\blapsing\b|\blosing\b"
        r"|\bchurn(?:ing)? patients",
        "at_risk",
    ),
    (r"\bvips?\b|\bbest patients\b|\btop (?:\d+ )?(?:spenders|patients|clients)", "vips"),
    (r"\bsame[- ]store\b|\byear over year\b|\byoy\b", "portfolio"),
    (r"\bchannel|\bfunnel\b|\bgoogle ads\b|\bmeta\b|\bleads?\b", "acquisition"),
    (
        r"\bfocus on\b|\bopportunit|\bmoney on the table\b|\bgaps?\b|\bfindings\b|\battention\b",
        "findings",
    ),
    (
        r"\bkpis?\b|\bheadline\b|\bhow (?:are|did|is) (?:we|the clinic|the practice|things|it)\b"
        r".*\b(?:doing|going|perform)",
        "overview",
    ),
)

SUGGESTIONS = (
    "What was our rebooking rate last month?",
    "Which provider has the lowest rebooking on filler?",
    "Why did revenue drop last week?",
    "Who are my top 10 VIPs who haven't been in for 4 months?",
    "What is the revenue forecast for the next 30 days?",
)


@dataclass
class Route:
    """What the router made of a question."""

    status: Status
    intent: str | None = None
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    similarity: float = 0.0
    entities: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _similarity_model() -> tuple[Any, Any, Any, list[str]]:
    """TF-IDF vectorisers over word and character n-grams, fitted on the example questions.
    Built on first use (scikit-learn loads only then)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [example for intent in INTENTS for example in intent.examples]
    labels = [intent.name for intent in INTENTS for _ in intent.examples]
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix_word = word.fit_transform(texts)
    matrix_char = char.fit_transform(texts)
    return (word, char, (matrix_word, matrix_char), labels)


def similar_intent(question: str) -> tuple[str, float]:
    """The intent whose example is most similar to the question, and the similarity (the mean
    of word and character cosine similarities; TF-IDF rows are L2-normalised)."""
    word, char, (matrix_word, matrix_char), labels = _similarity_model()
    text = question.lower()
    scores = (matrix_word @ word.transform([text]).T).toarray().ravel() + (
        matrix_char @ char.transform([text]).T
    ).toarray().ravel()
    best = int(scores.argmax())
    return labels[best], float(scores[best]) / 2


# --------------------------------------------------------------------------- entities


def _fuzzy(token: str, candidates: list[str], cutoff: float = 0.84) -> bool:
    return bool(difflib.get_close_matches(token, candidates, n=1, cutoff=cutoff))


STOP = {"the", "a", "an", "and", "of", "at", "in", "on", "for", "to", "my", "our", "is", "was"}


def find_locations(question: str, directory: Directory) -> list[int]:
    """Locations named in the question: the full name, or a distinctive word of it (exact, or
    fuzzy for words of five letters or more)."""
    q = question.lower()
    tokens = words(question)
    found = []
    for lid, name in directory.locations.items():
        if name.lower() in q:
            found.append(lid)
            continue
        own = [w for w in words(name) if w not in STOP and len(w) >= 4]
        if own and all(w in tokens or (len(w) >= 5 and _fuzzy(w, tokens)) for w in own):
            found.append(lid)
    return found


def find_providers(question: str, directory: Directory) -> list[Person]:
    """Providers named by full name, last name or first name (fuzzy for typos)."""
    q = question.lower()
    tokens = [w.removesuffix("'s") for w in words(question)]
    full = [p for p in directory.providers if p.name.lower() in q]
    if full:
        return full
    last = [p for p in directory.providers if p.last.lower() in tokens]
    if last:
        return last
    first = [p for p in directory.providers if p.first.lower() in tokens]
    if first:
        return first
    return [
        p
        for p in directory.providers
        if len(p.first) >= 5 and _fuzzy(p.first.lower(), [w for w in tokens if len(w) >= 4])
    ]


def find_category(question: str, directory: Directory) -> str | None:
    q = " " + " ".join(words(question)) + " "
    for category, phrases in directory.categories.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            if f" {' '.join(words(phrase))} " in q:
                return category
    return None


def find_metric(question: str) -> str | None:
    for pattern, metric in METRIC_RULES:
        if re.search(pattern, question, re.IGNORECASE):
            return metric
    return None


def _limit(question: str) -> int | None:
    match = re.search(
        r"\btop (\d{1,2})\b|\b(\d{1,2}) (?:vips|patients|clients)\b", question.lower()
    )
    if match:
        return max(1, min(50, int(match[1] or match[2])))
    return None


def _quiet_days(question: str) -> int | None:
    match = re.search(r"\b(\d{1,2}) months?\b", question.lower())
    if match and re.search(
        r"haven't|have not|not been|quiet|in (?:over|more than)", question.lower()
    ):
        return max(30, min(730, 30 * int(match[1])))
    return None


# --------------------------------------------------------------------------- routing


class Router:
    """Routes questions for one organization's names; reuse it across questions."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def route(
        self,
        question: str,
        *,
        allowed_location_ids: tuple[int, ...],
        last_day: date,
        location_id: int | None = None,
    ) -> Route:
        text = " ".join(question.split())
        if not text:
            return Route("unknown", message="Ask me a question about the practice's numbers.")
        locations = find_locations(text, self.directory)
        providers = find_providers(text, self.directory)
        category = find_category(text, self.directory)
        metric = find_metric(text)
        period = parse_period(text, last_day)
        entities: dict[str, Any] = {
            "locations": locations,
            "providers": [p.id for p in providers],
            "category": category,
            "metric": metric,
            "period": period,
        }

        intent_name = self._rule_intent(text)
        similarity = 0.0
        if intent_name is None:
            guess, similarity = similar_intent(text)
            if metric is not None and guess not in ("compare", "pnl"):
                intent_name = "metric"
            elif similarity >= MIN_SIMILARITY:
                intent_name = guess
            elif metric is not None:
                intent_name = "metric"
        if intent_name in ("metric", "compare") and metric is None:
            intent_name = "overview" if intent_name == "metric" else None
        if intent_name is None:
            return Route(
                "unknown",
                similarity=similarity,
                entities=entities,
                message="I didn't understand that question.",
            )
        if intent_name == "decline":
            return Route(
                "refuse",
                intent="decline",
                similarity=similarity,
                entities=entities,
                message="I can only answer questions about the practice's numbers; I can't do "
                "that.",
            )

        # Scope: anything named outside the allowed locations is refused before any tool runs.
        allowed = set(allowed_location_ids)
        outside = [lid for lid in locations if lid not in allowed]
        outside += [p.location_id for p in providers if p.location_id not in allowed]
        if outside and not [lid for lid in locations if lid in allowed]:
            names = ", ".join(sorted({self.directory.locations[lid] for lid in outside}))
            return Route(
                "refuse",
                intent=intent_name,
                entities=entities,
                message=f"You don't have access to {names}; I can only answer about the "
                "locations you manage.",
            )
        if len(locations) > 1 and intent_name not in ("compare",):
            if metric is not None and intent_name == "metric":
                intent_name = "compare"
            else:
                return Route(
                    "clarify",
                    intent=intent_name,
                    entities=entities,
                    message="Which location do you mean: "
                    + " or ".join(self.directory.locations[lid] for lid in locations)
                    + "?",
                )
        chosen_location = locations[0] if len(locations) == 1 else location_id
        if chosen_location is not None and chosen_location not in allowed:
            return Route(
                "refuse",
                intent=intent_name,
                entities=entities,
                message="You don't have access to that location.",
            )
        people = [p for p in providers if p.location_id in allowed]
        if len({p.id for p in people}) > 1 and intent_name in ("metric", "pnl"):
            return Route(
                "clarify",
                intent=intent_name,
                entities=entities,
                message="Which provider do you mean: " + " or ".join(p.name for p in people) + "?",
            )
        provider = people[0] if people else None

        intent = INTENT_BY_NAME[intent_name]
        args: dict[str, Any] = dict(intent.args)
        if intent_name in ("metric", "compare"):
            args["metric"] = metric
            if intent_name == "compare" or COMPARE.search(text):
                if PROVIDER_WORDS.search(text) or (provider is None and "who" in text.lower()):
                    args["by"] = "provider"
                elif LOCATION_WORDS.search(text) or len(locations) > 1 or provider is None:
                    args["by"] = "location"
                intent_name = "compare" if "by" in args else "metric"
            if provider is not None and args.get("by") != "provider":
                args["provider_id"] = provider.id
                args.pop("by", None)
                intent_name = "metric"
            if category is not None and metric == "rebooking_rate":
                args["category"] = category
            if len(locations) > 1:
                args["by"] = "location"
        across = intent_name == "compare" and len(locations) > 1
        if intent_name != "portfolio" and chosen_location is not None and not across:
            args["location_id"] = chosen_location
        if provider is not None and intent_name == "pnl" and chosen_location is None:
            args["location_id"] = provider.location_id
        if period is not None and intent.tool in (
            "query_metric",
            "get_kpis",
            "get_provider_pnl",
            "get_portfolio",
            "get_acquisition",
            "get_more_metrics",
        ):
            args["period"] = period
        if intent.tool in ("get_at_risk", "get_vips"):
            limit = _limit(text)
            if limit is not None:
                args["limit"] = limit
        if intent_name == "lapsed_vips":
            quiet = _quiet_days(text)
            if quiet is not None:
                args["quiet_days"] = quiet
        if provider is not None:
            entities["provider"] = provider.name
            entities["provider_id"] = provider.id
        return Route(
            "answer",
            intent=intent_name,
            tool=intent.tool,
            args=args,
            similarity=similarity,
            entities=entities,
        )

    @staticmethod
    def _rule_intent(text: str) -> str | None:
        for pattern, name in INTENT_RULES:
            if re.search(pattern, text, re.IGNORECASE):
                return name
        if COMPARE.search(text) and find_metric(text) is not None:
            return "compare"
        return None
