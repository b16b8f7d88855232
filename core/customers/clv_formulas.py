"""The formulas behind the lifetime models: likelihoods, their maximisation, and BG/NBD's predictions.

Pure functions of NumPy arrays; `core.customers.clv` checks the customer table and calls them.
References: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way" (BG/NBD, eqs. 6
and 10) and their 2008 note on P(alive); Fader & Hardie (2013), "The Gamma-Gamma Model of
Monetary Value".
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.integrate import IntegrationWarning, quad
from scipy.optimize import minimize
from scipy.special import betainc, betaincinv, betaln, digamma, expit, gammaln, hyp2f1
from sklearn.exceptions import ConvergenceWarning

BOUND = 30.0  # log-parameters are kept within +-BOUND while fitting
_HESS_STEP = 1e-5  # finite-difference step (log scale) for the Hessian
_NEAR_ONE = 1e-4  # BG/NBD a this close to 1 is interpolated (eq. 10 is 0/0 at a = 1)


# ---------------------------------------------------------------- fitting


def maximize(
    objective: Any, n_params: int, args: tuple[Any, ...], n_total: float
) -> tuple[np.ndarray, np.ndarray]:
    """Minimize a mean negative log-likelihood over log-parameters.

    Returns the log-parameters and their covariance (inverse Hessian of the total
    penalized negative log-likelihood).
    """
    bounds = [(-BOUND, BOUND)] * n_params
    res = minimize(
        objective, np.zeros(n_params), args=args, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    # L-BFGS-B may stop "abnormally" at the limit of float precision; a tiny gradient is a fit.
    if not (res.success or np.max(np.abs(res.jac)) < 1e-6):
        warnings.warn(f"lifetime value fit did not converge: {res.message}", ConvergenceWarning, stacklevel=3)
    if np.any(np.abs(res.x) >= BOUND - 1e-6):
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


def bg_objective(
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


def gg_objective(
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


def p_alive(x: Any, tx: Any, T: Any, r: Any, alpha: Any, a: Any, b: Any) -> np.ndarray:
    """P(still active at T | x, t_x, T) (Fader, Hardie & Lee 2008 note); 1 when x = 0."""
    log_odds_dead = (
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def alive_visits_quad(t: float, x: float, T: float, r: float, alpha: float, a: float, b: float) -> float:
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


def alive_visits(t: Any, x: Any, T: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """E[visits in (T, T+t] | active at T]: FHL (2005) eq. 10 without the P(active) factor.

    Arguments broadcast; the parameters are scalars.
    """
    if abs(a - 1) < _NEAR_ONE:  # removable 0/0 at a = 1: interpolate linearly in a
        lo = _alive_visits_euler(t, x, T, r, alpha, 1 - _NEAR_ONE, b)
        hi = _alive_visits_euler(t, x, T, r, alpha, 1 + _NEAR_ONE, b)
        return lo + (a - 1 + _NEAR_ONE) / (2 * _NEAR_ONE) * (hi - lo)
    return _alive_visits_euler(t, x, T, r, alpha, a, b)


def _alive_visits_euler(t: Any, x: Any, T: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """alive_visits for a away from 1.

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
        value[i] = alive_visits_quad(t[i], x[i], T[i], r, alpha, a, b)
    return np.clip(value, lower, upper)
