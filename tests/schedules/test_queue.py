"""The procrastinate fan-out on PostgreSQL, in process: a key is queued once while it waits;
a queued briefing whose run already finished does nothing; a queued send sends once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from clarity.settings import load_settings
from schedules import queue
from schedules.jobs import defer_briefing, defer_due_sends, run_queued_briefing
from store import tables as t
from store.migrate import upgrade
from store.models import JobRun, OutreachMessage
from tests.conftest import PostgresSchema
from tests.schedules.test_three_workers import MESSAGES, seed_morning


@pytest.fixture
def pg() -> Iterator[PostgresSchema]:
    schema = PostgresSchema()
    try:
        upgrade(schema.engine)
        yield schema
    finally:
        queue.close_deferrers()
        schema.drop()


def jobs(schema: PostgresSchema) -> list[tuple[str, str, str]]:
    with schema.engine.connect() as conn:
        rows = conn.execute(
            text("select task_name, queueing_lock, status from procrastinate_jobs order by id")
        ).all()
    return [(r.task_name, r.queueing_lock, r.status) for r in rows]


@pytest.mark.postgres
def test_each_key_is_queued_once_while_it_waits(pg: PostgresSchema, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed_morning(pg.engine, now)
    settings = load_settings(database_url=pg.schema_url, var_dir=tmp_path / "var")
    assert defer_briefing(pg.engine, settings, "location:1", now=now) == "queued"
    assert defer_briefing(pg.engine, settings, "location:1", now=now) == "already-queued"
    assert defer_briefing(pg.engine, settings, "location:99", now=now) == "unsubscribed"
    assert defer_due_sends(pg.engine, settings, now=now) == MESSAGES
    assert defer_due_sends(pg.engine, settings, now=now) == 0  # all still waiting
    queued = jobs(pg)
    assert len(queued) == 1 + MESSAGES
    task, lock, status = queued[0]
    assert task == queue.BRIEFING_TASK and status == "todo"
    assert lock.startswith("briefing:location:1:")
    assert [q[1] for q in queued[1:]] == [f"send:{n}" for n in range(1, MESSAGES + 1)]


@pytest.mark.postgres
def test_a_finished_briefing_is_not_run_again(pg: PostgresSchema, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed_morning(pg.engine, now)
    settings = load_settings(
        database_url=pg.schema_url, var_dir=tmp_path / "var", delivery_channels=["outbox"]
    )
    key, status = run_queued_briefing(pg.engine, settings, "location:2", now=now)
    assert status == "ok" and key.startswith("location:2:")
    assert run_queued_briefing(pg.engine, settings, "location:2", now=now) == (key, "done")
    runs = t.table_of(JobRun)
    with pg.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 1
    assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == 1


@pytest.mark.postgres
def test_a_queued_send_runs_in_the_queue_worker_once(
    pg: PostgresSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clarity.settings import get_settings

    now = datetime.now(UTC)
    seed_morning(pg.engine, now)
    monkeypatch.setenv("CLARITY_DATABASE_URL", pg.schema_url)
    monkeypatch.setenv("CLARITY_VAR_DIR", str(tmp_path / "var"))
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
        monkeypatch.delenv(f"CLARITY_{name}", raising=False)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert defer_due_sends(pg.engine, settings, now=now) == MESSAGES
        queue.make_app(pg.schema_url).run_worker(
            queues=[queue.QUEUE], wait=False, install_signal_handlers=False
        )
    finally:
        get_settings.cache_clear()
    messages = t.table_of(OutreachMessage)
    with pg.engine.connect() as conn:
        states = conn.execute(select(messages.c.state, func.count()).group_by(messages.c.state))
        assert {state: n for state, n in states} == {"sent": MESSAGES}
    assert len(list((tmp_path / "var" / "outbox" / "sms").iterdir())) == MESSAGES
    assert {status for _, _, status in jobs(pg)} == {"succeeded"}
