"""Parsing of one cell into a typed value, with errors that say what was wrong.

Parsers take the canonical text of a cell (already stripped) and the import's `ParseOptions`
(from the preset), and raise `RowError` naming the column and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers


class RowError(ValueError):
    """One row cannot be imported: `column` (canonical name or None), `code` (groups reasons in
    the summary) and a human message."""

    def __init__(self, column: str | None, code: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.code = code
        self.message = message


TRUE_WORDS = frozenset(
    {"true", "t", "yes", "y", "1", "x", "on", "active", "opted_in", "subscribed"}
)
FALSE_WORDS = frozenset(
    {"false", "f", "no", "n", "0", "off", "inactive", "opted_out", "unsubscribed"}
)

# Vocabulary every import understands, on top of a preset's own `values:` maps. Keys are
# normalized with `vocab_key` (lower case, runs of spaces/dashes/slashes → "_").
BUILTIN_VOCABULARY: dict[str, dict[str, str]] = {
    "status": {
        "booked": "booked",
        "scheduled": "booked",
        "confirmed": "booked",
        "pending": "booked",
        "unconfirmed": "booked",
        "completed": "completed",
        "complete": "completed",
        "checked_out": "completed",
        "checked_in": "completed",
        "arrived": "completed",
        "finished": "completed",
        "fulfilled": "completed",
        "no_show": "no_show",
        "noshow": "no_show",
        "ns": "no_show",
        "missed": "no_show",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "cancel": "cancelled",
        "late_cancel": "late_cancel",
        "late_cancelled": "late_cancel",
        "late_canceled": "late_cancel",
        "late_cancellation": "late_cancel",
        "lc": "late_cancel",
    },
    "kind": {
        "service": "service",
        "services": "service",
        "product": "product",
        "retail": "product",
        "membership": "membership",
        "refund": "refund",
        "return": "refund",
    },
    "category": {
        "neurotoxin": "neurotoxin",
        "toxin": "neurotoxin",
        "botox": "neurotoxin",
        "filler": "filler",
        "dermal_filler": "filler",
        "laser": "laser",
        "skin": "skin",
        "skincare": "skin",
        "skin_care": "skin",
        "facial": "skin",
        "body": "body",
        "body_contouring": "body",
        "weight_loss": "weight_loss",
        "membership": "membership",
        "retail": "retail",
        "product": "retail",
        "consult": "consult",
        "consultation": "consult",
    },
}

_VOCAB_SEPARATORS = re.compile(r"[\s\-/.]+")


def vocab_key(text: str) -> str:
    """`"No Show"`, `"no-show"`, `" NO_SHOW "` → `"no_show"`."""
    return _VOCAB_SEPARATORS.sub("_", text.strip().lower()).strip("_")


@dataclass(frozen=True)
class ParseOptions:
    """How cells are read; a preset sets these (see docs/import.md)."""

    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    decimal_comma: bool = False
    phone_region: str = "US"
    vocabulary: dict[str, dict[str, str]] = field(default_factory=dict)
    timezones: dict[str, str] = field(default_factory=dict)


def parse_date(text: str, options: ParseOptions, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for fmt in options.date_formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    # A full timestamp in a date column keeps its calendar day.
    for fmt in options.datetime_formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    expected = ", ".join(("YYYY-MM-DD", *options.date_formats))
    raise RowError(column, "bad_date", f"cannot read {text!r} as a date (expected {expected})")


def parse_datetime(text: str, options: ParseOptions, column: str) -> datetime:
    """A naive (local) or aware datetime; date-only text means midnight."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in options.datetime_formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    for fmt in options.date_formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    expected = ", ".join(("ISO 8601", *options.datetime_formats))
    raise RowError(
        column, "bad_datetime", f"cannot read {text!r} as a date and time (expected {expected})"
    )


_MONEY_NOISE = re.compile(r"[\s$€£¥]|[A-Za-z]{3}")
_CENT = Decimal("0.01")


_PLAIN_MONEY = re.compile(r"-?\d+(?:\.\d{1,2})?")


def parse_money(text: str, options: ParseOptions, column: str) -> int:
    """Cents from `1234.50`, `$1,234.50`, `-$10.00`, `(12.00)`, `1.234,50` (decimal comma)."""
    if _PLAIN_MONEY.fullmatch(text) and not options.decimal_comma:
        # At most two decimals: float(text) * 100 is within 1e-6 of the exact cents.
        return round(float(text) * 100)
    cleaned = _MONEY_NOISE.sub("", text)
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1]
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:]
    elif cleaned.endswith("-"):
        negative, cleaned = not negative, cleaned[:-1]
    cleaned = cleaned.lstrip("+$")
    if options.decimal_comma:
        cleaned = cleaned.replace(".", "").replace("'", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "").replace("'", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise RowError(column, "bad_money", f"cannot read {text!r} as an amount") from None
    if not amount.is_finite():
        raise RowError(column, "bad_money", f"cannot read {text!r} as an amount")
    cents = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -cents if negative else cents


def parse_int(text: str, column: str) -> int:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        pass
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise RowError(column, "bad_number", f"cannot read {text!r} as a whole number") from None
    if not number.is_integer():
        raise RowError(column, "bad_number", f"{text!r} is not a whole number")
    return int(number)


def parse_number(text: str, options: ParseOptions, column: str) -> float:
    cleaned = text.replace(",", ".") if options.decimal_comma else text.replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        raise RowError(column, "bad_number", f"cannot read {text!r} as a number") from None


def parse_bool(text: str, column: str) -> bool:
    key = vocab_key(text)
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise RowError(column, "bad_boolean", f"cannot read {text!r} as yes/no")


def parse_choice(text: str, options: ParseOptions, column: str, choices: tuple[str, ...]) -> str:
    key = vocab_key(text)
    value = options.vocabulary.get(column, {}).get(key)
    if value is None:
        value = BUILTIN_VOCABULARY.get(column, {}).get(key)
    if value is None and key in choices:
        value = key
    if value is None or value not in choices:
        raise RowError(
            column,
            f"unknown_{column}",
            f"unknown {column} {text!r} (expected one of {', '.join(choices)}, "
            f"or add it to the preset's values)",
        )
    return value


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo; raises ZoneInfoNotFoundError/ValueError for unknown names."""
    return ZoneInfo(name)


def parse_timezone(text: str, options: ParseOptions, column: str) -> ZoneInfo:
    name = options.timezones.get(text, text)
    try:
        return zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowError(
            column,
            "bad_timezone",
            f"unknown time zone {text!r} (use an IANA name like America/Chicago, "
            "or map it in the preset's timezones)",
        ) from None


def to_utc(moment: datetime, local_zone: ZoneInfo) -> datetime:
    """An aware UTC datetime; naive values are read as local time in `local_zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone)
    return moment.astimezone(UTC)


def normalize_phone(text: str, region: str) -> str | None:
    """E.164 (`+15125550142`) or None when the text is not a valid phone number."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(text: str) -> str | None:
    """Lower-cased address, or None when it does not look like one."""
    value = text.strip().lower()
    return value if _EMAIL.match(value) else None
