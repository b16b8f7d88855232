"""What a customer's visit history says about the next N days: posterior scores for the churn model.

(BG/NBD's own probability of no visit in the next t days given the history is
`core.customers.clv.BetaGeoModel.probability_no_visit`; it is a baseline and not a feature here.)

* `LifetimePosterior` is a Pareto/NBD-style model with both mixing distributions learned from the
  chain's own customers, not assumed: while active, a customer visits as a Poisson process with rate
  lambda (a discrete distribution on a log grid), and stops at an unseen age after the first visit with
  a piecewise-constant hazard. Both are fitted by EM on (x, t_x, T). Given a history it gives
  P(no visit in the next t days), P(active now) and the expected rate while active.

* `posterior_features` fits it on the customers at one cutoff and gives the churn model three
  columns (POSTERIOR_COLUMNS). Ages count from the sign-up when the chain's sign-up dates mean
  something, else from the first visit (`signup_is_meaningful`: bulk-imported accounts share one
  sign-up instant, or signed up after they first came).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

# ages (days since the first visit or the sign-up) where the stopping hazard may change
HAZARD_EDGES = (0.0, 7.0, 14.0, 30.0, 60.0, 90.0, 135.0, 180.0, 270.0, 365.0, 540.0, 720.0, 900.0)
POSTERIOR_COLUMNS = ["posterior_no_visit", "posterior_active", "posterior_weekly_rate"]
NEEDS = ["frequency", "recency_days", "tenure_days", "days_since_signup", "booked_ahead"]


def signup_is_meaningful(features: pd.DataFrame, *, shared_share: float = 0.2, late_share: float = 0.05) -> bool:
    """Whether sign-up dates can be the origin of a customer's lifetime: False when more than
    `shared_share` of customers share one sign-up moment (a bulk import) or more than `late_share`
    signed up over a day after their first visit (accounts created later than the custom)."""
    signup = features["days_since_signup"].to_numpy(float)
    if len(signup) == 0:
        return False
    shared = pd.Series(np.round(signup, 4)).value_counts().iloc[0] / len(signup)
    late = np.mean(signup < features["tenure_days"].to_numpy(float) - 1.0)
    return bool(shared <= shared_share and late <= late_share)


def posterior_inputs(features: pd.DataFrame, *, cutoff: datetime, data_start: datetime,
                     origin: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T, entry) in days for LifetimePosterior from customer features.

    origin 'signup': ages from the sign-up (or the first visit, if that came first); the history is on
    record from `data_start`, so a customer who signed up before it entered the data already active,
    and x counts every visit (bookings that took place). origin 'first': ages from the first visit,
    x counts the visits after it.
    """
    rec = features["recency_days"].to_numpy(float)
    visits = features["frequency"].to_numpy(float)
    if origin == "first":
        T = features["tenure_days"].to_numpy(float)
        return visits - 1, np.clip(T - rec, 0.0, T), T, np.zeros(len(T))
    if origin != "signup":
        raise ValueError(f"origin must be 'signup' or 'first', got {origin!r}")
    span = (pd.Timestamp(cutoff) - pd.Timestamp(data_start)).total_seconds() / 86400
    T = np.maximum(features["days_since_signup"].to_numpy(float), features["tenure_days"].to_numpy(float))
    return visits, np.clip(T - rec, 0.0, T), T, np.maximum(0.0, T - span)


def posterior_features(features: pd.DataFrame, *, cutoff: datetime, data_start: datetime, horizon_days: int,
                       origin: str | None = None, random_state: int | None = 0) -> pd.DataFrame:
    """The learned posterior for the customers at one cutoff, fitted on them (nothing after the cutoff).

    `origin` is 'signup' or 'first' (see `posterior_inputs`); None picks 'signup' when
    `signup_is_meaningful`. Returns, indexed like `features`: posterior_no_visit (P(no visit in the
    next `horizon_days`), 0 with a booking already made for after the cutoff), posterior_active
    (P(still a customer now)), posterior_weekly_rate (expected visits per week while active). The
    origin used is in the frame's `attrs["origin"]`.
    """
    missing = [c for c in NEEDS if c not in features.columns]
    if missing:
        raise ValueError(f"features lack the columns the posterior needs: {', '.join(missing)}")
    origin = origin or ("signup" if signup_is_meaningful(features) else "first")
    x, tx, T, entry = posterior_inputs(features, cutoff=cutoff, data_start=data_start, origin=origin)
    post = LifetimePosterior(random_state=random_state).fit(x, tx, T, entry).predict(horizon_days, x, tx, T, entry)
    booked = features["booked_ahead"].to_numpy(float) > 0
    out = pd.DataFrame({"posterior_no_visit": np.where(booked, 0.0, post["no_visit"]),
                        "posterior_active": np.where(booked, 1.0, post["alive"]),
                        "posterior_weekly_rate": post["rate"] * 7}, index=features.index)
    out.attrs["origin"] = origin
    return out


