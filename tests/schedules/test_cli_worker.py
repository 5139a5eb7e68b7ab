"""`clarity worker` and `clarity jobs` in real processes: one leader per database (a second
worker on SQLite refuses; on PostgreSQL it follows and takes over when the leader stops or is
killed), SIGTERM stops cleanly, and `clarity jobs` lists the jobs the leader stored."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.db import make_engine
from store.migrate import upgrade
from tests.conftest import PostgresSchema
from tests.schedules.store_seed import seed

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """A `clarity` subprocess whose stdout lines are read in the background."""

    def __init__(
        self, args: list[str], url: str, home: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
        env |= {"CLARITY_DATABASE_URL": url, "PYTHONPATH": str(ROOT)} | (extra_env or {})
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "clarity", *args],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self._draining = threading.Thread(target=self._drain, daemon=True)
        self._draining.start()

    def _drain(self) -> None:
        """Keep reading stderr (the log), so a full pipe never blocks the process."""
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.errors.append(line.rstrip("\n"))

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))

    def stderr_text(self, seconds: float = 5.0) -> str:
        """Everything the process wrote to stderr (once it has exited)."""
        deadline = time.monotonic() + seconds
        while self._draining.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        return "\n".join(self.errors)

    def wait_line(self, text: str, seconds: float = 30.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.seen:
                return True
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                if self.popen.poll() is not None and self.lines.empty():
                    return text in self.seen
        return text in self.seen

    def stop(self, sig: int = signal.SIGTERM, seconds: float = 30.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        return self.popen.wait(timeout=seconds)


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:  # only the processes this test started, by their own handle
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait(timeout=10)


def seeded(engine: Engine) -> None:
    upgrade(engine)
    seed(engine)


def test_sqlite_one_worker_second_refuses_sigterm_stops(tmp_path: Path, procs: list[Proc]) -> None:
    db = tmp_path / "var" / "clarity.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    seeded(engine)
    engine.dispose()

    first = Proc(["worker"], url, tmp_path)
    procs.append(first)
    assert first.wait_line("worker: leader"), first.seen

    second = Proc(["worker"], url, tmp_path)
    procs.append(second)
    assert second.popen.wait(timeout=60) == 2
    stderr = second.stderr_text()
    assert "another clarity worker already runs on" in stderr
    assert "Traceback" not in stderr

    listed = subprocess.run(
        [sys.executable, "-m", "clarity", "jobs", "--json"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
        | {"CLARITY_DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    jobs = {job["id"]: job for job in json.loads(listed.stdout)["jobs"]}
    briefing = jobs["briefing:location:1"]
    assert (briefing["kind"], briefing["scope"], briefing["timezone"]) == (
        "briefing",
        "location:1",
        "America/Los_Angeles",
    )
    # 07:00 in Los Angeles: the local time reads 07:00:00 and the UTC one 14:00 or 15:00
    # (PDT UTC−7 / PST UTC−8).
    assert briefing["next_run_local"][11:19] == "07:00:00"
    assert briefing["next_run_utc"][11:19] in ("14:00:00", "15:00:00")
    assert {"outreach:send-due", "outreach:reconcile", "briefing:retry-deliveries"} <= set(jobs)

    assert first.stop() == 0
    assert first.wait_line("worker: stopped")
    # The lock is released: a new worker leads.
    third = Proc(["worker"], url, tmp_path)
    procs.append(third)
    assert third.wait_line("worker: leader"), third.seen
    assert third.stop(signal.SIGINT) == 0


@pytest.mark.postgres
def test_postgres_followers_take_over(tmp_path: Path, procs: list[Proc]) -> None:
    schema = PostgresSchema()
    try:
        seeded(schema.engine)
        url = schema.schema_url
        first = Proc(["worker"], url, tmp_path)
        procs.append(first)
        assert first.wait_line("worker: leader"), first.seen
        second = Proc(["worker"], url, tmp_path)
        third = Proc(["worker"], url, tmp_path)
        procs.extend([second, third])
        assert second.wait_line("worker: follower"), second.seen
        assert third.wait_line("worker: follower"), third.seen

        assert first.stop() == 0  # graceful: releases the lock
        took_over = [p for p in (second, third) if p.wait_line("worker: leader", 15)]
        assert len(took_over) == 1
        leader = took_over[0]
        other = third if leader is second else second

        leader.popen.kill()  # dies without releasing: the server drops its session and lock
        leader.popen.wait(timeout=10)
        assert other.wait_line("worker: leader", 15), other.seen
        assert other.stop() == 0
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
        schema.drop()
