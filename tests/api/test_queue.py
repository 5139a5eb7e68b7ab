"""The approval queue (page, htmx decisions, JSON) and the patients page on the hand-built world
(tests/api/conftest.py): Greenwich (A1) has three pending SMS — two passing the policy, one
blocked by `health_detail` — Westport (A2) and Boston (B1) one each."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlmodel import Session, select

from store.models import AuditEvent, OutreachMessage
from tests.api.conftest import World, csrf_header, signed_in

GOOD = "Hi {first_name}, {practice_name} here. Book: {booking_link} Reply STOP to opt out"


def _row(world: World, key: str) -> OutreachMessage:
    with Session(world.engine) as s:
        row = s.get(OutreachMessage, world.message[key])
        assert row is not None
        return row


def _audit(world: World, key: str) -> list[AuditEvent]:
    with Session(world.engine) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.entity_id == str(world.message[key]))
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def test_queue_json_is_scoped_with_reasons_value_and_policy(app: FastAPI, world: World) -> None:
    desk = signed_in(app, world, "front_desk")
    data: dict[str, Any] = desk.get("/api/v1/outreach").json()
    # Greenwich only: A1, A1-second, A1-blocked; all pending.
    assert [i["id"] for i in data["items"]] == [
        world.message["A1"],
        world.message["A1-second"],
        world.message["A1-blocked"],
    ]
    assert data["counts"]["pending_approval"] == 3
    assert data["counts"]["approved"] == 0
    first = data["items"][0]
    assert first["name"] == "Alice Adams"
    assert first["reason"] == "usually every 13 weeks, now 20"
    assert first["value_display"] == ["$4,100 at stake", "$5,467 a year", "25% chance of return"]
    assert first["policy"]["passed"] is True and first["warnings"] == []
    blocked = data["items"][2]
    assert blocked["policy"]["violations"][0]["rule"] == "health_detail"
    assert blocked["warnings"] == ["no treatment or health detail in SMS: filler"]
    owner = signed_in(app, world, "owner")
    # The owner: Greenwich's 3 + Westport's 1; never Boston (organization B).
    assert owner.get("/api/v1/outreach").json()["counts"]["pending_approval"] == 4
    assert desk.get("/api/v1/outreach?state=nope").status_code == 422


def test_approve_schedules_and_audits_the_signed_in_user(app: FastAPI, world: World) -> None:
    desk = signed_in(app, world, "front_desk")
    response = desk.post(f"/queue/{world.message['A1']}/approve", headers=csrf_header(desk))
    assert response.status_code == 200
    assert 'data-state="scheduled"' in response.text
    # The counts come along out of band: 3 pending − 1 = 2.
    assert 'hx-swap-oob="true"' in response.text
    assert "pending approval <strong>2</strong>" in response.text
    row = _row(world, "A1")
    assert row.state == "scheduled" and row.decided_by == world.email["front_desk"]
    assert row.scheduled_for is not None
    events = _audit(world, "A1")
    assert [(e.actor, e.action) for e in events] == [
        (world.email["front_desk"], "outreach.approve")
    ]
    again = desk.post(f"/queue/{world.message['A1']}/approve", headers=csrf_header(desk))
    assert "is scheduled, not pending_approval" in again.text
    assert len(_audit(world, "A1")) == 1


def test_violations_block_approval_until_edited(app: FastAPI, world: World) -> None:
    desk = signed_in(app, world, "front_desk")
    mid = world.message["A1-blocked"]
    page = desk.get("/queue").text
    assert "approval blocked" in page and "disabled" in page
    blocked = desk.post(f"/queue/{mid}/approve", headers=csrf_header(desk))
    assert "violates the policy (health_detail)" in blocked.text
    assert _row(world, "A1-blocked").state == "pending_approval"
    # As-you-type check: a treatment name is flagged; nothing stored.
    check = desk.post(
        f"/queue/{mid}/check", data={"template": GOOD + " Your botox"}, headers=csrf_header(desk)
    )
    assert "health_detail" in check.text and "botox" in check.text
    assert "Hi Alice, Glow Medspa here." in check.text
    assert _audit(world, "A1-blocked") == []
    # Saving text that still violates: stored, re-checked, not approved.
    still = desk.post(
        f"/queue/{mid}/edit", data={"template": "Hi {first_name}"}, headers=csrf_header(desk)
    )
    assert "Saved, not approved" in still.text
    row = _row(world, "A1-blocked")
    assert row.state == "pending_approval" and row.body == "Hi Alice"
    assert {v["rule"] for v in (row.policy or {})["violations"]} == {"practice_named", "opt_out"}
    # Passing text: stored filled, approved and scheduled; both steps audited.
    fixed = desk.post(f"/queue/{mid}/edit", data={"template": GOOD}, headers=csrf_header(desk))
    assert 'data-state="scheduled"' in fixed.text
    row = _row(world, "A1-blocked")
    assert row.body == (
        f"Hi Alice, Glow Medspa here. Book: http://testserver/book/{world.loc['A1']} "
        "Reply STOP to opt out"
    )
    assert row.template == GOOD and row.state == "scheduled"
    actions = [e.action for e in _audit(world, "A1-blocked")]
    assert actions == ["outreach.edit", "outreach.edit", "outreach.approve"]
    last_edit = _audit(world, "A1-blocked")[1].details
    assert last_edit["before_text"] == "Hi Alice" and last_edit["after_text"] == row.body


def test_reject_needs_a_reason(app: FastAPI, world: World) -> None:
    desk = signed_in(app, world, "front_desk")
    mid = world.message["A1-second"]
    empty = desk.post(f"/queue/{mid}/reject", data={"reason": " "}, headers=csrf_header(desk))
    assert "a rejection needs a reason" in empty.text
    assert _row(world, "A1-second").state == "pending_approval"
    done = desk.post(
        f"/queue/{mid}/reject", data={"reason": "moved away"}, headers=csrf_header(desk)
    )
    assert 'data-state="rejected"' in done.text and "moved away" in done.text
    row = _row(world, "A1-second")
    assert row.state == "rejected" and row.decision_reason == "moved away"


def test_bulk_approve_skips_drafts_with_warnings(app: FastAPI, world: World) -> None:
    desk = signed_in(app, world, "front_desk")
    ids = [str(world.message[k]) for k in ("A1", "A1-second", "A1-blocked", "A2")]
    response = desk.post("/queue/bulk-approve", data={"ids": ids}, headers=csrf_header(desk))
    # A1 and A1-second pass; A1-blocked has a violation; A2 is not the front desk's.
    assert "2 approved, 2 skipped" in response.text
    states = {k: _row(world, k).state for k in ("A1", "A1-second", "A1-blocked", "A2")}
    assert states == {
        "A1": "scheduled",
        "A1-second": "scheduled",
        "A1-blocked": "pending_approval",
        "A2": "pending_approval",
    }


def test_patients_pages_without_visits(app: FastAPI, world: World) -> None:
    owner = signed_in(app, world, "owner")
    # No appointments in this world: nobody is at risk.
    data = owner.get("/api/v1/patients/at-risk").json()
    assert data["patients"] == [] and data["total_dollars_at_stake"] == 0.0
    assert "No at-risk patients" in owner.get("/patients").text
    nav = owner.get("/").text
    assert 'href="/queue"' in nav and 'href="/patients"' in nav
    evaluator = signed_in(app, world, "evaluator")
    assert 'href="/queue"' not in evaluator.get("/").text