def _bin_mean_decay(lam: np.ndarray, start: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of exp(-lam (u - start)) over u in [lo, hi]; shapes broadcast (lam last)."""
    width = np.maximum(hi - lo, 1e-12)
    z = lam * width
    inner = np.where(z > 1e-8, -np.expm1(-z) / np.maximum(z, 1e-300), 1.0)
    return np.exp(-lam * (lo - start)) * inner


class LifetimePosterior(BaseEstimator):
    """Poisson visits at rate lambda while active; a stop at an unseen age; both mixes learned by EM.

    Ages are days from each customer's origin (their first visit, or their sign-up when the chain records
    it). Inputs per customer: x visits seen after `entry` (the age from which their history is on record;
    0 when it starts at the origin), t_x the age at the last visit, T the age at the cutoff.

    Parameters
    ----------
    rates : points of the rate grid (visits per day, log-spaced from 1e-3 to 3).
    hazard_edges : ages in days where the stopping hazard may change; the last one is open-ended.
    bins : sub-intervals of (t_x, T] over which the stop moment is integrated.
    max_iter, tol : EM iterations and the change in mean log-likelihood at which to stop.
    max_customers : customers sampled for the fit (all are scored).
    random_state : seed for that sample.

    Attributes
    ----------
    rates_ : the rate grid; prior_ : its learned weights.
    hazard_ : the learned stopping hazard per day in each age interval.
    log_likelihood_ : mean log-likelihood per customer at the end of the fit; n_iter_ : EM iterations.
    """

    def __init__(self, *, rates: int = 32, hazard_edges: tuple[float, ...] = HAZARD_EDGES, bins: int = 16,
                 max_iter: int = 50, tol: float = 1e-4, max_customers: int = 4000,
                 random_state: int | None = 0) -> None:
        self.rates = rates
        self.hazard_edges = hazard_edges
        self.bins = bins
        self.max_iter = max_iter
        self.tol = tol
        self.max_customers = max_customers
        self.random_state = random_state

    # ------------------------------------------------------------ survival pieces

    def _cum_hazard(self, age: np.ndarray, hazard: np.ndarray) -> np.ndarray:
        edges = np.asarray(self.hazard_edges, dtype=float)
        width = np.diff(np.append(edges, np.inf))
        return np.clip(age[..., None] - edges, 0.0, width) @ hazard

    def _stop_mass(self, lo: np.ndarray, hi: np.ndarray, start: np.ndarray, hazard: np.ndarray) -> np.ndarray:
        """P(stop in [lo, hi) | active at `start`), per sub-interval (exact for a piecewise-constant hazard
        when the sub-intervals do not straddle an edge, close otherwise)."""
        H0 = self._cum_hazard(start, hazard)[:, None]
        return np.exp(-(self._cum_hazard(lo, hazard) - H0)) - np.exp(-(self._cum_hazard(hi, hazard) - H0))

    def _grid(self, x, tx, T, entry):
        """The pieces that do not depend on the hazard: sub-intervals of (t_x, T], the mean of
        exp(-lam (u - t_x)) over each, exp(-lam (T - t_x)), and the rate's log-likelihood."""
        rec = np.maximum(T - tx, 1e-9)
        edges = tx[:, None] + rec[:, None] * (np.arange(self.bins + 1) / self.bins)[None, :]
        lo, hi = edges[:, :-1], edges[:, 1:]
        lam = self.rates_[None, None, :]
        decay = _bin_mean_decay(lam, tx[:, None, None], lo[:, :, None], hi[:, :, None])
        quiet_since = np.exp(-self.rates_[None, :] * rec[:, None])
        log_rate = x[:, None] * np.log(self.rates_)[None, :] - self.rates_[None, :] * (tx - entry)[:, None]
        return lo, hi, decay, quiet_since, log_rate

    # ------------------------------------------------------------ fitting

    def fit(self, frequency: Any, recency: Any, T: Any, entry: Any = None) -> LifetimePosterior:
        """Learn the rate mix and the stopping hazard from customers' (x, t_x, T[, entry])."""
        x, tx, T, entry = self._check(frequency, recency, T, entry)
        if len(x) < 50:
            raise ValueError(f"need at least 50 customers to learn visit rates and lifetimes, got {len(x)}")
        rng = np.random.default_rng(self.random_state)
        if len(x) > self.max_customers:
            pick = rng.choice(len(x), self.max_customers, replace=False)
            x, tx, T, entry = x[pick], tx[pick], T[pick], entry[pick]
        self.rates_ = np.exp(np.linspace(np.log(1e-3), np.log(3.0), self.rates))
        edges = np.asarray(self.hazard_edges, dtype=float)
        width = np.diff(np.append(edges, np.inf))
        lo, hi, decay, quiet_since, log_rate = self._grid(x, tx, T, entry)
        mid = 0.5 * (lo + hi)
        bin_of = np.clip(np.searchsorted(edges, mid, side="right") - 1, 0, len(edges) - 1).ravel()
        # exposure while surely active, in [entry, t_x]
        sure = (np.clip(tx[:, None] - edges, 0.0, width) - np.clip(entry[:, None] - edges, 0.0, width)).sum(0)
        prior = np.full(self.rates, 1.0 / self.rates)
        hazard = np.full(len(edges), 1.0 / 180)
        last, ll = -np.inf, -np.inf
        self.n_iter_ = 0
        for it in range(self.max_iter):
            stop_mass = self._stop_mass(lo, hi, tx, hazard)                           # m x bins
            active = np.exp(-(self._cum_hazard(T, hazard) - self._cum_hazard(tx, hazard)))[:, None] * quiet_since
            lw = log_rate + np.log(np.maximum(prior, 1e-300))[None, :]
            shift = lw.max(axis=1, keepdims=True)
            w = np.exp(lw - shift)                                                    # m x rates
            stopped = np.einsum("mb,mbl->ml", stop_mass, decay)
            evidence = (w * (stopped + active)).sum(1)
            ll = float(np.mean(np.log(evidence) + shift[:, 0]))
            prior = (w * (stopped + active) / evidence[:, None]).mean(0)
            stop_post = stop_mass * np.einsum("ml,mbl->mb", w, decay) / evidence[:, None]
            # expected stops and time at risk in each hazard interval (a stop counts half its sub-interval)
            before = 1.0 - np.cumsum(stop_post, axis=1) + stop_post
            at_risk = (before - 0.5 * stop_post) * (hi - lo)
            stops = np.bincount(bin_of, weights=stop_post.ravel(), minlength=len(edges))
            exposure = sure + np.bincount(bin_of, weights=at_risk.ravel(), minlength=len(edges))
            seen = exposure > 1e-3 * len(x)
            hazard = pd_ffill(np.where(seen, stops / np.maximum(exposure, 1e-12), np.nan), 1.0 / 180)
            hazard = np.maximum(hazard, 1e-6)
            self.n_iter_ = it + 1
            if abs(ll - last) < self.tol:
                break
            last = ll
        self.prior_ = prior
        self.hazard_ = hazard
        self.log_likelihood_ = ll
        return self

    @staticmethod
    def _check(frequency, recency, T, entry=None):
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        if not (x.shape == tx.shape == T.shape) or x.ndim != 1:
            raise ValueError("frequency, recency and T must be 1-D and of equal length")
        if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(T).all()):
            raise ValueError("frequency, recency and T must be finite")
        if (x < 0).any() or (tx < 0).any() or (T < tx - 1e-6).any():
            raise ValueError("need frequency >= 0 and 0 <= recency <= T")
        entry = np.zeros_like(x) if entry is None else np.clip(np.asarray(entry, dtype=float), 0.0, tx)
        return x, tx, np.maximum(T, tx), entry

    # ------------------------------------------------------------ scoring

    def predict(self, horizon: float, frequency: Any, recency: Any, T: Any, entry: Any = None,
                chunk: int = 1000) -> dict[str, np.ndarray]:
        """{'no_visit': P(no visit in (T, T + horizon]), 'alive': P(active at T), 'rate': E[lambda | active]}."""
        check_is_fitted(self, "prior_")
        x, tx, T, entry = self._check(frequency, recency, T, entry)
        out = {k: np.empty(len(x)) for k in ("no_visit", "alive", "rate")}
        h, hz = float(horizon), self.hazard_
        for s in range(0, len(x), chunk):
            sl = slice(s, s + chunk)
            lo, hi, decay, quiet_since, log_rate = self._grid(x[sl], tx[sl], T[sl], entry[sl])
            lw = log_rate + np.log(np.maximum(self.prior_, 1e-300))[None, :]
            w = np.exp(lw - lw.max(axis=1, keepdims=True))
            stopped = (w * np.einsum("mb,mbl->ml", self._stop_mass(lo, hi, tx[sl], hz), decay)).sum(1)
            TT = T[sl]
            active = np.exp(-(self._cum_hazard(TT, hz) - self._cum_hazard(tx[sl], hz)))[:, None] * quiet_since
            # if active at T: no visit in (T, T+h] = stop before visiting in it, or stay and not visit
            fe = TT[:, None] + h * (np.arange(9) / 8)[None, :]
            flo, fhi = fe[:, :-1], fe[:, 1:]
            f_decay = _bin_mean_decay(self.rates_[None, None, :], TT[:, None, None], flo[:, :, None], fhi[:, :, None])
            stay = np.exp(-(self._cum_hazard(TT + h, hz) - self._cum_hazard(TT, hz)))
            quiet_if_active = np.einsum("mb,mbl->ml", self._stop_mass(flo, fhi, TT, hz), f_decay) \
                + stay[:, None] * np.exp(-self.rates_[None, :] * h)
            act = w * active
            evidence = stopped + act.sum(1)
            out["no_visit"][sl] = (stopped + (act * quiet_if_active).sum(1)) / evidence
            out["alive"][sl] = act.sum(1) / evidence
            out["rate"][sl] = (act * self.rates_[None, :]).sum(1) / np.maximum(act.sum(1), 1e-300)
        return out


