"""Chat-model edges for tests: langchain-core's fake model with a prompt recorder, and canned
answers built from the sample facts."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage


class PromptRecorder(BaseCallbackHandler):
    """Keeps the text of every prompt sent to the model."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        for batch in messages:
            self.prompts.append("\n".join(str(m.content) for m in batch))


def fake_model(*answers: str) -> tuple[GenericFakeChatModel, PromptRecorder]:
    recorder = PromptRecorder()
    messages = [
        AIMessage(
            content=text,
            usage_metadata={"input_tokens": 900, "output_tokens": 150, "total_tokens": 1050},
        )
        for text in answers
    ]
    return GenericFakeChatModel(messages=iter(messages), callbacks=[recorder]), recorder


def good_answer(**overrides: str) -> str:
    """A model answer that uses only the sample facts' numbers, as displayed."""
    answer = {
        "headline": "Maya Patel's rebooking slipped to 41% — $18,750 of revenue walked out.",
        "points": [
            {
                "key": "fp-rebook",
                "title": "Rebooking at Maya Patel's chair",
                "text": "Only 41.2% of her patients rebooked against a 75% target; that gap "
                "is worth $18,750.",
                "action": "Sit in on two of Maya Patel's checkouts this week.",
                "fact_ids": ["rebook.dollars", "rebook.rate", "rebook.target"],
            },
            {
                "key": "fp-noshow",
                "title": "Tuesdays keep emptying",
                "text": "Tuesday no-shows run 2.1× other days (31%), costing $9,420.",
                "action": "Take deposits for Tuesday bookings.",
                "fact_ids": ["noshow.dollars", "noshow.ratio", "noshow.rate"],
            },
            {
                "key": "fp-atrisk",
                "title": "Two VIPs have gone quiet",
                "text": "2 lapsed VIPs spent $7,300 with you last year [atrisk.dollars].",
                "action": "Call them today, starting with P-101.",
                "fact_ids": ["atrisk.dollars", "atrisk.count"],
            },
        ],
        "call_list_intro": "Call these 2 patients today; $7,300 of yearly spend rides on it.",
    }
    answer.update(overrides)
    return json.dumps(answer)


def inventing_answer() -> str:
    """Like `good_answer`, but the second point invents a weekly figure."""
    data = json.loads(good_answer())
    data["points"][1]["text"] = "Tuesday no-shows cost $9,420, about $2,355 a week."
    return json.dumps(data)
