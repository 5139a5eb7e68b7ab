"""Content policy for a drafted message (deterministic; each rule has its own id).

Rules (SMS unless noted):
- `segments`: at most `max_segments` SMS segments (default 2; see `segments`).
- `opt_out`: marketing SMS contain "Reply STOP to opt out" (any case).
- `practice_named`: the practice's name appears (SMS and email).
- `health_detail`: no treatment name or health detail — the service catalog's names and
  categories plus `HEALTH_TERMS`, matched as whole words, any case. E-mail may name the
  patient's last service only when the practice enables it (`allow_service_in_email`); every
  other term is still refused.
- `links`: no link except ones starting with the practice's booking URL (SMS and email).
- `placeholders`: no unfilled `{placeholder}` left in the final text (SMS and email).
The practice's name and booking URL are removed before the term and link checks, so a practice
called "Glow Laser Studio" does not trip the `laser` term.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.outreach.purposes import basis_of
from agent.outreach.segments import count_segments

OPT_OUT_TEXT = "Reply STOP to opt out"
DEFAULT_MAX_SEGMENTS = 2

HEALTH_TERMS: tuple[str, ...] = (
    "botox", "dysport", "xeomin", "daxxify", "jeuveau", "juvederm", "juvéderm", "restylane",
    "sculptra", "radiesse", "kybella", "neurotoxin", "toxin", "filler", "fillers", "injectable",
    "injectables", "injection", "injections", "laser", "microneedling", "peel", "chemical peel",
    "coolsculpting", "semaglutide", "ozempic", "wegovy", "tirzepatide", "mounjaro",
    "weight loss", "weight-loss", "glp-1", "hydrafacial", "prp", "ipl", "wrinkle", "wrinkles",
    "lips", "lip", "acne", "rosacea", "scar", "scars", "bruise", "bruising", "swelling",
    "diagnosis", "medication", "prescription", "pregnant", "pregnancy", "allergy", "allergic",
    "treatment", "treatments", "procedure", "symptom", "symptoms", "side effect",
    "side effects", "hair removal", "body contouring", "skin", "units", "syringe", "syringes",
)  # fmt: skip

URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')]+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|ly|me|us|info|biz|health|spa|app|link)"
    r"\b(?:/[^\s<>\"')]*)?",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class PolicyConfig:
    """A practice's messaging rules. `catalog_terms`: its service names and categories."""

    practice_name: str
    booking_url: str
    catalog_terms: tuple[str, ...] = ()
    max_segments: int = DEFAULT_MAX_SEGMENTS
    allow_service_in_email: bool = False


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail}


@dataclass(frozen=True)
class PolicyResult:
    violations: tuple[Violation, ...] = ()
    segments: int | None = None
    encoding: str | None = None
    checks: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "violations": [v.as_dict() for v in self.violations],
            "segments": self.segments,
            "encoding": self.encoding,
            "checks": list(self.checks),
        }


def catalog_terms(names: Iterable[str], categories: Iterable[str]) -> tuple[str, ...]:
    """Terms from the service catalog: every name and every category (`weight_loss` → both
    `weight_loss` and `weight loss`)."""
    terms: set[str] = set()
    for value in [*names, *categories]:
        value = value.strip().lower()
        if value:
            terms.add(value)
            terms.add(value.replace("_", " "))
    return tuple(sorted(terms))


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted({t.lower() for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in cleaned) + r")(?![\w-])")


def _without(text: str, *parts: str) -> str:
    for part in parts:
        if part:
            text = re.sub(re.escape(part), " ", text, flags=re.IGNORECASE)
    return text


def check_message(
    body: str,
    *,
    channel: str,
    purpose: str,
    config: PolicyConfig,
    subject: str | None = None,
    last_service: str | None = None,
) -> PolicyResult:
    """Every rule for one message; the result lists each violation with its rule id."""
    basis = basis_of(purpose)
    violations: list[Violation] = []
    full = f"{subject}\n{body}" if subject else body
    checks = ["practice_named", "links", "placeholders", "health_detail"]

    if config.practice_name.lower() not in full.lower():
        violations.append(
            Violation("practice_named", f"name the practice ({config.practice_name})")
        )

    residue = _without(full, config.practice_name)
    for url in URL.findall(residue):
        if not url.lower().startswith(config.booking_url.lower()):
            violations.append(Violation("links", f"link not allowed: {url[:80]}"))
    residue = _without(URL.sub(" ", residue), OPT_OUT_TEXT)

    left = sorted(set(PLACEHOLDER.findall(full)))
    if left:
        violations.append(Violation("placeholders", f"unfilled placeholder(s): {', '.join(left)}"))

    terms = [*config.catalog_terms, *HEALTH_TERMS]
    if channel == "email" and config.allow_service_in_email and last_service:
        residue = _without(residue, last_service)
    pattern = _term_pattern(terms)
    found = sorted(set(pattern.findall(residue.lower()))) if pattern else []
    if found:
        where = "SMS" if channel == "sms" else "e-mail"
        violations.append(
            Violation(
                "health_detail", f"no treatment or health detail in {where}: {', '.join(found)}"
            )
        )

    segments = encoding = None
    if channel == "sms":
        checks += ["segments", "opt_out"]
        count = count_segments(body)
        segments, encoding = count.segments, count.encoding
        if count.segments > config.max_segments:
            violations.append(
                Violation(
                    "segments",
                    f"{count.segments} SMS segments ({count.encoding}, {count.units} units); "
                    f"at most {config.max_segments}",
                )
            )
        if basis == "marketing" and OPT_OUT_TEXT.lower() not in body.lower():
            violations.append(Violation("opt_out", f'marketing SMS must say "{OPT_OUT_TEXT}"'))
    return PolicyResult(tuple(violations), segments, encoding, tuple(checks))
