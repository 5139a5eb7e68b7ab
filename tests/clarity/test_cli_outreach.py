"""`clarity outreach …` as a user runs it (a real process on the hand-made practice)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from store import tables as t
from store.db import make_engine
from store.migrate import upgrade
from tests.agent.outreach import practice as p
from tests.clarity.test_cli import run

AS_OF = date(2026, 11, 30)


def build_store(tmp_path: Path) -> None:
    """Ana (consents), Bo (opted out of everything) and Cy (no SMS consent) each had Botox
    91 days (13 weeks) before AS_OF: inside the 84–112-day neurotoxin cycle → next_due."""
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'clarity.db'}")
    upgrade(engine)
    p.build(engine)
    visit = AS_OF - timedelta(days=91)
    start = datetime(visit.year, visit.month, visit.day, 15, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(t.patient).values(
                id=2, first_name="Bo", last_name="B", phone_e164="+15555550102",
                sms_opted_out_at=start, email_opted_out_at=start,
            )
        )  # fmt: skip
        conn.execute(
            insert(t.patient).values(
                id=3, first_name="Cy", last_name="C", phone_e164="+15555550103",
                email="cy@example.com", consent_sms_transactional=False,
            )
        )  # fmt: skip
        for pid in (1, 2, 3):
            conn.execute(
                insert(t.appointment).values(
                    patient_id=pid, provider_id=1, location_id=1, service_id=1, start_at=start,
                    end_at=start, local_date=visit, status="completed",
                )
            )  # fmt: skip
        conn.execute(
            insert(t.sale).values(
                location_id=1, item="x", paid_at=start, local_date=AS_OF, net_cents=100
            )
        )
    engine.dispose()


def test_outreach_commands(tmp_path: Path) -> None:
    build_store(tmp_path)
    drafted = run(["outreach", "draft", "--purpose", "next_due", "--json"], tmp_path)
    assert drafted.returncode == 0, drafted.stderr
    rows = json.loads(drafted.stdout)
    # Bo opted out: never drafted. Ana by SMS, Cy by e-mail (no SMS care consent).
    assert [(r["patient"], r["channel"], r["state"]) for r in rows] == [
        ("P-1", "sms", "pending_approval"),
        ("P-3", "email", "pending_approval"),
    ]
    ana = rows[0]
    assert set(ana) >= {"id", "patient", "purpose", "channel", "state", "body", "segments",
                        "policy", "scheduled_for"}  # fmt: skip
    assert ana["body"].startswith("Hi Ana, Glow Studio here. It has been 13 weeks")
    assert ana["policy"] == {"passed": True, "violations": []} and ana["segments"] == 1

    again = run(["outreach", "draft", "--purpose", "next_due", "--json"], tmp_path)
    assert json.loads(again.stdout) == []  # open messages: no second draft

    bad = run(
        ["outreach", "edit", str(ana["id"]), "--text", "Botox time!", "--by", "fd@x"], tmp_path
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "no treatment or health detail in SMS: botox" in bad.stderr

    queue = json.loads(run(["outreach", "queue", "--json"], tmp_path).stdout)
    assert [r["policy"]["passed"] for r in queue] == [False, True]
    assert queue[0]["body"] == "Botox time!"

    blocked = run(["outreach", "approve", str(ana["id"]), "--by", "fd@x"], tmp_path)
    assert blocked.returncode == 2 and "violates the policy" in blocked.stderr

    good = "Hi {first_name}, {practice_name} here: time to book. {booking_link}"
    edited = run(["outreach", "edit", str(ana["id"]), "--text", good, "--by", "fd@x"], tmp_path)
    assert edited.returncode == 0, edited.stderr
    state = edited.stdout.split()[-1]
    assert state in ("sent", "scheduled")  # depends on the wall clock in New York

    rejected = run(
        ["outreach", "reject", str(rows[1]["id"]), "--reason", "asked for calls", "--by", "fd@x"],
        tmp_path,
    )
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    twice = run(
        ["outreach", "reject", str(rows[1]["id"]), "--reason", "x", "--by", "fd@x"], tmp_path
    )
    assert twice.returncode == 2 and "no decision is pending" in twice.stderr

    due = run(["outreach", "send-due", "--json"], tmp_path)
    assert due.returncode == 0, due.stderr
    final = json.loads(run(["outreach", "queue", "--state", "all", "--json"], tmp_path).stdout)
    assert [r["state"] for r in final][1] == "rejected"
    if final[0]["state"] == "sent":
        (sms,) = (tmp_path / "var" / "outbox" / "sms").iterdir()
        body = json.loads(sms.read_text())["body"]
        assert body == "Hi Ana, Glow Studio here: time to book. http://127.0.0.1:8000/book/1"
    assert run(["outreach", "reconcile", "--json"], tmp_path).returncode == 0

    missing = run(["outreach", "approve", "999", "--by", "fd@x"], tmp_path)
    assert missing.returncode == 2 and "no outreach message with id 999" in missing.stderr
    wrong = run(["outreach", "draft", "--purpose", "spam"], tmp_path)
    assert wrong.returncode == 2 and "--purpose 'spam'" in wrong.stderr
