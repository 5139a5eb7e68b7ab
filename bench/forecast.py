"""Forecast back-test per location: MAPE of the cycle forecast and of a trailing average.

Builds the demo practice in a temporary SQLite file (`CLARITY_BENCH_PATIENTS`, default 15,000)
unless `CLARITY_BENCH_DATABASE_URL` names a store that has one, then back-tests the six
complete months before its last day, for the organization and for each location.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from store.db import make_engine
from store.scope import last_activity_day
from tools.forecast import backtest


def run() -> None:
    url = os.environ.get("CLARITY_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        if url is None:
            from sqlmodel import SQLModel

            from store.demo import DemoConfig, build_demo

            url = f"sqlite:///{Path(folder) / 'demo.db'}"
            engine = make_engine(url)
            SQLModel.metadata.create_all(engine)
            patients = int(os.environ.get("CLARITY_BENCH_PATIENTS", "15000"))
            build_demo(engine, DemoConfig(patients=patients))
        else:
            engine = make_engine(url)
        as_of = last_activity_day(engine, 1)
        assert as_of is not None, "the store has no activity"
        result = backtest(engine, organization_id=1, as_of=as_of)
        print(f"   back-test of the 6 months before {as_of} (forecast as of the day before each)")
        print(
            f"   organization: MAPE forecast {result.mape_forecast:.1%}, "
            f"trailing average {result.mape_trailing:.1%}"
        )
        for loc in result.by_location:
            print(
                f"   location {loc.location_id}: MAPE forecast {loc.mape_forecast:.1%}, "
                f"trailing average {loc.mape_trailing:.1%}"
            )
        engine.dispose()
