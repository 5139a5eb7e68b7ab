"""The chat tests' store on each backend (see `tests.agent.chat.store`)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.agent.chat import store


@pytest.fixture
def chat_engine(engine: Engine) -> Engine:
    store.build(engine)
    return engine
