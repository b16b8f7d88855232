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

Every method takes one table of customers, a DataFrame with a row per customer (the
index is the customer) and named columns, as pymc-marketing's CLV models do:

* `frequency`: the number of repeat visits (visits after the first);
* `recency`: the time from the first to the last visit (0 without a repeat visit);
* `T`: the time from the first visit to the end of the observation window;
* `monetary_value` (spend model and CLV only): the average spend per repeat visit.

Times are in one unit of the caller's choosing (the app uses days, CDNOW uses weeks).
The table is checked once per call (`check_customers`): a missing column, a negative
value, recency > T, NaN or a repeated customer is a ValueError naming the problem.
Models are fitted by maximum likelihood on log-parameters (`core.customers.clv_formulas`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from core.customers.clv_formulas import alive_visits, bg_objective, gg_objective, maximize, p_alive

__all__ = ["HISTORY", "SPEND", "BetaGeoModel", "GammaGammaModel", "check_customers", "clv_table",
           "customer_lifetime_value"]

HISTORY = ("frequency", "recency", "T")
SPEND = ("frequency", "monetary_value")
_CHUNK = 1_000_000  # draws x customers held in memory at once by the CLV range


# ---------------------------------------------------------------- input


def check_customers(data: Any, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named columns of a customer table as float arrays, after every check; else ValueError."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"customers must be a pandas DataFrame with columns {', '.join(columns)}; "
                         f"got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"the customer table lacks the column(s) {', '.join(missing)} "
                         f"(it needs {', '.join(columns)})")
    if data.empty:
        raise ValueError("the customer table is empty")
    if not data.index.is_unique:
        raise ValueError("each customer must appear once: the customer table's index has duplicates")
    out: dict[str, np.ndarray] = {}
    for name in columns:
        try:
            values = data[name].to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column {name!r} must be numeric") from exc
        if not np.all(np.isfinite(values)):
            raise ValueError(f"column {name!r} contains NaN or infinite values")
        if np.any(values < 0):
            raise ValueError(f"column {name!r} has negative values")
        out[name] = values
    x = out["frequency"]
    if np.any(x != np.round(x)):
        raise ValueError("frequency must be a whole number (the count of repeat visits)")
    if "recency" in out:
        tx, age = out["recency"], out["T"]
        if np.any(tx > age):
            raise ValueError("recency must be <= T (recency is the time from the first to the last visit)")
        if np.any(tx[x == 0] != 0):
            raise ValueError("recency must be 0 where frequency is 0 (recency is the time from the first to "
                             "the last visit, not the time since the last visit)")
    if "monetary_value" in out and np.any(out["monetary_value"][x > 0] <= 0):
        raise ValueError("monetary_value must be > 0 where frequency > 0")
    return out


def _horizon(t: Any, n: int) -> np.ndarray:
    """Validated horizon t: a scalar or one value per customer."""
    try:
        t = np.atleast_1d(np.asarray(t, dtype=float))
    except (TypeError, ValueError) as exc:
        raise ValueError("t must be numeric") from exc
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise ValueError("t must be a finite number or one finite number per customer")
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    if len(t) not in (1, n):
        raise ValueError(f"t must be a scalar or have one value per customer ({n}), got {len(t)}")
    return np.broadcast_to(t, (n,))


def clv_table(features: pd.DataFrame) -> pd.DataFrame:
    """The lifetime models' customer table from `customer_features`' bg_* columns (in days).

    A repeat customer whose repeat visits brought no money gets the typical repeat spend, so the
    spend model sees only positive averages.
    """
    missing = [c for c in ("bg_frequency", "bg_recency", "bg_T", "bg_monetary") if c not in features.columns]
    if missing:
        raise ValueError(f"the features lack {', '.join(missing)} (see core.customers.features)")
    repeat = features["bg_frequency"] > 0
    paid = repeat & (features["bg_monetary"] > 0)
    typical = float(features.loc[paid, "bg_monetary"].median()) if paid.any() else 1.0
    return pd.DataFrame({
        "frequency": features["bg_frequency"],
        "recency": features["bg_recency"],
        "T": features["bg_T"],
        "monetary_value": features["bg_monetary"].where(paid, typical).where(repeat, 0.0),
    }, index=features.index)


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

    def fit(self, data: pd.DataFrame) -> BetaGeoModel:
        """Fit on a customer table with frequency, recency and T."""
        c = check_customers(data, HISTORY)
        x, tx, age = c["frequency"], c["recency"], c["T"]
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        if age.max() <= 0:
            raise ValueError("T must be positive for some customers")
        scale = 10.0 / age.max()  # puts alpha on a scale near 1 whatever the time unit
        log_params, cov = maximize(bg_objective, 4, (x, tx * scale, age * scale, float(self.penalizer)), len(x))
        log_params[1] -= np.log(scale)
        self.params_ = dict(zip(("r", "alpha", "a", "b"), np.exp(log_params).tolist()))
        self.log_params_cov_ = cov
        self.log_likelihood_ = -len(x) * bg_objective(log_params, x, tx, age, 0.0)[0]
        self.n_customers_ = len(x)
        return self

    def _params(self) -> tuple[float, float, float, float]:
        check_is_fitted(self)
        return self.params_["r"], self.params_["alpha"], self.params_["a"], self.params_["b"]

    def expected_visits(self, data: pd.DataFrame, t: Any) -> np.ndarray:
        """Expected visits in the next t time units (a scalar or one per customer), given each
        customer's history (FHL 2005, eq. 10)."""
        params = self._params()
        c = check_customers(data, HISTORY)
        x, tx, age = c["frequency"], c["recency"], c["T"]
        return p_alive(x, tx, age, *params) * alive_visits(_horizon(t, len(x)), x, age, *params)

    def probability_alive(self, data: pd.DataFrame) -> np.ndarray:
        """Probability that each customer is still active (will ever visit again)."""
        params = self._params()
        c = check_customers(data, HISTORY)
        return p_alive(c["frequency"], c["recency"], c["T"], *params)

    def probability_no_visit(self, data: pd.DataFrame, t: Any) -> np.ndarray:
        """P(no visit in the next t time units | history) = (1 - P(alive)) + P(alive) E[exp(-lambda t)].

        Not 1 - P(alive): a customer who is still active but visits rarely may also stay away for t.
        While active, lambda | history ~ Gamma(r + x, alpha + T), so E[exp(-lambda t)] =
        ((alpha + T) / (alpha + T + t)) ** (r + x).
        """
        r, alpha, a, b = self._params()
        c = check_customers(data, HISTORY)
        x, age = c["frequency"], c["T"]
        alive = np.clip(p_alive(x, c["recency"], age, r, alpha, a, b), 0.0, 1.0)
        quiet = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + _horizon(t, len(x)))))
        return (1.0 - alive) + alive * quiet

    def wait_quantiles(self, data: pd.DataFrame, q: Any) -> np.ndarray:
        """Quantiles of the time to the next visit for a customer who is still active (customers x q).

        Given lambda ~ Gamma(r + x, alpha + T), the wait W has P(W > w) = ((alpha + T) / (alpha + T + w))
        ** (r + x), so w_q = (alpha + T) ((1 - q) ** (-1 / (r + x)) - 1).
        """
        r, alpha, _, _ = self._params()
        c = check_customers(data, HISTORY)
        q = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((q <= 0) | (q >= 1)):
            raise ValueError("quantiles must be between 0 and 1")
        shape = (r + c["frequency"])[:, None]
        return (alpha + c["T"])[:, None] * np.expm1(-np.log1p(-q)[None, :] / shape)


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

    def fit(self, data: pd.DataFrame) -> GammaGammaModel:
        """Fit on a customer table with frequency and monetary_value; rows with frequency 0 are ignored."""
        c = check_customers(data, SPEND)
        x, m = c["frequency"], c["monetary_value"]
        if self.penalizer < 0:
            raise ValueError("penalizer must be >= 0")
        repeat = x > 0
        if not repeat.any():
            raise ValueError("no customer has frequency > 0; the spend model needs repeat visits")
        x, m = x[repeat], m[repeat]
        scale = 1.0 / m.mean()
        log_params, cov = maximize(gg_objective, 3, (x, m * scale, float(self.penalizer)), len(x))
        log_params[2] -= np.log(scale)
        self.params_ = dict(zip(("p", "q", "v"), np.exp(log_params).tolist()))
        self.log_params_cov_ = cov
        self.log_likelihood_ = -len(x) * gg_objective(log_params, x, m, 0.0)[0]
        self.n_customers_ = len(x)
        return self

    def expected_spend(self, data: pd.DataFrame) -> np.ndarray:
        """Expected average spend per visit given each customer's history.

        Each customer's average is shrunk towards the population mean p v / (q - 1), more
        so with fewer visits; customers with frequency 0 get the population mean.
        """
        check_is_fitted(self)
        c = check_customers(data, SPEND)
        return self._spend(c["frequency"], c["monetary_value"])

    def _spend(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
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
    active = rng.random(shape) < p_alive(x, tx, T, r, alpha, a, b)
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
    data: pd.DataFrame,
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

    `data` is a customer table with frequency, recency, T and monetary_value.

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

    Returns a DataFrame indexed like `data` with clv, clv_lo, clv_hi,
    expected_visits (undiscounted, over the whole horizon) and expected_spend (per visit).
    """
    check_is_fitted(bgf)
    check_is_fitted(ggf)
    c = check_customers(data, HISTORY + SPEND[1:])
    x, tx, age, m = c["frequency"], c["recency"], c["T"], c["monetary_value"]
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
    cumulative = p_alive(x, tx, age, *params) * alive_visits(edges, x, age, *params)
    discount = (1 + discount_rate_monthly) ** -np.arange(1, months + 1)
    spend = ggf._spend(x, m)
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

    return pd.DataFrame(
        {"clv": clv, "clv_lo": lo, "clv_hi": hi, "expected_visits": cumulative[-1], "expected_spend": spend},
        index=data.index,
    )
