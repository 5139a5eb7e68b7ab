"""Briefing: template briefing for one location of the demo practice, end to end (gather with
the tools → rank → write → verify → render with charts → persist → deliver to the outbox).
Target ≤ 3 s. Prints the timings and the briefing."""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path
from time import perf_counter

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import run_briefing
from agent.briefing.render import resolve_identities
from agent.briefing.subscriptions import ensure_owner_subscription
from bench._util import peak_rss_mb, verdict
from channels.outbox import OutboxChannel
from store.db import make_engine
from store.demo import DemoConfig, build_demo
from store.migrate import upgrade

LOCATION_ID = 1
RUNS = 3


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        upgrade(engine)
        manifest = build_demo(engine, DemoConfig())
        ensure_owner_subscription(engine, 1, scope=f"location:{LOCATION_ID}")
        channels = {"outbox": OutboxChannel(Path(tmp) / "outbox", sender="bench@clarity")}
        timings = []
        gatherer = ToolsGatherer()
        for _ in range(RUNS):
            started = perf_counter()
            result = run_briefing(
                engine,
                organization_id=manifest["organization_id"],
                location_id=LOCATION_ID,
                for_date=DemoConfig().as_of,
                gatherer=gatherer,
                deliver_now=True,
                channels=channels,
            )
            timings.append(perf_counter() - started)
        markdown = resolve_identities(engine, result.rendered.markdown)
        engine.dispose()
    first, median = timings[0], statistics.median(timings[1:])
    print(
        f"   template briefing, location {LOCATION_ID}, end to end: first run {first:.2f} s "
        f"[target ≤ 3 s: {verdict(first, 3)}], re-runs median {median:.2f} s"
    )
    print(
        f"   points: {len(result.written.points)}, call list: {len(result.written.call_list)}, "
        f"charts: {len(result.rendered.charts)}, verified: {result.verification['passed']} "
        f"({result.verification['checked']} figures), deliveries: "
        f"{[d.status for d in result.deliveries]}"
    )
    tools = sum(gatherer.timings.values())
    parts = ", ".join(f"{name} {seconds:.2f}" for name, seconds in gatherer.timings.items())
    rest = timings[-1] - tools
    print(f"   last run: tools {tools:.2f} s ({parts}); rest of the graph {rest:.2f} s")
    load = os.getloadavg()[0]
    print(f"   load average {load:.1f} (2 shared cores); peak RSS: {peak_rss_mb():.0f} MiB")
    print()
    for line in markdown.splitlines():
        print(f"   {line}")
