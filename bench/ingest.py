"""CSV ingest: 1,000,000 appointments + 1,000,000 sales into SQLite (target ≤ 60 s, peak RSS
≤ 1 GB) and PostgreSQL; also 100,000 + 100,000 to show memory does not grow with file size.

Each measurement runs in a fresh child process so its peak RSS is its own. The CSV files are
generated into a temporary directory at run time.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

from bench._util import peak_rss_mb, verdict

PATIENTS = 50_000
PROVIDERS = 12
LOCATIONS = (("L1", "Austin", "America/Chicago"), ("L2", "Dallas", "America/Chicago"))
SERVICES = (("S1", "Botox", "neurotoxin"), ("S2", "Filler", "filler"), ("S3", "Facial", "skin"))
STATUSES = ("completed", "completed", "completed", "no_show", "cancelled", "booked")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _write(path: Path, header: list[str], rows: object) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)  # type: ignore[arg-type]


def generate(directory: Path, rows: int, seed: int = 1) -> None:
    """Catalog files plus `appointments.csv` and `sales.csv` with `rows` rows each."""
    rng = random.Random(seed)
    _write(directory / "locations.csv", ["external_id", "name", "timezone"], LOCATIONS)
    _write(
        directory / "providers.csv",
        ["external_id", "first_name", "last_name", "role", "location_external_id"],
        ((f"PR{i}", f"Prov{i}", "Smith", "nurse_injector", f"L{i % 2 + 1}") for i in range(12)),
    )
    _write(directory / "services.csv", ["external_id", "name", "category"], SERVICES)
    _write(
        directory / "patients.csv",
        ["external_id", "first_name", "last_name", "location_external_id"],
        ((f"P{i}", "Pat", f"N{i}", f"L{i % 2 + 1}") for i in range(PATIENTS)),
    )
    # 200 visits a day in half-hour slots from 09:00, so no time falls in a DST gap.
    first_day = datetime(2024, 1, 1, 9, 0) - timedelta(days=rows // 200)
    starts = [first_day + timedelta(days=i // 200, minutes=30 * (i % 16)) for i in range(rows)]
    _write(
        directory / "appointments.csv",
        [
            "external_id",
            "start_at",
            "end_at",
            "status",
            "patient_external_id",
            "provider_external_id",
            "service_external_id",
            "location_external_id",
            "booking_channel",
        ],
        (
            (
                f"A{i}",
                s.isoformat(sep=" ", timespec="minutes"),
                (s + timedelta(minutes=45)).isoformat(sep=" ", timespec="minutes"),
                STATUSES[i % 6],
                f"P{rng.randrange(PATIENTS)}",
                f"PR{i % PROVIDERS}",
                SERVICES[i % 3][0],
                LOCATIONS[i % 2][0],
                "online",
            )
            for i, s in enumerate(starts)
        ),
    )
    _write(
        directory / "sales.csv",
        [
            "external_id",
            "paid_at",
            "gross",
            "discount",
            "net",
            "location_external_id",
            "patient_external_id",
            "provider_external_id",
            "service_external_id",
            "item",
        ],
        (
            (
                f"S{i}",
                s.isoformat(sep=" ", timespec="minutes"),
                "$450.00",
                "45.00",
                "405.00",
                LOCATIONS[i % 2][0],
                f"P{rng.randrange(PATIENTS)}",
                f"PR{i % PROVIDERS}",
                SERVICES[i % 3][0],
                "Treatment",
            )
            for i, s in enumerate(starts)
        ),
    )


def child(url: str, directory: str, schema: str | None) -> None:
    """In a fresh process: catalogs, then time appointments + sales; print JSON figures."""
    from sqlmodel import SQLModel

    import store.models  # noqa: F401
    from store.db import make_engine
    from store.ingest import ingest_csv

    engine = make_engine(url, schema=schema)
    SQLModel.metadata.create_all(engine)
    folder = Path(directory)
    for table in ("locations", "providers", "services", "patients"):
        ingest_csv(engine, table, folder / f"{table}.csv")
    started = perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    counts = {}
    for table in ("appointments", "sales"):
        result = ingest_csv(engine, table, folder / f"{table}.csv")
        counts[table] = result.inserted
    seconds = perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    again = perf_counter()
    rerun = ingest_csv(engine, "sales", folder / "sales.csv")
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "rows": sum(counts.values()),
                "inserted": counts,
                "rss": peak_rss_mb(),
                "rerun_seconds": perf_counter() - again,
                "rerun_unchanged": rerun.unchanged,
            }
        )
    )


def _measure(url: str, directory: Path, schema: str | None = None) -> dict[str, float]:
    code = (
        "import sys; from bench.ingest import child; "
        "child(sys.argv[1], sys.argv[2], sys.argv[3] or None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, str(directory), schema or ""],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _postgres() -> tuple[str, str] | None:
    from sqlalchemy import create_engine, text

    url = os.environ.get("CLARITY_TEST_POSTGRES_URL") or DEFAULT_PG_URL
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(f"   PostgreSQL skipped: not reachable at {url} ({type(exc).__name__})")
        return None
    return url, schema


def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _report(label: str, figures: dict[str, float], target: bool) -> None:
    rate = figures["rows"] / figures["seconds"]
    line = (
        f"   {label}: {figures['rows']:,.0f} rows in {figures['seconds']:.1f} s "
        f"({rate:,.0f} rows/s; {figures['cpu_seconds']:.1f} s CPU), "
        f"peak RSS {figures['rss']:.0f} MiB"
    )
    if target:
        line += (
            f"  [≤ 60 s: {verdict(figures['seconds'], 60)}; "
            f"≤ 1024 MiB: {verdict(figures['rss'], 1024)}]"
        )
    print(line)
    print(
        f"      re-import of sales: {figures['rerun_unchanged']:,.0f} unchanged "
        f"in {figures['rerun_seconds']:.1f} s"
    )


def run() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_INGEST_ROWS", "100000,1000000").split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            folder = Path(tmp) / str(rows)
            folder.mkdir()
            generated = perf_counter()
            generate(folder, rows)
            print(
                f"   generated {rows:,} appointments + {rows:,} sales CSV "
                f"in {perf_counter() - generated:.1f} s"
            )
            db = Path(tmp) / f"bench-{rows}.db"
            figures = _measure(f"sqlite:///{db}", folder)
            _report(f"SQLite {rows:,}+{rows:,}", figures, target=rows >= 1_000_000)
            pg = _postgres()
            if pg is not None:
                url, schema = pg
                try:
                    figures = _measure(url, folder, schema)
                    _report(f"PostgreSQL {rows:,}+{rows:,}", figures, target=False)
                finally:
                    _drop_schema(url, schema)
