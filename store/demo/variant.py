"""A second practice for benchmarks: another seed and shape, and NOT the demo's no-show mechanism.

`build_second_practice` builds a demo with its own seed, size and span, then re-draws the
outcome of every appointment up to `as_of` that was completed or a no-show, and the booking
facts of every appointment, from a mechanism of its own:

- per patient a latent flakiness u ~ Normal(0, 1) (shows in her earlier no-shows);
- booking facts: reminder sent with probability 0.7; confirmed 0.85 after a reminder, 0.45
  without; deposit paid 0.5 for appointments whose service lists at ≥ $400, else 0.1;
- log-odds of a no-show = location base (−2.9, −1.9, −2.4 for locations in id order, repeating)
  + 0.8 u + 1.1 (not confirmed) − 1.0 (deposit) + 0.35 log(1 + lead days) − 0.4 (Saturday)
  + 0.9 (after 17:00 and not confirmed: an interaction a linear model misses)
  + 0.4 (before 10:00 on a Monday).

`sales_only` turns a store into a point-of-sale-only practice (every appointment deleted,
sales unlinked from them), as a clinic that exports purchases only would look after import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, bindparam, delete, select, update

from store import tables as t
from store.demo.build import build_demo
from store.demo.config import DemoConfig

LOCATION_BASE = (-2.9, -1.9, -2.4)


@dataclass(frozen=True)
class Redrawn:
    appointments: int
    no_shows: int


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def redraw_no_shows(engine: Engine, config: DemoConfig, seed: int) -> Redrawn:
    """Apply this module's booking facts and no-show mechanism (module doc)."""
    a, s = t.appointment, t.service
    rng = np.random.default_rng(seed)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                a.c.id,
                a.c.patient_id,
                a.c.location_id,
                a.c.start_at,
                a.c.booked_at,
                a.c.local_date,
                a.c.local_hour,
                a.c.status,
                s.c.price_cents,
            ).outerjoin(s, s.c.id == a.c.service_id)
        ).all()
        locations = sorted(int(v) for v in conn.execute(select(t.location.c.id)).scalars())
    base = {loc: LOCATION_BASE[i % len(LOCATION_BASE)] for i, loc in enumerate(locations)}
    patients = {int(r.patient_id) for r in rows}
    flaky = dict(zip(sorted(patients), rng.normal(0.0, 1.0, len(patients)), strict=True))
    changes = []
    no_shows = 0
    for r in rows:
        reminder = bool(rng.random() < 0.7)
        confirmed = bool(rng.random() < (0.85 if reminder else 0.45))
        deposit = bool(rng.random() < (0.5 if (r.price_cents or 0) >= 40_000 else 0.1))
        status = r.status
        if status in ("completed", "no_show") and r.local_date <= config.as_of:
            lead = 0.0
            if r.booked_at is not None:
                lead = max(0.0, (_aware(r.start_at) - _aware(r.booked_at)).total_seconds() / 86400)
            weekday = r.local_date.weekday()
            z = (
                base[int(r.location_id)]
                + 0.8 * flaky[int(r.patient_id)]
                + (0.0 if confirmed else 1.1)
                - (1.0 if deposit else 0.0)
                + 0.35 * math.log1p(lead)
                - (0.4 if weekday == 5 else 0.0)
                + (0.9 if r.local_hour >= 17 and not confirmed else 0.0)
                + (0.4 if r.local_hour < 10 and weekday == 0 else 0.0)
            )
            status = "no_show" if rng.random() < 1 / (1 + math.exp(-z)) else "completed"
            no_shows += status == "no_show"
        changes.append(
            {
                "b_id": r.id,
                "status": status,
                "reminder_sent": reminder,
                "confirmed": confirmed,
                "deposit_paid": deposit,
            }
        )
    statement = (
        update(a)
        .where(a.c.id == bindparam("b_id"))
        .values(
            status=bindparam("status"),
            reminder_sent=bindparam("reminder_sent"),
            confirmed=bindparam("confirmed"),
            deposit_paid=bindparam("deposit_paid"),
        )
    )
    with engine.begin() as conn:
        for start in range(0, len(changes), 20_000):
            conn.execute(statement, changes[start : start + 20_000])
    return Redrawn(len(changes), no_shows)


def second_practice_config(seed: int = 2027, patients: int = 9_000) -> DemoConfig:
    """Another seed and shape than the demo: fewer patients, 20 months, two location sets."""
    return DemoConfig(seed=seed, patients=patients, days=600, lapsed_vips=0, location_copies=2)


def build_second_practice(engine: Engine, config: DemoConfig) -> Redrawn:
    """Build the demo of `config` into `engine` (schema must exist), then redraw no-shows."""
    build_demo(engine, config)
    return redraw_no_shows(engine, config, seed=config.seed + 1)


def sales_only(engine: Engine) -> None:
    """Delete every appointment (sales are kept, unlinked): a point-of-sale-only practice."""
    with engine.begin() as conn:
        conn.execute(update(t.sale).values(appointment_id=None))
        conn.execute(delete(t.appointment))
