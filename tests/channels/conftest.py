from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import BriefingResult, outgoing, run_briefing
from channels.base import OutgoingMessage
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def briefed(engine: Engine) -> tuple[Engine, BriefingResult]:
    """A stored briefing (not delivered) for the sample location."""
    seed_store(engine)
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(sample_gathered()),
    )
    return engine, result


@pytest.fixture
def message(briefed: tuple[Engine, BriefingResult]) -> OutgoingMessage:
    engine, result = briefed
    return outgoing(engine, result.briefing_id, result.rendered)


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "outbox"
