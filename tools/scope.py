"""Scope and period arguments shared by every tool."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    """An inclusive range of local dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def label(self) -> str:
        if self.start.day == 1 and self.end == _month_end(self.start):
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, _month_end(first))

    @classmethod
    def trailing(cls, days: int, as_of: date) -> Period:
        return cls(as_of - timedelta(days=days - 1), as_of)

    @classmethod
    def parse(cls, text: str, as_of: date) -> Period:
        """'2026-10' (a month), 'last-30d' (ending as_of), or 'YYYY-MM-DD..YYYY-MM-DD'."""
        text = text.strip()
        if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
            return cls.month(int(match[1]), int(match[2]))
        if match := re.fullmatch(r"last-(\d+)d", text):
            return cls.trailing(int(match[1]), as_of)
        if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            return cls(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        raise ValueError(
            f"unrecognised period {text!r}: use YYYY-MM, last-30d or YYYY-MM-DD..YYYY-MM-DD"
        )


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass(frozen=True)
class Scope:
    """What a tool looks at: an organization, optionally one location and/or one provider."""

    organization_id: int
    location_id: int | None = None
    provider_id: int | None = None

    def key(self) -> str:
        if self.provider_id is not None:
            return f"provider:{self.provider_id}"
        if self.location_id is not None:
            return f"location:{self.location_id}"
        return f"org:{self.organization_id}"
