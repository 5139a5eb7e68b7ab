"""`clarity users add` and `clarity tokens create`: people and machine clients of the app."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from api.roles import Role
from clarity.cli_common import errors, fail, open_engine

if TYPE_CHECKING:  # the store and password hashing load only when a command runs
    from sqlalchemy import Engine
    from sqlmodel import Session

    from store.models import User

users_app = typer.Typer(help="Users of the web app: roles, locations, passwords.")
tokens_app = typer.Typer(help="API tokens for machine clients (Authorization: Bearer …).")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


def _organization(session: Session, org: int | None) -> int:
    from sqlmodel import col, select

    from store.models import Organization

    ids = [i for i in session.exec(select(Organization.id).order_by(col(Organization.id))) if i]
    if org is not None:
        if org not in ids:
            fail(f"--org: organization {org} does not exist")
        return org
    if not ids:
        fail("the store holds no organization yet; run `clarity demo build` or import data")
    if len(ids) > 1:
        fail(f"the store holds several organizations ({', '.join(map(str, ids))}); pass --org")
    return ids[0]


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        fail(f"--password-stdin: the password must have at least {MIN_PASSWORD} characters")
    return password


def add_user(
    engine: Engine,
    *,
    email: str,
    role: Role,
    locations: list[int],
    org: int | None,
    name: str | None,
    password: str | None,
) -> User:
    """Create the user (and its location rows) or exit 2 with the reason."""
    from sqlmodel import Session, select

    from api.security import hash_password
    from store.models import Location, User, UserLocation

    with Session(engine) as session:
        organization_id = _organization(session, org)
        if session.exec(select(User.id).where(User.email == email)).first() is not None:
            fail(f"a user with e-mail {email} already exists")
        if role == Role.owner and locations:
            fail("--location: owners see every location of their organization; drop it")
        if role != Role.owner and not locations:
            fail(f"--location: a {role.value} needs at least one location")
        known = set(
            session.exec(select(Location.id).where(Location.organization_id == organization_id))
        )
        unknown = sorted(set(locations) - known)
        if unknown:
            fail(
                f"--location: {', '.join(map(str, unknown))} not in organization {organization_id}"
            )
        user = User(
            organization_id=organization_id,
            email=email,
            name=name or email.split("@")[0],
            role=role.value,
            password_hash=hash_password(password) if password is not None else None,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        for location_id in sorted(set(locations)):
            session.add(UserLocation(user_id=user.id, location_id=location_id))
        session.commit()
        session.refresh(user)
        session.expunge(user)
        return user


@users_app.command("add")
def users_add(
    email: str = typer.Argument(..., help="Sign-in e-mail (stored lower-case)."),
    role: Role = typer.Option(..., "--role", help="owner, manager, front_desk or evaluator."),
    location: list[int] = typer.Option([], "--location", help="Location id (repeatable)."),
    org: int | None = typer.Option(None, "--org", help="Organization id (default: the only one)."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Add a user of the web app."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        fail(f"EMAIL: {email!r} is not an e-mail address")
    password = _read_password() if password_stdin else None
    user = add_user(
        open_engine(),
        email=email,
        role=role,
        locations=location,
        org=org,
        name=name,
        password=password,
    )
    where = ", ".join(map(str, sorted(set(location)))) or "all"
    print(f"added user {user.id} {user.email} ({user.role}; locations: {where})")
    if password is None:
        print("no password set: this user can only use API tokens (`clarity tokens create`)")


@tokens_app.command("create")
def tokens_create(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("cli", "--name", help="What the token is for."),
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from sqlmodel import Session, select

    from api.security import new_api_token, token_digest
    from store.models import ApiToken, User

    email = email.strip().lower()
    with Session(open_engine()) as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or user.id is None:
            fail(f"no user with e-mail {email}")
        if not user.active:
            fail(f"user {email} is inactive")
        token = new_api_token()
        session.add(
            ApiToken(
                user_id=user.id,
                name=name,
                token_hash=token_digest(token),
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    print(token)
    errors.print("store this token now: it is not shown again", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
