"""`clarity ask` in-process on both backends, on the chat tests' store (no model configured)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import make_engine
from store.migrate import upgrade
from tests.agent.chat import store
from tests.clarity.conftest import Cli, open_cli


@pytest.fixture
def ask_cli(backend: str, tmp_path: Path) -> Iterator[Cli]:
    with open_cli(backend, tmp_path) as cli:
        engine = make_engine(cli.database_url)
        upgrade(engine)
        store.build(engine)
        engine.dispose()
        yield cli


def test_ask_json_has_answer_facts_and_tools(ask_cli: Cli) -> None:
    result = ask_cli("ask", "Rebooking rate at Back Bay in October", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # 3 of 5 eligible October visits at Back Bay were rebooked = 60.0%.
    assert "60.0% [rebooking_rate.location-1.2026-10]" in data["answer"]
    facts = {f["id"]: f["value"] for f in data["facts"]}
    assert facts["rebooking_rate.location-1.2026-10"] == 0.6
    assert data["tools"] == [
        {
            "name": "query_metric",
            "args": {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"},
        }
    ]


def test_ask_with_location_refuses_another(ask_cli: Cli) -> None:
    result = ask_cli("ask", "What was Austin's revenue last month?", "--location", "1")
    assert result.exit_code == 0
    assert "don't have access to Austin" in result.output


def test_ask_unknown_location_exits_2(ask_cli: Cli) -> None:
    result = ask_cli("ask", "How are we doing?", "--location", "99")
    assert result.exit_code == 2
    assert "location 99" in result.output
