"""The run-scoped context of a chat question: who asks, what they may see, and the limits.

Passed as `graph.invoke(state, context=Context(...))` (LangGraph `context_schema`) and to the
router. It is never checkpointed, and neither the model nor the question can change it: the
allowed locations come from the caller (the user's grants), and every tool call is made with
exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine

#: Roles that may see patients' names and phone numbers (as `api.roles.CONTACT_ROLES`).
CONTACT_ROLES = frozenset({"owner", "manager", "front_desk"})


@dataclass(frozen=True, eq=False)  # identity: one question's context (hashable with a model)
class Context:
    """- `engine`: the store.
    - `organization_id`, `allowed_location_ids`: the asking user's scope (never widened).
    - `location_id`: the location the user is looking at (None: every allowed one).
    - `role`: the user's role; contact data only for `CONTACT_ROLES`.
    - `model`: the chat model; None → the router answers alone.
    - `max_steps`: model turns per question; `time_limit_seconds`: wall time per question.
    """

    engine: Engine
    organization_id: int
    allowed_location_ids: tuple[int, ...]
    location_id: int | None = None
    role: str = "manager"
    model: BaseChatModel | None = None
    max_steps: int = 6
    time_limit_seconds: float = 30.0

    @property
    def may_see_contacts(self) -> bool:
        return self.role in CONTACT_ROLES

    def tool_config(self) -> dict[str, object]:
        """The config every tool call gets: the scope comes from here, never from the model."""
        return {
            "configurable": {
                "organization_id": self.organization_id,
                "allowed_location_ids": list(self.allowed_location_ids),
            }
        }
