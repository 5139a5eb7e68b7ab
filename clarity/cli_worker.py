"""`clarity worker`: runs the scheduler — briefings at each scope's local morning, outreach
sends, reconciliation, delivery retries — until SIGTERM or SIGINT.

One scheduler per database: on PostgreSQL the worker that holds the advisory lock leads and
the others wait as followers (one takes over when the leader stops or dies); on SQLite a second
worker refuses to start. Stopping finishes the jobs in hand, then releases leadership.
"""

from __future__ import annotations

import typer

from clarity.cli_common import errors, open_engine, settings

SYNC_EVERY = typer.Option(
    60.0, "--sync-every", min=1.0, help="Seconds between re-reading the subscriptions."
)


def worker(sync_every: float = SYNC_EVERY) -> None:
    """Run the scheduler (leader) or wait to take over (follower) until stopped."""
    import logging
    import signal
    import threading
    from datetime import timedelta

    from schedules.leader import WorkerAlreadyRunningError
    from schedules.worker import run_worker

    current = settings()
    engine = open_engine(current)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        errors.print(f"worker: {signal.Signals(signum).name}, finishing the jobs in hand")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    last: list[str] = []

    def on_state(state: str) -> None:
        if not last or last[-1] != state:
            last.append(state)
            print(f"worker: {state}", flush=True)

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
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
