"""Plausibility bounds per column: a value that parses but cannot be real is rejected per row,
with the bound named, instead of landing in the store ($1e12 of ad spend in a day, a
100,000-minute shift, negative base pay).

The defaults are also the defaults of `clarity.settings.Settings.import_max_*` (the CLI passes
the configured values); docs/import.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.ingest.values import RowError


@dataclass(frozen=True)
class Bounds:
    """Largest plausible values. Amounts are in cents, durations in minutes."""

    line_amount_cents: int = 25_000_000
    """One sale line (gross, discount, refund, net, cost), a service's price or cost, a
    membership's monthly price: at most $250,000 either way."""
    duration_minutes: int = 1_440
    """An appointment or a service: 0 to 24 hours."""
    shift_minutes: int = 1_440
    """A provider's available minutes (and break) on one day: 0 to 24 hours."""
    pay_cents: int = 100_000_000
    """Each pay component (base, commission, bonus, benefits) of one period: $0 to $1,000,000."""
    spend_cents: int = 100_000_000
    """One marketing-spend row (a day's or a month's spend of one channel): $0 to $1,000,000."""

    def amount(self, column: str, cents: int, *, limit: int, setting: str, signed: bool) -> None:
        """Reject `cents` outside [-limit, limit] (`signed`) or [0, limit]."""
        if not signed and cents < 0:
            raise RowError(column, "out_of_bounds", f"{column} {_dollars(cents)} is negative")
        if abs(cents) > limit:
            raise RowError(
                column,
                "out_of_bounds",
                f"{column} {_dollars(cents)} is beyond the plausible bound of "
                f"{_dollars(limit)} ({setting})",
            )

    def minutes(self, column: str, minutes: int, *, limit: int, setting: str) -> None:
        """Reject a duration outside [0, limit] minutes."""
        if minutes < 0:
            raise RowError(column, "out_of_bounds", f"{column} {minutes:,} is negative")
        if minutes > limit:
            raise RowError(
                column,
                "out_of_bounds",
                f"{column} {minutes:,} minutes is beyond the plausible bound of "
                f"{limit:,} minutes ({setting})",
            )

    # The checks below run per row: the common, plausible case returns after one comparison.

    def line(self, column: str, cents: int | None) -> None:
        if cents is not None and not -self.line_amount_cents <= cents <= self.line_amount_cents:
            self.amount(
                column,
                cents,
                limit=self.line_amount_cents,
                setting="CLARITY_IMPORT_MAX_LINE_AMOUNT",
                signed=True,
            )

    def pay(self, column: str, cents: int | None) -> None:
        if cents is not None and not 0 <= cents <= self.pay_cents:
            self.amount(
                column, cents, limit=self.pay_cents, setting="CLARITY_IMPORT_MAX_PAY", signed=False
            )

    def spend(self, column: str, cents: int) -> None:
        if not 0 <= cents <= self.spend_cents:
            self.amount(
                column,
                cents,
                limit=self.spend_cents,
                setting="CLARITY_IMPORT_MAX_SPEND",
                signed=False,
            )

    def duration(self, column: str, minutes: int) -> None:
        if not 0 <= minutes <= self.duration_minutes:
            self.minutes(
                column,
                minutes,
                limit=self.duration_minutes,
                setting="CLARITY_IMPORT_MAX_DURATION_MINUTES",
            )

    def shift(self, column: str, minutes: int) -> None:
        if not 0 <= minutes <= self.shift_minutes:
            self.minutes(
                column,
                minutes,
                limit=self.shift_minutes,
                setting="CLARITY_IMPORT_MAX_SHIFT_MINUTES",
            )


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


DEFAULT_BOUNDS = Bounds()
