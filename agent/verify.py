"""Fact verification of any text a graph writes (a briefing, an outreach draft, a chat answer):
every number, percentage, money amount and date in the text must be a fact of a `FactSet`;
every staff or place name must be one the facts are about. The briefing-specific checks (points
in ranked order, each stating its dollars) are in `agent.briefing.verify`.

Extraction (`extract_claims`) finds, in this order so each span is read once:
- money: `$12,345`, `$12.3k`, `$1.2M`, `-$500`;
- percentages: `61%`, `61.2 %`, `61 percent`; percentage points: `20 points`, `12.5 pp`;
- ratios: `2.1×`, `2.1x`;
- dates: `2026-11-24`, `Nov 24`, `November 24, 2026`, `24 November 2026`, `November 2026`,
  `2026-11` (a month);
- any other number (`14`, `1,204`, `3.5`).
Pseudonyms (`P-1234`), cited fact ids in brackets (`[rebooking.location-2]`) and constants that
name a metric ("top 10%" of patients, "12-month") are removed first; pseudonyms are checked
against the facts' patients separately. A range "35–50%" reads as two percentages. A point's
action copied verbatim from the tool that made the finding is the tool's text and not re-checked
(it holds operational advice such as "confirm 48 h ahead", not data); likewise a fact's label
quoted verbatim ("Usual no-show rate (median of the previous 12 weeks)") is the tool's text.

Matching (`match_claim`) uses the precision the text shows: a number written with d decimals
matches a fact whose value rounds to it, i.e. |fact − text| ≤ ½·10^−d (`$12,345` ↔ 12345.4;
`61%` ↔ 0.612; `61.2%` ↔ 0.6124; `2.1×` ↔ 2.14; `$12.3k` ↔ 12,340 within $50). Signs are
ignored ("down 12%" cites −0.12). A percentage matches a percent fact (×100); percentage points
match a percent fact too; money matches USD facts; other numbers match count, days, minutes,
hours and USD facts, a fact period's length in days, or a year of a fact's date. A date matches
a date fact, a fact's period start or end, or the briefing's day.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tools.facts import Fact, FactSet

MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

PSEUDONYM = re.compile(r"\bP-(\d+)\b")
# Constants that are part of a metric's name, not data: "top 10% of patients" (VIPs),
# "12-month retention/revenue", "trailing 12 months".
DEFINITIONS = re.compile(r"\btop 10%|\b12[- ]months?\b|\btrailing[- ]12\b", re.IGNORECASE)
# "35–50%" is two percentages.
PERCENT_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s?[–-]\s?(\d+(?:\.\d+)?)\s?%")
CITATION = re.compile(r"\[\s*(?:fact:\s*)?[A-Za-z_][\w.:\-/]*\s*\]")
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "money",
        re.compile(
            r"(?P<sign>[-−])?\$\s?(?P<num>" + _NUM + r")\s?"
            r"(?P<suffix>k|K|M|million|thousand|bn|billion)?(?![\w])",
        ),
    ),
    ("percent", re.compile(r"(?P<sign>[-−+])?(?P<num>" + _NUM + r")\s?(?:%|percent\b)")),
    (
        "points",
        re.compile(
            r"(?P<num>" + _NUM + r")\s?(?:percentage[- ]points?|points?|pts|pp)\b", re.IGNORECASE
        ),
    ),
    ("ratio", re.compile(r"(?P<num>" + _NUM + r")\s?(?:×|x\b|times\b)")),
    ("iso_date", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    ("iso_month", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})\b(?!-)")),
    (
        "day_month",
        re.compile(
            r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<y>\d{4}))?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "month_day",
        re.compile(
            r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(?P<y>\d{4}))?",
            re.IGNORECASE,
        ),
    ),
    ("month_year", re.compile(r"\b" + _MONTH + r"\s+(?P<y>\d{4})\b", re.IGNORECASE)),
    ("number", re.compile(r"(?<![\w.])(?P<sign>[-−])?(?P<num>" + _NUM + r")(?![\w])")),
]
SUFFIX = {"k": 1e3, "K": 1e3, "thousand": 1e3, "M": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
HONORIFIC = re.compile(r"\b(?:Dr|Doctor|Nurse|NP|PA|RN)\.?\s+(?P<name>[A-Z][a-zA-Z'\-]+)")


@dataclass(frozen=True)
class Claim:
    """One number or date found in the text."""

    kind: str  # money, percent, points, ratio, date, month, number
    text: str
    value: float | None = None
    tolerance: float = 0.0
    day: date | None = None
    month: tuple[int, int] | None = None  # (year, month)
    day_month: tuple[int, int] | None = None  # (month, day) without a year


@dataclass
class CheckResult:
    """The verdict on a written text: every claim with its matching fact, or why it failed."""

    matched: list[tuple[Claim, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "checked": len(self.matched) + len(self.reasons),
            "matched": [{"text": c.text, "fact_id": fid} for c, fid in self.matched],
            "reasons": list(self.reasons),
        }


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _to_float(number: str) -> float:
    return float(number.replace(",", ""))


def _claim(kind: str, match: re.Match[str]) -> Claim | None:
    groups = match.groupdict()
    text = match.group(0).strip()
    if kind in ("money", "percent", "points", "ratio", "number"):
        number = groups["num"]
        value = _to_float(number)
        tolerance = 0.5 * 10 ** -_decimals(number)
        if kind == "money" and groups.get("suffix"):
            scale = SUFFIX[groups["suffix"]]
            value *= scale
            tolerance *= scale
        return Claim(kind=kind, text=text, value=value, tolerance=tolerance + 1e-9)
    month_name = groups.get("month")
    month = MONTHS[month_name.lower().rstrip(".")] if month_name else int(groups.get("m") or 0)
    if not 1 <= month <= 12:
        return None
    year = int(groups["y"]) if groups.get("y") else None
    if kind in ("iso_month", "month_year"):
        assert year is not None
        return Claim(kind="month", text=text, month=(year, month))
    day_number = int(groups["d"])
    if year is None:
        return Claim(kind="date", text=text, day_month=(month, day_number))
    try:
        return Claim(kind="date", text=text, day=date(year, month, day_number))
    except ValueError:
        return Claim(kind="date", text=text, value=None)


def extract_claims(text: str) -> list[Claim]:
    """Every number, percentage, money amount and date in `text`, left to right."""
    remaining = PSEUDONYM.sub(" ", CITATION.sub(" ", DEFINITIONS.sub(" ", text)))
    remaining = PERCENT_RANGE.sub(r"\1% – \2%", remaining)
    found: list[tuple[int, Claim]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(remaining):
            claim = _claim(kind, match)
            if claim is not None:
                found.append((match.start(), claim))
        # Blank out what this pattern read so later, looser patterns do not read it again.
        remaining = pattern.sub(lambda m: " " * len(m.group(0)), remaining)
    return [claim for _, claim in sorted(found, key=lambda item: item[0])]


def _numeric(fact: Fact) -> float | None:
    if isinstance(fact.value, bool) or not isinstance(fact.value, int | float):
        return None
    return float(fact.value)


def _fact_dates(fact: Fact) -> list[date]:
    days = [d for d in (fact.period_start, fact.period_end) if d is not None]
    if fact.unit == "date" and isinstance(fact.value, str):
        with contextlib.suppress(ValueError):
            days.append(date.fromisoformat(fact.value[:10]))
    return days


AS_OF_FACT = "as_of"
"""What a date claim naming the text's own day (its as-of date) is matched to."""


