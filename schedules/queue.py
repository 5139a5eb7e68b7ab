"""Fan-out of scheduled work across worker processes through procrastinate (PostgreSQL only).

On PostgreSQL the scheduler leader does not run a briefing or a send itself: it *defers* a
procrastinate task (`clarity.briefing` per scope, `clarity.send` per outreach message) and every
`clarity worker` process runs a procrastinate worker (`QueueWorker`) that executes them. On
SQLite (one process) the jobs run in the scheduler's own threads (`schedules.jobs`).

Keys (the same as the database's uniqueness): `briefing:<scope>:<day>` and `send:<message id>`.
Each task is deferred with that key as its `queueing_lock` (a second defer while one waits is
refused) and its `lock` (two runs of one key never overlap). The database still makes each
run happen once: one briefing per (scope, day) and one delivery per recipient, and a message is
sent only by the worker whose guarded `scheduled -> sending` UPDATE matched; a task first checks
that no run of its key has finished.

A worker that dies leaves its job `doing` (and its `lock` held). Every queue worker sends a
heartbeat every `HEARTBEAT_SECONDS`; jobs of a worker silent for `STALLED_SECONDS` are put back
in the queue (`_requeue_stalled`), or failed when the same key is already queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from schedules.runs import one_line

log = logging.getLogger(__name__)

QUEUE = "clarity"
BRIEFING_TASK = "clarity.briefing"
SEND_TASK = "clarity.send"
HEARTBEAT_SECONDS = 2.0
STALLED_SECONDS = 10.0
POLL_SECONDS = 1.0
# Briefings due at the same minute share the organization-wide peer values for this long
# (while no import runs; `tools.kpis.share_peer_values`).
PEER_VALUES_SECONDS = 600.0

# Called in the worker process after each task with (task name, key, status): `clarity worker`
# prints it, so a test can tell which process ran what.
TaskListener = Callable[[str, str, str], None]
_listeners: list[TaskListener] = []


def conninfo(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy PostgreSQL URL (driver dropped; query options such as
    `options=-csearch_path=...` kept, so the queue lives in the same schema as the store)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def briefing_key(scope: str, day: str) -> str:
    return f"briefing:{scope}:{day}"


def send_key(message_id: int) -> str:
    return f"send:{message_id}"


# ----------------------------------------------------------------------------- the tasks


def briefing_task(scope: str) -> str:
    """Queue task: `scope`'s briefing due last (`schedules.jobs.run_queued_briefing`)."""
    from schedules.jobs import _context, run_queued_briefing

    engine, settings = _context()
    key, status = run_queued_briefing(engine, settings, scope, now=datetime.now(UTC))
    _tell(BRIEFING_TASK, key, status)
    return status


def send_task(message_id: int) -> str:
    """Queue task: send one approved outreach message (at most once)."""
    from agent.outreach.delivery import send_message
    from channels.registry import message_channels_from_settings
    from schedules.jobs import _context

    engine, settings = _context()
    channels = message_channels_from_settings(settings)
    outcome = send_message(engine, message_id, channels, now=datetime.now(UTC))
    _tell(SEND_TASK, send_key(message_id), outcome.state)
    return outcome.state


def _tell(task: str, key: str, status: str) -> None:
    for listener in list(_listeners):
        listener(task, key, status)


def make_app(database_url: str, *, sync: bool = False) -> procrastinate.App:
    """A procrastinate app on the store's database with the two tasks. `sync` gives a
    thread-safe synchronous connector (for deferring from scheduler threads); the worker needs
    the asynchronous one."""
    info = conninfo(database_url)
    connector: Any = (
        procrastinate.SyncPsycopgConnector(conninfo=info)
        if sync
        else procrastinate.PsycopgConnector(conninfo=info)
    )
    app = procrastinate.App(connector=connector)
    app.task(name=BRIEFING_TASK, queue=QUEUE)(briefing_task)
    app.task(name=SEND_TASK, queue=QUEUE)(send_task)
    return app


# ------------------------------------------------------------------------------ deferring


