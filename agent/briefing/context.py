"""The run-scoped context of the briefing graph: what a run uses but never stores.

Passed as `graph.invoke(state, context=Context(...))` and read by nodes as `runtime.context`.
LangGraph does not checkpoint the context (it holds an engine, a model and channels), so a
caller passes it again on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine

from agent.briefing.gather import Gatherer
from channels.base import Channel
from channels.delivery import Target

DEFAULT_APP_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Context:
    """- `engine`: the store.
    - `gatherer`: finds the facts for a scope and day (`ToolsGatherer`, or a static one in tests).
    - `model`: the chat model of the LLM writer; None → the template writer.
    - `channels`: by name, the channels deliveries may use.
    - `targets`: who receives it; None → the scope's subscriptions.
    - `slack_recipient`: the Slack channel of subscriptions that name none.
    - `app_base_url`: where the briefing's link points.
    - `now`: the clock for stored times; None → the current UTC time.
    """

    engine: Engine
    gatherer: Gatherer
    model: BaseChatModel | None = None
    channels: Mapping[str, Channel] = field(default_factory=dict)
    targets: list[Target] | None = None
    slack_recipient: str | None = None
    app_base_url: str = DEFAULT_APP_BASE_URL
    now: datetime | None = None
