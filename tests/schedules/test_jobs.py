"""The scheduled briefing job with a fixed clock: on time or late within the grace period it
runs and delivers; a second fire delivers nothing more; later than the grace period it is
skipped and recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from schedules.jobs import run_scheduled_briefing
from schedules.runs import recent_runs
from store import tables as t
from tests.schedules.store_seed import outbox_files, seed, settings_for


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_run_within_grace_runs_once_and_a_double_fire_delivers_once(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    settings = settings_for(tmp_path)
    # Location 1 is in Los Angeles: 07:00 PDT on 2027-03-14 (after the change) = 14:00Z.
    # At 17:30Z the run is 3 h 30 min late, inside the 4 h grace.
    now = datetime(2027, 3, 14, 17, 30, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "location:1", now=now) == "ok"
    assert run_scheduled_briefing(engine, settings, "location:1", now=now) == "ok"  # fired twice

    with engine.connect() as conn:
        rows = conn.execute(select(t.briefing.c.scope, t.briefing.c.for_date)).all()
    assert [(r.scope, r.for_date) for r in rows] == [("location:1", date(2027, 3, 13))]
    assert count(engine, t.briefing_delivery) == 1
    assert len(outbox_files(tmp_path)) == 1
    runs = recent_runs(engine)
    assert [(r.kind, r.key, r.status) for r in runs] == [
        ("briefing", "location:1:2027-03-13", "ok")
    ] * 2
    assert runs[0].scheduled_for == datetime(2027, 3, 14, 14, tzinfo=UTC)
    assert runs[0].duration_seconds is not None


def test_a_run_later_than_grace_is_skipped_and_recorded(engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    settings = settings_for(tmp_path)
    # Due 2027-03-14 14:00Z (07:00 PDT); at 18:00:01Z it is 4 h 1 s late: skipped.
    now = datetime(2027, 3, 14, 18, 0, 1, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "location:1", now=now) == "skipped_late"
    assert count(engine, t.briefing) == 0
    assert outbox_files(tmp_path) == []
    (run,) = recent_runs(engine)
    assert (run.kind, run.key, run.status) == ("briefing", "location:1:2027-03-13", "skipped_late")
    assert run.scheduled_for == datetime(2027, 3, 14, 14, tzinfo=UTC)
    assert run.error is not None and "4:00:01 late" in run.error


def test_an_org_scope_uses_its_first_locations_zone(engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    from sqlmodel import Session

    from store.models import Subscription

    with Session(engine) as session:
        session.add(Subscription(user_id=1, channel="outbox", scope="org:1", send_hour_local=7))
        session.commit()
    settings = settings_for(tmp_path)
    # The org's first location is Los Angeles: due 14:00Z. At 13:59Z the latest due run is the
    # day before (2027-03-13 07:00 PST = 15:00Z), 22 h 59 min ago: skipped.
    early = datetime(2027, 3, 14, 13, 59, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "org:1", now=early) == "skipped_late"
    assert (
        run_scheduled_briefing(
            engine, settings, "org:1", now=datetime(2027, 3, 14, 14, 1, tzinfo=UTC)
        )
        == "ok"
    )
    with engine.connect() as conn:
        assert conn.execute(select(t.briefing.c.scope)).scalars().all() == ["org:1"]


def test_an_unsubscribed_scope_does_nothing(engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    now = datetime(2027, 3, 14, 14, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings_for(tmp_path), "location:2", now=now) == (
        "unsubscribed"
    )
    assert recent_runs(engine) == []
