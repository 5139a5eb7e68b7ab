"""A simulated morning on PostgreSQL with three `clarity worker` processes: eight locations in
four time zones are due now and twelve approved text messages are due to go out. The leader
queues the work (procrastinate) and all three processes execute it; the leader is killed
(SIGKILL) as soon as a briefing is running. Another worker takes over, the dead worker's job
goes back to the queue, and every briefing is stored and run once and every text is sent once
(counted in the database, in the file outbox and at the Twilio stub); at least two processes
executed tasks; the survivors stop cleanly on SIGTERM."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from store import tables as t
from store.migrate import upgrade
from store.models import (
    JobRun,
    Location,
    Organization,
    OutreachMessage,
    Patient,
    Sale,
    Subscription,
    User,
)
from tests.conftest import PostgresSchema
from tests.schedules.test_cli_worker import Proc
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
PER_ZONE = 2
LOCATIONS = len(ZONES) * PER_ZONE
MESSAGES = 12


def zone_of(location_id: int) -> str:
    return ZONES[(location_id - 1) % len(ZONES)]


def seed_morning(engine: Engine, now: datetime) -> None:
    """Each location has a sale two days ago and an owner subscription at the current local
    hour, so its briefing is due (less than an hour ago, inside the 4 h grace); `MESSAGES`
    approved texts to patient 1 were due a minute ago."""
    locations = [(lid, zone_of(lid)) for lid in range(1, LOCATIONS + 1)]
    with Session(engine) as session:
        session.add(Organization(id=1, name="Morning", slug="morning"))
        session.flush()
        for lid, zone in locations:
            session.add(Location(id=lid, organization_id=1, name=f"L{lid}", timezone=zone))
        session.add(
            User(id=1, organization_id=1, email="owner@morning.example", name="O", role="owner")
        )
        session.flush()
        session.add(
            Patient(id=1, home_location_id=1, first_name="A", last_name="B", phone_e164="+15550100")
        )
        session.flush()
        for n in range(1, MESSAGES + 1):
            session.add(
                OutreachMessage(
                    id=n,
                    patient_id=1,
                    location_id=1,
                    channel="sms",
                    body=f"Hello {n}",
                    state="scheduled",
                    idempotency_key=f"m{n}",
                    drafted_at=now - timedelta(hours=1),
                    scheduled_for=now - timedelta(minutes=1),
                )
            )
        for lid, zone in locations:
            local = now.astimezone(ZoneInfo(zone))
            day = local.date() - timedelta(days=2)
            session.add(
                Sale(
                    patient_id=1,
                    location_id=lid,
                    item="Botox",
                    net_cents=40_000,
                    gross_cents=40_000,
                    paid_at=now - timedelta(days=2),
                    local_date=day,
                    external_id=f"s{lid}",
                )
            )
            session.add(
                Subscription(
                    user_id=1, channel="outbox", scope=f"location:{lid}", send_hour_local=local.hour
                )
            )
        session.commit()


def count(engine: Engine, query) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def ran_by(procs: list[Proc]) -> dict[int, list[str]]:
    """The tasks each process reported (`worker: ran <task> <key> <status>`), by pid."""
    return {
        p.popen.pid: [line for line in p.seen if line.startswith("worker: ran ")] for p in procs
    }


@pytest.mark.postgres
def test_three_workers_kill_the_leader_mid_run(tmp_path: Path) -> None:
    schema = PostgresSchema()
    procs: list[Proc] = []
    try:
        with TwilioStub() as stub:
            engine = schema.engine
            upgrade(engine)
            seed_morning(engine, datetime.now(UTC))
            env = {
                "CLARITY_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "CLARITY_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "CLARITY_TWILIO_FROM_NUMBER": "+15550000",
                "CLARITY_TWILIO_API_BASE_URL": stub.base_url,
            }
            for _ in range(3):
                procs.append(
                    Proc(["worker", "--sync-every", "5"], schema.schema_url, tmp_path, env)
                )
            run_the_day(engine, procs, stub, tmp_path)
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
        schema.drop()


def run_the_day(engine: Engine, procs: list[Proc], stub: TwilioStub, tmp_path: Path) -> None:
    runs = t.table_of(JobRun)
    messages = t.table_of(OutreachMessage)
    deadline = time.monotonic() + 60
    leader = None
    while leader is None and time.monotonic() < deadline:
        for proc in procs:
            if "worker: leader" in proc.seen or proc.wait_line("worker: leader", 0.3):
                leader = proc
                break
    assert leader is not None
    # Kill the leader as soon as a briefing run has started.
    started = select(func.count()).select_from(runs).where(runs.c.kind == "briefing")
    while count(engine, started) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    ok_runs = (
        select(func.count())
        .select_from(runs)
        .where(runs.c.kind == "briefing", runs.c.status == "ok")
    )
    leader.popen.send_signal(signal.SIGKILL)
    leader.popen.wait(timeout=10)
    assert count(engine, ok_runs) < LOCATIONS  # killed mid-run: work was left
    settled = select(func.count()).select_from(messages).where(messages.c.state != "scheduled")
    queued = text("select count(*) from procrastinate_jobs where status in ('todo', 'doing')")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        count(engine, ok_runs) < LOCATIONS
        or count(engine, settled) < MESSAGES
        or count(engine, queued) > 0
    ):
        time.sleep(0.3)
    survivors = [p for p in procs if p is not leader]
    heirs = [p for p in survivors if p.wait_line("worker: leader", 1)]
    assert len(heirs) == 1  # leadership was handed over to one of the two
    # SIGTERM, the follower first (so it does not lead in turn): the job in hand finishes,
    # then a clean exit.
    for proc in sorted(survivors, key=lambda p: p in heirs):
        assert proc.stop() == 0
        assert proc.wait_line("worker: stopped", 5)

    # Briefings: one run, one briefing, one delivery per location.
    assert count(engine, ok_runs) == LOCATIONS
    assert count(engine, select(func.count()).select_from(t.briefing)) == LOCATIONS
    with engine.connect() as conn:
        deliveries = conn.execute(
            select(t.briefing_delivery.c.briefing_id, t.briefing_delivery.c.status)
        ).all()
    assert len(deliveries) == LOCATIONS  # one per briefing and recipient
    delivered = [d for d in deliveries if d.status == "delivered"]
    # A send the killed leader had claimed stays `sending` (its outcome is unknown; never
    # re-sent); every other one was delivered.
    assert len(delivered) >= LOCATIONS - 1
    files = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(delivered) <= len(files) <= LOCATIONS

    # Texts: each accepted by the stub at most once; every `sent` one exactly once.
    with engine.connect() as conn:
        states = {r.id: r.state for r in conn.execute(select(messages.c.id, messages.c.state))}
    accepted = stub.deliveries()
    assert all(n == 1 for n in accepted.values()), accepted
    sent = [mid for mid, state in states.items() if state == "sent"]
    assert len(sent) >= MESSAGES - 1, states
    assert all(accepted[f"outreach-{mid}"] == 1 for mid in sent)
    assert len(accepted) <= MESSAGES

    # The work was spread: at least two processes executed queued tasks.
    by_pid = ran_by(procs)
    assert sum(1 for lines in by_pid.values() if lines) >= 2, by_pid
    assert sum(len(lines) for lines in by_pid.values()) >= LOCATIONS + MESSAGES - 2
    assert sum("worker: leader" in p.seen for p in procs) == 2  # the killed one and its heir


@pytest.mark.postgres
def test_sigterm_finishes_the_task_in_hand(tmp_path: Path) -> None:
    """One worker, eight briefings queued: SIGTERM right after its first task; the one it had
    started next still ends `ok` (no `running` run, no `doing` job), the rest stay queued for
    the next worker, and the process exits 0."""
    schema = PostgresSchema()
    proc = None
    try:
        engine = schema.engine
        upgrade(engine)
        seed_morning(engine, datetime.now(UTC))
        proc = Proc(["worker"], schema.schema_url, tmp_path)
        assert proc.wait_line("worker: leader", 60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            line.startswith("worker: ran clarity.briefing") for line in proc.seen
        ):
            proc.wait_line("worker: ran", 0.2)
        runs = t.table_of(JobRun)
        running = select(func.count()).select_from(runs).where(runs.c.status == "running")
        # SIGTERM the moment the next briefing is seen running: a briefing that reads the
        # day's stored forecast and at-risk scores takes a fraction of a second, so checking
        # again before the signal could find it already finished.
        in_hand = False
        while not in_hand and time.monotonic() < deadline:
            in_hand = count(engine, running) == 1
            if not in_hand:
                time.sleep(0.02)
        assert in_hand, "no briefing was seen running"
        assert proc.stop() == 0
        assert count(engine, running) == 0
        ok = select(func.count()).select_from(runs).where(runs.c.status == "ok")
        done = count(engine, ok)
        assert 2 <= done < LOCATIONS
        with engine.connect() as conn:
            rows = conn.execute(
                text("select status, count(*) from procrastinate_jobs group by status")
            ).all()
        statuses = {str(status): int(n) for status, n in rows}
        assert "doing" not in statuses
        assert statuses.get("todo", 0) + statuses.get("succeeded", 0) >= LOCATIONS
    finally:
        if proc is not None and proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait(timeout=10)
        schema.drop()
