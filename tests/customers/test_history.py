"""The history posteriors: BG/NBD's P(no visit in t days) and the learned Pareto/NBD-style posterior."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from core.customers.clv import BetaGeoModel
from core.customers.history import LifetimePosterior, posterior_features, signup_is_meaningful

HAZARD = 1 / 120  # stops per day of activity, the truth of the synthetic customers below


def _customers(n: int, seed: int, horizon: float = 30.0):
    """Poisson visits (rate 0.04 or 0.3 a day) from the first visit until an exponential stop;
    observed up to T; returns (x repeat visits, t_x, T, no visit in (T, T + horizon])."""
    rng = np.random.default_rng(seed)
    rate = np.where(rng.random(n) < 0.5, 0.04, 0.3)
    stop = rng.exponential(1 / HAZARD, n)
    T = rng.uniform(20, 365, n)
    x, tx, quiet = np.zeros(n), np.zeros(n), np.zeros(n, dtype=int)
    for i in range(n):
        times = np.cumsum(rng.exponential(1 / rate[i], 200))
        times = times[times < stop[i]]
        seen = times[times <= T[i]]
        x[i], tx[i] = len(seen), (seen[-1] if len(seen) else 0.0)
        quiet[i] = int(not np.any((times > T[i]) & (times <= T[i] + horizon)))
    return x, tx, T, quiet


@pytest.fixture(scope="module")
def fitted():
    x, tx, T, quiet = _customers(5000, seed=1)
    return LifetimePosterior(hazard_edges=(0.0, 60.0, 180.0), random_state=0).fit(x, tx, T), (x, tx, T, quiet)


def test_learns_the_stopping_hazard_and_the_two_rates(fitted):
    model, _ = fitted
    assert model.hazard_[:2] == pytest.approx([HAZARD, HAZARD], rel=0.3)
    low, high = model.rates_ < 0.1, model.rates_ > 0.12
    assert model.prior_[low].sum() == pytest.approx(0.5, abs=0.1)
    assert model.prior_[high].sum() == pytest.approx(0.5, abs=0.1)
    assert model.n_iter_ >= 2 and np.isfinite(model.log_likelihood_)


def test_no_visit_probability_is_calibrated_and_beats_recency_on_new_customers(fitted):
    model, _ = fitted
    x, tx, T, quiet = _customers(4000, seed=2)  # customers the model was not fitted on
    out = model.predict(30, x, tx, T)
    assert np.all((out["no_visit"] >= 0) & (out["no_visit"] <= 1))
    assert np.all(out["no_visit"] >= 1 - out["alive"] - 1e-9)  # stopped customers never visit
    assert out["no_visit"].mean() == pytest.approx(quiet.mean(), abs=0.02)
    high = out["no_visit"] > 0.8
    assert out["no_visit"][high].mean() == pytest.approx(quiet[high].mean(), abs=0.04)
    assert roc_auc_score(quiet, out["no_visit"]) > roc_auc_score(quiet, T - tx) + 0.005


def test_a_later_entry_counts_only_visits_seen_since(fitted):
    model, (x, tx, T, _) = fitted
    some = x[:200] > 2
    base = model.predict(30, x[:200], tx[:200], T[:200])["rate"]
    # the same visits seen over a shorter stretch mean a higher rate
    shorter = model.predict(30, x[:200], tx[:200], T[:200], entry=tx[:200] / 2)["rate"]
    assert np.all(shorter[some] > base[some])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="at least 50 customers"):
        LifetimePosterior().fit([1, 2], [3, 4], [5, 6])
    with pytest.raises(ValueError, match="recency"):
        LifetimePosterior().fit(np.ones(60), np.full(60, 10.0), np.full(60, 5.0))


def test_bgnbd_no_visit_is_the_gamma_poisson_zero_for_active_customers():
    x, tx, T, _ = _customers(3000, seed=3)
    table = pd.DataFrame({"frequency": x, "recency": np.where(x > 0, tx, 0.0), "T": T})
    model = BetaGeoModel().fit(table)
    p = model.params_
    no_visit = model.probability_no_visit(table, 30)
    alive = model.probability_alive(table)
    # an active customer's rate is Gamma(r + x, alpha + T): P(0 visits in t) = E[exp(-lambda t)]
    rng = np.random.default_rng(0)
    i = int(np.argmax(x))
    lam = rng.gamma(p["r"] + x[i], 1 / (p["alpha"] + T[i]), 400_000)
    expected = (1 - alive[i]) + alive[i] * np.exp(-lam * 30).mean()
    assert no_visit[i] == pytest.approx(expected, abs=0.003)
    assert np.all(no_visit >= 1 - alive - 1e-12) and np.all(no_visit <= 1)
    assert np.all(model.probability_no_visit(table, 60) <= no_visit + 1e-12)
    # the wait to the next visit: its quantiles match the same Gamma mixture of exponentials
    lo, mid, hi = model.wait_quantiles(table.iloc[[i]], [0.1, 0.5, 0.9])[0]
    waits = rng.exponential(1 / lam)
    assert (waits <= lo).mean() == pytest.approx(0.1, abs=0.005)
    assert (waits <= mid).mean() == pytest.approx(0.5, abs=0.005)
    assert (waits <= hi).mean() == pytest.approx(0.9, abs=0.005)
    with pytest.raises(ValueError, match="between 0 and 1"):
        model.wait_quantiles(table, [0.0])


def test_posterior_features_from_a_feature_frame():
    x, tx, T, _ = _customers(400, seed=4)
    cutoff = datetime(2025, 6, 1, tzinfo=timezone.utc)
    frame = pd.DataFrame({"frequency": x + 1, "recency_days": T - tx, "tenure_days": T, "days_since_signup": T,
                          "booked_ahead": np.r_[1, np.zeros(399)]}, index=np.arange(400) + 1)
    out = posterior_features(frame, cutoff=cutoff, data_start=cutoff - timedelta(days=400), horizon_days=30)
    assert list(out.index) == list(frame.index)
    assert out.loc[1, "posterior_no_visit"] == 0.0  # a booking made for after the cutoff
    assert out["posterior_no_visit"].between(0, 1).all() and (out["posterior_weekly_rate"] > 0).all()
    assert out.attrs["origin"] == "signup"
    with pytest.raises(ValueError, match="booked_ahead"):
        posterior_features(frame.drop(columns="booked_ahead"), cutoff=cutoff, data_start=cutoff, horizon_days=30)


def test_bulk_imported_sign_ups_fall_back_to_the_first_visit():
    x, tx, T, quiet = _customers(600, seed=5)
    cutoff = datetime(2025, 6, 1, tzinfo=timezone.utc)
    frame = pd.DataFrame({"frequency": x + 1, "recency_days": T - tx, "tenure_days": T, "days_since_signup": T,
                          "booked_ahead": np.zeros(600)})
    assert signup_is_meaningful(frame)
    imported = frame.assign(days_since_signup=3.0)  # every account created in one import, after the visits
    late = frame.assign(days_since_signup=np.where(np.arange(600) < 60, T / 2, T))  # a tenth signed up late
    assert not signup_is_meaningful(imported) and not signup_is_meaningful(late)
    out = posterior_features(imported, cutoff=cutoff, data_start=cutoff - timedelta(days=400), horizon_days=30)
    assert out.attrs["origin"] == "first"
    same = posterior_features(frame, cutoff=cutoff, data_start=cutoff - timedelta(days=400), horizon_days=30,
                              origin="first")
    np.testing.assert_allclose(out.to_numpy(), same.to_numpy())
    assert roc_auc_score(quiet, out["posterior_no_visit"]) > 0.7


def test_booked_ahead_counts_bookings_made_before_the_cutoff_for_after_it(engine, demo):
    from core.customers.features import _frame, data_end

    cutoff = data_end(engine) - timedelta(hours=6)
    got = _frame(engine, "customers/booked_ahead", {"cutoff": cutoff}).set_index("user_id")["booked_ahead"]
    b = pd.read_sql("select user_id, start_time, created_at from bookings", engine)
    ahead = b[(b.start_time >= cutoff) & (b.created_at < cutoff)].groupby("user_id").size()
    assert len(ahead) > 0
    assert got.sort_index().astype(int).to_dict() == ahead.sort_index().astype(int).to_dict()


def test_the_posterior_alone_as_a_churn_model():
    """PosteriorChurn: scikit-learn's contract, and it ranks customers exactly as the posterior does."""
    from sklearn.base import clone

    from core.customers.history import PosteriorChurn

    x, tx, T, quiet = _customers(3000, seed=6)
    model = LifetimePosterior(hazard_edges=(0.0, 60.0, 180.0)).fit(x, tx, T)
    frame = pd.DataFrame({"posterior_no_visit": model.predict(30, x, tx, T)["no_visit"], "other": 1.0})
    churn = PosteriorChurn(random_state=3)
    assert not any(name.endswith("_") for name in vars(churn))
    assert churn.fit(frame, quiet) is churn and churn.feature_names_ == ["posterior_no_visit"]
    p = churn.predict_proba(frame)[:, 1]
    assert roc_auc_score(quiet, p) == pytest.approx(roc_auc_score(quiet, frame.posterior_no_visit), abs=1e-12)
    assert p.mean() == pytest.approx(quiet.mean(), abs=0.01)
    assert churn.churn_risk(frame).between(0, 100).all()
    np.testing.assert_allclose(clone(churn).fit(frame, quiet).predict_proba(frame)[:, 1], p)
    with pytest.raises(ValueError, match="lacks"):
        churn.predict_proba(frame.drop(columns="posterior_no_visit"))