_deferrers: dict[str, procrastinate.App] = {}
_deferrers_lock = threading.Lock()


def _deferrer(database_url: str) -> procrastinate.App:
    """One opened synchronous app per database per process (its pool is thread-safe)."""
    with _deferrers_lock:
        app = _deferrers.get(database_url)
        if app is None:
            app = make_app(database_url, sync=True)
            app.open()
            _deferrers[database_url] = app
        return app


def defer(database_url: str, task: str, key: str, **kwargs: Any) -> bool:
    """Queue `task(**kwargs)` under `key`; False when a job with that key is already queued."""
    job = _deferrer(database_url).configure_task(task, queueing_lock=key, lock=key)
    try:
        job.defer(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


def close_deferrers() -> None:
    """Close the deferring apps' pools (a worker process calls it when it stops)."""
    with _deferrers_lock:
        for app in _deferrers.values():
            with contextlib.suppress(Exception):  # shutting down: nothing left to save
                app.close()
        _deferrers.clear()


# ------------------------------------------------------------------------------ the worker


class QueueWorker:
    """A procrastinate worker in a background thread (with its own event loop), executing the
    queue's tasks one at a time. `stop()` takes no new task and lets the one in hand finish
    (up to `grace` seconds; then procrastinate marks it aborted: a briefing is queued again by
    the next catch-up, a send left `sending` is settled by reconciliation, never re-sent)."""

    def __init__(self, database_url: str, *, name: str, grace: float = 60.0) -> None:
        self.app = make_app(database_url)
        self.name = name
        self.grace = grace
        self._worker: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"queue-{name}", daemon=True)

    def start(self) -> None:
        from tools.kpis import share_peer_values

        share_peer_values(PEER_VALUES_SECONDS)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"the queue worker did not start: {one_line(self._error)}")

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start() (or logged once running)
            self._error = exc
            self._ready.set()
            log.exception("queue worker %s stopped on an error", self.name)

    async def _main(self) -> None:
        from procrastinate.worker import Worker

        async with self.app.open_async():
            self._worker = Worker(
                self.app,
                queues=[QUEUE],
                name=self.name,
                concurrency=1,
                wait=True,
                fetch_job_polling_interval=POLL_SECONDS,
                shutdown_graceful_timeout=self.grace,
                install_signal_handlers=False,
                update_heartbeat_interval=HEARTBEAT_SECONDS,
                stalled_worker_timeout=STALLED_SECONDS,
            )
            requeue = asyncio.create_task(self._requeue_loop())
            self._ready.set()
            try:
                await self._worker.run()
            finally:
                requeue.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await requeue

    async def _requeue_loop(self) -> None:
        while True:
            try:
                await requeue_stalled(self.app)
            except Exception:
                log.exception("re-queueing stalled jobs failed")
            await asyncio.sleep(STALLED_SECONDS / 2)

    def request_stop(self) -> None:
        """Take no new job (thread-safe, returns at once; e.g. from a signal handler)."""
        if self._worker is not None:
            self._worker.stop()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop and wait for it (the job in hand finishes first)."""
        self.request_stop()
        self._thread.join(timeout if timeout is not None else self.grace + 10)


async def requeue_stalled(app: procrastinate.App) -> list[int]:
    """Put the `doing` jobs of workers silent for `STALLED_SECONDS` back in the queue (their
    task checks the database before doing anything twice); a job whose key is already queued
    again is marked failed instead. Returns the re-queued job ids."""
    from procrastinate.jobs import Status

    manager = app.job_manager
    requeued: list[int] = []
    for job in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=STALLED_SECONDS):
        assert job.id is not None
        try:
            await manager.retry_job(job, retry_at=datetime.now(UTC))
        except Exception:
            log.warning("stalled job %s (%s) already queued again; failing it", job.id, job.lock)
            await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
            continue
        log.warning("re-queued stalled job %s (%s)", job.id, job.lock)
        requeued.append(job.id)
    return requeued


def add_listener(listener: TaskListener) -> None:
    _listeners.append(listener)
