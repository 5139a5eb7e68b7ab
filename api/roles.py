"""Roles and what each may open.

- owner: the whole organization, every area.
- manager: their locations; everything but users and the audit log (their locations'
  outreach policy included).
- front_desk: their locations; Today (briefings), the approval queue, patients.
- evaluator: their locations; evals and briefings, patients pseudonymized, no contact data.

An area is a group of pages and JSON endpoints; each route names exactly one.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    manager = "manager"
    front_desk = "front_desk"
    evaluator = "evaluator"


class Area(StrEnum):
    briefings = "briefings"
    dashboard = "dashboard"
    queue = "queue"
    patients = "patients"
    users = "users"
    evals = "evals"
    sent = "sent"
    audit = "audit"
    settings = "settings"
    outreach_policy = "outreach_policy"


ALLOWED: dict[Area, frozenset[Role]] = {
    Area.briefings: frozenset(Role),
    Area.dashboard: frozenset({Role.owner, Role.manager}),
    Area.queue: frozenset({Role.owner, Role.manager, Role.front_desk}),
    # The evaluator sees the at-risk list with pseudonyms only (no contact data).
    Area.patients: frozenset(Role),
    Area.users: frozenset({Role.owner}),
    Area.evals: frozenset({Role.owner, Role.evaluator}),
    # Sent messages (with recipients' names), like the queue's decisions, are location data.
    Area.sent: frozenset({Role.owner, Role.manager}),
    Area.audit: frozenset({Role.owner}),
    # Everyone edits their own briefing subscriptions; the page shows more to owner/manager.
    Area.settings: frozenset(Role),
    # Changing a location's outreach policy (send window, segments, auto-approval): the
    # owner for every location, a manager for their own.
    Area.outreach_policy: frozenset({Role.owner, Role.manager}),
}

#: Roles that may see patients' names and phone numbers (everyone but the evaluator).
CONTACT_ROLES: frozenset[Role] = frozenset({Role.owner, Role.manager, Role.front_desk})


def may_open(role: str, area: Area) -> bool:
    """True when `role` may open pages and endpoints of `area`."""
    return role in ALLOWED[area]
