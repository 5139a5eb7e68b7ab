"""The briefing verifier (`agent.briefing.verify`): a written briefing against its outline."""

from __future__ import annotations

from agent.briefing.rank import rank
from agent.briefing.verify import verify_briefing
from agent.briefing.writers.template import write_template
from tests.agent.briefing.sample import sample_gathered


def test_template_briefing_passes_and_an_invented_number_fails() -> None:
    outline, gathered = rank(sample_gathered())
    written = write_template(outline, gathered)
    assert verify_briefing(written, outline, gathered).passed
    tampered = written.model_copy(deep=True)
    tampered.points[1].text += " That is $4,000 a week."
    result = verify_briefing(tampered, outline, gathered)
    assert result.reasons == ["point 2 text: '$4,000' matches no fact"]


def test_each_point_must_state_its_own_dollars_and_keep_the_ranked_order() -> None:
    outline, gathered = rank(sample_gathered())
    written = write_template(outline, gathered)
    tampered = written.model_copy(deep=True)
    tampered.points[0].text = "Rebooking rate, Maya Patel: 41.2%."  # $18,750 left out
    tampered.points = [tampered.points[1], tampered.points[0], tampered.points[2]]
    reasons = verify_briefing(tampered, outline, gathered).reasons
    assert (
        "points ['fp-noshow', 'fp-rebook', 'fp-atrisk'] are not the ranked points" in (reasons[0])
    )
    assert "point 2 does not state its dollar amount ($18,750)" in reasons


def test_a_tool_action_copied_verbatim_is_not_rechecked_but_a_rewritten_one_is() -> None:
    gathered = sample_gathered()
    gathered.candidates[1].action = "Confirm appointments 48 h ahead."
    outline, gathered = rank(gathered)
    written = write_template(outline, gathered)
    assert verify_briefing(written, outline, gathered).passed
    written.points[1].action = "Confirm appointments 72 h ahead."
    assert verify_briefing(written, outline, gathered).reasons == [
        "point 2 action: '72' matches no fact"
    ]
