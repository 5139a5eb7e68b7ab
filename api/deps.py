"""Request dependencies, as `Annotated` aliases (FastAPI full-stack template style).

`Scope` is the one place a request's reach is decided: the signed-in user's organization and
the locations they may see. Every view function takes it and filters its queries with it; no
handler filters by location on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlmodel import Session

from api.roles import CONTACT_ROLES, Area, Role, may_open
from api.security import token_digest
from clarity.settings import Settings
from store import tables as t
from store.data_version import read_version

U, T = t.user, t.api_token

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


# The dependencies without I/O are `async def`: FastAPI runs a sync dependency on the thread
# pool, and each hop there costs more than the work itself under load.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The engine the app's lifespan opened (or the one a test passed to `create_app`)."""
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


async def get_session(engine: EngineDep) -> AsyncIterator[Session]:
    """A session for the request; it connects only when first used (on the view's thread)."""
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


def _auth_user(row: Any, via: Literal["session", "token"]) -> AuthUser:
    return AuthUser(
        int(row.id), int(row.organization_id), str(row.email), str(row.name), Role(row.role), via
    )


_USER_COLUMNS = (U.c.id, U.c.organization_id, U.c.email, U.c.name, U.c.role, U.c.active)


#: The signed-in user with every location of their organization and whether it is assigned to
#: them: one query per request instead of three (a session's user, locations, assignments).
_PRINCIPAL = (
    select(
        *_USER_COLUMNS,
        t.location.c.id.label("location_id"),
        t.user_location.c.user_id.label("assigned"),
    )
    .select_from(
        U.outerjoin(t.location, t.location.c.organization_id == U.c.organization_id).outerjoin(
            t.user_location,
            (t.user_location.c.user_id == U.c.id)
            & (t.user_location.c.location_id == t.location.c.id),
        )
    )
    .where(U.c.id == bindparam("uid"))
)


def _principal_scope(user: AuthUser, rows: Sequence[Any]) -> UserScope:
    """`_scope` from the rows of `_PRINCIPAL`."""
    org_locations = {int(r.location_id) for r in rows if r.location_id is not None}
    if user.role == Role.owner:
        allowed = set(org_locations)
    else:
        allowed = {int(r.location_id) for r in rows if r.assigned is not None} & org_locations
    return UserScope(
        user=user,
        organization_id=user.organization_id,
        location_ids=frozenset(allowed),
        whole_org=bool(allowed) and allowed == org_locations,
    )


def _from_token(engine: Engine, header: str) -> AuthUser:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authorization must be 'Bearer <token>'")
    with engine.connect() as conn:
        row = conn.execute(
            select(T.c.id.label("token_id"), T.c.revoked_at, T.c.last_used_at, *_USER_COLUMNS)
            .join(U, U.c.id == T.c.user_id)
            .where(T.c.token_hash == token_digest(token.strip()))
        ).first()
    if row is None:
        raise _unauthorized("unknown API token")
    if row.revoked_at is not None or not row.active or row.role not in set(Role):
        raise _unauthorized("API token revoked or user inactive")
    now = datetime.now(UTC)
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > TOKEN_TOUCH_INTERVAL:
        with engine.begin() as conn:
            conn.execute(update(T).where(T.c.id == row.token_id).values(last_used_at=now))
    return _auth_user(row, "token")


def get_current_user(request: Request, engine: EngineDep) -> AuthUser:
    """The user of a valid `Authorization: Bearer` token, else of the session cookie; 401
    otherwise. A bad token is a 401 even when a session cookie is present.

    On the same connection (one thread-pool hop, returned to the pool before the view runs)
    it also reads the user's scope (`get_scope`) and the data version of the page cache
    (`store.data_version`), kept on `request.state`."""
    header = request.headers.get("authorization")
    if header:
        user = _from_token(engine, header)
    else:
        user_id = request.session.get("uid")
        if not isinstance(user_id, int):
            raise _unauthorized("not signed in")
        with engine.connect() as conn:
            rows = conn.execute(_PRINCIPAL, {"uid": user_id}).all()
            if not rows or not rows[0].active or rows[0].role not in set(Role):
                request.session.clear()
                raise _unauthorized("not signed in")
            user = _auth_user(rows[0], "session")
            request.state.scope = _principal_scope(user, rows)
            request.state.data_version = read_version(conn)
        return user
    with engine.connect() as conn:
        request.state.scope = _scope(conn, user)
        request.state.data_version = read_version(conn)
    return user


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


def _scope(conn: Connection, user: AuthUser) -> UserScope:
    """Owners see every location of their organization; everyone else the locations assigned
    to them (`UserLocation`) that belong to their organization."""
    L, UL = t.location, t.user_location
    org_locations = {
        int(lid)
        for lid in conn.execute(
            select(L.c.id).where(L.c.organization_id == user.organization_id)
        ).scalars()
    }
    if user.role == Role.owner:
        allowed = set(org_locations)
    else:
        assigned = conn.execute(select(UL.c.location_id).where(UL.c.user_id == user.id))
        allowed = {int(lid) for lid in assigned.scalars()} & org_locations
    return UserScope(
        user=user,
        organization_id=user.organization_id,
        location_ids=frozenset(allowed),
        whole_org=bool(allowed) and allowed == org_locations,
    )


async def get_scope(request: Request, user: CurrentUser) -> UserScope:
    """The signed-in user's scope, read with the user by `get_current_user`."""
    scope: UserScope = request.state.scope
    assert scope.user == user
    return scope


Scope = Annotated[UserScope, Depends(get_scope)]


def require(area: Area) -> Any:
    """A route dependency: 403 unless the signed-in user's role may open `area`."""

    async def check(user: CurrentUser) -> None:
        if not may_open(user.role, area):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"the {user.role} role cannot open {area}"
            )

    check.__name__ = f"require_{area}"
    return Depends(check)
