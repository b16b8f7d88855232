"""Customer lifetime value: how often a customer will come back, what they spend, and what that is worth.

* `BetaGeoModel` is the BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your
  Customers the Easy Way", Marketing Science 24(2): while active, a customer visits
  as a Poisson process with rate lambda ~ Gamma(r, alpha); after each repeat visit
  they drop out for good with probability p ~ Beta(a, b).
* `GammaGammaModel` is the Gamma-Gamma spend model (Fader & Hardie 2013, "The
  Gamma-Gamma Model of Monetary Value"): visit values are Gamma(p, nu) with
  nu ~ Gamma(q, v) across customers, independent of the visit process.
* `customer_lifetime_value` combines them into a discounted monthly CLV with a
  per-customer 80% range: a Monte Carlo credible interval for the customer's
  expected value, over parameter uncertainty and the customer's unknown traits.

Inputs follow the `lifetimes` package's conventions: `frequency` is the number of
repeat visits (visits after the first), `recency` the time from the first to the
last visit (0 if there was no repeat visit), `T` the time from the first visit to
the end of the observation window, all in one time unit of the caller's choosing
(the app uses days, CDNOW uses weeks). `monetary` is the average spend per repeat
visit. Models are fitted by maximum likelihood on log-parameters.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import IntegrationWarning, quad
from scipy.optimize import minimize
from scipy.special import betainc, betaincinv, betaln, digamma, expit, gammaln, hyp2f1
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

__all__ = ["BetaGeoModel", "GammaGammaModel", "customer_lifetime_value"]

_BOUND = 30.0  # log-parameters are kept within +-_BOUND while fitting
_HESS_STEP = 1e-5  # finite-difference step (log scale) for the Hessian
_NEAR_ONE = 1e-4  # BG/NBD a this close to 1 is interpolated (eq. 10 is 0/0 at a = 1)
_CHUNK = 1_000_000  # draws x customers held in memory at once by the CLV range


# ---------------------------------------------------------------- input


def _array(name: str, values: Any) -> np.ndarray:
    """A finite 1-D float array, or ValueError."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs must have the same length, got {lengths}")


def _frequency(values: Any) -> np.ndarray:
    x = _array("frequency", values)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative whole number (count of repeat visits)")
    return x


