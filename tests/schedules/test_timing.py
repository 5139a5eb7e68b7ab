"""When briefings fire: 07:00 local in New York and Los Angeles across both 2027 DST changes
(2027-03-14 02:00 clocks go forward, 2027-11-07 02:00 clocks go back), computed from given
instants — APScheduler's CronTrigger (what the scheduler fires on) and `latest_due` (what the
job uses to decide whether it is late) must agree."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from schedules.sync import briefing_trigger
from schedules.timing import ScopeSchedule, briefing_day, is_too_late, latest_due

NY, LA = "America/New_York", "America/Los_Angeles"


def fires(zone: str, start: datetime, count: int) -> list[datetime]:
    """The next `count` fire instants (UTC) of a 07:00 `zone` trigger from `start`."""
    trigger = briefing_trigger(ScopeSchedule("location:1", 7, zone))
    out: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        out.append(fire.astimezone(UTC))
        previous, now = fire, fire + timedelta(seconds=1)
    return out


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # EST = UTC−5 until Sun 2027-03-14, then EDT = UTC−4: 07:00 is 12:00Z, then 11:00Z.
        (NY, [utc(2027, 3, 13, 12), utc(2027, 3, 14, 11), utc(2027, 3, 15, 11)]),
        # PST = UTC−8, then PDT = UTC−7: 07:00 is 15:00Z, then 14:00Z.
        (LA, [utc(2027, 3, 13, 15), utc(2027, 3, 14, 14), utc(2027, 3, 15, 14)]),
    ],
)
def test_spring_forward(zone: str, expected: list[datetime]) -> None:
    assert fires(zone, utc(2027, 3, 13, 0), 3) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # EDT = UTC−4 until Sun 2027-11-07 02:00, then EST = UTC−5: 11:00Z, then 12:00Z.
        (NY, [utc(2027, 11, 6, 11), utc(2027, 11, 7, 12), utc(2027, 11, 8, 12)]),
        # PDT = UTC−7, then PST = UTC−8: 14:00Z, then 15:00Z.
        (LA, [utc(2027, 11, 6, 14), utc(2027, 11, 7, 15), utc(2027, 11, 8, 15)]),
    ],
)
def test_fall_back(zone: str, expected: list[datetime]) -> None:
    assert fires(zone, utc(2027, 11, 6, 0), 3) == expected


@pytest.mark.parametrize("zone", [NY, LA])
@pytest.mark.parametrize("start", [utc(2027, 3, 10), utc(2027, 11, 3)])
def test_latest_due_agrees_with_the_trigger(zone: str, start: datetime) -> None:
    """For every fire instant f of the week around a change: at f and up to a second before
    the next one, the latest due instant is f."""
    instants = fires(zone, start, 8)
    for fire, after in itertools.pairwise(instants):
        assert latest_due(7, zone, fire) == fire
        assert latest_due(7, zone, after - timedelta(seconds=1)) == fire


def test_latest_due_before_the_hour_is_yesterdays() -> None:
    # 2027-03-14 10:59Z = 06:59 EDT: today's 07:00 has not come; yesterday's was 07:00 EST
    # = 2027-03-13 12:00Z.
    assert latest_due(7, NY, utc(2027, 3, 14, 10, 59)) == utc(2027, 3, 13, 12)


def test_the_briefing_covers_the_local_day_before() -> None:
    # Due 2027-03-14 14:00Z = 07:00 PDT on the 14th → figures of the 13th; in UTC the same
    # instant is also the 14th. 2027-03-14 07:30Z is 23:30 PST (UTC−8, before the change at
    # 10:00Z) on the 13th: a 23:00 schedule was due on the 13th (local), so it covers the 12th.
    assert briefing_day(latest_due(7, LA, utc(2027, 3, 14, 14))).isoformat() == "2027-03-13"
    assert briefing_day(latest_due(23, LA, utc(2027, 3, 14, 7, 30))).isoformat() == "2027-03-12"


def test_grace_window() -> None:
    due = utc(2027, 3, 14, 11)
    grace = timedelta(hours=4)
    assert not is_too_late(due, due, grace)
    assert not is_too_late(due, due + timedelta(hours=4), grace)  # exactly 4 h late: runs
    assert is_too_late(due, due + timedelta(hours=4, seconds=1), grace)
