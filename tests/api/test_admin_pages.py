"""Sent & audit, Settings and tomorrow's no-show list: pages and `/api/v1` JSON on both
databases, against hand-built rows (`add_admin_data`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlmodel import Session

from schedules.runs import finish_run, record_skipped, start_run
from store import tables as t
from store.models import Appointment, Service, Subscription
from store.outreach import approve, reject, schedule, transition
from tests.api.conftest import World, bearer, csrf_header, signed_in

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
TOMORROW = date(2026, 11, 25)  # the day after the last sale (2026-11-24), a Wednesday
#: Hand-computed no-show risk of Greenwich's appointments tomorrow: its history has 10 visits
#: (8 completed, 2 no-shows) on Mondays, none on a Wednesday, and 10 < 300 training rows, so
#: p = the location × Wednesday rate shrunk to the location's: (0 + 20 × 0.2) / (0 + 20) = 0.2;
#: expected loss = 0.2 × the $400.00 list price = $80.00.
GREENWICH_P, GREENWICH_LOSS = 0.2, 80.0


def _move(engine: Engine, message_id: int, *steps: tuple[str, str, dict]) -> None:
    for expected, new, values in steps:
        with engine.begin() as conn:
            assert transition(conn, message_id, expected, new, **values)


def add_admin_data(world: World) -> None:
    """- Greenwich's second message approved by the manager and delivered (SID SM-A1);
    - Westport's message rejected by the owner ("not now");
    - Boston's approved by Boston's owner, sent and failed (Twilio 30003);
    - subscriptions: owner A location A1 e-mail 07:00 and organization A Slack 08:00; manager,
      front desk and evaluator location A1 e-mail 06:00; Boston's owner B1 e-mail 09:00;
    - job runs: Greenwich's briefing failed, organization A's ok, Westport's import failed,
      Boston's briefing skipped late, a store-wide send run failed;
    - a $400 service per organization; Greenwich's history (10 Monday visits of Alice, the
      2nd and 5th no-shows) and tomorrow one booked appointment at each location (10:00)."""
    engine = world.engine
    approve(engine, world.message["A1-second"], by=world.email["manager"], at=T0)
    schedule(engine, world.message["A1-second"], at=T0 + timedelta(hours=1))
    _move(
        engine,
        world.message["A1-second"],
        ("scheduled", "sending", {"sending_started_at": T0 + timedelta(hours=1)}),
        ("sending", "sent", {"sent_at": T0 + timedelta(hours=1), "provider_message_id": "SM-A1"}),
        ("sent", "delivered", {}),
    )
    reject(engine, world.message["A2"], reason="not now", by=world.email["owner"], at=T0)
    approve(engine, world.message["B1"], by=world.email["ownerB"], at=T0)
    schedule(engine, world.message["B1"], at=T0)
    _move(
        engine,
        world.message["B1"],
        ("scheduled", "sending", {"sending_started_at": T0}),
        ("sending", "sent", {"sent_at": T0, "provider_message_id": "SM-B1"}),
        ("sent", "failed", {"error": "Twilio status failed (code 30003)"}),
    )
    a1, a2, b1 = (f"location:{world.loc[k]}" for k in ("A1", "A2", "B1"))
    org_a = f"org:{world.org['A']}"
    with Session(engine) as s:
        subs = [
            ("owner", a1, "email", 7),
            ("owner", org_a, "slack", 8),
            ("manager", a1, "email", 6),
            ("front_desk", a1, "email", 6),
            ("evaluator", a1, "email", 6),
            ("ownerB", b1, "email", 9),
        ]
        for key, scope, channel, hour in subs:
            s.add(
                Subscription(
                    user_id=world.user[key], channel=channel, scope=scope, send_hour_local=hour
                )
            )
        services = {}
        for org in ("A", "B"):
            service = Service(
                organization_id=world.org[org],
                name="Consultation",
                category="consult",
                price_cents=40_000,
            )
            s.add(service)
            s.flush()
            services[org] = service.id
        first_monday = date(2026, 9, 7)
        for i in range(10):
            day = first_monday + timedelta(weeks=i)
            s.add(
                Appointment(
                    patient_id=world.patient["A1"],
                    location_id=world.loc["A1"],
                    service_id=services["A"],
                    start_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
                    end_at=datetime(day.year, day.month, day.day, 16, tzinfo=UTC),
                    local_date=day,
                    local_hour=10,
                    status="no_show" if i in (1, 4) else "completed",
                    booked_at=datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(7),
                    external_id=f"hist{i}",
                )
            )
        for key in ("A1", "A2", "B1"):
            s.add(
                Appointment(
                    patient_id=world.patient[key],
                    location_id=world.loc[key],
                    service_id=services[key[0]],
                    start_at=datetime(2026, 11, 25, 15, tzinfo=UTC),
                    end_at=datetime(2026, 11, 25, 16, tzinfo=UTC),
                    local_date=TOMORROW,
                    local_hour=10,
                    status="booked",
                    booked_at=datetime(2026, 11, 20, tzinfo=UTC),
                    reminder_sent=True,
                    external_id=f"tomorrow-{key}",
                )
            )
        s.commit()
    on = "2026-11-24"
    run = start_run(engine, "briefing", f"{a1}:{on}", scheduled_for=T0, now=T0)
    finish_run(engine, run, "failed", error="RuntimeError: Greenwich job failed")
    run = start_run(engine, "briefing", f"{org_a}:{on}", scheduled_for=T0, now=T0)
    finish_run(engine, run, "ok")
    run = start_run(engine, "import", f"{a2}:abc123", scheduled_for=None, now=T0)
    finish_run(engine, run, "failed", error="ValueError: Westport job failed")
    record_skipped(
        engine, "briefing", f"{b1}:{on}", scheduled_for=T0, now=T0, reason="Boston job failed"
    )
    run = start_run(engine, "outreach-send", "all", scheduled_for=None, now=T0)
    finish_run(engine, run, "failed", error="OSError: store-wide send failed")


# --------------------------------------------------------------------------- sent


def test_sent_lists_decided_messages_of_the_users_locations_with_their_events(
    app: FastAPI, world: World
) -> None:
    add_admin_data(world)
    manager = signed_in(app, world, "manager")
    view = manager.get("/api/v1/sent").json()
    # Greenwich only: its delivered message; Westport's rejection and Boston's are foreign.
    assert [m["id"] for m in view["messages"]] == [world.message["A1-second"]]
    assert view["total"] == 1
    assert view["counts"]["delivered"] == 1 and view["counts"]["rejected"] == 0
    message = view["messages"][0]
    assert message["name"] == "Alice Adams" and message["state"] == "delivered"
    assert [(e["event"], e["by"], e["detail"]) for e in message["events"]] == [
        ("drafted", "template", None),
        ("approve", world.email["manager"], None),
        ("scheduled", None, None),
        ("send started", None, None),
        ("sent", None, "SM-A1"),
        ("delivered", None, None),
    ]
    assert message["events"][-1]["at"] is None  # the provider's outcome has no stored time
    page = manager.get("/sent").text
    assert "Alice Adams" in page and "SM-A1" in page and "Bella" not in page


def test_owner_sees_every_location_of_the_organization_and_filters_by_state(
    app: FastAPI, world: World
) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    view = owner.get("/api/v1/sent", headers=bearer(world, "owner")).json()
    assert {m["id"] for m in view["messages"]} == {
        world.message["A1-second"],
        world.message["A2"],
    }
    rejected = owner.get("/api/v1/sent", params={"state": "rejected"}).json()
    assert [m["id"] for m in rejected["messages"]] == [world.message["A2"]]
    assert rejected["messages"][0]["events"][1] == {
        "at": "2026-11-24T14:00:00Z",
        "event": "reject",
        "by": world.email["owner"],
        "detail": "not now",
    }
    assert owner.get("/api/v1/sent", params={"state": "pending_approval"}).status_code == 422
    second_page = owner.get("/api/v1/sent", params={"per_page": 1, "page": 2}).json()
    assert second_page["total"] == 2 and len(second_page["messages"]) == 1
    assert owner.get("/sent", params={"state": "rejected"}).status_code == 200


# --------------------------------------------------------------------------- audit


def test_audit_log_is_the_owners_organization_filtered_and_paginated(
    app: FastAPI, world: World
) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    log = owner.get("/api/v1/audit").json()
    # Organization A: the manager's approval (A1) and the owner's rejection (A2); Boston's
    # approval belongs to organization B.
    assert log["total"] == 2
    assert {(e["actor"], e["action"]) for e in log["events"]} == {
        (world.email["manager"], "outreach.approve"),
        (world.email["owner"], "outreach.reject"),
    }
    assert log["actions"] == ["outreach.approve", "outreach.reject"]
    by_manager = owner.get("/api/v1/audit", params={"actor": world.email["manager"]}).json()
    assert [e["entity_id"] for e in by_manager["events"]] == [str(world.message["A1-second"])]
    assert by_manager["events"][0]["location_id"] == world.loc["A1"]
    rejects = owner.get("/api/v1/audit", params={"action": "outreach.reject"}).json()
    assert rejects["total"] == 1
    assert owner.get("/api/v1/audit", params={"since": "2026-11-25"}).json()["total"] == 0
    assert owner.get("/api/v1/audit", params={"until": "2026-11-24"}).json()["total"] == 2
    assert owner.get("/api/v1/audit", params={"until": "2026-11-23"}).json()["total"] == 0
    page2 = owner.get("/api/v1/audit", params={"per_page": 1, "page": 2}).json()
    assert page2["total"] == 2 and len(page2["events"]) == 1
    html = owner.get("/audit", params={"action": "outreach.reject"}).text
    assert "1 events" in html and "not now" in html and world.email["ownerB"] not in html
    for role in ("manager", "front_desk", "evaluator"):
        assert signed_in(app, world, role).get("/api/v1/audit").status_code == 403
    # A control character matches no recorded action or actor; PostgreSQL would refuse a NUL.
    for field in ("action", "actor"):
        for path in ("/api/v1/audit", "/audit"):
            assert owner.get(path, params={field: "a\x00b"}).status_code == 422


# --------------------------------------------------------------------------- settings


def test_settings_show_what_each_role_may_see(app: FastAPI, world: World) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner").get("/api/v1/settings").json()
    subs = owner["subscriptions"]
    assert [(s["scope_label"], s["channel"], s["send_time_local"]) for s in subs] == [
        ("Greenwich", "email", "07:00"),
        ("Glow Medspa (all locations)", "slack", "08:00"),
    ]
    assert {u["email"] for u in owner["users"]} == {
        world.email[k] for k in ("owner", "manager", "front_desk", "evaluator")
    }
    assert [p["location"] for p in owner["policies"]] == ["Greenwich", "Westport"]
    assert owner["policies"][0]["send_window_local"] == "09:00–20:00"
    assert owner["policies"][0]["booking_url"] == f"http://testserver/book/{world.loc['A1']}"
    # Owner: Greenwich, Westport, the organization and store-wide runs; not Boston's.
    assert {r["error"] for r in owner["failures"]} == {
        "RuntimeError: Greenwich job failed",
        "ValueError: Westport job failed",
        "OSError: store-wide send failed",
    }
    assert len(owner["runs"]) == 4
    manager = signed_in(app, world, "manager").get("/api/v1/settings").json()
    assert manager["users"] is None
    assert [p["location"] for p in manager["policies"]] == ["Greenwich"]
    assert [r["error"] for r in manager["failures"]] == ["RuntimeError: Greenwich job failed"]
    assert [r["status"] for r in manager["runs"]] == ["failed"]
    desk = signed_in(app, world, "front_desk").get("/api/v1/settings").json()
    assert (desk["users"], desk["policies"], desk["runs"], desk["failures"]) == (
        None,
        None,
        None,
        None,
    )
    assert [s["send_time_local"] for s in desk["subscriptions"]] == ["06:00"]
    page = signed_in(app, world, "owner").get("/settings").text
    assert "Greenwich job failed" in page and "Boston job failed" not in page


def test_a_subscription_change_is_saved_and_audited(app: FastAPI, world: World) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    sub_id = owner.get("/api/v1/settings").json()["subscriptions"][0]["id"]
    response = owner.post(
        f"/settings/subscriptions/{sub_id}",
        data={"send_hour_local": "9", "channel": "slack", "active": "true"},
        headers=csrf_header(owner),
    )
    assert response.status_code == 200
    assert "Saved: slack at 09:00" in response.text
    with Session(world.engine) as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.send_hour_local, sub.channel, sub.active) == (9, "slack", True)
    with world.engine.connect() as conn:
        events = conn.execute(
            select(t.audit_event).where(t.audit_event.c.entity_type == "subscription")
        ).all()
    assert len(events) == 1
    event = events[0]
    assert event.actor == world.email["owner"]
    assert event.details["before"] == {"send_hour_local": 7, "channel": "email", "active": True}
    assert event.details["after"] == {"send_hour_local": 9, "channel": "slack", "active": True}
    assert event.organization_id == world.org["A"] and event.location_id == world.loc["A1"]
    # The same values again change nothing and audit nothing; an unchecked box pauses it.
    owner.post(
        f"/settings/subscriptions/{sub_id}",
        data={"send_hour_local": "9", "channel": "slack", "active": "true"},
        headers=csrf_header(owner),
    )
    paused = owner.post(
        f"/settings/subscriptions/{sub_id}",
        data={"send_hour_local": "9", "channel": "slack"},
        headers=csrf_header(owner),
    )
    assert "(paused)" in paused.text
    audit = owner.get("/api/v1/audit", params={"action": "subscription.update"}).json()
    assert audit["total"] == 2


def test_subscription_form_errors(app: FastAPI, world: World) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    sub_id = owner.get("/api/v1/settings").json()["subscriptions"][0]["id"]
    bad_channel = owner.post(
        f"/settings/subscriptions/{sub_id}",
        data={"send_hour_local": "9", "channel": "fax", "active": "true"},
        headers=csrf_header(owner),
    )
    assert bad_channel.status_code == 200
    assert "channel must be one of email, slack, outbox, not &#39;fax&#39;" in bad_channel.text
    bad_hour = owner.post(
        f"/settings/subscriptions/{sub_id}",
        data={"send_hour_local": "24", "channel": "email"},
        headers=csrf_header(owner),
    )
    assert bad_hour.status_code == 422
    no_csrf = owner.post(
        f"/settings/subscriptions/{sub_id}", data={"send_hour_local": "5", "channel": "email"}
    )
    assert no_csrf.status_code == 403
    with Session(world.engine) as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None and sub.send_hour_local == 7


# --------------------------------------------------------------------------- no-show list


def test_tomorrows_no_show_list_with_contacts_for_staff_and_pseudonyms_for_the_evaluator(
    app: FastAPI, world: World
) -> None:
    add_admin_data(world)
    desk = signed_in(app, world, "front_desk").get("/api/v1/patients/no-show-tomorrow").json()
    assert desk["day"] == "2026-11-25" and desk["method"] == "historical_rate"
    [line] = desk["appointments"]  # Greenwich only
    assert (line["name"], line["phone"]) == ("Alice Adams", "(203) 555-0101")
    assert line["p_no_show"] == GREENWICH_P and line["expected_loss"] == GREENWICH_LOSS
    assert (line["risk_display"], line["expected_loss_display"]) == ("20%", "$80")
    assert line["local_time"] == "10:00" and line["service"] == "Consultation"
    assert "2 earlier no-show(s)" in line["reasons"]
    evaluator = signed_in(app, world, "evaluator")
    pseudonymous = evaluator.get("/api/v1/patients/no-show-tomorrow").json()
    [hidden] = pseudonymous["appointments"]
    assert (hidden["name"], hidden["phone"]) == (None, None)
    assert hidden["pseudonym"] == f"P-{world.patient['A1']}"
    page = evaluator.get("/patients").text
    assert 'hx-get="/patients/no-show"' in page and "confirmation calls" in page
    partial = evaluator.get("/patients/no-show").text
    assert f"P-{world.patient['A1']}" in partial
    assert "Alice" not in partial and "555-01" not in partial
    owner = signed_in(app, world, "owner").get("/api/v1/patients/no-show-tomorrow").json()
    # Westport has no history; its rate is the store's training rate, 2 / 10 = 0.2 as well.
    assert {a["name"] for a in owner["appointments"]} == {"Alice Adams", "Bella Brown"}
    assert owner["total_expected_loss"] == 160.0
    staff_list = signed_in(app, world, "front_desk").get("/patients/no-show").text
    assert "Alice Adams" in staff_list and "20% · $80" in staff_list
    assert "(203) 555-0101" in staff_list and "$80 expected loss" in staff_list


def test_audit_page_reads_the_filter_forms_empty_fields_as_any(app: FastAPI, world: World) -> None:
    add_admin_data(world)
    owner = signed_in(app, world, "owner")
    blank = owner.get("/audit", params={"action": "", "actor": "", "since": "", "until": ""})
    assert blank.status_code == 200 and "2 events" in blank.text
    bad = owner.get("/audit", params={"since": "24/11/2026"})
    assert bad.status_code == 422 and "since: not a YYYY-MM-DD day" in bad.text


# --------------------------------------------------------------------------- users and roles


def test_owner_changes_a_users_role_and_locations_audited(app: FastAPI, world: World) -> None:
    owner = signed_in(app, world, "owner")
    desk_id = world.user["front_desk"]
    a1, a2 = world.loc["A1"], world.loc["A2"]
    response = owner.post(
        f"/settings/users/{desk_id}",
        data={"role": "manager", "location_ids": [str(a1), str(a2)], "active": "true"},
        headers=csrf_header(owner),
    )
    assert response.status_code == 200 and "Saved" in response.text
    me = signed_in(app, world, "front_desk").get("/api/v1/me").json()
    assert (me["role"], me["location_ids"]) == ("manager", sorted([a1, a2]))
    log = owner.get("/api/v1/audit", params={"action": "user.update"}).json()
    [event] = log["events"]
    assert event["actor"] == world.email["owner"] and event["entity_id"] == str(desk_id)
    assert event["details"]["before"] == {
        "role": "front_desk",
        "location_ids": [a1],
        "active": True,
    }
    assert event["details"]["after"] == {
        "role": "manager",
        "location_ids": sorted([a1, a2]),
        "active": True,
    }


def test_user_form_rules_and_reach(app: FastAPI, world: World) -> None:
    owner = signed_in(app, world, "owner")
    headers = csrf_header(owner)
    no_location = owner.post(
        f"/settings/users/{world.user['manager']}",
        data={"role": "manager", "active": "true"},
        headers=headers,
    )
    assert "a manager needs at least one location" in no_location.text
    foreign_location = owner.post(
        f"/settings/users/{world.user['manager']}",
        data={"role": "manager", "location_ids": [str(world.loc["B1"])], "active": "true"},
        headers=headers,
    )
    assert "a location is not one of the organization&#39;s" in foreign_location.text
    myself = owner.post(
        f"/settings/users/{world.user['owner']}", data={"role": "manager"}, headers=headers
    )
    assert "you cannot change your own role or deactivate yourself" in myself.text
    other_org = owner.post(
        f"/settings/users/{world.user['ownerB']}",
        data={"role": "manager", "location_ids": [str(world.loc["A1"])]},
        headers=headers,
    )
    assert other_org.status_code == 404
    manager = signed_in(app, world, "manager")
    forbidden = manager.post(
        f"/settings/users/{world.user['front_desk']}",
        data={"role": "owner", "active": "true"},
        headers=csrf_header(manager),
    )
    assert forbidden.status_code == 403
    assert owner.get("/api/v1/audit", params={"action": "user.update"}).json()["total"] == 0
    users = {u["email"]: u for u in owner.get("/api/v1/users").json()}
    assert users[world.email["manager"]]["location_ids"] == [world.loc["A1"]]
    assert users[world.email["front_desk"]]["role"] == "front_desk"


def test_no_show_scores_are_cached_until_tomorrows_bookings_change(
    app: FastAPI, world: World
) -> None:
    add_admin_data(world)
    desk = signed_in(app, world, "front_desk")
    first = desk.get("/api/v1/patients/no-show-tomorrow").json()
    assert len(first["appointments"]) == 1
    with Session(world.engine) as s:
        s.add(
            Appointment(
                patient_id=world.patient["A1"],
                location_id=world.loc["A1"],
                start_at=datetime(2026, 11, 25, 19, tzinfo=UTC),
                end_at=datetime(2026, 11, 25, 20, tzinfo=UTC),
                local_date=TOMORROW,
                local_hour=14,
                status="booked",
                external_id="tomorrow-A1-late",
            )
        )
        s.commit()
    second = desk.get("/api/v1/patients/no-show-tomorrow").json()
    # The new booking (no service: no list price, so $0 expected loss) is scored too.
    assert sorted(a["local_time"] for a in second["appointments"]) == ["10:00", "14:00"]
    assert second["total_expected_loss"] == GREENWICH_LOSS


def test_briefing_channels_are_those_of_the_channel_registry() -> None:
    from api.views.settings import CHANNELS
    from channels.registry import FACTORIES

    assert set(CHANNELS) == set(FACTORIES) == {"email", "slack", "outbox"}
