"""CLI start-up benchmark (issue 11 point 7): whole-process wall times, paired and repeated.

Targets: `clarity --help` ≤ 1.6 × `python -c "import typer, sqlalchemy"` (the floor any Typer +
SQLAlchemy command pays), and `clarity kpis --json` on the default demo ≤ 1.5 s (the schema check
on start is one query when the schema is current). Each figure is the median of RUNS runs after a
warm-up; the ratio is taken pair by pair (baseline and --help run in turn), so that it holds
when the shared machine's speed drifts. The demo is built once into a temporary directory.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from bench._util import verdict

RUNS = 7
HELP_RATIO_TARGET = 1.6
KPIS_SECONDS_TARGET = 1.5
BASELINE = [sys.executable, "-c", "import typer, sqlalchemy"]
CLARITY = [sys.executable, "-m", "clarity"]


def _wall(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return perf_counter() - started


def _environment(database: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    return clean | {"CLARITY_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "100"}


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        env = _environment(where / "var" / "clarity.db")
        for command in (BASELINE, [*CLARITY, "--help"]):  # warm-up (and .pyc files)
            _wall(command, env, where)
        pairs = [
            (_wall(BASELINE, env, where), _wall([*CLARITY, "--help"], env, where))
            for _ in range(RUNS)
        ]
        base = statistics.median(b for b, _ in pairs)
        helped = statistics.median(h for _, h in pairs)
        ratio = statistics.median(h / b for b, h in pairs)
        print(f"   python -c 'import typer, sqlalchemy': {base:.2f} s (median of {RUNS})")
        print(
            f"   clarity --help: {helped:.2f} s, {ratio:.2f}× the baseline (median of pairs)  "
            f"[target ≤ {HELP_RATIO_TARGET}×: {verdict(ratio, HELP_RATIO_TARGET)}]"
        )
        started = perf_counter()
        subprocess.run(
            [*CLARITY, "demo", "build"], env=env, cwd=where, check=True, stdout=subprocess.DEVNULL
        )
        print(f"   (built the default demo in {perf_counter() - started:.0f} s)")
        kpis = [*CLARITY, "kpis", "--json"]
        _wall(kpis, env, where)
        pairs = [(_wall(BASELINE, env, where), _wall(kpis, env, where)) for _ in range(RUNS)]
        seconds = statistics.median(k for _, k in pairs)
        ratio = statistics.median(k / b for b, k in pairs)
        print(
            f"   clarity kpis --json on the demo: {seconds:.2f} s ({ratio:.2f}× the baseline)  "
            f"[target ≤ {KPIS_SECONDS_TARGET} s: {verdict(seconds, KPIS_SECONDS_TARGET)}]"
        )
