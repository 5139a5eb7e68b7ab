from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from agent.briefing.rank import rank
from agent.briefing.writers.llm import build_prompt
from prompts.loader import PromptError, available_versions, render_prompt
from tests.agent.briefing.sample import sample_gathered


def test_briefing_writer_v1_exists_and_renders_facts_and_points() -> None:
    assert "v1" in available_versions("briefing_writer")
    outline, gathered = rank(sample_gathered())
    prompt = build_prompt(outline, gathered, feedback=["point 1: '$99,999' matches no fact"])
    assert (prompt.name, prompt.version) == ("briefing_writer", "v1")
    # Facts appear with id, label and display value; points with their keys, in rank order.
    assert "- rebook.dollars | Rebooking revenue lost, Maya Patel | $18,750" in prompt.text
    assert prompt.text.index("key: fp-rebook") < prompt.text.index("key: fp-noshow")
    # The call list is a count and a total, never a list of patients.
    assert "2 patients (call_list.count), $7,300 at stake (call_list.dollars)" in prompt.text
    assert "P-101" not in prompt.text
    # The previous attempt's errors are fed back.
    assert "'$99,999' matches no fact" in prompt.text


def test_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError):
        render_prompt("briefing_writer", "v1", scope_label="Greenwich")


@pytest.mark.parametrize(
    ("name", "version"), [("briefing_writer", "1"), ("Briefing", "v1"), ("nope", "v1")]
)
def test_bad_or_unknown_prompt_names_fail_clearly(name: str, version: str) -> None:
    with pytest.raises(PromptError):
        render_prompt(name, version)
