"""Scheduled briefings due at the same minute: N locations (template writer, file outbox) on
PostgreSQL, run by 1 and by 3 `clarity worker` *processes*. The leader's catch-up queues every
due briefing (procrastinate) as it starts; each process's queue worker executes them. Time is
from starting the processes until the last briefing is delivered to the outbox, so it includes
process start-up and each process's first (cold) briefing: the "first delivered" figure shows
that part. The worker processes' CPU time is printed too: on a shared machine it is the figure
that does not depend on what else runs.

Environment: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
BENCH_SCHEDULES_LOCATIONS (default 500), BENCH_SCHEDULES_WORKERS (default "1,3").
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

ZONE = "America/New_York"
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 1800


def _seed(engine: Engine, n: int, now: datetime) -> None:
    """N locations of one organization, each with a sale yesterday and the owner subscribed
    (file outbox) at the current local hour: every briefing is due now."""
    from store.models import Location, Organization, Patient, Sale, Subscription, User

    local = now.astimezone(ZoneInfo(ZONE))
    with Session(engine) as session:
        session.add(Organization(id=1, name="Bench", slug="bench"))
        session.flush()
        session.add_all(
            Location(id=i, organization_id=1, name=f"L{i}", timezone=ZONE) for i in range(1, n + 1)
        )
        session.add(
            User(id=1, organization_id=1, email="owner@bench.example", name="O", role="owner")
        )
        session.flush()
        session.add(Patient(id=1, home_location_id=1, first_name="A", last_name="B"))
        session.flush()
        for i in range(1, n + 1):
            session.add(
                Sale(
                    patient_id=1,
                    location_id=i,
                    item="Botox",
                    net_cents=40_000,
                    gross_cents=40_000,
                    paid_at=now - timedelta(days=1),
                    local_date=local.date() - timedelta(days=1),
                    external_id=f"s{i}",
                )
            )
            session.add(
                Subscription(
                    user_id=1, channel="outbox", scope=f"location:{i}", send_hour_local=local.hour
                )
            )
        session.commit()


def _delivered(engine: Engine) -> int:
    from store import tables as t

    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.briefing_delivery)
                .where(t.briefing_delivery.c.status == "delivered")
            ).scalar_one()
        )


def _start(url: str, home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env |= {
        "CLARITY_DATABASE_URL": url,
        "CLARITY_VAR_DIR": str(home / "var"),
        "CLARITY_DELIVERY_CHANNELS": '["outbox"]',
        "PYTHONPATH": str(ROOT),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "clarity", "worker"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one(url: str, n: int, workers: int) -> tuple[float, float, float, int, int, list[int]]:
    """(total seconds, seconds to the first finished task, CPU seconds of the worker processes,
    delivered, outbox files, tasks run per process)."""
    from store.db import make_engine
    from store.migrate import upgrade

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    schema_url = (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(engine)
        _seed(engine, n, datetime.now(UTC))
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            logs = [home / f"worker{k}.log" for k in range(workers)]
            cpu_before = _children_cpu()
            started = perf_counter()
            procs = [_start(schema_url, home, log) for log in logs]
            first = None
            delivered = 0
            while delivered < n and perf_counter() - started < TIMEOUT_SECONDS:
                time.sleep(0.2)
                delivered = _delivered(engine)
                if first is None and delivered:
                    first = perf_counter() - started
            elapsed = perf_counter() - started
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=120)
            cpu = _children_cpu() - cpu_before
            files = len(list((home / "var" / "outbox").glob("*.eml")))
            per_process = [log.read_text().count("worker: ran clarity.briefing") for log in logs]
        return elapsed, first or elapsed, cpu, delivered, files, per_process
    finally:
        for proc in procs:  # only the processes this run started, by handle
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def run() -> None:
    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    n = int(os.environ.get("BENCH_SCHEDULES_LOCATIONS", "500"))
    counts = [int(k) for k in os.environ.get("BENCH_SCHEDULES_WORKERS", "1,3").split(",")]
    for workers in counts:
        elapsed, first, cpu, delivered, files, per_process = _one(url, n, workers)
        warm = (elapsed - first) / max(n - 1, 1) * 1000
        print(
            f"   {n} briefings due at once, {workers} worker process(es): {elapsed:.1f} s "
            f"(first delivered after {first:.1f} s, then {warm:.0f} ms per briefing), "
            f"{delivered} delivered, {files} outbox files, tasks per process {per_process}; "
            f"worker CPU {cpu:.1f} s ({cpu / n * 1000:.0f} ms per briefing, start-up included)"
        )
