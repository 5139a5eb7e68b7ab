"""Cache keys and record/replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cache import CacheMiss, Recordings, cache_key, canonical, sha256
from evals.models import CachedModel
from tests.evals.fake_llm import Answer


def test_changing_any_part_changes_the_key() -> None:
    prompt, case = sha256("prompt text"), sha256(canonical({"id": "c1", "x": 1}))
    base = cache_key("m", prompt, case, 0.0)
    assert cache_key("m", prompt, case, 0.0) == base  # same parts, same key
    assert cache_key("m", sha256("prompt text!"), case, 0.0) != base  # prompt text
    assert cache_key("m2", prompt, case, 0.0) != base  # model name
    assert cache_key("m", prompt, case, 0.2) != base  # temperature
    assert cache_key("m", prompt, sha256(canonical({"id": "c1", "x": 2})), 0.0) != base  # case
    # key order inside a case does not matter (canonical JSON)
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})


class Echo:
    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, prompt: str) -> Answer:
        self.calls += 1
        return Answer(f"echo:{prompt}")


def test_record_then_replay_without_calling(tmp_path: Path) -> None:
    live = Echo()
    model = CachedModel("m", Recordings("s", "m", tmp_path), live)
    assert model.complete("hi", prompt_hash="p", input_hash="i", case_id="c") == "echo:hi"
    model.recordings.save()
    replay = CachedModel("m", Recordings("s", "m", tmp_path), Echo(), replay=True)
    assert replay.complete("hi", prompt_hash="p", input_hash="i", case_id="c") == "echo:hi"
    assert live.calls == 1 and replay.live.calls == 0
    with pytest.raises(CacheMiss, match="no recording for case c2"):
        replay.complete("hi", prompt_hash="p", input_hash="other", case_id="c2")
