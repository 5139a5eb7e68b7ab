"""The BG/NBD fit and the combined repeat-purchase model on synthetic data with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from tools.clv import (
    BgNbd,
    Purchases,
    RepeatPurchaseModel,
    fit_logistic,
    simulate_bgnbd,
    summarise,
)


def test_closed_forms_by_hand() -> None:
    model = BgNbd(r=1.0, alpha=1.0, a=1.0, b=3.0)
    x, t_x, big_t = np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0])
    # No repeat purchase: alive for sure (BG/NBD drops out only after a purchase).
    # One repeat at T: odds of being dead = a / (b + x − 1) × ((α+T)/(α+t_x))^(r+x) = 1/3 · 1
    # → P(alive) = 1 / (1 + 1/3) = 0.75.
    assert model.p_alive(x, t_x, big_t).tolist() == pytest.approx([1.0, 0.75])
    # P(buy in the next t=2 | x=0, T=1) = 1 − ((α+T)/(α+T+t))^(r+x) = 1 − 2/4 = 0.5;
    # for x=1: 0.75 × (1 − (2/4)^2) = 0.5625.
    assert model.p_purchase(2.0, x, t_x, big_t).tolist() == pytest.approx([0.5, 0.5625])


def test_expected_purchases_match_simulation() -> None:
    """E[Y(t)] for brand-new customers (x = 0, T = 0) against a Monte-Carlo average."""
    truth = BgNbd(r=0.8, alpha=6.0, a=1.5, b=4.0)
    x, _, _ = simulate_bgnbd(truth, 20_000, 26.0, seed=5)
    expected = truth.expected_purchases(26.0, np.zeros(1), np.zeros(1), np.zeros(1))[0]
    assert expected == pytest.approx(x.mean(), rel=0.04)


def test_fit_recovers_known_parameters() -> None:
    truth = BgNbd(r=0.6, alpha=8.0, a=0.9, b=3.0)
    x, t_x, big_t = simulate_bgnbd(truth, 6_000, 60.0, seed=1)
    fitted = BgNbd.fit(x, t_x, big_t)
    assert fitted.r == pytest.approx(truth.r, rel=0.15)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.2)
    assert fitted.a == pytest.approx(truth.a, rel=0.35)
    assert fitted.b == pytest.approx(truth.b, rel=0.45)
    # The fitted parameters explain the data at least as well as the truth.
    ll_truth = BgNbd.log_likelihood_terms(np.array([0.6, 8.0, 0.9, 3.0]), x, t_x, big_t).sum()
    assert fitted.log_likelihood >= ll_truth


def test_fit_rejects_impossible_summaries() -> None:
    with pytest.raises(ValueError, match="t_x ≤ T"):
        BgNbd.fit(np.array([1.0]), np.array([5.0]), np.array([2.0]))


def _log(truth: BgNbd, n: int, span: float, seed: int) -> Purchases:
    """Purchase times of `n` BG/NBD customers whose first purchases spread over [0, span/3]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(truth.r, 1 / truth.alpha, n)
    p = rng.beta(truth.a, truth.b, n)
    cust, times = [], []
    for i in range(n):
        now = rng.uniform(0, span / 3)
        cust.append(i)
        times.append(now)
        while True:
            now += rng.exponential(1 / lam[i])
            if now > span:
                break
            cust.append(i)
            times.append(now)
            if rng.random() < p[i]:
                break
    return Purchases(np.array(cust), np.array(times), n)


def test_combined_model_predicts_the_holdout_of_a_stationary_population() -> None:
    """On data that follow BG/NBD exactly, drift ≈ 1, the total is right and p_return ranks."""
    truth = BgNbd(r=0.5, alpha=5.0, a=0.8, b=2.5)
    log = _log(truth, 4_000, 78.0, seed=2)
    calibration = Purchases(log.customer[log.time <= 39], log.time[log.time <= 39], 4_000)
    model = RepeatPurchaseModel.fit(calibration, cut=39.0, horizon=39.0, drift_cuts=5)
    holdout = summarise(log, 39.0, 78.0)
    p_return, expected = model.predict(holdout, 39.0)
    assert model.drift == pytest.approx(1.0, abs=0.15)
    assert expected.sum() == pytest.approx(holdout.later.sum(), rel=0.15)
    returned = holdout.later > 0

    def auc(score: np.ndarray) -> float:
        """P(score of a returner > score of a non-returner), by definition."""
        return float((score[returned][:, None] > score[~returned][None, :]).mean())

    # Nothing ranks much better than the true model's own P(purchase) (here ≈ 0.72).
    oracle = auc(truth.p_purchase(39.0, holdout.x, holdout.t_x, holdout.big_t))
    assert auc(p_return) >= oracle - 0.02
    assert auc(p_return) > 0.65


def test_logistic_fit_by_hand_and_as_scikit_learn_fits_it() -> None:
    # Four points, no features: only the intercept, unpenalised → log-odds of the labels' share.
    # 3 of 4 labels true → b = log(3/1). The solver stops once |gradient| = |σ(b) − 3/4| < 1e-4,
    # and σ' = 3/16 there, so b is within 1e-4 / (3/16) ≈ 5.3e-4 of log 3.
    coef, intercept = fit_logistic(np.zeros((4, 0)), np.array([True, True, True, False]))
    assert coef.shape == (0,)
    assert intercept == pytest.approx(np.log(3.0), abs=5.4e-4)
    # Against scikit-learn's LogisticRegression(C=1) (lbfgs) on a noisy two-feature problem.
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2))
    y = (x @ np.array([1.5, -0.75]) + 0.3 + rng.logistic(size=400)) > 0
    reference = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    coef, intercept = fit_logistic(x, y)
    assert coef == pytest.approx(reference.coef_[0], abs=1e-9)
    assert intercept == pytest.approx(float(reference.intercept_[0]), abs=1e-9)
    # A stronger penalty (smaller c) shrinks the weights.
    shrunk, _ = fit_logistic(x, y, c=0.01)
    assert np.all(np.abs(shrunk) < np.abs(coef))
