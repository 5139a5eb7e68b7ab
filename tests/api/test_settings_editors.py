"""Settings' editors on both databases: a location's outreach policy (form, rules, audit,
JSON, and what it changes: the web approval schedules into the saved window) and adding and
removing briefing subscriptions (duplicates refused, audited, picked up by the scheduler's
sync)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import Session

from api.deps import AuthUser, UserScope
from api.roles import Role
from schedules.scheduler import make_scheduler
from schedules.sync import sync_jobs
from store import tables as t
from store.models import Subscription
from store.outreach import get_message
from tests.api.conftest import World, csrf_header, signed_in
from tests.api.test_admin_pages import add_admin_data

POLICY = {
    "send_start_hour": "10",
    "send_end_hour": "12",
    "max_segments": "1",
    "auto_approve_enabled": "true",
    "auto_approve_daily_cap": "3",
}


def test_owner_saves_a_locations_policy_shown_audited_and_in_the_json(
    app: FastAPI, world: World
) -> None:
    owner = signed_in(app, world, "owner")
    greenwich = world.loc["A1"]
    page = owner.get("/settings").text
    assert 'hx-post="/settings/policy/' in page and "defaults (never changed here)" in page
    response = owner.post(f"/settings/policy/{greenwich}", data=POLICY, headers=csrf_header(owner))
    assert response.status_code == 200
    assert (
        "Saved: window start 9 → 10, window end 20 → 12, SMS segments 2 → 1, "
        "auto-approval False → True, daily cap 20 → 3"
    ) in response.text
    assert "Send window 10:00–12:00 (America/New_York)" in response.text
    assert "segments: at most 1 SMS segments" in response.text
    assert "on for next_due, post_treatment (at most 3 a day)" in response.text
    assert f"Changed by {world.email['owner']}" in response.text
    policies = {p["location"]: p for p in owner.get("/api/v1/settings").json()["policies"]}
    mine = policies["Greenwich"]
    assert (mine["send_start_hour"], mine["send_end_hour"], mine["sms_max_segments"]) == (
        10,
        12,
        1,
    )
    assert (mine["auto_approve_enabled"], mine["auto_approve_daily_cap"]) == (True, 3)
    assert (mine["customized"], mine["updated_by"]) == (True, world.email["owner"])
    assert (policies["Westport"]["customized"], policies["Westport"]["send_window_local"]) == (
        False,
        "09:00–20:00",
    )
    audit = owner.get("/api/v1/audit", params={"action": "settings.outreach_policy"}).json()
    assert audit["total"] == 1
    (event,) = audit["events"]
    assert event["details"]["changes"]["send_end_hour"] == {"old": 20, "new": 12}
    # The same values again: "No change", nothing more audited.
    same = owner.post(f"/settings/policy/{greenwich}", data=POLICY, headers=csrf_header(owner))
    assert "No change" in same.text
    audit = owner.get("/api/v1/audit", params={"action": "settings.outreach_policy"}).json()
    assert audit["total"] == 1


def test_policy_form_errors_are_one_line_and_save_nothing(app: FastAPI, world: World) -> None:
    manager = signed_in(app, world, "manager")
    url = f"/settings/policy/{world.loc['A1']}"
    cases = [
        ({"send_start_hour": "12", "send_end_hour": "10"}, "send window start (12:00) must be "
         "before its end (10:00)"),
        ({"send_end_hour": "24"}, "send window end hour must be 0–23, not 24"),
        ({"max_segments": "11"}, "SMS segments must be 1–10, not 11"),
        ({"max_segments": "0"}, "SMS segments must be 1–10, not 0"),
        ({"auto_approve_daily_cap": "-1"}, "auto-approval daily cap must be 0 or more, not -1"),
    ]  # fmt: skip
    for change, message in cases:
        response = manager.post(url, data={**POLICY, **change}, headers=csrf_header(manager))
        assert response.status_code == 200, change
        assert f'<span class="error" role="alert">{message}</span>' in response.text
        # The form shows the policy in force (the defaults): nothing was saved.
        assert "Send window 09:00–20:00" in response.text
    not_a_number = manager.post(
        url, data={**POLICY, "max_segments": "two"}, headers=csrf_header(manager)
    )
    assert not_a_number.status_code == 422
    no_csrf = manager.post(url, data=POLICY)
    assert no_csrf.status_code == 403
    with world.engine.connect() as conn:
        assert conn.execute(select(t.outreach_policy.c.id)).all() == []
        assert conn.execute(select(t.audit_event.c.id)).all() == []


def test_front_desk_sees_no_policy_form(app: FastAPI, world: World) -> None:
    page = signed_in(app, world, "front_desk").get("/settings").text
    assert "/settings/policy/" not in page and "Outreach policy" not in page


def test_web_approval_schedules_into_the_saved_window(app: FastAPI, world: World) -> None:
    """Greenwich (America/New_York) saves 10–12; a message approved on the queue at 09:00
    EST (14:00 UTC) is scheduled for 10:00 EST = 15:00 UTC, not sent at once."""
    from api.views.outreach import approve_message

    owner = signed_in(app, world, "owner")
    owner.post(f"/settings/policy/{world.loc['A1']}", data=POLICY, headers=csrf_header(owner))
    user = AuthUser(
        world.user["owner"], world.org["A"], world.email["owner"], "Owner", Role.owner, "session"
    )
    scope = UserScope(user, world.org["A"], frozenset({world.loc["A1"], world.loc["A2"]}), True)
    nine = datetime(2026, 11, 24, 14, tzinfo=UTC)
    approve_message(world.engine, scope, world.message["A1"], now=lambda: nine)
    row = get_message(world.engine, world.message["A1"])
    assert row["state"] == "scheduled"
    assert row["scheduled_for"].replace(tzinfo=None).isoformat() == "2026-11-24T15:00:00"
    # Westport kept the defaults: approved at the same instant, it may go at once.
    approve_message(world.engine, scope, world.message["A2"], now=lambda: nine)
    westport = get_message(world.engine, world.message["A2"])
    assert westport["scheduled_for"].replace(tzinfo=None).isoformat() == "2026-11-24T14:00:00"


# --------------------------------------------------------------------------- subscriptions


def test_add_a_subscription_then_a_duplicate_then_remove_it(app: FastAPI, world: World) -> None:
    add_admin_data(world)
    manager = signed_in(app, world, "manager")
    page = manager.get("/settings").text
    # The Greenwich-only manager may subscribe to Greenwich only (not Westport, not the roll-up).
    assert f'<option value="location:{world.loc["A1"]}">Greenwich</option>' in page
    assert f"location:{world.loc['A2']}" not in page and f"org:{world.org['A']}" not in page
    form = {"target": f"location:{world.loc['A1']}", "channel": "slack", "send_hour_local": "5"}
    added = manager.post("/settings/subscriptions", data=form, headers=csrf_header(manager))
    assert added.status_code == 200
    assert "Added: Greenwich by slack at 05:00" in added.text
    subs = manager.get("/api/v1/settings").json()["subscriptions"]
    assert [(s["channel"], s["send_time_local"]) for s in subs] == [
        ("email", "06:00"),
        ("slack", "05:00"),
    ]
    new_id = subs[1]["id"]
    again = manager.post("/settings/subscriptions", data=form, headers=csrf_header(manager))
    assert again.status_code == 200
    assert '<span class="error" role="alert">you already get this briefing by slack</span>' in (
        again.text
    )
    bad = manager.post(
        "/settings/subscriptions", data={**form, "channel": "fax"}, headers=csrf_header(manager)
    )
    assert "channel must be one of email, slack, outbox, not &#39;fax&#39;" in bad.text
    removed = manager.post(f"/settings/subscriptions/{new_id}/delete", headers=csrf_header(manager))
    assert removed.status_code == 200 and "Removed: Greenwich by slack" in removed.text
    assert f"sub-{new_id}" not in removed.text
    gone = manager.post(f"/settings/subscriptions/{new_id}/delete", headers=csrf_header(manager))
    assert gone.status_code == 404
    with Session(world.engine) as s:
        assert s.get(Subscription, new_id) is None
    with world.engine.connect() as conn:
        events = conn.execute(
            select(t.audit_event.c.action, t.audit_event.c.details, t.audit_event.c.location_id)
            .where(t.audit_event.c.entity_type == "subscription")
            .order_by(t.audit_event.c.id)
        ).all()
    greenwich = f"location:{world.loc['A1']}"
    assert [(e.action, e.details, e.location_id) for e in events] == [
        (
            "subscription.create",
            {"scope": greenwich, "channel": "slack", "send_hour_local": 5},
            world.loc["A1"],
        ),
        (
            "subscription.delete",
            {"scope": greenwich, "channel": "slack", "send_hour_local": 5, "active": True},
            world.loc["A1"],
        ),
    ]


def test_a_new_subscription_gets_a_briefing_job_on_the_next_sync(
    app: FastAPI, world: World
) -> None:
    """The worker re-syncs its jobs from the subscriptions: a Westport subscription added on
    Settings becomes `briefing:location:<Westport>` at 05:00 New York time; removing it
    removes the job."""
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    westport = f"location:{world.loc['A2']}"
    scheduler = make_scheduler(world.engine)
    scheduler.start(paused=True)
    try:
        before = sync_jobs(scheduler, world.engine, default_timezone="UTC")
        assert f"briefing:{westport}" not in before.briefings
        form = {"target": westport, "channel": "email", "send_hour_local": "5"}
        owner.post("/settings/subscriptions", data=form, headers=csrf_header(owner))
        after = sync_jobs(scheduler, world.engine, default_timezone="UTC")
        assert f"briefing:{westport}" in after.briefings
        job = scheduler.get_job(f"briefing:{westport}")
        assert job.args == (westport,)
        assert str(job.trigger.timezone) == "America/New_York" and "hour='5'" in repr(job.trigger)
        sub_id = next(
            s["id"]
            for s in owner.get("/api/v1/settings").json()["subscriptions"]
            if s["scope"] == westport
        )
        owner.post(f"/settings/subscriptions/{sub_id}/delete", headers=csrf_header(owner))
        last = sync_jobs(scheduler, world.engine, default_timezone="UTC")
        assert last.removed == (f"briefing:{westport}",)
    finally:
        scheduler.shutdown(wait=False)


def test_the_owner_may_subscribe_to_the_organization(app: FastAPI, world: World) -> None:
    owner = signed_in(app, world, "owner")
    targets = owner.get("/api/v1/settings").json()["targets"]
    assert targets == [
        {"scope": f"org:{world.org['A']}", "label": "Glow Medspa (all locations)"},
        {"scope": f"location:{world.loc['A1']}", "label": "Greenwich"},
        {"scope": f"location:{world.loc['A2']}", "label": "Westport"},
    ]
    form = {"target": f"org:{world.org['A']}", "channel": "outbox", "send_hour_local": "7"}
    added = owner.post("/settings/subscriptions", data=form, headers=csrf_header(owner))
    assert "Added: Glow Medspa (all locations) by outbox at 07:00" in added.text


def test_a_policy_change_checks_the_waiting_drafts_again(app: FastAPI, world: World) -> None:
    """Greenwich has three drafts waiting (two passing 1-segment texts and one naming a
    treatment). One passing draft is made 2 segments long — allowed by the default limit of 2.
    Saving a limit of 1 checks all three again: that draft is now blocked by `segments` and
    cannot be approved; the treatment one stays blocked; the short one still passes."""
    from api.views.outreach import approve_message
    from store.outreach import PolicyBlocked

    long_id = world.message["A1"]
    row = get_message(world.engine, long_id)
    # + 96 plain GSM characters: ~196 in all, over one segment's 160 (2 segments of 153).
    longer = row["body"].replace(
        "It has been a while;",
        "It has been a while; we would love to see you again soon, and the whole team sends "
        "warm wishes for the season;",
    )
    assert 160 < len(longer) <= 306
    with world.engine.begin() as conn:
        conn.execute(
            t.outreach_message.update()
            .where(t.outreach_message.c.id == long_id)
            .values(body=longer, policy={"passed": True, "violations": [], "segments": 2})
        )
    owner = signed_in(app, world, "owner")
    url = f"/settings/policy/{world.loc['A1']}"
    response = owner.post(url, data=POLICY, headers=csrf_header(owner))
    assert "3 waiting drafts checked again, 2 now blocked" in response.text
    checked = get_message(world.engine, long_id)
    assert [v["rule"] for v in checked["policy"]["violations"]] == ["segments"]
    assert checked["state"] == "pending_approval" and checked["segments"] == 2
    blocked = get_message(world.engine, world.message["A1-blocked"])["policy"]
    assert [v["rule"] for v in blocked["violations"]] == ["health_detail"]
    assert get_message(world.engine, world.message["A1-second"])["policy"]["passed"] is True
    user = AuthUser(
        world.user["owner"], world.org["A"], world.email["owner"], "Owner", Role.owner, "session"
    )
    scope = UserScope(user, world.org["A"], frozenset({world.loc["A1"], world.loc["A2"]}), True)
    with pytest.raises(PolicyBlocked, match="segments"):
        approve_message(world.engine, scope, long_id)
    # Westport's policy did not change: its draft was not touched.
    assert get_message(world.engine, world.message["A2"])["segments"] == 1
