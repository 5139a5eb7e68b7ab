"""`clarity users add` and `clarity tokens create`, in-process, on SQLite and PostgreSQL; the
users and tokens they make then sign in to the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.app import create_app
from api.security import verify_password
from clarity.cli import app as cli
from clarity.settings import get_settings
from store.db import make_engine
from store.migrate import upgrade
from store.models import Location, Organization, User, UserLocation
from tests.api.conftest import app_settings, login
from tests.conftest import PostgresSchema

PASSWORD = "a long enough secret"


@pytest.fixture
def store(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated store with organization 1 (locations 1, 2), reached by the CLI through
    CLARITY_DATABASE_URL."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        schema = PostgresSchema()
        url = f"{schema.url}?options=-csearch_path%3D{schema.name}"
    monkeypatch.setenv("CLARITY_DATABASE_URL", url)
    monkeypatch.setenv("CLARITY_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        s.add(Organization(name="Glow", slug="glow"))
        s.flush()
        s.add(Location(organization_id=1, name="Greenwich"))
        s.add(Location(organization_id=1, name="Westport"))
        s.commit()
    try:
        yield engine
    finally:
        engine.dispose()
        get_settings.cache_clear()
        if schema is not None:
            schema.drop()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_add_and_sign_in(store: Engine, tmp_path: Path) -> None:
    code, out, err = run(
        "users",
        "add",
        "Front@Glow.example.com",
        "--role",
        "front_desk",
        "--location",
        "1",
        "--location",
        "2",
        "--name",
        "Fran",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert out.strip() == "added user 1 front@glow.example.com (front_desk; locations: 1, 2)"
    with Session(store) as s:
        user = s.exec(select(User)).one()
        assert (user.email, user.name, user.role) == (
            "front@glow.example.com",
            "Fran",
            "front_desk",
        )
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert verify_password(PASSWORD, user.password_hash)
        assert sorted(s.exec(select(UserLocation.location_id)).all()) == [1, 2]
    with TestClient(create_app(app_settings(tmp_path), engine=store)) as client:
        assert login(client, "front@glow.example.com", PASSWORD).status_code == 303
        assert client.get("/api/v1/me").json()["location_ids"] == [1, 2]


def test_tokens_create_prints_a_working_token_once(store: Engine, tmp_path: Path) -> None:
    assert run("users", "add", "owner@glow.example.com", "--role", "owner")[0] == 0
    code, out, err = run("tokens", "create", "owner@glow.example.com", "--name", "etl")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("clr_") and len(token) > 40
    assert "not shown again" in err
    with Session(store) as s:
        stored = s.exec(select(User)).one()
        assert stored.password_hash is None  # no --password-stdin: API tokens only
    with TestClient(create_app(app_settings(tmp_path), engine=store)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "owner"
        assert me.json()["location_ids"] == [1, 2]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("x@glow.example.com", "--role", "manager"),
            None,
            "a manager needs at least one location",
        ),
        (
            ("x@glow.example.com", "--role", "manager", "--location", "9"),
            None,
            "9 not in organization 1",
        ),
        (
            ("x@glow.example.com", "--role", "owner", "--location", "1"),
            None,
            "owners see every location",
        ),
        (("not-an-email", "--role", "owner"), None, "is not an e-mail address"),
        (("x@glow.example.com", "--role", "owner", "--password-stdin"), "short\n", "at least 8"),
        (
            ("x@glow.example.com", "--role", "owner", "--org", "5"),
            None,
            "organization 5 does not exist",
        ),
    ],
)
def test_users_add_errors_exit_2_with_one_line(
    store: Engine, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    code, _, err = run("users", "add", *args, stdin=stdin)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_duplicate_user_several_orgs_and_unknown_token_user(store: Engine) -> None:
    assert run("users", "add", "o@glow.example.com", "--role", "owner")[0] == 0
    code, _, err = run("users", "add", "O@glow.example.com", "--role", "owner")
    assert code == 2 and "already exists" in err
    with Session(store) as s:
        s.add(Organization(name="Harbor", slug="harbor"))
        s.commit()
    code, _, err = run("users", "add", "h@harbor.example.com", "--role", "owner")
    assert code == 2 and "several organizations (1, 2); pass --org" in err
    assert run("users", "add", "h@harbor.example.com", "--role", "owner", "--org", "2")[0] == 0
    code, _, err = run("tokens", "create", "nobody@glow.example.com")
    assert code == 2 and "no user with e-mail nobody@glow.example.com" in err
    code, _, err = run("users", "add", "x@glow.example.com", "--role", "janitor")
    assert code == 2 and "janitor" in err
