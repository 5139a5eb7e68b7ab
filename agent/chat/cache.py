"""What the chat reuses across questions while the store's data is unchanged.

Per engine (dropped with it): the store directory of each organization, the last day with data
of each scope, the tools bound to the engine, and the results of recent tool calls. All of it
is keyed by the **data version**, a cheap stamp read in one query per question; when the stamp
changes, everything data-derived is dropped and recomputed on the next question.

The data version is `store.data_version`: an import, a briefing or an outreach decision changes
it; an ad-hoc SQL `UPDATE` outside those paths is not seen (call `clear()` after one).

A cached result is returned as a deep copy, so a caller that edits it cannot change the next
answer.
"""

from __future__ import annotations

import copy
import json
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.tools import StructuredTool
from sqlalchemy import Engine

from agent.chat.directory import Directory
from store.data_version import DataVersion, data_version

#: Tool results kept per engine (least recently used dropped first).
MAX_RESULTS = 512


@dataclass
class EngineCache:
    """The data-derived state of one engine at one data version (see the module docstring)."""

    version: DataVersion | None = None
    tools: dict[str, StructuredTool] = field(default_factory=dict)
    directories: dict[int, Directory] = field(default_factory=dict)
    last_days: dict[tuple[int, tuple[int, ...]], date] = field(default_factory=dict)
    results: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, version: DataVersion) -> None:
        """Drop everything data-derived if the data changed since it was computed."""
        with self.lock:
            if version != self.version:
                self.version = version
                self.directories.clear()
                self.last_days.clear()
                self.results.clear()

    def result(self, key: str) -> Any | None:
        with self.lock:
            if key not in self.results:
                self.misses += 1
                return None
            self.hits += 1
            self.results.move_to_end(key)
            return copy.deepcopy(self.results[key])

    def keep(self, key: str, value: Any) -> None:
        with self.lock:
            self.results[key] = copy.deepcopy(value)
            while len(self.results) > MAX_RESULTS:
                self.results.popitem(last=False)


def result_key(
    name: str, args: dict[str, Any], organization_id: int, allowed: tuple[int, ...]
) -> str:
    """A tool call's identity: tool, arguments and the caller's scope."""
    return json.dumps([name, args, organization_id, list(allowed)], sort_keys=True, default=str)


_CACHES: weakref.WeakKeyDictionary[Engine, EngineCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def for_engine(engine: Engine) -> EngineCache:
    """The engine's cache, checked against the current data version."""
    with _CACHES_LOCK:
        cache = _CACHES.setdefault(engine, EngineCache())
    cache.refresh(data_version(engine))
    return cache


def clear(engine: Engine | None = None) -> None:
    """Forget cached state (of one engine, or all), e.g. after an ad-hoc SQL update."""
    with _CACHES_LOCK:
        if engine is None:
            _CACHES.clear()
        else:
            _CACHES.pop(engine, None)
