"""What the chat reuses across questions while the store's data is unchanged.

Per engine (dropped with it): the store directory of each organization, the last day with data
of each scope, the tools bound to the engine, and the results of recent tool calls. All of it
is keyed by the **data version**, a cheap stamp read in one query per question; when the stamp
changes, everything data-derived is dropped and recomputed on the next question.

Data version =
- the max id of every table the tools read: sales, appointments, patients, leads, locations,
  providers, services, memberships, payroll, shifts, marketing spend, findings;
- on SQLite also the row count of sales, appointments, patients and leads: SQLite can reuse the
  ids of deleted rows, a PostgreSQL sequence never does (there a count costs ~13 ms per 50k
  rows, a max id 0.3 ms); nothing but a demo rebuild deletes those rows, and it re-inserts;
- the max id of the tables that record a change: ingest runs, audit events, briefings,
  outreach messages; and the number of finished ingest runs and the rows they inserted or
  updated, which each import batch commits with its rows, so an import that only updates rows
  invalidates too.
An import, a briefing or an outreach decision therefore changes it; an ad-hoc SQL `UPDATE`
outside those paths is not seen (call `clear()` after one).

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
from sqlalchemy import Engine, Table, func, select

from agent.chat.directory import Directory
from store import tables as t

#: Tool results kept per engine (least recently used dropped first).
MAX_RESULTS = 512

_COUNTED: tuple[Table, ...] = (t.sale, t.appointment, t.patient, t.lead)
_MAX_ID: tuple[Table, ...] = (
    t.location,
    t.provider,
    t.service,
    t.membership,
    t.compensation,
    t.provider_shift,
    t.marketing_spend,
    t.finding,
    t.ingest_run,
    t.audit_event,
    t.briefing,
    t.outreach_message,
)

DataVersion = tuple[int, ...]


def data_version(engine: Engine) -> DataVersion:
    """The stamp described in the module docstring, in one round trip."""
    columns: list[Any] = []
    for table in _COUNTED:
        if engine.dialect.name == "sqlite":
            columns.append(select(func.count()).select_from(table).scalar_subquery())
        columns.append(select(func.max(table.c.id)).scalar_subquery())
    for table in _MAX_ID:
        columns.append(select(func.max(table.c.id)).scalar_subquery())
    run = t.ingest_run
    columns.append(
        select(func.count()).select_from(run).where(run.c.status != "running").scalar_subquery()
    )
    columns.append(select(func.sum(run.c.inserted + run.c.updated)).scalar_subquery())
    with engine.connect() as conn:
        row = conn.execute(select(*columns)).one()
    return tuple(int(value or 0) for value in row)


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
