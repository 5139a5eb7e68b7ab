"""Patient matching across systems.

A patient row from source S whose `(S, external_id)` is not yet in the store is compared with
the patients imported from *other* sources:

- a candidate agrees on at least one key — E.164 phone, email (lower case), or first name +
  last name + birth date — and contradicts on none: a different birth date or a different first
  name (both present) rules it out, so family members sharing a phone are not merged;
- exactly one candidate → the row is merged into it: an `ExternalLink` (patient, S, id) is
  recorded and the existing patient's empty fields are filled; nothing is overwritten;
- several candidates → the match is ambiguous: the row is imported as a new patient and the
  import reports it (line, candidates as pseudonyms) for a person to resolve;
- none → a new patient.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, or_, select

from store import tables as t

FILLABLE = (
    "home_location_id",
    "phone_e164",
    "email",
    "birth_date",
    "acquisition_channel",
    "created_at",
    "sms_opted_out_at",
    "email_opted_out_at",
)


@dataclass(frozen=True)
class Match:
    """Outcome for one incoming patient: `target` when merged, `candidates` when ambiguous."""

    target: int | None
    matched_by: str | None
    candidates: tuple[int, ...] = ()


def _agrees(row: dict[str, Any], cand: Any) -> str | None:
    """The key on which `cand` matches `row`, or None (no key, or a contradiction)."""
    if row["birth_date"] and cand.birth_date and row["birth_date"] != cand.birth_date:
        return None
    if row["first_name"].casefold() != cand.first_name.casefold():
        return None
    if row["phone_e164"] and row["phone_e164"] == cand.phone_e164:
        return "phone"
    if row["email"] and row["email"] == cand.email:
        return "email"
    if (
        row["birth_date"]
        and row["birth_date"] == cand.birth_date
        and row["last_name"].casefold() == cand.last_name.casefold()
    ):
        return "name_birth_date"
    return None


def find_matches(conn: Connection, source: str, rows: list[dict[str, Any]]) -> list[Match]:
    """Match each incoming row (built patient rows) against other sources' patients."""
    phones = {r["phone_e164"] for r in rows if r["phone_e164"]}
    emails = {r["email"] for r in rows if r["email"]}
    births: set[date] = {r["birth_date"] for r in rows if r["birth_date"]}
    if not (phones or emails or births):
        return [Match(None, None) for _ in rows]
    pat = t.patient
    conditions = []
    if phones:
        conditions.append(pat.c.phone_e164.in_(sorted(phones)))
    if emails:
        conditions.append(pat.c.email.in_(sorted(emails)))
    if births:
        conditions.append(pat.c.birth_date.in_(sorted(births)))
    candidates = conn.execute(
        select(
            pat.c.id,
            pat.c.first_name,
            pat.c.last_name,
            pat.c.phone_e164,
            pat.c.email,
            pat.c.birth_date,
        ).where(pat.c.source != source, or_(*conditions))
    ).all()
    by_phone: dict[str, list[Any]] = defaultdict(list)
    by_email: dict[str, list[Any]] = defaultdict(list)
    by_birth: dict[date, list[Any]] = defaultdict(list)
    for cand in candidates:
        if cand.phone_e164:
            by_phone[cand.phone_e164].append(cand)
        if cand.email:
            by_email[cand.email].append(cand)
        if cand.birth_date:
            by_birth[cand.birth_date].append(cand)
    matches: list[Match] = []
    for row in rows:
        pool = {
            c.id: c
            for c in (
                by_phone.get(row["phone_e164"] or "", [])
                + by_email.get(row["email"] or "", [])
                + by_birth.get(row["birth_date"], [])
            )
        }
        agreeing = {cid: key for cid, c in pool.items() if (key := _agrees(row, c)) is not None}
        if len(agreeing) == 1:
            (cid, key), *_ = agreeing.items()
            matches.append(Match(cid, key))
        elif agreeing:
            matches.append(Match(None, None, tuple(sorted(agreeing))))
        else:
            matches.append(Match(None, None))
    return matches


def fill_blanks(existing: Any, incoming: dict[str, Any]) -> dict[str, Any]:
    """The columns of `existing` that are empty and that `incoming` can fill."""
    return {
        col: incoming[col]
        for col in FILLABLE
        if getattr(existing, col) is None and incoming.get(col) is not None
    }
