"""At-risk from any history (issue 14, item 6), on SQLite and PostgreSQL.

- A point-of-sale-only practice (sales, no appointments): purchase days are the visits.
- `--all` lists every scored patient and `--limit` is honoured with or without it.
- `expected_visits ≥ p_return` for every customer (hypothesis property over purchase logs).
- `make validate` (evals.validate_clv) and the CLI fit the model through one function.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert
from typer.testing import CliRunner, Result

from store import tables as t
from tools.at_risk import at_risk_patients
from tools.clv import Purchases, RepeatPurchaseModel, fit_repeat_model, summarise

AS_OF = date(2026, 11, 20)
ANN = 1  # the hand-checked patient
StoreCli = tuple[Engine, Callable[..., Result]]
ANN_DAYS = [date(2026, 4, 2), date(2026, 5, 2), date(2026, 6, 1)]


def _sales_only_practice(engine: Engine, n_patients: int = 80) -> None:
    """One location, patients who only ever bought (no appointment rows). Ann bought every
    30 days up to June 1; a refund-only line (gross 0) on Nov 1 is not a visit. The other
    patients buy at seeded random days over two years."""
    rng = np.random.default_rng(7)
    sales: list[dict] = []

    def sale(pid: int, day: date, gross: int) -> None:
        paid = datetime(day.year, day.month, day.day, 17, tzinfo=UTC)
        sales.append(
            dict(
                id=len(sales) + 1,
                patient_id=pid,
                location_id=1,
                item="Retinol serum",
                kind="product",
                gross_cents=gross,
                net_cents=gross,
                paid_at=paid,
                local_date=day,
            )
        )

    for day in ANN_DAYS:
        sale(ANN, day, 12_000)
    sale(ANN, date(2026, 11, 1), 0)
    for pid in range(2, n_patients + 1):
        first = AS_OF - timedelta(days=int(rng.integers(60, 700)))
        gap = int(rng.integers(20, 200))
        day = first
        while day <= AS_OF:
            sale(pid, day, int(rng.integers(2_000, 40_000)))
            day += timedelta(days=gap + int(rng.integers(-10, 10)))
    with engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=1, name="Shop", slug="shop"))
        conn.execute(insert(t.location).values(id=1, organization_id=1, name="Shop 1"))
        conn.execute(
            insert(t.patient),
            [
                dict(id=p, home_location_id=1, first_name=f"F{p}", last_name="L")
                for p in range(1, n_patients + 1)
            ],
        )
        conn.execute(insert(t.sale), sales)


def test_purchase_days_are_the_visits_of_a_sales_only_practice(engine: Engine) -> None:
    _sales_only_practice(engine)
    listed = at_risk_patients(engine, as_of=AS_OF, organization_id=1)
    ann = next(r for r in listed if r.patient_id == ANN)
    # Last purchase June 1 (the Nov 1 refund line is not a visit); gaps 30, 30 days → own
    # cadence 30 × 1.25 = 37.5 < the 90-day default for a visit without a service interval;
    # June 1 → Nov 20 is 172 days, so 172 − 90 = 82 days overdue; next expected June 1 + 30.
    assert ann.last_visit == date(2026, 6, 1)
    assert ann.days_overdue == 82
    assert ann.expected_next_visit == date(2026, 7, 1)
    assert ann.last_treatment == "visit"
    assert ann.trailing_12m_value == 360.0


def test_all_lists_every_scored_patient_and_limit_is_honoured(engine: Engine) -> None:
    _sales_only_practice(engine, n_patients=80)
    flagged = at_risk_patients(engine, as_of=AS_OF, organization_id=1, limit=1000)
    everyone = at_risk_patients(engine, as_of=AS_OF, organization_id=1, include_all=True)
    assert len(everyone) == 80  # every patient bought at least once
    assert len(flagged) < 80  # only the overdue or drifting ones, whatever the limit
    assert {r.patient_id for r in flagged} <= {r.patient_id for r in everyone}
    assert len(at_risk_patients(engine, as_of=AS_OF, include_all=True, limit=7)) == 7
    stakes = [r.dollars_at_stake for r in everyone]
    assert stakes == sorted(stakes, reverse=True)
    assert all(r.expected_visits >= r.p_return for r in everyone)


def test_cli_all_and_limit_on_a_sales_only_practice(store_cli: StoreCli) -> None:
    engine, run = store_cli
    _sales_only_practice(engine, n_patients=40)
    every = run("at-risk", "--all", "--json")
    assert every.exit_code == 0, every.stderr
    assert len(json.loads(every.stdout)) == 40
    assert len(json.loads(run("at-risk", "--all", "--limit", "3", "--json").stdout)) == 3
    default = json.loads(run("at-risk", "--json").stdout)
    assert len(default) <= 25


@pytest.fixture
def store_cli(
    bare_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, Callable[..., Result]]]:
    """A migrated empty store and `clarity ARGS…` run in-process against it."""
    from clarity.cli import app
    from clarity.settings import get_settings
    from store.migrate import upgrade
    from tests.clarity.test_cli_scope import _url

    upgrade(bare_engine)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CLARITY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLARITY_DATABASE_URL", _url(bare_engine))
    get_settings.cache_clear()
    runner = CliRunner()
    yield bare_engine, lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_empty_store_says_why_the_list_is_empty(store_cli: StoreCli) -> None:
    engine, run = store_cli
    with engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=1, name="Shop", slug="shop"))
        conn.execute(insert(t.location).values(id=1, organization_id=1, name="Shop 1"))
        conn.execute(
            insert(t.sale).values(
                id=1,
                location_id=1,
                item="walk-in",
                gross_cents=100,
                net_cents=100,
                paid_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
                local_date=AS_OF,
            )
        )
    result = run("at-risk")
    assert result.exit_code == 0, result.stderr
    assert "no patient history up to 2026-11-20" in result.stdout


# ------------------------------------------------------------------ expected ≥ p_return

_logs = st.lists(
    st.lists(st.integers(min_value=0, max_value=720), min_size=1, max_size=12),
    min_size=30,
    max_size=120,
)


@settings(max_examples=40, deadline=None)
@given(days=_logs, horizon=st.sampled_from([30, 90, 180]))
def test_expected_visits_is_never_below_p_return(days: list[list[int]], horizon: int) -> None:
    customers = np.array([c for c, ds in enumerate(days) for _ in ds])
    times = np.array([float(d) for ds in days for d in ds])
    log = Purchases(customers, times, len(days))
    cut = 720.0
    try:
        model = fit_repeat_model(log, cut=cut, horizon=float(horizon))
    except ValueError:
        return  # a log the model refuses to fit (e.g. one class only) is not this property
    p_return, expected = model.predict(summarise(log, cut), float(horizon))
    assert np.all(expected >= p_return)


def test_validate_and_the_cli_fit_through_one_function() -> None:
    import evals.validate_clv as validate
    import tools.at_risk as at_risk

    assert validate.fit_repeat_model is fit_repeat_model
    assert at_risk.fit_repeat_model is fit_repeat_model
    # And `evaluate` (make validate's figures) = fit_repeat_model's predictions on a log.
    rng = np.random.default_rng(3)
    customers = np.repeat(np.arange(300), 4)
    times = rng.uniform(0, 78, size=customers.size)
    n, _actual, rows, model = validate.evaluate(Purchases(customers, times, 300))
    cut, end = validate.CALIBRATION_END_DAY / 7, validate.HOLDOUT_END_DAY / 7
    keep = times <= cut
    direct = fit_repeat_model(Purchases(customers[keep], times[keep], 300), cut=cut, horizon=39.0)
    s = summarise(Purchases(customers, times, 300), cut, end)
    assert rows[0].predicted == pytest.approx(float(direct.predict(s, 39.0)[1].sum()))
    assert isinstance(model, RepeatPurchaseModel) and n == 300
