"""Briefing: template briefing for one location of the demo practice, end to end (gather with
the tools → rank → write → verify → render with charts → persist → deliver to the outbox).

Target ≤ 3 s for a location's briefing in a fresh process (issue 13): `clarity brief --location
L --date D` timed as a whole process (interpreter start, imports, the run, exit), `REPEATS`
times, as a user or a cron job would run it:
- first of the day: nothing stored for the day, so the at-risk return model is fitted and the
  organization's forecast computed (both stored: `AtRiskSnapshot`, `ForecastSnapshot`);
- subsequent: another location the same day, reading what the first stored.
Then one library call in a fresh process with the same process settings (`clarity.command_gc`)
splits a subsequent briefing into imports and run, and the in-process re-runs, the per-tool
timings and the briefing itself are printed."""

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
REPEATS = 3
ROOT = Path(__file__).resolve().parent.parent

# One briefing through the library in a fresh process, set up as the `clarity` command sets
# itself up; prints {"imports": s, "run": s, "tools": {name: s}} as JSON.
_CHILD = """
import json, sys
from time import perf_counter
started = perf_counter()
from clarity import command_gc
command_gc.tune()
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
                  "tools": gatherer.timings}))
command_gc.freeze()
"""


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CLARITY_DATABASE_URL": url}


def _command(url: str, location_id: int, day: str) -> float:
    """Wall time of `clarity brief --location … --date …` as a new process."""
    started = perf_counter()
    subprocess.run(
        [sys.executable, "-m", "clarity", "brief", "--location", str(location_id), "--date", day],
        check=True,
        capture_output=True,
        env=_env(url),
    )
    return perf_counter() - started


def _forget_the_day(url: str) -> None:
    """Drop what the first briefing of a day stores for the others: the at-risk scores and the
    forecast."""
    from sqlalchemy import delete

    from store import tables as t
    from store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        for table in (t.at_risk_snapshot, t.forecast_snapshot):
            conn.execute(delete(table))
    engine.dispose()


def _library_call(url: str, organization_id: int, location_id: int, day: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(organization_id), str(location_id), day],
        check=True,
        capture_output=True,
        text=True,
        env=_env(url),
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _fresh_figures(url: str, organization_id: int, day: str) -> None:
    first, later = [], []
    for _ in range(REPEATS):
        _forget_the_day(url)
        first.append(_command(url, LOCATION_ID, day))
        later.append(_command(url, OTHER_LOCATION_ID, day))
    for name, walls in (("first of the day", first), ("subsequent (same day)", later)):
        best, middle = min(walls), statistics.median(walls)
        print(
            f"   `clarity brief --location`, fresh process, {name}: median {middle:.2f} s "
            f"(min {best:.2f}, max {max(walls):.2f}, {REPEATS} runs) [target ≤ 3 s: "
            f"{verdict(middle, 3)}]"
        )
    detail = _library_call(url, organization_id, OTHER_LOCATION_ID, day)
    tools = ", ".join(f"{k} {v:.2f}" for k, v in detail["tools"].items() if v >= 0.01)
    print(
        f"   subsequent briefing as a library call: imports {detail['imports']:.2f} s, run "
        f"{detail['run']:.2f} s (tools ≥ 0.01 s: {tools})"
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