def _history(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (frequency, recency, T) arrays."""
    x, tx, age = _frequency(frequency), _array("recency", recency), _array("T", T)
    _same_length(frequency=x, recency=tx, T=age)
    if np.any(tx < 0):
        raise ValueError("recency must be >= 0")
    if np.any(tx > age):
        raise ValueError("recency must be <= T (recency is the time from the first to the last visit)")
    if np.any(tx[x == 0] != 0):
        raise ValueError(
            "recency must be 0 where frequency is 0 (recency is the time from the first to the "
            "last visit, not the time since the last visit)"
        )
    return x, tx, age


def _spend(frequency: Any, monetary: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated (frequency, monetary) arrays."""
    x, m = _frequency(frequency), _array("monetary", monetary)
    _same_length(frequency=x, monetary=m)
    if np.any(m[x > 0] <= 0):
        raise ValueError("monetary must be > 0 where frequency > 0")
    return x, m


def _horizon(t: Any, n: int) -> np.ndarray:
    """Validated horizon t: a scalar or one value per customer."""
    t = _array("t", t)
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    if len(t) not in (1, n):
        raise ValueError(f"t must be a scalar or have one value per customer ({n}), got {len(t)}")
    return np.broadcast_to(t, (n,))


# ---------------------------------------------------------------- fitting


def _maximize(
    objective: Any, n_params: int, args: tuple[Any, ...], n_total: float
) -> tuple[np.ndarray, np.ndarray]:
    """Minimize a mean negative log-likelihood over log-parameters.

    Returns the log-parameters and their covariance (inverse Hessian of the total
    penalized negative log-likelihood).
    """
    bounds = [(-_BOUND, _BOUND)] * n_params
    res = minimize(
        objective, np.zeros(n_params), args=args, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    # L-BFGS-B may stop "abnormally" at the limit of float precision; a tiny gradient is a fit.
    if not (res.success or np.max(np.abs(res.jac)) < 1e-6):
        warnings.warn(f"lifetime value fit did not converge: {res.message}", ConvergenceWarning, stacklevel=3)
    if np.any(np.abs(res.x) >= _BOUND - 1e-6):
        warnings.warn(
            "lifetime value fit: a parameter ran off to 0 or infinity; the data cannot identify the model",
            ConvergenceWarning, stacklevel=3,
        )
    # Hessian by central differences of the analytic gradient.
    hess = np.empty((n_params, n_params))
    for i in range(n_params):
        step = np.zeros(n_params)
        step[i] = _HESS_STEP
        hess[:, i] = (objective(res.x + step, *args)[1] - objective(res.x - step, *args)[1]) / (2 * _HESS_STEP)
    hess = (hess + hess.T) / 2 * n_total
    values, vectors = np.linalg.eigh(hess)
    if np.any(values <= 0):
        warnings.warn(
            "lifetime value fit: the likelihood is flat in some direction; parameter "
            "uncertainty is unreliable", ConvergenceWarning, stacklevel=3,
        )
    values = np.maximum(values, 1e-8 * max(values.max(), 1e-8))
    cov = (vectors / values) @ vectors.T
    return res.x, cov


def _bg_objective(
    log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, penalizer: float
) -> tuple[float, np.ndarray]:
    """Mean BG/NBD negative log-likelihood (FHL 2005, eq. 6) and its gradient in log-parameters."""
    params = np.exp(log_params)
    r, alpha, a, b = params
    s = r + x
    log_at, log_ax = np.log(alpha + T), np.log(alpha + tx)
    b_x1 = b + np.maximum(x, 1) - 1
    alive = -s * log_at  # log of the "still active at T" term
    dead = np.where(x > 0, np.log(a) - np.log(b_x1) - s * log_ax, -np.inf)  # "dropped out after t_x"
    both = np.logaddexp(alive, dead)
    ll = gammaln(s) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b) + both
    w_dead = np.exp(dead - both)
    w_alive = 1 - w_dead
    grad = np.array([
        np.sum(digamma(s) - digamma(r) + np.log(alpha) - w_alive * log_at - w_dead * log_ax),
        np.sum(r / alpha - s * (w_alive / (alpha + T) + w_dead / (alpha + tx))),
        np.sum(digamma(a + b) - digamma(a + b + x) + w_dead / a),
        np.sum(digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - w_dead / b_x1),
    ])
    n = len(x)
    value = -ll.sum() / n + penalizer * np.sum(params**2)
    return value, -grad * params / n + 2 * penalizer * params**2


def _gg_objective(
    log_params: np.ndarray, x: np.ndarray, m: np.ndarray, penalizer: float
) -> tuple[float, np.ndarray]:
    """Mean Gamma-Gamma negative log-likelihood of the average spends and its gradient."""
    params = np.exp(log_params)
    p, q, v = params
    px = p * x
    log_vm = np.log(v + m * x)
    ll = (
        gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
        + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * log_vm
    )
    grad = np.array([
        np.sum(x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_vm)),
        np.sum(digamma(px + q) - digamma(q) + np.log(v) - log_vm),
        np.sum(q / v - (px + q) / (v + m * x)),
    ])
    n = len(x)
    value = -ll.sum() / n + penalizer * np.sum(params**2)
    return value, -grad * params / n + 2 * penalizer * params**2


# ---------------------------------------------------------------- BG/NBD formulas


