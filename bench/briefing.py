"""Briefing: template briefing for one location of the demo practice, end to end (gather with
the tools → rank → write → verify → render with charts → persist → deliver to the outbox).

Target ≤ 3 s for a location's briefing in a fresh process (issue 13), measured twice in new
Python processes as a scheduler or `clarity brief` would run them:
- first of the day: nothing stored for the day, so the at-risk return model is fitted (and
  its scores stored in `AtRiskSnapshot`);
- subsequent: another location the same day, reading the stored scores.
Each figure is the wall time of the whole process (interpreter start, imports, the run), with
the imports' share. Then the in-process re-runs, the per-tool timings and the briefing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from bench._util import peak_rss_mb, verdict

LOCATION_ID = 1
OTHER_LOCATION_ID = 2
RUNS = 3

# One briefing in a fresh process; prints {"imports": s, "run": s, "at_risk": s} as JSON.
_CHILD = """
import json, sys
from time import perf_counter
started = perf_counter()
from datetime import date
from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import run_briefing
from store.db import make_engine
imported = perf_counter()
gatherer = ToolsGatherer()
run_briefing(make_engine(sys.argv[1]), organization_id=int(sys.argv[2]),
             location_id=int(sys.argv[3]), for_date=date.fromisoformat(sys.argv[4]),
             gatherer=gatherer)
done = perf_counter()
print(json.dumps({"imports": imported - started, "run": done - imported,
                  "at_risk": gatherer.timings.get("at_risk", 0.0)}))
"""


def _fresh_process(url: str, organization_id: int, location_id: int, day: str) -> dict:
    started = perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(organization_id), str(location_id), day],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall"] = perf_counter() - started
    return dict(figures)


def _fresh_figures(url: str, organization_id: int, day: str) -> None:
    first = _fresh_process(url, organization_id, LOCATION_ID, day)
    later = _fresh_process(url, organization_id, OTHER_LOCATION_ID, day)
    for name, fig in (("first of the day", first), ("subsequent (same day)", later)):
        print(
            f"   fresh process, {name}: {fig['wall']:.2f} s [target ≤ 3 s: "
            f"{verdict(fig['wall'], 3)}] (imports {fig['imports']:.2f} s, run {fig['run']:.2f} s"
            f" of which at-risk {fig['at_risk']:.2f} s)"
        )


def run() -> None:
    from agent.briefing.gather_tools import ToolsGatherer
    from agent.briefing.graph import run_briefing
    from agent.briefing.render import resolve_identities
    from agent.briefing.subscriptions import ensure_owner_subscription
    from channels.outbox import OutboxChannel
    from store.db import make_engine
    from store.demo import DemoConfig, build_demo
    from store.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        engine = make_engine(url)
        upgrade(engine)
        manifest = build_demo(engine, DemoConfig())
        day = DemoConfig().as_of
        _fresh_figures(url, manifest["organization_id"], day.isoformat())

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
                for_date=day,
                gatherer=gatherer,
                deliver_now=True,
                channels=channels,
            )
            timings.append(perf_counter() - started)
        markdown = resolve_identities(engine, result.rendered.markdown)
        engine.dispose()
    print(
        f"   same process, re-runs: median {statistics.median(timings):.2f} s "
        f"(first {timings[0]:.2f} s)"
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
