"""Chat benchmark: no-LLM answer latency over the question set in a warm process.

Target (issue 16): p95 ≤ 300 ms per answer (routing + the one tool call + the template). Runs
on a small demo practice (seed 11, 1,500 patients) on SQLite, as the manager of every location;
each question is asked once to warm caches, then timed `ROUNDS` times. Routing alone (TF-IDF and
rules, no tool) is timed too.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from time import perf_counter

from sqlmodel import SQLModel

from agent.chat.answer import ChatService
from agent.chat.context import Context
from agent.chat.dataset import load_cases
from bench._util import peak_rss_mb, verdict
from store.db import make_engine
from store.demo import DemoConfig, build_demo
from store.scope import resolve_scope

ROUNDS = 3
TARGET_P95_MS = 300.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'chat.db'}")
        SQLModel.metadata.create_all(engine)
        build_demo(engine, DemoConfig(seed=11, patients=1500))
        scope = resolve_scope(engine)
        chat = ChatService(Context(engine, scope.organization_id, scope.allowed_location_ids))
        questions = [case.question for case in load_cases()]
        for question in questions:  # warm: scikit-learn, at-risk model cache, SQLite pages
            chat.answer(question)
        answers: list[float] = []
        routes: list[float] = []
        by_tool: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            for question in questions:
                started = perf_counter()
                chat.route(question)
                routes.append(1000 * (perf_counter() - started))
                started = perf_counter()
                answer = chat.answer(question)
                elapsed = 1000 * (perf_counter() - started)
                answers.append(elapsed)
                tool = answer.tools[0]["name"] if answer.tools else answer.status
                by_tool.setdefault(tool, []).append(elapsed)
        engine.dispose()
    p95 = _percentile(answers, 0.95)
    print(f"   questions: {len(questions)} × {ROUNDS} rounds (small demo, SQLite, warm)")
    print(
        f"   routing: p50 {statistics.median(routes):.1f} ms, "
        f"p95 {_percentile(routes, 0.95):.1f} ms"
    )
    print(
        f"   answer (route + tool + template): p50 {statistics.median(answers):.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(answers):.0f} ms — target p95 ≤ {TARGET_P95_MS:.0f} ms: "
        f"{verdict(p95, TARGET_P95_MS)}"
    )
    for tool, times in sorted(by_tool.items(), key=lambda item: -max(item[1])):
        print(
            f"     {tool}: n={len(times)}, p50 {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms"
        )
    print(f"   peak RSS: {peak_rss_mb():.0f} MiB")
