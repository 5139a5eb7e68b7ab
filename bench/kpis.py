"""KPI benchmark: every KPI for every location of the demo practice for one month.

Targets (issue 5): default demo on SQLite ≤ 5 s; a 10× demo (30 locations, 150,000 patients)
on PostgreSQL ≤ 30 s. As a reference, the per-location aggregation behind the peer comparison
(net revenue, no-show and late-cancel rates, utilization, rebooking) is also done in pandas over
the same rows (read + compute), and the ratio SQL / pandas is printed.

The 10× database is built once into the schema `bench_kpis_x10` of the test PostgreSQL
(CLARITY_TEST_POSTGRES_URL or the local default) and reused by later runs.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter

import pandas as pd
from sqlalchemy import Engine, create_engine, func, select, text
from sqlmodel import SQLModel

from bench._util import peak_rss_mb, verdict
from store import tables as t
from store.db import make_engine
from store.demo import DemoConfig, build_demo
from store.migrate import upgrade
from tools import kpis
from tools.findings import compute_findings
from tools.kpi_base import resolve
from tools.scope import Period, Scope

MONTH = Period.month(2026, 10)
AS_OF = date(2026, 11, 24)
PG_SCHEMA = "bench_kpis_x10"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def all_kpis(engine: Engine, organization_id: int, period: Period) -> int:
    """Every KPI for every location (with previous period and peers); returns facts produced."""
    facts = 0
    for location_id, snapshot in kpis.location_snapshots(engine, organization_id, period).items():
        scope = Scope(organization_id, location_id)
        facts += len(snapshot.facts)
        facts += sum(len(r.facts) for r in kpis.provider_pnl(engine, scope, period))
        facts += sum(len(k.facts) for k in kpis.cac_by_channel(engine, scope, period))
        facts += sum(len(f.facts) for f in kpis.new_patient_funnel(engine, scope, period))
        facts += sum(len(f.facts) for f in kpis.marketing_ltv(engine, scope, period))
        facts += len(kpis.treatment_mix(engine, scope, period))
        facts += len(kpis.revenue_per_member(engine, scope, period).facts)
        facts += len(kpis.membership_conversion(engine, scope, period).facts)
    facts += len(kpis.same_store_growth(engine, organization_id, period).facts)
    return facts


def sql_reference(engine: Engine, period: Period) -> dict[str, dict[int, float | None]]:
    with engine.connect() as conn:
        org = resolve(conn, Scope(1))
        values = kpis.peer_values(conn, org, period, "location")
    return {k: values[k] for k in ("net_revenue", "no_show_rate", "utilization", "rebooking_rate")}


def pandas_reference(engine: Engine, period: Period) -> dict[str, dict[int, float | None]]:
    """The same per-location aggregation in pandas: read the rows, then group in memory."""
    a, s, sh, svc = t.appointment, t.sale, t.provider_shift, t.service
    with engine.connect() as conn:
        appts = pd.read_sql(
            select(
                a.c.id,
                a.c.patient_id,
                a.c.location_id,
                a.c.status,
                a.c.start_at,
                a.c.end_at,
                a.c.duration_minutes,
                svc.c.rebookable,
            )
            .join(svc, svc.c.id == a.c.service_id)
            .where(a.c.local_date.between(period.start, period.end)),
            conn,
        )
        later = pd.read_sql(
            select(a.c.patient_id, a.c.start_at, a.c.booked_at).where(
                a.c.patient_id.in_(
                    select(a.c.patient_id).where(a.c.local_date.between(period.start, period.end))
                ),
                a.c.local_date >= period.start,
            ),
            conn,
        )
        sales = pd.read_sql(
            select(s.c.location_id, s.c.net_cents).where(
                s.c.local_date.between(period.start, period.end)
            ),
            conn,
        )
        shifts = pd.read_sql(
            select(sh.c.location_id, sh.c.available_minutes).where(
                sh.c.day.between(period.start, period.end)
            ),
            conn,
        )
    revenue = (sales.groupby("location_id")["net_cents"].sum() / 100.0).to_dict()
    status = appts.pivot_table(
        index="location_id", columns="status", values="id", aggfunc="count", fill_value=0
    )
    no_show = (status["no_show"] / (status["completed"] + status["no_show"])).to_dict()
    completed = appts[appts.status == "completed"]
    booked = completed.groupby("location_id")["duration_minutes"].sum()
    available = shifts.groupby("location_id")["available_minutes"].sum()
    utilization = (booked / available).to_dict()
    eligible = completed[completed.rebookable.astype(bool)]
    pairs = eligible.merge(later, on="patient_id", suffixes=("", "_next"))
    hit = pairs[
        (pairs.start_at_next > pairs.start_at)
        & (pairs.booked_at >= pairs.start_at)
        & (pairs.booked_at <= pairs.end_at + timedelta(days=1))
    ]
    rebooked = hit.drop_duplicates("id").groupby("location_id")["id"].count()
    rebooking = (rebooked / eligible.groupby("location_id")["id"].count()).fillna(0).to_dict()
    return {
        "net_revenue": revenue,
        "no_show_rate": no_show,
        "utilization": utilization,
        "rebooking_rate": rebooking,
    }


def _measure(engine: Engine, label: str, target: float) -> None:
    with engine.connect() as conn:
        locations = conn.execute(select(func.count()).select_from(t.location)).scalar_one()
        appointments = conn.execute(select(func.count()).select_from(t.appointment)).scalar_one()
    started = perf_counter()
    facts = all_kpis(engine, 1, MONTH)
    seconds = perf_counter() - started
    print(
        f"   {label}: all KPIs for {locations} locations, {MONTH.label()} "
        f"({appointments:,} appointments in store): {seconds:.2f} s, {facts:,} facts  "
        f"[target ≤ {target:.0f} s: {verdict(seconds, target)}]"
    )
    started = perf_counter()
    found = compute_findings(engine, organization_id=1, as_of=AS_OF)
    print(
        f"   {label}: findings as of {AS_OF.isoformat()}: {len(found)} in "
        f"{perf_counter() - started:.2f} s (no target)"
    )
    started = perf_counter()
    in_sql = sql_reference(engine, MONTH)
    sql_seconds = perf_counter() - started
    started = perf_counter()
    in_pandas = pandas_reference(engine, MONTH)
    pandas_seconds = perf_counter() - started
    agree = all(
        abs((in_sql[k].get(lid) or 0.0) - (in_pandas[k].get(lid) or 0.0)) < 1e-6
        for k in in_sql
        for lid in in_sql[k]
    )
    print(
        f"   {label}: reference aggregation per location (revenue, no-show, utilization, "
        f"rebooking) SQL {sql_seconds:.2f} s vs pandas {pandas_seconds:.2f} s (read + compute) "
        f"→ ratio SQL/pandas {sql_seconds / pandas_seconds:.2f}; same values: {agree}"
    )


def _sqlite_default() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        upgrade(engine)
        build_demo(engine, DemoConfig())
        _measure(engine, "SQLite, default demo", 5)
        engine.dispose()


def _postgres_x10() -> None:
    url = os.environ.get("CLARITY_TEST_POSTGRES_URL") or PG_DEFAULT
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"'))
        admin.dispose()
    except Exception as exc:  # unreachable server: say so, do not fail the other figures
        print(f"   PostgreSQL 10× demo: skipped ({type(exc).__name__}: PostgreSQL not reachable)")
        return
    engine = make_engine(url, schema=PG_SCHEMA)
    SQLModel.metadata.create_all(engine)
    with engine.connect() as conn:
        locations = conn.execute(select(func.count()).select_from(t.location)).scalar_one()
    if locations != 30:
        started = perf_counter()
        build_demo(
            engine, DemoConfig(patients=150_000, location_copies=10), replace=bool(locations)
        )
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        print(f"   built the 10× demo into schema {PG_SCHEMA} in {perf_counter() - started:.0f} s")
    _measure(engine, "PostgreSQL, 10× demo", 30)
    engine.dispose()


def run() -> None:
    _sqlite_default()
    _postgres_x10()
    print(f"   peak RSS: {peak_rss_mb():.0f} MiB")
