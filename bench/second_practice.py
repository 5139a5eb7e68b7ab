"""The detectors on a practice we did not shape them on (issue 14 acceptance).

A second practice (`store.demo.variant`: another seed, 6 locations, 20 months, its own no-show
mechanism with confirmations, deposits and an evening × unconfirmed interaction) on SQLite:

- no-show risk on a time split: fit as of T − 56 days, score the completed/no-show
  appointments of (T − 56, T]: AUC and Brier of logistic vs boosting, which one the model's
  own back-test chose, and calibration per location (mean predicted vs observed, points);
- scoring a week with `score_upcoming(start, end)` in a fresh process: one fit, its peak RSS
  (not tracemalloc: tracing numpy and scikit-learn slowed the fit tenfold), for the store's
  appointments (~100k with the default size);
- at-risk on the same practice made sales-only (appointments deleted): as of T − 90 days,
  predicted repeat visits (Σ expected_visits over every scored patient, horizon 90) vs the
  actual purchase days in (T − 90, T].

`CLARITY_BENCH_SECOND_PATIENTS` sets the size (default 30,000 patients: ~100k appointments).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from time import perf_counter

import numpy as np
from sqlalchemy import func, select

from bench._util import verdict
from store import tables as t
from store.db import make_engine
from store.demo.variant import build_second_practice, sales_only, second_practice_config
from store.migrate import upgrade
from tools.at_risk import at_risk_patients
from tools.no_show_risk import fit_no_show_model, load_history

TEST_DAYS = 56
HOLDOUT_DAYS = 90


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def run() -> None:
    patients = int(os.environ.get("CLARITY_BENCH_SECOND_PATIENTS", "30000"))
    config = second_practice_config(patients=patients)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'second.db'}")
        upgrade(engine)
        started = perf_counter()
        redrawn = build_second_practice(engine, config)
        print(
            f"   second practice: seed {config.seed}, {patients:,} patients, 6 locations, "
            f"{config.days} days; {redrawn.appointments:,} appointments, "
            f"{redrawn.no_shows:,} no-shows redrawn ({perf_counter() - started:.0f} s to build)"
        )
        _no_show(engine, config.as_of)
        _at_risk_sales_only(engine, config.as_of)
        engine.dispose()


def _no_show(engine, as_of) -> None:  # type: ignore[no-untyped-def]
    cut = as_of - timedelta(days=TEST_DAYS)
    rows = load_history(engine, cut, as_of)
    test = np.isin(rows.status, ("completed", "no_show")) & np.array(
        [cut < d <= as_of for d in rows.day], dtype=bool
    )
    y = (rows.status[test] == "no_show").astype(float)
    print(f"   no-show, fit as of {cut}, tested on {int(test.sum()):,} visits of the next 56 days")
    for kind in ("logistic", "boosting"):
        model = fit_no_show_model(rows, cut, kind=kind)
        p = model.predict(rows, test)
        print(
            f"   {kind:>9}: AUC {_auc(y, p):.3f}  Brier {float(np.mean((p - y) ** 2)):.4f}  "
            f"(constant rate: Brier {float(np.mean((y.mean() - y) ** 2)):.4f})"
        )
    chosen = fit_no_show_model(rows, cut)
    assert chosen.backtest is not None
    bt = chosen.backtest
    print(
        f"   model's own back-test (last 60 days before the cut): Brier logistic "
        f"{bt.brier['logistic']:.4f}, boosting {bt.brier['boosting']:.4f} → chose {bt.chosen}"
    )
    p = chosen.predict(rows, test)
    print("   calibration of the chosen model on the 56 test days (points = percentage points):")
    worst = 0.0
    for location in sorted(set(int(v) for v in rows.location[test])):
        at = rows.location[test] == location
        before, after, fitted_obs = bt.calibration.get(location, (np.nan, np.nan, np.nan))
        gap = 100 * (float(p[at].mean()) - float(y[at].mean()))
        worst = max(worst, abs(gap))
        # 95 % sampling half-width of the observed rate: how far chance alone moves it.
        noise = 196 * float(np.sqrt(y[at].mean() * (1 - y[at].mean()) / at.sum()))
        print(
            f"     location {location}: predicted {p[at].mean():.1%} vs observed "
            f"{y[at].mean():.1%} ± {noise:.1f} ({gap:+.1f} points); on the back-test "
            f"{before:.1%} → {after:.1%} vs {fitted_obs:.1%}"
        )
    print(
        f"   overall: predicted {p.mean():.1%} vs observed {y.mean():.1%}; worst location "
        f"{worst:.1f} points  [target ≤ 1 point on the back-test: "
        f"{verdict(max(abs(b[1] - b[2]) for b in bt.calibration.values()) * 100, 1.0)}]"
    )
    with engine.connect() as conn:
        n_appointments = conn.execute(select(func.count()).select_from(t.appointment)).scalar()
    # Scoring in a fresh process: its peak RSS is the scoring's own (this one built the store).
    child = subprocess.run(
        [sys.executable, "-c", _SCORE_A_WEEK, str(engine.url.database), as_of.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    week, first, again, cached, rss = child.stdout.split()
    print(
        f"   a week of bookings ({week}) scored in {float(first):.1f} s with one fit; a day "
        f"after that (cached model) in {float(cached):.2f} s ({again} bookings); store holds "
        f"{n_appointments:,} appointments; scoring process: peak RSS {float(rss):.0f} MiB  "
        f"[target ≤ 500 MB: {verdict(float(rss), 500)}]"
    )


_SCORE_A_WEEK = """
import sys
from datetime import date, timedelta
from time import perf_counter
from bench._util import peak_rss_mb
from store.db import make_engine
from tools.no_show_risk import score_upcoming
engine = make_engine(f"sqlite:///{sys.argv[1]}")
as_of = date.fromisoformat(sys.argv[2])
started = perf_counter()
week = score_upcoming(
    engine, as_of=as_of, start=as_of + timedelta(days=1), end=as_of + timedelta(days=7)
)
first = perf_counter() - started
started = perf_counter()
again = score_upcoming(engine, as_of=as_of, day=as_of + timedelta(days=2))
cached = perf_counter() - started
sys.stdout.write(f"{len(week)} {first} {len(again)} {cached} {peak_rss_mb()}\\n")
"""


def _at_risk_sales_only(engine, as_of) -> None:  # type: ignore[no-untyped-def]
    sales_only(engine)
    cut = as_of - timedelta(days=HOLDOUT_DAYS)
    started = perf_counter()
    scored = at_risk_patients(engine, as_of=cut, include_all=True, horizon_days=HOLDOUT_DAYS)
    seconds = perf_counter() - started
    predicted = sum(r.expected_visits for r in scored)
    ids = {r.patient_id for r in scored}
    s = t.sale
    with engine.connect() as conn:
        days = conn.execute(
            select(s.c.patient_id, s.c.local_date)
            .where(
                s.c.patient_id.is_not(None),
                s.c.gross_cents > 0,
                s.c.local_date > cut,
                s.c.local_date <= as_of,
            )
            .distinct()
        ).all()
    actual = sum(1 for pid, _ in days if pid in ids)
    error = (predicted - actual) / actual if actual else float("nan")
    print(
        f"   at-risk, sales-only practice: {len(scored):,} patients scored as of {cut} in "
        f"{seconds:.1f} s; predicted {predicted:,.0f} repeat visits in the next "
        f"{HOLDOUT_DAYS} days vs {actual:,} actual purchase days ({error:+.1%})"
    )
