"""At-risk scoring of 100,000 patients (target ≤ 20 s): a 100k-patient demo practice on SQLite."""

from __future__ import annotations

import tempfile
from pathlib import Path
from time import perf_counter

from bench._util import peak_rss_mb, verdict
from store.db import make_engine
from store.demo import DemoConfig, build_demo
from store.migrate import upgrade
from tools.at_risk import at_risk_patients

PATIENTS = 100_000


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        started = perf_counter()
        config = DemoConfig(patients=PATIENTS)
        build_demo(engine, config)
        print(f"   (built a {PATIENTS:,}-patient demo in {perf_counter() - started:.0f} s)")
        started = perf_counter()
        rows = at_risk_patients(engine, as_of=config.as_of)
        seconds = perf_counter() - started
        engine.dispose()
    print(
        f"   at-risk scoring of {PATIENTS:,} patients: {seconds:.1f} s, {len(rows):,} listed  "
        f"[target ≤ 20 s: {verdict(seconds, 20)}]"
    )
    print(f"   peak RSS: {peak_rss_mb():.0f} MiB")
