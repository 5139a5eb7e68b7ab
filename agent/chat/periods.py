"""Periods in plain words → the tools' period strings, relative to the last day with data.

- "last month" / "previous month" → `last-month` (the last complete calendar month);
- "this month" / "month to date" → the 1st of the data's month .. the last day with data;
- "last week" → the Monday–Sunday week before the week of the last day with data;
  "this week" → its Monday .. the last day;
- "this quarter" / "quarter to date" → the quarter's first day .. the last day;
  "last quarter" → the previous calendar quarter;
- "this year" / "year to date" / "ytd" → 1 January .. the last day; "last year" → the
  previous calendar year;
- "last N days" / "past N days" → `last-Nd`; "yesterday" / "today" → the last day itself;
- a month name ("October", "Oct 2025") → that month, the latest one not after the last day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.verify import MONTHS  # one month-name table for reading and checking texts
from tools.scope import Period

_MONTH = re.compile(
    r"\b(?:in |for |during )?(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b"
    r"(?:\s+(\d{4}))?",
    re.IGNORECASE,
)


def _span(start: date, end: date) -> str:
    return Period(start, end).label()


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def parse_period(question: str, last_day: date) -> str | None:
    """The period the question names, as a tool period string; None when it names none."""
    q = question.lower()
    if match := re.search(r"\b(?:last|past|previous|trailing)\s+(\d{1,3})\s+days?\b", q):
        return f"last-{int(match[1])}d"
    if re.search(r"\b(?:last|previous|past)\s+month\b", q):
        return "last-month"
    if re.search(r"\b(?:this|current)\s+month\b|\bmonth[- ]to[- ]date\b|\bmtd\b", q):
        return _span(last_day.replace(day=1), last_day)
    monday = last_day - timedelta(days=last_day.weekday())
    if re.search(r"\b(?:last|previous|past)\s+week\b", q):
        return _span(monday - timedelta(days=7), monday - timedelta(days=1))
    if re.search(r"\b(?:this|current)\s+week\b", q):
        return _span(monday, last_day)
    quarter = _quarter_start(last_day)
    if re.search(r"\b(?:last|previous)\s+quarter\b", q):
        previous = _quarter_start(quarter - timedelta(days=1))
        return _span(previous, quarter - timedelta(days=1))
    if re.search(r"\b(?:this|current)\s+quarter\b|\bquarter[- ]to[- ]date\b|\bqtd\b", q):
        return _span(quarter, last_day)
    if re.search(r"\b(?:this|current)\s+year\b|\byear[- ]to[- ]date\b|\bytd\b", q):
        return _span(date(last_day.year, 1, 1), last_day)
    if re.search(r"\b(?:last|previous)\s+year\b", q):
        return _span(date(last_day.year - 1, 1, 1), date(last_day.year - 1, 12, 31))
    if re.search(r"\b(?:yesterday|today)\b", q):
        return _span(last_day, last_day)
    if match := _MONTH.search(question):
        word = match[1].lower()
        if word == "may" and not match[2] and not re.search(r"\b(?:in|for|during)\s+may\b", q):
            return None  # "may" the verb
        month = MONTHS[word]
        year = int(match[2]) if match[2] else last_day.year
        if not match[2] and date(year, month, 1) > last_day:
            year -= 1
        return Period.month(year, month).label()
    return None
