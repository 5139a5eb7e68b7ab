"""Words for a phone-sized briefing: display names instead of keys, short labels, and actions
addressed to the person who does them (owner, front desk, manager, a named provider).

- `display(text, names)`: `meta_ads` → "Meta ads", `provider:3` → the provider's name (from
  `names`, scope key → name), any other `snake_case` key → words.
- `short_kpi_label(fact_id, days)`: "Rebooking" for `rebooking_rate.location-1.…`; the period
  goes in the table's column header, not in the label.
- `addressed_action(candidate, place, person)`: who does what, by the candidate's family.
"""

from __future__ import annotations

import re
from datetime import date

from agent.briefing.state import Candidate

KEY_NAMES: dict[str, str] = {
    "meta_ads": "Meta ads",
    "google_ads": "Google ads",
    "organic_search": "organic search",
    "tiktok_ads": "TikTok ads",
    "email_marketing": "e-mail marketing",
}
_SCOPE_KEY = re.compile(r"\b(?:provider|location|org):\d+\b")
_SNAKE = re.compile(r"(?<![.\w])[a-z]+(?:_[a-z0-9]+)+\b(?![.(])")  # not module paths

KPI_SHORT: dict[str, str] = {
    "net_revenue": "Net revenue",
    "revenue_growth": "Growth vs a year ago",
    "rebooking_rate": "Rebooking",
    "no_show_rate": "No-shows",
    "utilization": "Utilization",
    "retention_12m": "12-month retention",
    "forecast": "Forecast, next 30 days",
}


def display(text: str, names: dict[str, str] | None = None) -> str:
    """`text` with keys replaced by what a reader calls them (module doc)."""
    known = names or {}
    text = _SCOPE_KEY.sub(lambda m: known.get(m.group(0), m.group(0)), text)
    return _SNAKE.sub(lambda m: KEY_NAMES.get(m.group(0), m.group(0).replace("_", " ")), text)


def short_kpi_label(fact_id: str, days: int, day: date | None = None) -> str:
    """The table label of a KPI fact: its short name and window — "(2026-11-17)" for one day,
    "(30 days)" for a trailing window; a forecast or a percentage says its own."""
    key = fact_id.split(".", 1)[0]
    label = KPI_SHORT.get(key, display(key).capitalize())
    if key != "net_revenue":
        return label
    if days == 1 and day is not None:
        return f"{label} ({day.isoformat()})"
    return f"{label} ({days} days)" if days > 1 else label


def addressed_action(candidate: Candidate, place: str | None, person: str | None) -> str:
    """What to do, addressed to the person who does it (no numbers: nothing to verify).

    `place` is the location the finding is about (None: the whole organization), `person` the
    provider it is about (None: none)."""
    from agent.briefing.rank import family  # rank imports news, which imports state only

    desk = f"Front desk at {place}" if place else "Front desk managers"
    manager = f"Manager at {place}" if place else "Owner"
    kind = family(candidate.kind)
    if kind == "rebooking":
        if person:
            return f"{person}: book each patient's next visit before she leaves the room."
        return f"{desk}: book every patient's next visit at checkout, before she leaves."
    if kind == "utilization":
        whose = f"{person}'s" if person else "the"
        return f"{desk}: fill {whose} open hours from the waitlist and recall list."
    if kind == "lapsed_patients":
        return f"{desk}: call the patients on the list below, most valuable first."
    if kind == "no_shows":
        return f"{desk}: confirm each visit by text two days and one day ahead; card on file."
    if kind == "acquisition":
        return "Owner: move ad budget to the channel whose new patients cost less."
    if kind == "compensation":
        who = f"{person}'s" if person else "each provider's"
        return f"Owner: review {who} pay plan against what they produce."
    if kind == "refunds":
        return f"{manager}: check each refund of that day — who approved it and why."
    if kind == "membership":
        return f"{desk}: offer the membership at checkout to patients who come every month."
    if candidate.kind.startswith("anomaly"):
        return f"{manager}: find out what happened that day and tell the owner."
    return f"Owner: {display(candidate.action)}"
