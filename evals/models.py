"""The models of the eval matrix: `template` (the no-LLM writers, run live, deterministic) and
any chat model, called through `CachedModel` (record/replay, see `evals.cache`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.cache import CacheMiss, Recordings, cache_key

TEMPLATE = "template"
DEFAULT_TEMPERATURE = 0.0


@dataclass
class CachedModel:
    """A chat model behind the recordings. `live` None means replay only."""

    name: str
    recordings: Recordings
    live: Any = None  # a LangChain chat model (has .invoke)
    replay: bool = False
    temperature: float = DEFAULT_TEMPERATURE
    calls: int = field(default=0)

    def complete(self, prompt: str, *, prompt_hash: str, input_hash: str, case_id: str) -> str:
        """The response for this prompt: from the recordings, else from the live model."""
        key = cache_key(self.name, prompt_hash, input_hash, self.temperature)
        cached = self.recordings.get(key)
        if cached is not None:
            return cached
        if self.replay or self.live is None:
            raise CacheMiss(f"no recording for case {case_id} (model {self.name}, key {key[:12]})")
        self.calls += 1
        answer = self.live.invoke(prompt)
        content = answer.content if hasattr(answer, "content") else answer
        text = content if isinstance(content, str) else str(content)
        self.recordings.put(key, case_id, text)
        return text