def _p_alive(x: Any, tx: Any, T: Any, r: Any, alpha: Any, a: Any, b: Any) -> np.ndarray:
    """P(still active at T | x, t_x, T) (Fader, Hardie & Lee 2008 note); 1 when x = 0."""
    log_odds_dead = (
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def _alive_visits_quad(t: float, x: float, T: float, r: float, alpha: float, a: float, b: float) -> float:
    """E[visits in (T, T+t] | active at T] by quadrature over the dropout probability.

    Given activity, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), and an active
    customer makes (1 - exp(-lambda p t)) / p visits in expectation. Integrates over
    the quantiles of p, where the integrand is bounded. Slow; only a fallback for
    where hyp2f1 fails.
    """
    tau, s = t / (alpha + T), r + x

    def visits(u: float) -> float:  # E over lambda of (1 - exp(-lambda p t)) / p at the u-quantile of p
        p = betaincinv(a, b + x, u)
        return s * tau if p == 0 else -np.expm1(-s * np.log1p(p * tau)) / p

    # the integrand turns from ~ s * tau to ~ 1 / p around p = 1 / (s * tau): tell quad where
    bend = betainc(a, b + x, min(1.0, 1.0 / (s * tau))) if s * tau > 0 else 0.5
    points = [u for u in (bend / 100, bend, np.sqrt(bend)) if 0 < u < 1]
    with warnings.catch_warnings():  # quad's best effort is still far better than nothing
        warnings.simplefilter("ignore", IntegrationWarning)
        return quad(visits, 0.0, 1.0, points=points or None, limit=200, epsabs=0.0, epsrel=1e-8)[0]


def _alive_visits(t: Any, x: Any, T: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """E[visits in (T, T+t] | active at T]: FHL (2005) eq. 10 without the P(active) factor.

    Arguments broadcast; the parameters are scalars.
    """
    if abs(a - 1) < _NEAR_ONE:  # removable 0/0 at a = 1: interpolate linearly in a
        lo = _alive_visits_euler(t, x, T, r, alpha, 1 - _NEAR_ONE, b)
        hi = _alive_visits_euler(t, x, T, r, alpha, 1 + _NEAR_ONE, b)
        return lo + (a - 1 + _NEAR_ONE) / (2 * _NEAR_ONE) * (hi - lo)
    return _alive_visits_euler(t, x, T, r, alpha, a, b)


def _alive_visits_euler(t: Any, x: Any, T: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """_alive_visits for a away from 1.

    Eq. 10's ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t),
    is rewritten with Euler's transformation as (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),
    which stays bounded as z -> 1 and for large x (the original overflows or loses
    all precision there). Values that still come out non-finite or out of bounds
    are recomputed by quadrature.
    """
    t, x, T = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in (t, x, T)))
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        hyp = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        value = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp)
    # (1 - exp(-lambda p t)) / p falls in p, so the answer lies between its values at p = 1 and p -> 0.
    tau, s = t / (alpha + T), r + x
    lower, upper = -np.expm1(-s * np.log1p(tau)), s * tau
    bad = ~np.isfinite(value) | (value < lower * (1 - 1e-6)) | (value > upper * (1 + 1e-6))
    for i in zip(*np.nonzero(bad)):
        value[i] = _alive_visits_quad(t[i], x[i], T[i], r, alpha, a, b)
    return np.clip(value, lower, upper)


# ---------------------------------------------------------------- models


