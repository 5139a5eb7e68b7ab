"""Outreach: drafting speed (target ≥ 50 drafts/s for 1,000 at-risk patients, template writer)
and the fault-injection run (1,000 randomized sends against the local Twilio stub: zero
duplicate deliveries, zero lost approved messages)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from time import perf_counter

from sqlmodel import SQLModel

from agent.outreach.candidates import Candidate, fact
from agent.outreach.checkpoint import open_checkpointer
from agent.outreach.graph import Context, build_outreach_graph
from agent.outreach.policy import PolicyConfig, check_message
from agent.outreach.runner import start
from agent.outreach.writers import fill, write_template
from store.db import make_engine

PATIENTS = 1_000


def at_least(value: float, target: float) -> str:
    return "ok" if value >= target else "BELOW TARGET"


SENDS = 1_000


def _candidates(n: int) -> list[Candidate]:
    return [
        Candidate(
            patient_id=1001 + i,
            location_id=1,
            purpose="win_back",
            facts=[
                fact("weeks_since_visit", "weeks since the last visit", 14 + i % 30, "weeks"),
                fact("usual_interval_weeks", "usual weeks between visits", 13, "weeks"),
            ],
            reason="usually every 13 weeks",
            provider_id=1,
        )
        for i in range(n)
    ]


def _drafting() -> None:
    from tests.agent.outreach import practice as p

    config = PolicyConfig(practice_name=p.PRACTICE, booking_url=p.BOOKING)
    values = {"first_name": "Ana", "provider_name": "Maya", "practice_name": p.PRACTICE,
              "booking_link": p.BOOKING}  # fmt: skip
    found = _candidates(PATIENTS)
    started = perf_counter()
    for candidate in found:
        draft = write_template(candidate, "sms")
        check_message(
            fill(draft.template, values), channel="sms", purpose="win_back", config=config
        )
    rate = PATIENTS / (perf_counter() - started)
    print(f"   template drafting + policy, {PATIENTS:,} patients: {rate:,.0f} drafts/s  "
          f"[target ≥ 50/s: {at_least(rate, 50)}]")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
        p.build(engine)
        from sqlalchemy import insert

        from store import tables as t

        with engine.begin() as conn:
            conn.execute(
                insert(t.patient),
                [{"id": c.patient_id, "first_name": "F", "last_name": "L",
                  "phone_e164": f"+1555700{i:04d}", "consent_sms_marketing": True}
                 for i, c in enumerate(found)],
            )  # fmt: skip
        ctx = Context(engine=engine, channels={}, base_url=p.BASE_URL, clock=lambda: p.NOW)
        with open_checkpointer(str(engine.url), sqlite_path=Path(tmp) / "cp.sqlite") as saver:
            app = build_outreach_graph().compile(checkpointer=saver)
            started = perf_counter()
            for candidate in found:
                start(app, candidate, as_of="2026-11-30", context=ctx)
            rate = PATIENTS / (perf_counter() - started)
        engine.dispose()
    print(
        f"   full graph to the approval interrupt (store + SQLite checkpoints), "
        f"{PATIENTS:,} patients: {rate:,.0f} drafts/s  [target ≥ 50/s: {at_least(rate, 50)}]"
    )


def _faults() -> None:
    import logging

    logging.getLogger("agent.outreach.delivery").setLevel(logging.ERROR)  # one line per fault
    from tests.agent.outreach import practice as p
    from tests.agent.outreach.faults import run_faults
    from tests.twilio_stub import TwilioStub

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'faults.db'}")
        SQLModel.metadata.create_all(engine)
        p.build(engine)
        with TwilioStub(slow_seconds=0.3) as stub:
            counts = run_faults(engine, stub, SENDS, seed=2026)
        engine.dispose()
    ok = counts["duplicate_deliveries"] == 0 and not counts["lost"]
    print(f"   fault injection, {SENDS:,} randomized sends: scenarios {counts['scenarios']}")
    print(f"   before reconcile {counts['before_reconcile']}; after {counts['after_reconcile']}")
    print(f"   accepted at the stub {counts['accepted_at_stub']}, duplicate deliveries "
          f"{counts['duplicate_deliveries']}, lost {len(counts['lost'])}  "
          f"[{'PASS' if ok else 'FAIL'}]")  # fmt: skip


def run() -> None:
    _drafting()
    _faults()