def pd_ffill(values: np.ndarray, first: float) -> np.ndarray:
    """Forward-fill NaN (a leading NaN becomes `first`)."""
    out = values.copy()
    prev = first
    for i, v in enumerate(out):
        if np.isnan(v):
            out[i] = prev
        else:
            prev = v
    return out


class PosteriorChurn(ClassifierMixin, BaseEstimator):
    """Churn risk from the learned posterior alone: its P(no visit in the next N days), recalibrated with
    a logistic curve on its logit (strictly increasing, so it ranks customers exactly as the posterior).

    The training protocol publishes it instead of the trees when it ranks churners better on the held-out
    cutoff (small or short histories). Same contract as `core.customers.churn.ChurnModel`.

    Parameters
    ----------
    column : the feature holding the posterior probability.
    random_state : unused (the fit is deterministic); kept for the shared contract.

    Attributes
    ----------
    feature_names_ : [column]; calibration_ : the fitted LogisticRegression; classes_ : array([0, 1]);
    feature_importances_ : the posterior's ROC AUC above a coin flip on the training rows.
    """

    def __init__(self, *, column: str = "posterior_no_visit", random_state: int | None = None) -> None:
        self.column = column
        self.random_state = random_state

    def _logit(self, X: Any) -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            raise ValueError("X must be a pandas DataFrame of customer features (see core.customers.features)")
        if self.column not in X.columns:
            raise ValueError(f"X lacks the model's feature columns: {self.column}")
        p = np.clip(pd.to_numeric(X[self.column], errors="coerce").to_numpy(float), 1e-6, 1 - 1e-6)
        if np.isnan(p).any():
            raise ValueError(f"{self.column} has missing values")
        return np.log(p / (1 - p))[:, None]

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> PosteriorChurn:
        z = self._logit(X)
        y = np.asarray(y).astype(int)
        if len(y) != len(z) or len(np.unique(y)) < 2:
            raise ValueError("y must be one label per row of X, with both classes")
        self.calibration_ = LogisticRegression(C=1e6).fit(z, y)
        self.feature_names_ = [self.column]
        self.n_features_in_ = 1
        self.classes_ = np.array([0, 1])
        auc = roc_auc_score(y, z[:, 0])
        self.feature_importances_ = pd.Series([auc - 0.5], index=self.feature_names_)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "calibration_")
        return self.calibration_.predict_proba(self._logit(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def churn_risk(self, X: pd.DataFrame) -> pd.Series:
        return pd.Series(np.clip(self.predict_proba(X)[:, 1] * 100, 0, 100), index=X.index, name="churn_risk")
