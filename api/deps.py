"""Request dependencies, as `Annotated` aliases (FastAPI full-stack template style).

`Scope` is the one place a request's reach is decided: the signed-in user's organization and
the locations they may see. Every view function takes it and filters its queries with it; no
handler filters by location on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.roles import CONTACT_ROLES, Area, Role, may_open
from api.security import token_digest
from clarity.settings import Settings
from store.models import ApiToken, Location, User, UserLocation

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The engine the app's lifespan opened (or the one a test passed to `create_app`)."""
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class AuthUser:
    """The signed-in user, detached from any database session."""

    id: int
    organization_id: int
    email: str
    name: str
    role: Role
    via: Literal["session", "token"]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _auth_user(user: User, via: Literal["session", "token"]) -> AuthUser:
    assert user.id is not None
    return AuthUser(user.id, user.organization_id, user.email, user.name, Role(user.role), via)


def _from_token(session: Session, header: str) -> AuthUser:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authorization must be 'Bearer <token>'")
    row = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(ApiToken.token_hash == token_digest(token.strip()))
    ).first()
    if row is None:
        raise _unauthorized("unknown API token")
    api_token, user = row
    if api_token.revoked_at is not None or not user.active or user.role not in set(Role):
        raise _unauthorized("API token revoked or user inactive")
    now = datetime.now(UTC)
    last = api_token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > TOKEN_TOUCH_INTERVAL:
        api_token.last_used_at = now
        session.add(api_token)
        session.commit()
    return _auth_user(user, "token")


def get_current_user(request: Request, session: SessionDep) -> AuthUser:
    """The user of a valid `Authorization: Bearer` token, else of the session cookie; 401
    otherwise. A bad token is a 401 even when a session cookie is present."""
    header = request.headers.get("authorization")
    if header:
        return _from_token(session, header)
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        raise _unauthorized("not signed in")
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in set(Role):
        request.session.clear()
        raise _unauthorized("not signed in")
    return _auth_user(user, "session")


CurrentUser = Annotated[AuthUser, Depends(get_current_user)]


@dataclass(frozen=True)
class UserScope:
    """What one user may see: their organization and the locations in it they may read.

    `whole_org` is True when those are all of the organization's locations; only then are
    organization-wide data (the organization's briefing, its KPIs) visible. `contacts` says
    whether patients' names and phone numbers may be shown (never to the evaluator).
    """

    user: AuthUser
    organization_id: int
    location_ids: frozenset[int]
    whole_org: bool

    @property
    def contacts(self) -> bool:
        return self.user.role in CONTACT_ROLES

    def allows_location(self, location_id: int | None) -> bool:
        """May this user read data of `location_id` (None: the organization as a whole)?"""
        if location_id is None:
            return self.whole_org
        return location_id in self.location_ids


def get_scope(user: CurrentUser, session: SessionDep) -> UserScope:
    """Owners see every location of their organization; everyone else the locations assigned
    to them (`UserLocation`) that belong to their organization."""
    org_locations = set(
        session.exec(
            select(Location.id).where(Location.organization_id == user.organization_id)
        ).all()
    )
    if user.role == Role.owner:
        allowed = {lid for lid in org_locations if lid is not None}
    else:
        assigned = session.exec(
            select(UserLocation.location_id).where(UserLocation.user_id == user.id)
        ).all()
        allowed = set(assigned) & {lid for lid in org_locations if lid is not None}
    return UserScope(
        user=user,
        organization_id=user.organization_id,
        location_ids=frozenset(allowed),
        whole_org=bool(allowed) and allowed == org_locations,
    )


Scope = Annotated[UserScope, Depends(get_scope)]


def require(area: Area) -> Any:
    """A route dependency: 403 unless the signed-in user's role may open `area`."""

    def check(user: CurrentUser) -> None:
        if not may_open(user.role, area):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"the {user.role} role cannot open {area}"
            )

    check.__name__ = f"require_{area}"
    return Depends(check)
