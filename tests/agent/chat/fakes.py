"""A scripted chat model for the agent path: replies (tool calls or text) in order, and the
text of every prompt it was sent. The LLM edge is the only thing faked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedModel(BaseChatModel):
    """Returns `replies` one per call; `bind_tools` keeps the script and notes the tool names."""

    replies: list[AIMessage]
    prompts: list[str] = Field(default_factory=list)
    bound: list[str] = Field(default_factory=list)
    position: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        self.bound = [getattr(t, "name", str(t)) for t in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append("\n".join(str(m.content) for m in messages))
        if self.position >= len(self.replies):
            raise RuntimeError("the script has no more replies")
        reply = self.replies[self.position]
        self.position += 1
        return ChatResult(generations=[ChatGeneration(message=reply)])


def tool_call(name: str, args: dict[str, Any], call_id: str = "call-1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}])


def say(text: str) -> AIMessage:
    return AIMessage(content=text)


def script(*replies: AIMessage) -> ScriptedModel:
    return ScriptedModel(replies=list(replies), prompts=[], bound=[])


def sse_completion(chunks: list[dict[str, object]]) -> str:
    """An OpenAI-compatible streamed chat completion (what a model server sends for
    `stream=true`), one `chat.completion.chunk` per delta."""
    lines = []
    for index, delta in enumerate(chunks):
        finish = "stop" if index == len(chunks) - 1 else None
        chunk = {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "stub",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        lines.append(f"data: {json.dumps(chunk)}\n\n")
    return "".join(lines) + "data: [DONE]\n\n"


def streamed_tool_call(name: str, args: dict[str, Any]) -> str:
    """A streamed completion that calls one tool."""
    call = {
        "index": 0,
        "id": "call-1",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }
    return sse_completion([{"role": "assistant", "content": None, "tool_calls": [call]}])


def streamed_text(tokens: list[str]) -> str:
    """A streamed completion writing `tokens`, one chunk each."""
    deltas: list[dict[str, object]] = [{"role": "assistant", "content": ""}]
    deltas.extend({"content": token} for token in tokens)
    return sse_completion(deltas)
