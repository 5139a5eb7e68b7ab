"""`clarity demo --worker`: the worker runs in the demo's own process (`start_in_background`).
On SQLite a morning's briefings (eight locations due now) and its twelve due texts (file
outbox, no Twilio configured) run in process; stopping finishes and releases the lock file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clarity.settings import get_settings
from schedules.worker import start_in_background
from store import tables as t
from store.db import make_engine
from store.migrate import upgrade
from store.models import JobRun, OutreachMessage
from tests.schedules.test_three_workers import LOCATIONS, MESSAGES, seed_morning


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'clarity.db'}"
    monkeypatch.setenv("CLARITY_DATABASE_URL", url)
    monkeypatch.setenv("CLARITY_VAR_DIR", str(tmp_path / "var"))
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "SMTP_HOST"):
        monkeypatch.delenv(f"CLARITY_{name}", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_demo_worker_runs_the_morning_in_process(env: str, tmp_path: Path) -> None:
    engine = make_engine(env)
    upgrade(engine)
    seed_morning(engine, datetime.now(UTC))
    states: list[str] = []
    stop = start_in_background(engine, get_settings(), on_state=states.append)
    runs, messages = t.table_of(JobRun), t.table_of(OutreachMessage)
    ok = (
        select(func.count())
        .select_from(runs)
        .where(runs.c.kind == "briefing", runs.c.status == "ok")
    )
    sent = select(func.count()).select_from(messages).where(messages.c.state == "sent")
    try:
        deadline = time.monotonic() + 60
        with engine.connect() as conn:
            while time.monotonic() < deadline and (
                conn.execute(ok).scalar_one() < LOCATIONS
                or conn.execute(sent).scalar_one() < MESSAGES
            ):
                conn.rollback()
                time.sleep(0.2)
    finally:
        stop()
    with engine.connect() as conn:
        assert conn.execute(ok).scalar_one() == LOCATIONS
        assert conn.execute(sent).scalar_one() == MESSAGES
    assert states[0] == "leader" and states[-1] == "stopped"
    assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == LOCATIONS
    assert len(list((tmp_path / "var" / "outbox" / "sms").iterdir())) == MESSAGES
    # The lock file was released: another worker could start now.
    assert not (tmp_path / "clarity.db.worker.lock").exists() or _lockable(tmp_path)
    engine.dispose()


def _lockable(tmp_path: Path) -> bool:
    import fcntl

    with (tmp_path / "clarity.db.worker.lock").open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return True
