"""Sign-in, the session cookie, CSRF, rate limiting and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.security import LoginLimiter, token_digest, verify_password
from store.models import ApiToken, User
from tests.api.conftest import PASSWORD, World, app_settings, bearer, csrf_header, login


def test_sign_in_sets_a_safe_session_cookie_and_returns_to_next(
    client: TestClient, world: World
) -> None:
    response = login(client, world.email["owner"], next=f"/briefings/{world.briefing['A1']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/briefings/{world.briefing['A1']}"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("session="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # http://testserver
    assert client.get("/api/v1/me").json()["email"] == world.email["owner"]


def test_cookies_are_secure_behind_https(world: World, tmp_path: Path) -> None:
    app = create_app(
        app_settings(tmp_path, app_base_url="https://clarity.example.com"), engine=world.engine
    )
    with TestClient(app, base_url="https://testserver") as client:
        response = login(client, world.email["owner"])
        cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "secure" in session.lower()
    first = client.get("/login").headers.get_list("set-cookie")
    assert all("secure" in c.lower() for c in first if c.startswith("csrftoken="))


def test_next_must_stay_on_this_site(client: TestClient, world: World) -> None:
    for target in ("//evil.example.com/x", "https://evil.example.com", "/\\evil"):
        response = login(client, world.email["owner"], next=target)
        assert response.headers["location"] == "/", target


def test_wrong_password_unknown_user_and_garbage_hash_are_401(
    client: TestClient, world: World
) -> None:
    assert login(client, world.email["owner"], "wrong password").status_code == 401
    assert login(client, "nobody@a.example.com").status_code == 401
    with Session(world.engine) as s:
        user = s.exec(select(User).where(User.email == world.email["manager"])).one()
        user.password_hash = "not-a-hash"
        s.add(user)
        s.commit()
    response = login(client, world.email["manager"])
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text


def test_sign_in_needs_the_csrf_token(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": world.email["owner"], "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "session" not in client.cookies


def test_posts_with_a_session_need_the_csrf_token(client: TestClient, world: World) -> None:
    assert login(client, world.email["owner"]).status_code == 303
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert refused.text == "CSRF token verification failed"
    assert client.get("/api/v1/me").status_code == 200  # still signed in
    done = client.post("/logout", headers=csrf_header(client), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401


def test_login_is_rate_limited_per_email(client: TestClient, world: World) -> None:
    email = world.email["front_desk"]
    for _ in range(5):
        assert login(client, email, "wrong").status_code == 401
    limited = login(client, email)  # even the right password waits now
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert login(client, world.email["owner"]).status_code == 303  # other e-mails are fine


def test_limiter_window_slides() -> None:
    now = [1000.0]
    limiter = LoginLimiter(per_email=2, per_ip=3, window_seconds=60, clock=lambda: now[0])
    limiter.failed("a@x.com", "1.1.1.1")
    now[0] += 10
    limiter.failed("A@x.com", "1.1.1.1")
    # Two failures for a@x.com at t=1000 and t=1010: blocked until the first leaves the
    # window at 1000 + 60 = 1060, i.e. 50 s from now (1010) → int(50) + 1 = 51.
    assert limiter.retry_after("a@x.com", "2.2.2.2") == 51
    assert limiter.retry_after("b@x.com", "1.1.1.1") == 0  # IP has 2 of 3
    limiter.failed("c@x.com", "1.1.1.1")
    assert limiter.retry_after("d@x.com", "1.1.1.1") > 0  # IP now has 3 of 3
    now[0] = 1061
    assert limiter.retry_after("a@x.com", "2.2.2.2") == 0
    limiter.succeeded("a@x.com")


def test_verify_password_handles_missing_and_garbage_hashes() -> None:
    assert verify_password("x", None) is False
    assert verify_password("x", "$unknown$hash") is False


def test_bearer_tokens(app: FastAPI, world: World) -> None:
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers=bearer(world, "manager"))
        assert me.status_code == 200
        assert me.json() == {
            "id": world.user["manager"],
            "email": world.email["manager"],
            "name": "Manager User",
            "role": "manager",
            "organization_id": world.org["A"],
            "location_ids": [world.loc["A1"]],
            "whole_organization": False,
            "sees_contacts": True,
        }
        for header in ("Bearer clr_nope", "Basic abc", "Bearer "):
            response = client.get("/api/v1/me", headers={"Authorization": header})
            assert response.status_code == 401, header
            assert response.headers["www-authenticate"] == "Bearer"
        with Session(world.engine) as s:
            token = s.exec(
                select(ApiToken).where(ApiToken.token_hash == token_digest(world.token["manager"]))
            ).one()
            assert token.last_used_at is not None  # touched by the request above
            token.revoked_at = datetime.now(UTC)
            s.add(token)
            s.commit()
        assert client.get("/api/v1/me", headers=bearer(world, "manager")).status_code == 401


def test_inactive_user_loses_session_and_tokens(app: FastAPI, world: World) -> None:
    with TestClient(app) as client:
        assert login(client, world.email["evaluator"]).status_code == 303
        with Session(world.engine) as s:
            user = s.exec(select(User).where(User.email == world.email["evaluator"])).one()
            user.active = False
            s.add(user)
            s.commit()
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/me", headers=bearer(world, "evaluator")).status_code == 401
        assert login(client, world.email["evaluator"]).status_code == 401


def test_anonymous_page_shows_the_sign_in_form(client: TestClient) -> None:
    response = client.get("/dashboard?period=2026-10")
    assert response.status_code == 401
    assert 'action="/login"' in response.text
    assert 'name="next" value="/dashboard?period=2026-10"' in response.text
    api = client.get("/api/v1/briefings")
    assert api.status_code == 401 and api.json() == {"detail": "not signed in"}
