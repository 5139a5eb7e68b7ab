"""`/api/v1/kpis` with the dashboard page, and `/api/v1/users` with the users page."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from api.deps import AuthUser, UserScope
from api.roles import Role
from api.views.kpis import ChooseLocation, LocationNotVisible, chosen_location
from tests.api.conftest import World, bearer, signed_in


def net_revenue(snapshot: dict) -> float:
    entry = next(e for e in snapshot["entries"] if e["kpi"] == "net_revenue")
    return float(entry["current"]["value"])


def test_kpis_default_to_the_managers_location_and_last_full_month(
    app: FastAPI, world: World
) -> None:
    client = signed_in(app, world, "manager")
    response = client.get("/api/v1/kpis")
    assert response.status_code == 200
    snapshot = response.json()
    # Last sale 2026-11-24 → the last complete month is October 2026.
    assert (snapshot["period_start"], snapshot["period_end"]) == ("2026-10-01", "2026-10-31")
    assert snapshot["scope"] == f"location:{world.loc['A1']}"
    assert net_revenue(snapshot) == 350.0  # Greenwich in October: $100 + $250
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Greenwich" in page.text and "$350" in page.text


def test_owner_kpis_cover_the_organization_or_one_location(app: FastAPI, world: World) -> None:
    headers = bearer(world, "owner")
    client = signed_in(app, world, "owner")
    whole = client.get("/api/v1/kpis", headers=headers).json()
    assert whole["scope"] == f"org:{world.org['A']}"
    assert net_revenue(whole) == 1349.0  # $350 Greenwich + $999 Westport
    westport = client.get("/api/v1/kpis", params={"location": world.loc["A2"]}).json()
    assert net_revenue(westport) == 999.0
    september = client.get("/api/v1/kpis", params={"period": "2026-09"}).json()
    assert net_revenue(september) == 0.0
    page = client.get("/dashboard", params={"location": world.loc["A2"]}).text
    assert f'<option value="{world.loc["A2"]}" selected>Westport</option>' in page
    assert "Whole organization" in page and "Boston" not in page
    assert "$999" in page
    as_of = client.get("/api/v1/kpis", params={"as_of": "2026-10-31"}).json()
    assert as_of["period_end"] == "2026-10-31"  # the last day of a month reports that month


def test_kpis_errors(app: FastAPI, world: World) -> None:
    client = signed_in(app, world, "owner")
    bad = client.get("/api/v1/kpis", params={"period": "October"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "period"]  # fails the documented pattern
    backwards = client.get("/api/v1/kpis", params={"period": "2026-10-31..2026-10-01"})
    assert backwards.status_code == 422
    assert backwards.json() == {"detail": "period ends (2026-10-01) before it starts (2026-10-31)"}
    assert client.get("/api/v1/kpis", params={"as_of": "2026-13-01"}).status_code == 422
    # schemathesis found these as 500s (date arithmetic overflowing near year 1).
    early = client.get("/api/v1/kpis", params={"as_of": "0001-01-01"})
    assert early.status_code == 422
    assert early.json() == {"detail": "as_of must be between 1900-01-01 and 2999-12-31"}
    assert client.get("/api/v1/kpis", params={"period": "0001-01"}).status_code == 422
    assert client.get("/api/v1/kpis", params={"period": "last-9999d"}).status_code == 200
    page = client.get("/dashboard", params={"period": "October"})
    assert page.status_code == 200 and "unrecognised period" in page.text
    other = client.get("/api/v1/kpis", headers=bearer(world, "ownerB"))
    assert other.status_code == 404
    assert other.json() == {"detail": "no sales in this scope yet"}


def _scope(role: Role, locations: set[int], whole: bool) -> UserScope:
    user = AuthUser(1, 1, "u@x.com", "U", role, "session")
    return UserScope(user, 1, frozenset(locations), whole)


def test_chosen_location() -> None:
    assert chosen_location(_scope(Role.owner, {1, 2}, True), None) is None
    assert chosen_location(_scope(Role.manager, {2}, False), None) == 2
    with pytest.raises(ChooseLocation, match="choose one of 2, 3"):
        chosen_location(_scope(Role.manager, {2, 3}, False), None)
    with pytest.raises(LocationNotVisible):
        chosen_location(_scope(Role.manager, {2, 3}, False), 4)
    with pytest.raises(LocationNotVisible, match="no location is assigned"):
        chosen_location(_scope(Role.manager, set(), False), None)


def test_users_lists_the_owners_organization_only(app: FastAPI, world: World) -> None:
    client = signed_in(app, world, "owner")
    users = client.get("/api/v1/users").json()
    assert [u["email"] for u in users] == [
        world.email[r] for r in ("owner", "manager", "front_desk", "evaluator")
    ]
    manager = users[1]
    assert manager == {
        "id": world.user["manager"],
        "email": world.email["manager"],
        "name": "Manager User",
        "role": "manager",
        "active": True,
        "has_password": True,
        "location_ids": [world.loc["A1"]],
    }
    assert users[0]["location_ids"] == []  # owners see every location without rows
    page = client.get("/settings/users")
    assert world.email["front_desk"] in page.text and world.email["ownerB"] not in page.text
    assert "all locations" in page.text
