"""Demo build: time and database size of the default demo practice (targets 60 s, 300 MB)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from time import perf_counter

from bench._util import peak_rss_mb, verdict
from store.db import make_engine
from store.demo import DemoConfig, build_demo
from store.migrate import upgrade


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        started = perf_counter()
        build_demo(engine, DemoConfig())
        seconds = perf_counter() - started
        engine.dispose()
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    print(
        f"   demo build (15,000 patients, SQLite): {seconds:.1f} s  [target ≤ 60 s: "
        f"{verdict(seconds, 60)}]"
    )
    print(f"   demo database size: {size_mb:.1f} MB  [target ≤ 300 MB: {verdict(size_mb, 300)}]")
    print(f"   peak RSS: {peak_rss_mb():.0f} MiB")
