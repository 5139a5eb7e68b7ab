"""Send windows in the recipient's local time (the location's IANA time zone).

Definition: a message may be sent at instant t when `start_hour ≤ local hour of t < end_hour`
(default 9:00–20:00). Otherwise it waits for the next opening: `start_hour:00` local on the same
local day when t is before the window, else on the next local day. Local times are built on the
calendar day and converted to UTC through zoneinfo, so both DST changes give the right instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START_HOUR = 9
DEFAULT_END_HOUR = 20


def in_window(
    at: datetime, tz: str, start_hour: int = DEFAULT_START_HOUR, end_hour: int = DEFAULT_END_HOUR
) -> bool:
    local = at.astimezone(ZoneInfo(tz))
    return start_hour <= local.hour < end_hour


def next_window_opening(
    at: datetime, tz: str, start_hour: int = DEFAULT_START_HOUR, end_hour: int = DEFAULT_END_HOUR
) -> datetime:
    """`at` itself (in UTC) when inside the window, else the next opening, in UTC."""
    if at.tzinfo is None:
        raise ValueError("next_window_opening needs an aware datetime")
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    if start_hour <= local.hour < end_hour:
        return at.astimezone(UTC)
    day = local.date() if local.hour < start_hour else local.date() + timedelta(days=1)
    opening = datetime.combine(day, time(start_hour), tzinfo=zone)
    return opening.astimezone(UTC)
