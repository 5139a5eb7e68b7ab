"""Building the demo practice: generate every row in one seeded pass, write it to a database,
and read back the manifest of planted patterns.

The generation order is fixed — catalog, patient plans, then per patient its row and visits
(with sales and memberships), the planted refund day, shifts, payroll, marketing — because every
step draws from the one random stream of the `World`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text
from sqlmodel import SQLModel

from store import tables as t
from store.db import refresh_statistics
from store.demo.catalog import build_catalog
from store.demo.config import DemoConfig
from store.demo.marketing import build_marketing
from store.demo.patients import plan_patients, write_patient
from store.demo.payroll import build_payroll, build_shifts
from store.demo.planted import drops_for_cac_jump, manifest_patterns, plant_refund_day
from store.demo.visits import simulate
from store.demo.world import PatientPlan, World

ProgressCallback = Callable[[str, int, int], None]

# Tables in insertion order (parents first).
DEMO_TABLES: tuple[Table, ...] = (
    t.organization,
    t.location,
    t.provider,
    t.service,
    t.patient,
    t.appointment,
    t.sale,
    t.provider_shift,
    t.compensation,
    t.membership,
    t.marketing_spend,
    t.lead,
)


class DemoExistsError(RuntimeError):
    """The target database already holds an organization; pass replace=True to rebuild."""


def _generate(world: World, progress: ProgressCallback | None) -> dict[str, Any]:
    """Fill `world.rows` and return the manifest."""
    build_catalog(world)
    plans = plan_patients(world)
    kept: list[PatientPlan] = []
    dropped = 0
    for index, plan in enumerate(plans):
        if drops_for_cac_jump(world, plan):
            dropped += 1
            continue
        write_patient(world, plan)
        if plan.lapse_after:
            world.planted_lapsed.append(plan.id)
        simulate(world, plan)
        kept.append(plan)
        if progress and index % 500 == 0:
            progress("patients", index, len(plans))
    if progress:
        progress("patients", len(plans), len(plans))
    patterns: list[dict[str, Any]] = [plant_refund_day(world)]
    build_shifts(world)
    patterns.extend(build_payroll(world))
    build_marketing(world, kept)
    patterns.extend(manifest_patterns(world, dropped))
    return {
        "seed": world.config.seed,
        "patients": world.config.patients,
        "as_of": world.as_of.isoformat(),
        "data_start": world.start.isoformat(),
        "organization_id": 1,
        "patterns": patterns,
    }


def generate_rows(
    config: DemoConfig, progress: ProgressCallback | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Generate every demo row in memory (no database) and the manifest of planted patterns."""
    world = World(config)
    manifest = _generate(world, progress)
    return dict(world.rows.tables), manifest


def clear_all(engine: Engine) -> None:
    """Delete every row of every table (children first), in one transaction."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name == "alembic_version":
                continue
            connection.execute(delete(table))


def build_demo(
    engine: Engine,
    config: DemoConfig | None = None,
    *,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Generate the demo practice into `engine` (schema must exist) and return its manifest.

    Everything is written in one transaction: a failure leaves the database as it was.
    """
    config = config or DemoConfig()
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(t.organization)).scalar()
    if existing and not replace:
        raise DemoExistsError("the database already holds a practice; use --replace to rebuild")
    tables, manifest = generate_rows(config, progress)
    if existing:
        clear_all(engine)
    with engine.begin() as connection:
        for table in DEMO_TABLES:
            rows = tables.get(table.name, [])
            for chunk_start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[chunk_start : chunk_start + 5000])
                if progress:
                    progress(table.name, min(chunk_start + 5000, len(rows)), len(rows))
        connection.execute(
            insert(t.audit_event),
            [
                {
                    "occurred_at": datetime.combine(config.as_of, time(23, 59), UTC),
                    "actor": "clarity demo",
                    "action": "demo.build",
                    "entity_type": "organization",
                    "entity_id": "1",
                    "details": manifest,
                }
            ],
        )
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
    refresh_statistics(engine)
    return manifest


def _reset_sequences(connection: Connection) -> None:
    """Rows were inserted with explicit ids; move PostgreSQL sequences past them."""
    for table in SQLModel.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


def load_manifest(engine: Engine) -> dict[str, Any] | None:
    """The manifest of the most recent demo build in this database, if any."""
    audit = t.audit_event
    with engine.connect() as connection:
        details = connection.execute(
            select(audit.c.details)
            .where(audit.c.action == "demo.build")
            .order_by(audit.c.id.desc())
            .limit(1)
        ).scalar()
    return dict(details) if details else None


def write_manifest(manifest: dict[str, Any], path: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")


def demo_digest(engine: Engine) -> str:
    """SHA-256 over every row of every demo table, ordered by id: equal digests = equal data."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in DEMO_TABLES:
            digest.update(table.name.encode())
            for row in connection.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
