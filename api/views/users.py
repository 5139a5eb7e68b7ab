"""Users of the organization and the signed-in user's own reach."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, select

from api.deps import UserScope
from store.models import User, UserLocation


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    active: bool
    has_password: bool
    location_ids: list[int]


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    organization_id: int
    location_ids: list[int]
    whole_organization: bool
    sees_contacts: bool


def list_users(session: Session, scope: UserScope) -> list[UserOut]:
    """Every user of the scope's organization with the locations assigned to them."""
    users = session.exec(
        select(User).where(User.organization_id == scope.organization_id).order_by(col(User.id))
    ).all()
    ids = [u.id for u in users if u.id is not None]
    assigned: dict[int, list[int]] = {}
    if ids:
        for user_id, location_id in session.exec(
            select(UserLocation.user_id, UserLocation.location_id)
            .where(col(UserLocation.user_id).in_(ids))
            .order_by(col(UserLocation.location_id))
        ).all():
            assigned.setdefault(user_id, []).append(location_id)
    return [
        UserOut(
            id=u.id,
            email=u.email,
            name=u.name,
            role=u.role,
            active=u.active,
            has_password=bool(u.password_hash),
            location_ids=assigned.get(u.id, []),
        )
        for u in users
        if u.id is not None
    ]


def me(scope: UserScope) -> Me:
    user = scope.user
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        organization_id=scope.organization_id,
        location_ids=sorted(scope.location_ids),
        whole_organization=scope.whole_org,
        sees_contacts=scope.contacts,
    )
