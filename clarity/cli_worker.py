"""`clarity worker`: runs the scheduler — briefings at each scope's local morning, outreach
sends, reconciliation, delivery retries — until SIGTERM or SIGINT.

One scheduler per database: on PostgreSQL the worker that holds the advisory lock leads and
the others wait as followers (one takes over when the leader stops or dies); on SQLite a second
worker refuses to start. On PostgreSQL every worker (leader or follower) also runs a
procrastinate queue worker that executes the briefings and sends the leader queues
(`schedules.queue`); each task it ran is printed (`worker: ran <task> <key> <status>`).
Stopping finishes the jobs in hand (scheduler and queue), then releases leadership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from clarity.cli_common import errors, open_engine, settings

if TYPE_CHECKING:
    from schedules.queue import QueueWorker

SYNC_EVERY = typer.Option(
    60.0, "--sync-every", min=1.0, help="Seconds between re-reading the subscriptions."
)


def worker(sync_every: float = SYNC_EVERY) -> None:
    """Run the scheduler (leader) or wait to take over (follower) until stopped."""
    import logging
    import os
    import signal
    import threading
    from datetime import timedelta

    from schedules.jobs import fans_out
    from schedules.leader import WorkerAlreadyRunningError
    from schedules.worker import run_worker

    current = settings()
    engine = open_engine(current)
    stop = threading.Event()
    queue_worker: QueueWorker | None = None

    def on_signal(signum: int, _frame: object) -> None:
        errors.print(f"worker: {signal.Signals(signum).name}, finishing the jobs in hand")
        stop.set()
        if queue_worker is not None:
            queue_worker.request_stop()  # no new task from now on

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    last: list[str] = []

    def on_state(state: str) -> None:
        if not last or last[-1] != state:
            last.append(state)
            print(f"worker: {state}", flush=True)

    if fans_out(engine):
        from schedules.queue import QueueWorker, add_listener

        add_listener(
            lambda task, key, status: print(f"worker: ran {task} {key} {status}", flush=True)
        )
        queue_worker = QueueWorker(current.database_url, name=f"worker-{os.getpid()}")
        try:
            queue_worker.start()
        except RuntimeError as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    try:
        run_worker(
            engine,
            default_timezone=current.default_timezone,
            grace=timedelta(hours=current.briefing_grace_hours),
            stop=stop,
            sync_every=sync_every,
            on_state=on_state,
        )
    except WorkerAlreadyRunningError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        if queue_worker is not None:
            from schedules.queue import close_deferrers

            queue_worker.stop()
            close_deferrers()
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