def match_claim(claim: Claim, facts: FactSet, as_of: date) -> str | None:
    """The id of a fact that supports `claim`, or None."""
    if claim.kind in ("date", "month"):
        # The text's own day (`as_of`) is always a fact, even where the tools found nothing.
        dated = [(fact.id, day) for fact in facts.values() for day in _fact_dates(fact)]
        for source, day in [*dated, (AS_OF_FACT, as_of)]:
            if claim.day is not None and day == claim.day:
                return source
            if claim.month is not None and (day.year, day.month) == claim.month:
                return source
            if claim.day_month is not None and (day.month, day.day) == claim.day_month:
                return source
        return None
    assert claim.value is not None
    wanted = abs(claim.value)
    for fact in facts.values():
        value = _numeric(fact)
        if value is None:
            continue
        candidates: list[float] = []
        if claim.kind == "money":
            candidates = [value] if fact.unit == "USD" else []
        elif claim.kind in ("percent", "points"):
            candidates = [value * 100] if fact.unit == "percent" else []
        elif claim.kind == "ratio":
            candidates = [value] if fact.unit == "ratio" else []
        elif fact.unit in ("count", "days", "minutes", "hours", "USD"):
            candidates = [value]
        if any(abs(abs(c) - wanted) <= claim.tolerance for c in candidates):
            return fact.id
    if claim.kind == "number":
        for fact in facts.values():
            if fact.period_start and fact.period_end:
                length = (fact.period_end - fact.period_start).days + 1
                if abs(length - wanted) <= claim.tolerance:
                    return f"{fact.id}#period_days"
            if wanted.is_integer() and any(d.year == int(wanted) for d in _fact_dates(fact)):
                return f"{fact.id}#year"
    return None


def check_text(text: str, facts: FactSet, *, as_of: date, where: str = "text") -> CheckResult:
    """Match every claim of `text` to a fact; unmatched claims become reasons."""
    result = CheckResult()
    for claim in extract_claims(text):
        fact_id = match_claim(claim, facts, as_of)
        if fact_id is None:
            result.reasons.append(f"{where}: {claim.text!r} matches no fact")
        else:
            result.matched.append((claim, fact_id))
    return result


def check_names(
    text: str,
    *,
    allowed_names: Iterable[str],
    directory: Iterable[str],
    allowed_pseudonyms: Iterable[str],
    where: str = "text",
) -> list[str]:
    """Reasons why `text` names someone the facts are not about (empty when fine).

    - A pseudonym must belong to a patient in the facts.
    - A staff or place name from the organization's directory must be one the facts are about.
    - A title followed by a name ("Dr. Kim") must name someone the facts are about.
    """
    reasons: list[str] = []
    pseudonyms = set(allowed_pseudonyms)
    for match in PSEUDONYM.finditer(text):
        if match.group(0) not in pseudonyms:
            reasons.append(f"{where}: patient {match.group(0)} is not in the facts")
    allowed = [name for name in allowed_names if name]
    allowed_tokens = {token.lower() for name in allowed for token in re.findall(r"[\w'-]+", name)}
    lowered = text.lower()
    for name in directory:
        if not name or name in allowed:
            continue
        if re.search(r"\b" + re.escape(name.lower()) + r"\b", lowered) and not any(
            name.lower() in other.lower() for other in allowed
        ):
            reasons.append(f"{where}: names {name!r}, whom the facts are not about")
    for match in HONORIFIC.finditer(text):
        if match.group("name").lower() not in allowed_tokens:
            reasons.append(f"{where}: names {match.group(0)!r}, whom the facts are not about")
    return reasons


def pseudonyms_in(facts: FactSet) -> set[str]:
    """Pseudonyms of the patients the facts are about (fact scope `patient:P-123`)."""
    return {
        fact.scope.split(":", 1)[1] for fact in facts.values() if fact.scope.startswith("patient:")
    }
