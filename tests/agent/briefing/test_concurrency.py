"""Two workers brief and deliver the same scope and day at once: the database's uniqueness
(one briefing per scope and day, one delivery per briefing, channel and recipient) leaves one
briefing row and sends once per recipient."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Engine as EngineType

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import BriefingResult, run_briefing
from agent.briefing.state import Gathered
from channels.base import OutgoingMessage
from channels.delivery import Target
from store import tables as t
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
TARGETS = [Target("counting", "owner@example.com"), Target("counting", "manager@example.com")]


class CountingChannel:
    """The edge: records every send instead of sending (thread-safe)."""

    name = "counting"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        with self._lock:
            self.sent.append((message.key, recipient))
        return f"{message.key}:{recipient}"


class BarrierGatherer(StaticGatherer):
    """Holds each run at the gather step until both have reached it, so they persist and
    deliver at the same time."""

    def __init__(self, gathered: Gathered, barrier: threading.Barrier) -> None:
        super().__init__(gathered)
        self.barrier = barrier

    def __call__(
        self, engine: EngineType, *, organization_id: int, location_id: int | None, as_of: date
    ) -> Gathered:
        self.barrier.wait(timeout=30)
        return super().__call__(
            engine, organization_id=organization_id, location_id=location_id, as_of=as_of
        )


def test_two_concurrent_runs_leave_one_briefing_and_one_delivery_per_recipient(
    engine: Engine,
) -> None:
    seed_store(engine)
    channel = CountingChannel()
    gatherer = BarrierGatherer(sample_gathered(), threading.Barrier(2))
    results: list[BriefingResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(
                run_briefing(
                    engine,
                    organization_id=1,
                    location_id=2,
                    for_date=DAY,
                    gatherer=gatherer,
                    deliver_now=True,
                    channels={"counting": channel},
                    targets=TARGETS,
                    now=NOW,
                )
            )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert len(results) == 2

    with engine.connect() as conn:
        briefings = conn.execute(select(t.briefing.c.id)).scalars().all()
        deliveries = conn.execute(
            select(t.briefing_delivery.c.recipient, t.briefing_delivery.c.status)
        ).all()
    assert len(briefings) == 1  # both runs wrote the same (scope, day) row
    assert {r.briefing_id for r in results} == {briefings[0]}
    key = f"briefing-{briefings[0]}"
    # Two recipients, each sent to once in all: 2 sends, not 4.
    assert sorted(channel.sent) == [(key, "manager@example.com"), (key, "owner@example.com")]
    assert sorted(deliveries) == [
        ("manager@example.com", "delivered"),
        ("owner@example.com", "delivered"),
    ]
    # Each recipient was delivered by exactly one of the runs; the other one skipped it.
    statuses = sorted(o.status for r in results for o in r.deliveries)
    assert statuses == ["delivered", "delivered", "skipped", "skipped"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.briefing)).scalar_one() == 1
