"""Record/replay of model responses.

A response is cached under `cache_key(model, prompt_hash, input_hash, temperature)`: the SHA-256
of those four values. `prompt_hash` is the hash of the prompt *template* text (so editing a
prompt invalidates its recordings) and `input_hash` the hash of the dataset case (so editing a
case does too). Recordings are JSON files, one per suite and model, under `evals/recordings/`:
`{key: {"case": id, "response": text}}`, keys sorted so diffs stay small.

Modes: `live` calls the model and records; `replay` never calls a model, and a missing key is a
`CacheMiss`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

RECORDINGS_DIR = Path(__file__).resolve().parent / "recordings"


class CacheMiss(LookupError):
    """Replay asked for a response that was never recorded."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal data, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(model: str, prompt_hash: str, input_hash: str, temperature: float) -> str:
    return sha256(canonical([model, prompt_hash, input_hash, float(temperature)]))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


class Recordings:
    """The recorded responses of one suite and model."""

    def __init__(self, suite: str, model: str, directory: Path = RECORDINGS_DIR) -> None:
        self.path = directory / _safe(suite) / f"{_safe(model)}.json"
        self.entries: dict[str, dict[str, str]] = {}
        if self.path.exists():
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        self.dirty = False

    def get(self, key: str) -> str | None:
        entry = self.entries.get(key)
        return None if entry is None else entry["response"]

    def put(self, key: str, case_id: str, response: str) -> None:
        self.entries[key] = {"case": case_id, "response": response}
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.entries, sort_keys=True, indent=1, ensure_ascii=False)
        self.path.write_text(text + "\n", encoding="utf-8")
        self.dirty = False
