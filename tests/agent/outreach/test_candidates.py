"""Who is due, per purpose, on a hand-made practice (days counted by hand from AS_OF)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from agent.outreach.candidates import candidates
from store import tables as t
from tests.agent.outreach import practice as p

AS_OF = p.AS_OF  # 2026-11-30


def visit(
    conn: object, patient: int, service: int, days_ago: int, status: str = "completed"
) -> None:
    day = AS_OF - timedelta(days=days_ago)
    at = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    conn.execute(  # type: ignore[attr-defined]
        insert(t.appointment).values(
            patient_id=patient, provider_id=1, location_id=1, service_id=service, start_at=at,
            end_at=at, local_date=day, status=status,
        )
    )  # fmt: skip


def test_next_due_post_treatment_and_vip(engine: Engine) -> None:
    p.build(engine)
    with engine.begin() as conn:
        for pid in range(2, 7):
            conn.execute(insert(t.patient).values(id=pid, first_name=f"F{pid}", last_name="L"))
        visit(conn, 1, 1, 91)  # Botox 91 days ago: in the 84–112-day cycle, 91 // 7 = 13 weeks
        visit(conn, 2, 2, 2)  # Lip Filler 2 days ago: post-treatment check-in
        visit(conn, 3, 1, 50)  # Botox 50 days ago: not due yet
        visit(conn, 4, 1, 100)  # due, but…
        visit(conn, 4, 1, -7, status="booked")  # …booked a week ahead: excluded
        visit(conn, 5, 2, 70)  # filler 70 days ago: not in 180–365; the top spender
        day = AS_OF - timedelta(days=70)
        conn.execute(
            insert(t.sale).values(
                patient_id=5, location_id=1, item="x", net_cents=900_000, local_date=day,
                paid_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
            )
        )  # fmt: skip
    due = candidates(engine, ["next_due"], as_of=AS_OF)
    assert [(c.patient_id, c.facts[0]["value"], c.reason) for c in due] == [
        (1, 13, "neurotoxin cycle 12–16 weeks, now 13")
    ]
    post = candidates(engine, ["post_treatment"], as_of=AS_OF)
    assert [(c.patient_id, c.facts[0]["value"]) for c in post] == [(2, 2)]
    # one patient with sales → the top decile is max(1, 1 // 10) = 1 patient: #5, quiet for
    # 70 days > 60 → 70 // 7 = 10 weeks
    vip = candidates(engine, ["vip_check_in"], as_of=AS_OF)
    assert [(c.patient_id, c.facts[0]["value"]) for c in vip] == [(5, 10)]
    assert vip[0].reason == "top-10% patient ($9,000 in 12 months), quiet for 10 weeks"
