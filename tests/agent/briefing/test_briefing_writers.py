"""The briefing graph with the template writer, a fake chat model, and ChatOpenAI against a
loopback OpenAI-compatible stub: verification, retry, fallback and `LlmCall` logging."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import run_briefing
from agent.model import make_chat_model
from clarity.settings import load_settings
from store.models import Briefing, LlmCall
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store
from tests.agent.fakes import fake_model, good_answer, inventing_answer
from tests.http_stub import Reply, StubServer, openai_completion


def brief(engine: Engine, **kwargs):
    seed_store(engine)
    return run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(sample_gathered()),
        **kwargs,
    )


def stored(engine: Engine) -> tuple[Briefing, list[LlmCall]]:
    with Session(engine) as session:
        briefing = session.exec(select(Briefing)).one()
        calls = list(session.exec(select(LlmCall).order_by(col(LlmCall.id))).all())
        session.expunge_all()
    return briefing, calls


def test_template_writer_is_the_default_and_verifies(engine: Engine) -> None:
    result = brief(engine)
    briefing, calls = stored(engine)
    assert briefing.writer == "template" and briefing.verified
    headline = "Greenwich: Maya Patel's rebooking rate fell — $18,750 a month at stake"
    assert briefing.headline == headline
    assert briefing.verification["reasons"] == []
    assert calls == []  # no model, no calls
    # 3 points, each with dollars and an action; call list of the 2 at-risk patients.
    assert [p.key for p in result.written.points] == ["fp-rebook", "fp-noshow", "fp-atrisk"]
    assert [line.pseudonym for line in result.written.call_list] == ["P-101", "P-102"]
    assert "How this was computed" in result.written.footer


def test_llm_writer_that_cites_correctly_passes(engine: Engine) -> None:
    model, recorder = fake_model(good_answer())
    brief(engine, writer="llm", model=model)
    briefing, calls = stored(engine)
    assert briefing.writer == "llm" and briefing.verified
    assert briefing.headline.startswith("Maya Patel's rebooking slipped to 41%")
    assert (briefing.prompt_name, briefing.prompt_version) == ("briefing_writer", "v1")
    assert len(recorder.prompts) == 1
    assert [(c.outcome, c.prompt_name, c.prompt_version) for c in calls] == [
        ("ok", "briefing_writer", "v1")
    ]
    assert (calls[0].input_tokens, calls[0].output_tokens) == (900, 150)


def test_invented_number_is_caught_retried_then_template_is_stored(engine: Engine) -> None:
    model, recorder = fake_model(inventing_answer(), inventing_answer())
    brief(engine, writer="llm", model=model)
    briefing, calls = stored(engine)
    assert briefing.writer == "template" and briefing.verified
    assert briefing.verification["fallback"] is True
    assert "'$2,355' matches no fact" in briefing.verification["fallback_reason"]
    # The retry carried the checker's reason back to the model.
    assert len(recorder.prompts) == 2
    assert "'$2,355' matches no fact" in recorder.prompts[1]
    assert "'$2,355' matches no fact" not in recorder.prompts[0]
    assert [c.outcome for c in calls] == ["verification_failed", "verification_failed"]
    assert "$2,355" in (calls[0].error or "")


def test_a_corrected_retry_is_accepted(engine: Engine) -> None:
    model, _ = fake_model(inventing_answer(), good_answer())
    brief(engine, writer="llm", model=model)
    briefing, calls = stored(engine)
    assert briefing.writer == "llm" and briefing.verified
    assert [a["outcome"] for a in briefing.verification["attempts"]] == [
        "verification_failed",
        "passed",
    ]
    assert [c.outcome for c in calls] == ["verification_failed", "ok"]


def test_garbage_answers_fall_back_cleanly(engine: Engine) -> None:
    model, _ = fake_model("Sure! Here is your briefing: it was a good day.", '{"headline": 3}')
    brief(engine, writer="llm", model=model)
    briefing, calls = stored(engine)
    assert briefing.writer == "template" and briefing.verified
    assert [c.outcome for c in calls] == ["invalid_output", "invalid_output"]
    assert "no JSON object" in (calls[0].error or "")


def test_chat_openai_timeout_falls_back_after_one_call(engine: Engine) -> None:
    with StubServer([Reply(status=200, body={}, delay=3.0)]) as stub:
        settings = load_settings(
            llm_model="stub-model", llm_base_url=f"{stub.url}/v1", llm_timeout_seconds=0.5
        )
        brief(engine, writer="llm", model=make_chat_model(settings))
    briefing, calls = stored(engine)
    assert briefing.writer == "template" and briefing.verification["fallback"] is True
    assert [c.outcome for c in calls] == ["timeout"]  # a timeout is not retried
    assert calls[0].model == "stub-model"


def completion(content: str) -> dict[str, object]:
    """A completion reporting 812 prompt and 120 completion tokens (asserted on the LlmCall)."""
    return openai_completion(content, prompt_tokens=812, completion_tokens=120)


def test_chat_openai_through_a_loopback_openai_compatible_server(engine: Engine) -> None:
    with StubServer([Reply(status=200, body=completion(good_answer()))]) as stub:
        settings = load_settings(llm_model="stub-model", llm_base_url=f"{stub.url}/v1")
        brief(engine, writer="llm", model=make_chat_model(settings))
    briefing, calls = stored(engine)
    assert briefing.writer == "llm" and briefing.model == "stub-model" and briefing.verified
    assert stub.requests[0].path == "/v1/chat/completions"
    sent = stub.requests[0].json()
    assert sent["model"] == "stub-model"
    assert (
        "rebook.dollars | Rebooking revenue lost, Maya Patel | $18,750"
        in (sent["messages"][0]["content"])
    )
    assert [(c.outcome, c.input_tokens, c.output_tokens) for c in calls] == [("ok", 812, 120)]
