"""No PHI reaches the model, `LlmCall` rows or logs: canary names, phones and e-mails are put on
the very patients the briefing's call list is about, then everything the model saw and every
row and log line is searched for them. Positive control: the owner's stored briefing and e-mail
do name them (resolved inside the store at render time)."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import outgoing, rank_with_news, run_briefing
from agent.briefing.writers.template import write_template
from store import tables as t
from store.demo import DemoConfig, build_demo
from store.models import Briefing
from tests.agent.fakes import fake_model

AS_OF = date(2026, 11, 24)


def canaries(index: int) -> dict[str, str]:
    return {
        "first_name": f"Canaryfirst{index}x",
        "last_name": f"Canarylast{index}x",
        "phone_e164": f"+1203555{index:04d}",
        "email": f"canary{index}@canary-mail.example",
    }


def test_no_phi_in_prompts_llm_calls_or_logs(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    build_demo(engine, DemoConfig(seed=3, patients=1500))
    gatherer = ToolsGatherer(persist=False)
    gathered = gatherer(engine, organization_id=1, location_id=None, as_of=AS_OF)
    outline, ranked = rank_with_news(engine, gathered)  # as the graph ranks
    assert outline.call_list, "the small demo must have patients to call"
    secrets: list[str] = []
    with engine.begin() as conn:
        for index, entry in enumerate(outline.call_list):
            values = canaries(index)
            secrets += list(values.values())
            conn.execute(
                update(t.patient).where(t.patient.c.id == entry.patient_id).values(**values)
            )
    # A model answer that passes verification: the template's own text as JSON.
    template = write_template(outline, ranked)
    answer = json.dumps(
        {
            "headline": template.headline,
            "points": [p.model_dump() for p in template.points],
            "call_list_intro": template.call_list_intro,
        }
    )
    model, recorder = fake_model(answer)
    caplog.set_level(logging.DEBUG)
    result = run_briefing(
        engine,
        organization_id=1,
        location_id=None,
        for_date=AS_OF,
        gatherer=gatherer,
        writer="llm",
        model=model,
    )
    assert result.verification["writer"] == "llm", json.dumps(result.verification)

    def leaks(text: str) -> list[str]:
        lowered = text.lower()
        return [s for s in secrets if s.lower() in lowered]

    # What the model saw.
    assert len(recorder.prompts) == 1
    assert leaks(recorder.prompts[0]) == []
    assert outline.call_list[0].pseudonym not in recorder.prompts[0]  # not even pseudonyms
    # Every LlmCall row, every column.
    with engine.connect() as conn:
        rows = conn.execute(select(t.llm_call)).all()
    assert rows and leaks(repr(rows)) == []
    # Every log line, and the graph's state (what a checkpoint would hold).
    assert leaks("\n".join(r.getMessage() for r in caplog.records)) == []
    state = [result.gathered, result.outline, result.written]
    dumped = [s.model_dump_json() for s in state]
    dumped.append(result.rendered.model_dump_json(exclude={"charts"}))  # charts are PNG bytes
    assert leaks(" ".join(dumped)) == []

    # Positive control: the owner's copy names the patients, from the store.
    with Session(engine) as session:
        stored = session.get(Briefing, result.briefing_id)
        assert stored is not None
        assert secrets[0] in stored.text_md and secrets[1] in stored.text_md
        assert leaks(json.dumps(stored.verification)) == []
    email = outgoing(engine, result.briefing_id, result.rendered)
    assert f"{secrets[0]} {secrets[1]}" in email.text
    assert leaks(json.dumps(email.slack_blocks)) == []  # Slack keeps pseudonyms
