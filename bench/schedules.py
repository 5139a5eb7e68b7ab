"""Scheduled briefings due at the same minute: N locations (template writer, file outbox) on
PostgreSQL, run through the scheduler's job function with 1 and with 3 executor threads of the
leader. Not yet: 3 worker *processes* (that needs the procrastinate fan-out, issue 17 item 3).

Environment: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
BENCH_SCHEDULES_LOCATIONS (default 500).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, select, text
from sqlmodel import Session

ZONE = "America/New_York"


def _seed(engine: Engine, n: int, now: datetime) -> None:
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


def _one(url: str, n: int, threads: int) -> tuple[float, int, int]:
    from clarity.settings import load_settings
    from schedules.jobs import run_scheduled_briefing
    from store import tables as t
    from store.db import make_engine
    from store.migrate import upgrade

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        upgrade(engine)
        now = datetime.now(UTC)
        _seed(engine, n, now)
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                database_url=url, var_dir=Path(tmp), delivery_channels=["outbox"]
            )
            started = perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                statuses = list(
                    pool.map(
                        lambda i: run_scheduled_briefing(
                            engine, settings, f"location:{i}", now=now
                        ),
                        range(1, n + 1),
                    )
                )
            elapsed = perf_counter() - started
            files = len(list((Path(tmp) / "outbox").glob("*.eml")))
        with engine.connect() as conn:
            delivered = conn.execute(
                select(func.count())
                .select_from(t.briefing_delivery)
                .where(t.briefing_delivery.c.status == "delivered")
            ).scalar_one()
        assert statuses.count("ok") == n, statuses
        return elapsed, int(delivered), files
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def run() -> None:
    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    n = int(os.environ.get("BENCH_SCHEDULES_LOCATIONS", "500"))
    for threads in (1, 3):
        elapsed, delivered, files = _one(url, n, threads)
        print(
            f"   {n} briefings due at once, {threads} thread(s): {elapsed:.1f} s "
            f"({elapsed / n * 1000:.0f} ms each), {delivered} delivered, {files} outbox files"
        )
