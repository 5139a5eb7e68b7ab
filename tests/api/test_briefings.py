"""Today, the briefing page and their JSON: content, contact data by role, e-mail links."""

from __future__ import annotations

from fastapi import FastAPI

from tests.api.conftest import World, bearer, signed_in


def test_today_shows_the_latest_briefing_of_each_scope_the_owner_sees(
    app: FastAPI, world: World
) -> None:
    client = signed_in(app, world, "owner")
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    # The organization's briefing first, then Greenwich and Westport; Boston is organization B.
    order = [
        html.index(f"Headline for {name}") for name in ("Glow Medspa", "Greenwich", "Westport")
    ]
    assert order == sorted(order)
    assert "Headline for Greenwich (older)" not in html  # 2026-11-23 is not the latest
    assert "Boston" not in html and "Harbor Skin" not in html
    # Points with dollars (18750.0 → "$18,750") and the verification badge.
    assert "$18,750" in html and "Rebooking gap at Greenwich" in html
    assert "Verified: all 7 figures match the data" in html
    assert "Not verified (2 problems)" in html  # Westport's verification failed with 2 reasons
    # Owner sees names and phones of patients whose home is one of their locations.
    assert "Alice Adams" in html and "(203) 555-0101" in html
    assert "Bella Brown" in html
    assert "Carla Cruz" not in html


def test_today_json_is_the_same_view(app: FastAPI, world: World) -> None:
    client = signed_in(app, world, "front_desk")
    data = client.get("/api/v1/today").json()
    assert [b["headline"] for b in data["briefings"]] == ["Headline for Greenwich"]
    (briefing,) = data["briefings"]
    assert briefing["id"] == world.briefing["A1"]
    assert briefing["url"] == f"/briefings/{world.briefing['A1']}"
    assert briefing["badge"] == {
        "state": "verified",
        "text": "Verified: all 7 figures match the data",
    }
    assert briefing["points"][0]["dollars"] == 18750.0
    assert briefing["call_list"] == [
        {
            "pseudonym": f"P-{world.patient['A1']}",
            "name": "Alice Adams",
            "phone": "(203) 555-0101",
            "why": "61 days overdue for a neurotoxin visit",
            "dollars": 4100.0,
            "dollars_display": "$4,100",
        }
    ]
    assert briefing["kpis"] == [{"label": "Net revenue yesterday, Greenwich", "value": "$12,345"}]
    html = client.get("/").text
    assert briefing["headline"] in html and "$4,100" in html and "Alice Adams" in html


def test_evaluator_sees_pseudonyms_only(app: FastAPI, world: World) -> None:
    client = signed_in(app, world, "evaluator")
    pid = world.patient["A1"]
    for path in (
        "/",
        f"/briefings/{world.briefing['A1']}",
        "/api/v1/today",
        f"/api/v1/briefings/{world.briefing['A1']}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Alice" not in response.text and "555-0101" not in response.text, path
        assert f"P-{pid}" in response.text, path


def test_org_briefing_hides_names_of_patients_outside_the_users_locations(
    app: FastAPI, world: World
) -> None:
    # A manager of both Glow locations would see the org briefing; a Greenwich manager does
    # not see it at all (404), so Westport's Bella Brown never reaches them.
    client = signed_in(app, world, "manager")
    assert client.get(f"/api/v1/briefings/{world.briefing['orgA']}").status_code == 404
    assert "Bella" not in client.get("/").text


def test_email_link_by_scope_and_day_opens_the_briefing(app: FastAPI, world: World) -> None:
    # agent/render.py builds links as {app_base_url}/briefings/{scope}/{YYYY-MM-DD}.
    link = f"/briefings/location:{world.loc['A1']}/2026-11-24"
    anonymous = signed_in(app, world, "owner")
    anonymous.cookies.clear()
    first = anonymous.get(link)
    assert first.status_code == 401
    assert 'name="next" value="' + link + '"' in first.text  # the sign-in form returns here
    owner = signed_in(app, world, "owner")
    page = owner.get(link)
    assert page.status_code == 200 and "Headline for Greenwich" in page.text
    assert "Greenwich (older)" not in page.text
    older = owner.get(f"/briefings/location:{world.loc['A1']}/2026-11-23")
    assert "Headline for Greenwich (older)" in older.text
    assert owner.get(f"/briefings/location:{world.loc['A1']}/not-a-day").status_code == 404
    assert owner.get(f"/briefings/org:{world.org['A']}/2026-11-24").status_code == 200


def test_briefing_list_json(app: FastAPI, world: World) -> None:
    client = signed_in(app, world, "owner")
    listed = client.get("/api/v1/briefings", headers=bearer(world, "owner")).json()
    ids = [b["id"] for b in listed]
    # Newest day first: the three of 2026-11-24 (A1, A2, orgA by id desc), then A1's older.
    expected_today = sorted([world.briefing[k] for k in ("A1", "A2", "orgA")], reverse=True)
    assert ids == [*expected_today, world.briefing["A1-old"]]
    only = client.get(
        "/api/v1/briefings", params={"scope": f"location:{world.loc['A1']}", "limit": 1}
    )
    assert [b["id"] for b in only.json()] == [world.briefing["A1"]]
    assert client.get("/api/v1/briefings", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/briefings", params={"scope": "bogus"}).status_code == 422
