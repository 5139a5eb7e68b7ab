"""`make validate`: the repeat-purchase model on public data (CDNOW sample, 2,357 customers).

The data ship inside the `lifetimes` wheel (0.11.3); it is downloaded with pip into a temporary
directory at run time and read from the wheel (never committed). Only its data file is used.

Split (Fader, Hardie & Lee 2005): calibration = weeks 1–39 (1997-01-01 … 1997-09-30),
holdout = weeks 40–78 (… 1998-06-30). Purchases on the same day count once; a repeat purchase
is any purchase after the customer's first. Printed: predicted vs actual total holdout repeat
purchases, and the AUC of p_return vs "made a purchase in the holdout", for the combined model
(`tools.clv.RepeatPurchaseModel`) and for the references.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score

from tools.clv import Purchases, RepeatPurchaseModel, dedupe, fit_repeat_model, summarise

WHEEL = "lifetimes==0.11.3"
DATA_FILE = "lifetimes/datasets/CDNOW_sample.txt"
START = date(1997, 1, 1)
CALIBRATION_END_DAY = 272  # 1997-09-30, end of week 39
HOLDOUT_END_DAY = 545  # 1998-06-30, end of week 78


@contextmanager
def cdnow_sample_text() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", tmp],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            yield archive.read(DATA_FILE).decode("ascii")


def parse_cdnow(text: str) -> Purchases:
    """Lines `customer_id id2 yyyymmdd quantity amount` → purchase times in weeks from START."""
    ids: dict[str, int] = {}
    customers, times = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 5:
            raise ValueError(f"{DATA_FILE}, line {line_no}: expected 5 fields, got {len(fields)}")
        raw = fields[2]
        day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        customers.append(ids.setdefault(fields[0], len(ids)))
        times.append((day - START).days / 7)
    return dedupe(Purchases(np.array(customers), np.array(times), len(ids)))


@dataclass(frozen=True)
class Row:
    name: str
    predicted: float | None
    auc: float


def evaluate(purchases: Purchases) -> tuple[int, float, list[Row], RepeatPurchaseModel]:
    cut, end, horizon = CALIBRATION_END_DAY / 7, HOLDOUT_END_DAY / 7, 39.0
    in_range = purchases.time <= end
    purchases = Purchases(
        purchases.customer[in_range], purchases.time[in_range], purchases.n_customers
    )
    s = summarise(purchases, cut, end)
    actual = float(s.later.sum())
    returned = s.later > 0
    calibration = Purchases(
        purchases.customer[purchases.time <= cut],
        purchases.time[purchases.time <= cut],
        purchases.n_customers,
    )
    model = fit_repeat_model(calibration, cut=cut, horizon=horizon)
    p_return, expected = model.predict(s, horizon)
    plain = model.bgnbd
    plain_expected = plain.expected_purchases(horizon, s.x, s.t_x, s.big_t)
    naive = s.x / np.maximum(s.big_t, 1e-9) * horizon
    rows = [
        Row(
            "combined (tools.clv.RepeatPurchaseModel)",
            float(expected.sum()),
            float(roc_auc_score(returned, p_return)),
        ),
        Row(
            "BG/NBD by maximum likelihood (expected purchases)",
            float(plain_expected.sum()),
            float(roc_auc_score(returned, plain_expected)),
        ),
        Row(
            "BG/NBD P(purchase in holdout)",
            None,
            float(roc_auc_score(returned, plain.p_purchase(horizon, s.x, s.t_x, s.big_t))),
        ),
        Row(
            "recency alone (weeks since last purchase)",
            None,
            float(roc_auc_score(returned, -(s.big_t - s.t_x))),
        ),
        Row(
            "naive rate extrapolation (x / T × 39)",
            float(naive.sum()),
            float(roc_auc_score(returned, naive)),
        ),
    ]
    return purchases.n_customers, actual, rows, model


def main() -> int:
    console = Console()
    with cdnow_sample_text() as text:
        purchases = parse_cdnow(text)
    customers, actual, rows, model = evaluate(purchases)
    console.print(
        f"CDNOW sample: {customers:,} customers; calibration weeks 1–39, holdout weeks 40–78; "
        f"actual holdout repeat purchases: {actual:,.0f}"
    )
    b = model.bgnbd
    console.print(
        f"BG/NBD MLE: r={b.r:.3f} α={b.alpha:.2f} a={b.a:.3f} b={b.b:.2f} "
        f"LL={b.log_likelihood:.1f}; drift factor {model.drift:.3f} from "
        f"{len(model.drift_ratios)} internal back-tests; p_return model fitted on weeks "
        f"≤ {39 - model.inner_horizon:.1f} → next {model.inner_horizon:.1f} weeks"
    )
    table = Table(show_edge=False)
    for column in ("model", "predicted", "error", "AUC"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in rows:
        table.add_row(
            row.name,
            "—" if row.predicted is None else f"{row.predicted:,.0f}",
            "—" if row.predicted is None else f"{row.predicted / actual - 1:+.1%}",
            f"{row.auc:.3f}",
        )
    console.print(table)
    combined = rows[0]
    assert combined.predicted is not None
    total_ok = abs(combined.predicted / actual - 1) <= 0.10
    auc_ok = combined.auc >= 0.78
    console.print(
        f"targets: total within ±10% → {'met' if total_ok else 'NOT met'}; "
        f"AUC ≥ 0.78 → {'met' if auc_ok else 'NOT met'}"
    )
    return 0 if total_ok and auc_ok else 1


if __name__ == "__main__":
    sys.exit(main())