class BetaGeoModel(BaseEstimator):
    """BG/NBD model of repeat visits (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (in internal units, time scaled so the
        largest T is 10), added to the mean negative log-likelihood; 0 = plain MLE.

    Attributes
    ----------
    params_ : dict with r, alpha (in the caller's time unit), a, b.
    log_params_cov_ : covariance of the log-parameters (r, alpha, a, b), from the
        inverse Hessian of the log-likelihood.
    log_likelihood_ : total log-likelihood at the fit.
    n_customers_ : number of customers fitted on.
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: Any, recency: Any, T: Any) -> BetaGeoModel:
        """Fit on each customer's repeat-visit count, recency and age."""
        x, tx, age = _history(frequency, recency, T)
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        if age.max() <= 0:
            raise ValueError("T must be positive for some customers")
        scale = 10.0 / age.max()  # puts alpha on a scale near 1 whatever the time unit
        log_params, cov = _maximize(_bg_objective, 4, (x, tx * scale, age * scale, float(self.penalizer)), len(x))
        log_params[1] -= np.log(scale)
        self.params_ = dict(zip(("r", "alpha", "a", "b"), np.exp(log_params).tolist()))
        self.log_params_cov_ = cov
        self.log_likelihood_ = -len(x) * _bg_objective(log_params, x, tx, age, 0.0)[0]
        self.n_customers_ = len(x)
        return self

    def _params(self) -> tuple[float, float, float, float]:
        check_is_fitted(self)
        return self.params_["r"], self.params_["alpha"], self.params_["a"], self.params_["b"]

    def expected_visits(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected number of visits in the next t time units, given each customer's history (FHL 2005, eq. 10)."""
        params = self._params()
        x, tx, age = _history(frequency, recency, T)
        t = _horizon(t, len(x))
        return _p_alive(x, tx, age, *params) * _alive_visits(t, x, age, *params)

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability that each customer is still active (will ever visit again)."""
        params = self._params()
        return _p_alive(*_history(frequency, recency, T), *params)


class GammaGammaModel(BaseEstimator):
    """Gamma-Gamma model of the average spend per visit (Fader & Hardie 2013).

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (in internal units, money scaled so the
        mean spend is 1), added to the mean negative log-likelihood; 0 = plain MLE.

    Attributes
    ----------
    params_ : dict with p, q, v (v in the caller's money unit).
    log_params_cov_ : covariance of the log-parameters (p, q, v).
    log_likelihood_ : total log-likelihood at the fit.
    n_customers_ : number of repeat customers fitted on.
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: Any, monetary: Any) -> GammaGammaModel:
        """Fit on the customers with at least one repeat visit (others are ignored)."""
        x, m = _spend(frequency, monetary)
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        repeat = x > 0
        if not repeat.any():
            raise ValueError("no customer has frequency > 0; the spend model needs repeat visits")
        x, m = x[repeat], m[repeat]
        scale = 1.0 / m.mean()
        log_params, cov = _maximize(_gg_objective, 3, (x, m * scale, float(self.penalizer)), len(x))
        log_params[2] -= np.log(scale)
        self.params_ = dict(zip(("p", "q", "v"), np.exp(log_params).tolist()))
        self.log_params_cov_ = cov
        self.log_likelihood_ = -len(x) * _gg_objective(log_params, x, m, 0.0)[0]
        self.n_customers_ = len(x)
        return self

    def expected_spend(self, frequency: Any, monetary: Any) -> np.ndarray:
        """Expected average spend per visit given each customer's history.

        Each customer's average is shrunk towards the population mean p v / (q - 1), more
        so with fewer visits; customers with frequency 0 get the population mean.
        """
        check_is_fitted(self)
        x, m = _spend(frequency, monetary)
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        if q <= 1:
            raise ValueError(f"the fitted spend model has q = {q:.3g} <= 1, so its mean spend is infinite")
        return p * (v + np.where(x > 0, m * x, 0.0)) / (p * x + q - 1)


# ---------------------------------------------------------------- lifetime value


def _latent_values(
    bg: np.ndarray, gg: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, m: np.ndarray,
    month: float, months: int, discount: float, rng: np.random.Generator,
) -> np.ndarray:
    """Discounted value of each customer under random draws of parameters and latent traits.

    bg and gg are (draws, n_params) parameter draws; returns (draws, customers).
    """
    r, alpha, a, b = (bg[:, [i]] for i in range(4))
    p, q, v = (gg[:, [i]] for i in range(3))
    shape = (len(bg), len(x))
    active = rng.random(shape) < _p_alive(x, tx, T, r, alpha, a, b)
    rate = rng.gamma(r + x, 1.0 / (alpha + T), shape)  # visits per time unit while active
    churn = rng.beta(a, b + x, shape)  # dropout probability after a visit
    nu = rng.gamma(p * x + q, 1.0 / (v + np.where(x > 0, m * x, 0.0)), shape)
    mean_spend = p / nu
    # An active customer's expected visits in month k are (1 - e^-h) e^-(k-1)h / churn
    # with h = rate * churn * month; the discounted sum over k is a geometric series.
    h = rate * churn * month
    with np.errstate(all="ignore"):
        first_month = rate * month * np.where(h > 0, -np.expm1(-h) / h, 1.0)
        log_ratio = -h - np.log1p(discount)
        series = np.where(log_ratio < 0, np.expm1(months * log_ratio) / np.expm1(log_ratio), months)
    return active * mean_spend * first_month * series / (1 + discount)


def _draw_params(model: BetaGeoModel | GammaGammaModel, n: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter sets from the normal approximation to the log-parameters' sampling distribution."""
    mean = np.log(list(model.params_.values()))
    return np.exp(rng.multivariate_normal(mean, model.log_params_cov_, size=n, method="eigh"))


def customer_lifetime_value(
    bgf: BetaGeoModel,
    ggf: GammaGammaModel,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary: Any,
    *,
    months: int,
    discount_rate_monthly: float = 0.01,
    time_unit_days: float = 1.0,
    days_per_month: float = 30.0,
    interval: float = 0.8,
    n_draws: int = 200,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Discounted lifetime value over the next `months`, with a per-customer range.

    clv = sum over months k = 1..months of expected visits in month k (BG/NBD)
    times the expected spend per visit (Gamma-Gamma), divided by
    (1 + discount_rate_monthly)^k, as `lifetimes`' customer_lifetime_value does.
    A month is days_per_month / time_unit_days of the models' time units
    (time_unit_days = 1 for days, 7 for weeks).

    The range [clv_lo, clv_hi] is a central `interval` (80%) credible interval
    for the customer's own expected value: what they are worth given their true
    visit rate, dropout probability, whether they are still active and their true
    mean spend, all unknown. It is computed by Monte Carlo over `n_draws` draws of
    (1) the model parameters, from the normal approximation to the sampling
    distribution of the fitted log-parameters, and (2) the customer's latent
    traits from their posterior given their history: active with probability
    P(alive), visit rate ~ Gamma(r+x, alpha+T), dropout ~ Beta(a, b+x), mean spend
    = p / nu with nu ~ Gamma(px+q, v+mx). `clv` is the mean of that distribution
    (up to parameter uncertainty), which is skewed: for a customer who has likely
    lapsed, clv_lo is 0 and clv can sit near or even above clv_hi. The range does
    not include the luck of how many visits an active customer actually makes or
    what each one costs, so realised revenue varies more.

    Returns a DataFrame (indexed like `frequency` when it is a Series) with clv,
    clv_lo, clv_hi, expected_visits (undiscounted, over the whole horizon) and
    expected_spend (per visit).
    """
    check_is_fitted(bgf)
    check_is_fitted(ggf)
    x, tx, age = _history(frequency, recency, T)
    _, m = _spend(x, monetary)
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ValueError("months must be a positive integer")
    if not np.isfinite(discount_rate_monthly) or discount_rate_monthly < 0:
        raise ValueError("discount_rate_monthly must be >= 0")
    if not all(np.isfinite(u) and u > 0 for u in (time_unit_days, days_per_month)):
        raise ValueError("time_unit_days and days_per_month must be positive")
    if not 0 < interval < 1:
        raise ValueError("interval must be between 0 and 1")
    if n_draws < 10:
        raise ValueError("n_draws must be at least 10")

    month = days_per_month / time_unit_days
    params = bgf._params()
    edges = month * np.arange(months + 1)[:, None]
    cumulative = _p_alive(x, tx, age, *params) * _alive_visits(edges, x, age, *params)
    discount = (1 + discount_rate_monthly) ** -np.arange(1, months + 1)
    spend = ggf.expected_spend(x, m)
    clv = spend * (discount @ np.diff(cumulative, axis=0))

    rng = np.random.default_rng(random_state)
    bg_draws, gg_draws = _draw_params(bgf, n_draws, rng), _draw_params(ggf, n_draws, rng)
    lo, hi = np.empty(len(x)), np.empty(len(x))
    step = max(1, _CHUNK // n_draws)
    for start in range(0, len(x), step):
        part = slice(start, start + step)
        values = _latent_values(
            bg_draws, gg_draws, x[part], tx[part], age[part], m[part], month, months, discount_rate_monthly, rng
        )
        lo[part], hi[part] = np.quantile(values, [(1 - interval) / 2, (1 + interval) / 2], axis=0)

    index = frequency.index if isinstance(frequency, pd.Series) else None
    return pd.DataFrame(
        {"clv": clv, "clv_lo": lo, "clv_hi": hi, "expected_visits": cumulative[-1], "expected_spend": spend},
        index=index,
    )
