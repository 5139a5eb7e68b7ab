"""Record mode end to end over HTTP: `clarity eval run --model NAME` calls a real `ChatOpenAI`
against an OpenAI-compatible stub on 127.0.0.1, stores the answers as a recording, and
`--replay` then gives the same verdicts with no endpoint configured and no request made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clarity.cli import app
from clarity.settings import get_settings
from tests.http_stub import Reply, StubServer, openai_completion

runner = CliRunner()
CALL = {"status": "answer", "tool": "query_metric", "args": {"metric": "rebooking_rate"}}


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_record_through_a_loopback_openai_stub_then_replay(tmp_path: Path) -> None:
    dataset = tmp_path / "two.jsonl"
    no_show = {**CALL, "args": {"metric": "no_show_rate"}}
    rows = [
        {"question": "What's our rebooking rate?", "expect": CALL},
        {"question": "What is our no-show rate?", "expect": no_show},
    ]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recordings, runs = tmp_path / "rec", tmp_path / "runs"
    args = ["eval", "run", "--suite", "chat", "--model", "stub-model", "--dataset", str(dataset),
            "--recordings-dir", str(recordings), "--runs-dir", str(runs), "--json"]  # fmt: skip
    # The stub answers both questions with the rebooking call: the first passes, the second
    # (no-show rate expected) fails.
    with StubServer([Reply(body=openai_completion(json.dumps(CALL)))]) as stub:
        live = runner.invoke(app, args, env={"CLARITY_LLM_BASE_URL": f"{stub.url}/v1"})
    assert live.exit_code == 0, live.output
    assert json.loads(live.output) | {"run_id": None} == {
        "run_id": None, "cases": 2, "passed": 1, "pass_rate": 0.5, "errors": 0,
    }  # fmt: skip
    assert [r.path for r in stub.requests] == ["/v1/chat/completions"] * 2
    sent = stub.requests[0].json()
    assert sent["model"] == "stub-model" and sent["temperature"] == 0.0
    assert "QUESTION: What's our rebooking rate?" in sent["messages"][0]["content"]
    recorded = json.loads((recordings / "chat" / "stub-model.json").read_text())
    assert len(recorded) == 2
    get_settings.cache_clear()
    replayed = runner.invoke(app, [*args, "--replay"], env={"CLARITY_LLM_BASE_URL": None})
    assert replayed.exit_code == 0, replayed.output
    summary = json.loads(replayed.output)
    assert (summary["cases"], summary["passed"], summary["errors"]) == (2, 1, 0)
    stored = json.loads((runs / f"{summary['run_id']}.json").read_text())
    assert stored["mode"] == "replay"
