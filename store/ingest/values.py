"""Parsing of one cell into a typed value, with errors that say what was wrong.

Parsers take the canonical text of a cell (already stripped) and the import's `ParseOptions`
(from the preset), and raise `RowError` naming the column and the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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


MIN_YEAR, MAX_YEAR = 1900, 2100
"""Dates and times outside these years are refused: `9999-12-31` is a placeholder, not a day,
and converting it to UTC or adding a duration to it overflows."""


def check_year(value: date, text: str, column: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise RowError(
            column,
            "date_out_of_range",
            f"{_show(text)} is outside the years {MIN_YEAR}–{MAX_YEAR}",
        )


def parse_date(text: str, options: ParseOptions, column: str) -> date:
    """A calendar day between `MIN_YEAR` and `MAX_YEAR`."""
    value = _parse_date(text, options, column)
    check_year(value, text, column)
    return value


def _parse_date(text: str, options: ParseOptions, column: str) -> date:
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
    """A naive (local) or aware datetime between `MIN_YEAR` and `MAX_YEAR`; date-only text
    means midnight."""
    value = _parse_datetime(text, options, column)
    check_year(value, text, column)
    return value


def _parse_datetime(text: str, options: ParseOptions, column: str) -> datetime:
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


_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}(?=[-+($€£¥\d.])|(?<=[\d)])[A-Za-z]{3}$")
_SPACES = re.compile(r"\s+")
# One amount: an optional opening parenthesis, at most one sign, an optional currency symbol,
# digits (thousands grouped by threes, consistently) and at most two decimals, an optional
# trailing minus and the closing parenthesis. Exponents, repeated signs and ragged grouping
# (`1e15`, `--5`, `$1,2,3`) do not match.
_AMOUNT_PARTS = (
    r"(?P<open>\()?(?P<sign>[-+])?(?P<cur>[$€£¥])?(?P<sign2>[-+])?"
    r"(?P<int>\d{{1,3}}(?:{group}\d{{3}})+|\d+)?(?:{point}(?P<frac>\d{{1,2}}))?"
    r"(?P<trail>-)?(?P<close>\))?"
)
_AMOUNT = re.compile(_AMOUNT_PARTS.format(group="[,']", point=r"\."))
_AMOUNT_COMMA = re.compile(_AMOUNT_PARTS.format(group="[.']", point=","))
_PLAIN_MONEY = re.compile(r"-?\d{1,13}(?:\.\d{1,2})?")
MAX_CENTS = 2**63 - 1
"""The largest amount a 64-bit cents column holds ($92,233,720,368,547,758.07)."""


def parse_money(text: str, options: ParseOptions, column: str) -> int:
    """Cents from `1234.50`, `$1,234.50`, `-$10.00`, `(12.00)`, `USD 12`, `1.234,50` (with
    `decimal_comma`). Strict: at most two decimals, one sign, thousands grouped by threes; no
    exponents. Anything else is a `bad_money` error naming the text."""
    if not options.decimal_comma and _PLAIN_MONEY.fullmatch(text):
        # At most 15 significant digits: float(text) * 100 is within 1e-6 of the exact cents.
        return round(float(text) * 100)
    cleaned = _CURRENCY_CODE.sub("", _SPACES.sub("", text))
    match = (_AMOUNT_COMMA if options.decimal_comma else _AMOUNT).fullmatch(cleaned)
    signs = match and [s for s in (match["sign"], match["sign2"], match["trail"]) if s]
    if (
        match is None
        or not (match["int"] or match["frac"])
        or bool(match["open"]) != bool(match["close"])
        or len(signs or ()) > 1
        or (match["open"] and signs)
        or (match["int"] and len({c for c in match["int"] if not c.isdigit()}) > 1)
    ):
        raise RowError(
            column,
            "bad_money",
            f"cannot read {_show(text)} as an amount (expected e.g. 1234.50, $1,234.50, "
            "-12.00 or (12.00); at most two decimals)",
        )
    digits = "".join(c for c in (match["int"] or "0") if c.isdigit())
    cents = int(digits) * 100 + int((match["frac"] or "0").ljust(2, "0"))
    if cents > MAX_CENTS:
        raise RowError(column, "out_of_range", f"amount {_show(text)} is too large to store")
    negative = bool(match["open"]) or "-" in (signs or ())
    return -cents if negative else cents


def _show(text: str) -> str:
    """A cell quoted for a message, cut to 40 characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


INT32_MAX = 2**31 - 1


def parse_int(text: str, column: str) -> int:
    """A whole number within the 32-bit range of the store's integer columns."""
    cleaned = text.replace(",", "")
    try:
        number = int(cleaned)
    except ValueError:
        try:
            as_float = float(cleaned)
        except ValueError:
            raise RowError(
                column, "bad_number", f"cannot read {_show(text)} as a whole number"
            ) from None
        if not as_float.is_integer():
            raise RowError(column, "bad_number", f"{_show(text)} is not a whole number") from None
        number = int(as_float)
    if abs(number) > INT32_MAX:
        raise RowError(column, "out_of_range", f"{_show(text)} is out of range")
    return number


def parse_number(text: str, options: ParseOptions, column: str) -> float:
    cleaned = text.replace(",", ".") if options.decimal_comma else text.replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        raise RowError(column, "bad_number", f"cannot read {_show(text)} as a number") from None
    if not math.isfinite(number) or abs(number) > 1e9:
        raise RowError(column, "out_of_range", f"{_show(text)} is out of range")
    return number


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
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long, a folder
        raise RowError(
            column,
            "bad_timezone",
            f"unknown time zone {_show(text)} (use an IANA name like America/Chicago, "
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
