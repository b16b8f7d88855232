"""Tests for core.customers.clv: published CDNOW results, simulation recovery, numerics and API contracts.

tests/data/cdnow_customers_summary.csv is lifetimes 0.11.3's
datasets/cdnow_customers_summary_with_transactions.csv: the 2,357 CDNOW customers
of Fader, Hardie & Lee (2005), with x (repeat purchases), t_x (recency) and T in
weeks, and zbar (average repeat purchase value).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from core.customers import clv, clv_formulas
from core.customers.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow_customers_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW customers with the models' column names (frequency, recency, T, monetary_value)."""
    raw = pd.read_csv(DATA, index_col="ID")
    return raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def bgf(cdnow: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow)


@pytest.fixture(scope="module")
def ggf(cdnow: pd.DataFrame) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow)


def customers(frequency, recency=None, T=None, monetary_value=None) -> pd.DataFrame:
    """A customer table from columns (lists, arrays or scalars broadcast to the others)."""
    columns = {"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary_value}
    given = {k: np.atleast_1d(v) for k, v in columns.items() if v is not None}
    n = max(len(v) for v in given.values())
    return pd.DataFrame({k: np.broadcast_to(v, n) if len(v) == 1 else v for k, v in given.items()})


def simulate(
    n: int, rng: np.random.Generator, r: float, alpha: float, a: float, b: float,
    p: float = 6.0, q: float = 4.0, v: float = 15.0, t_range: tuple[float, float] = (26.0, 52.0),
) -> dict[str, np.ndarray]:
    """Customers drawn from the BG/NBD and Gamma-Gamma models, with their latent traits."""
    T = rng.uniform(*t_range, n)
    rate = rng.gamma(r, 1 / alpha, n)
    churn = rng.beta(a, b, n)
    arrivals = rng.poisson(rate * T)  # visits a never-lapsing customer would make by T
    lifetime = rng.geometric(churn)  # the customer lapses right after this repeat visit
    x = np.minimum(arrivals, lifetime)
    # The x-th of `arrivals` uniform visit times on [0, T] is T * Beta(x, arrivals - x + 1).
    recency = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    nu = rng.gamma(q, 1 / v, n)
    k = np.maximum(x, 1)
    monetary = np.where(x > 0, rng.gamma(p * k, 1 / (nu * k)), 0.0)  # mean of x Gamma(p, nu) spends
    return {
        "table": customers(x.astype(float), recency, T, monetary),
        "rate": rate, "churn": churn, "active": lifetime > arrivals, "mean_spend": p / nu,
    }


# ---------------------------------------------------------------- published CDNOW results


def test_bgnbd_reproduces_fader_hardie_lee_2005(bgf: BetaGeoModel) -> None:
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert bgf.params_[name] == pytest.approx(value, rel=0.01), name
    assert bgf.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)  # FHL (2005), section 5
    assert bgf.n_customers_ == 2357


def test_gamma_gamma_reproduces_fader_hardie_2013(ggf: GammaGammaModel) -> None:
    published = {"p": 6.25, "q": 3.74, "v": 15.44}
    for name, value in published.items():
        assert ggf.params_[name] == pytest.approx(value, rel=0.01), name
    assert ggf.n_customers_ == 946


def test_expected_visits_paper_example(bgf: BetaGeoModel) -> None:
    # FHL (2005), section 5: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 purchases in the next 39 weeks.
    assert bgf.expected_visits(customers(2, 30.43, 38.86), t=39)[0] == pytest.approx(1.226, abs=0.001)


def test_expected_spend_matches_lifetimes_docs(cdnow: pd.DataFrame, ggf: GammaGammaModel) -> None:
    # lifetimes' quickstart: "Expected conditional average profit: 35.2529..." over all customers.
    spend = ggf.expected_spend(cdnow)
    assert spend.mean() == pytest.approx(35.2530, rel=1e-3)
    population_mean = ggf.params_["p"] * ggf.params_["v"] / (ggf.params_["q"] - 1)
    np.testing.assert_allclose(spend[cdnow["frequency"].to_numpy() == 0], population_mean)


def test_clv_matches_lifetimes_docs(cdnow: pd.DataFrame, bgf: BetaGeoModel, ggf: GammaGammaModel) -> None:
    # lifetimes' quickstart, customer_lifetime_value(time=12, discount_rate=0.01) with its default
    # freq="D" on the weekly CDNOW data, i.e. a "month" of 30 time units.
    result = customer_lifetime_value(
        bgf, ggf, cdnow,
        months=12, discount_rate_monthly=0.01, time_unit_days=1.0, days_per_month=30.0, random_state=0,
    )
    published = {1: 140.096218, 2: 18.943466, 3: 38.180575, 6: 1003.868285, 9: 167.418224}
    for customer, value in published.items():
        assert result.loc[customer, "clv"] == pytest.approx(value, rel=0.005), customer
    assert list(result.columns[:3]) == ["clv", "clv_lo", "clv_hi"]
    assert result.index.equals(cdnow.index)


# ---------------------------------------------------------------- prediction properties


def test_probability_alive_properties(bgf: BetaGeoModel) -> None:
    assert np.all(bgf.probability_alive(customers([0, 0], [0, 0], [5.0, 50.0])) == 1.0)
    ages = np.linspace(20, 200, 50)
    alive = bgf.probability_alive(customers(3, 20.0, ages))
    assert np.all((alive > 0) & (alive < 1))
    assert np.all(np.diff(alive) < 0)  # longer silence since the last visit -> less likely active
    later = bgf.probability_alive(customers(3, [5.0, 15.0], 20.0))
    assert later[1] > later[0]


def test_expected_visits_grows_with_t(bgf: BetaGeoModel) -> None:
    t = np.linspace(0, 500, 60)
    for x, tx, T in [(0, 0.0, 30.0), (2, 30.43, 38.86), (20, 35.0, 38.0), (1, 2.0, 38.0)]:
        visits = bgf.expected_visits(customers(np.full(60, x), tx, T), t=t)
        assert visits[0] == 0.0
        assert np.all(np.diff(visits) > 0)


def test_expected_visits_extreme_inputs(bgf: BetaGeoModel) -> None:
    # Large frequencies and horizons far beyond T (hyp2f1's argument near 1) stay finite and bounded.
    x = np.array([0, 1, 50, 500, 5000, 5000])
    tx = np.array([0, 10, 38, 38.5, 38.8, 1.0])
    T = np.full(6, 38.86)
    table = customers(x, tx, T)
    r, alpha = bgf.params_["r"], bgf.params_["alpha"]
    for t in (1e-6, 1.0, 1e3, 1e6, 1e9):
        visits = bgf.expected_visits(table, t=t)
        assert np.all(np.isfinite(visits)) and np.all(visits[:5] > 0)
        assert visits[5] < 1e-12  # 5000 visits in the first week, then 38 silent weeks: lapsed
        assert np.all(visits <= (r + x) * t / (alpha + T) * (1 + 1e-9))  # never above the mean rate * t
    # over one week, an active customer with 5000 visits keeps visiting at ~(r + x) / (alpha + T) per week
    alive = bgf.probability_alive(table)[4]
    assert bgf.expected_visits(table, t=1.0)[4] == pytest.approx(alive * (r + 5000) / (alpha + 38.86), rel=0.01)


@pytest.mark.parametrize(
    "params",
    [
        (0.243, 4.414, 0.793, 2.426),  # CDNOW
        (2.0, 30.0, 3.5, 8.0),
        (0.05, 0.5, 0.2, 0.3),
        (0.5, 10.0, 1.0 + 3e-5, 2.0),  # a near 1, where eq. 10 is 0/0
        (0.5, 10.0, 0.4, 0.6),  # a + b = 1: hyp2f1 has a pole for x = 0, the quadrature steps in
    ],
)
def test_closed_form_matches_quadrature(params: tuple[float, float, float, float]) -> None:
    t = np.array([0.01, 1.0, 30.0, 1e3, 1e5, 1.0, 30.0, 1e4, 365.0, 2.0])
    x = np.array([0, 0, 0, 0, 0, 3, 3, 40, 400, 4000], dtype=float)
    T = np.array([10.0, 10.0, 40.0, 40.0, 5.0, 20.0, 300.0, 38.0, 700.0, 500.0])
    closed = clv_formulas.alive_visits(t, x, T, *params)
    numeric = [clv_formulas.alive_visits_quad(*row, *params) for row in zip(t, x, T)]
    np.testing.assert_allclose(closed, numeric, rtol=1e-5)


# ---------------------------------------------------------------- simulation


def test_simulation_recovers_parameters() -> None:
    truth_bg = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
    truth_gg = {"p": 6.0, "q": 4.0, "v": 15.0}
    sim = simulate(5000, np.random.default_rng(42), **truth_bg, **truth_gg)
    bgf = BetaGeoModel().fit(sim["table"])
    ggf = GammaGammaModel().fit(sim["table"])
    for model, truth in [(bgf, truth_bg), (ggf, truth_gg)]:
        fitted = np.array([model.params_[name] for name in truth])
        expected = np.array(list(truth.values()))
        np.testing.assert_allclose(fitted, expected, rtol=0.15)
        # and the truth lies within 3 standard errors of the fit (log scale)
        z = (np.log(fitted) - np.log(expected)) / np.sqrt(np.diag(model.log_params_cov_))
        assert np.all(np.abs(z) < 3), z


def test_clv_range_covers_true_value() -> None:
    """On simulated customers, about 80% of the true expected values fall inside the 80% range."""
    sim = simulate(5000, np.random.default_rng(7), r=0.5, alpha=6.0, a=0.7, b=2.5)
    bgf = BetaGeoModel().fit(sim["table"])
    ggf = GammaGammaModel().fit(sim["table"])
    months, discount, week_month = 12, 0.01, 30 / 7
    result = customer_lifetime_value(
        bgf, ggf, sim["table"],
        months=months, discount_rate_monthly=discount, time_unit_days=7, random_state=1,
    )
    # each customer's true expected discounted value, from their simulated latent traits
    k = np.arange(1, months + 1)[:, None]
    decay = sim["rate"] * sim["churn"] * week_month
    visits = (np.exp(-decay * (k - 1)) - np.exp(-decay * k)) / sim["churn"]
    true = sim["active"] * sim["mean_spend"] * ((1 + discount) ** -k.ravel() @ visits)

    lo, hi = result["clv_lo"].to_numpy(), result["clv_hi"].to_numpy()
    inside = (true >= lo) & (true <= hi)
    # lapsed customers are worth exactly 0 and clv_lo is often 0, so coverage can exceed 80% a little
    assert 0.78 <= inside.mean() <= 0.92
    assert 0.06 <= np.mean(true > hi) <= 0.14
    assert result["clv"].mean() == pytest.approx(true.mean(), rel=0.15)  # heavy-tailed: loose


def test_range_draws_average_to_point_clv(cdnow: pd.DataFrame, bgf: BetaGeoModel, ggf: GammaGammaModel) -> None:
    """Without parameter uncertainty, the Monte Carlo values average to the closed-form CLV."""
    rows = cdnow.iloc[:40]
    draws = 4000
    bg = np.tile(list(bgf.params_.values()), (draws, 1))
    gg = np.tile(list(ggf.params_.values()), (draws, 1))
    x, tx, T, m = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    values = clv._latent_values(bg, gg, x, tx, T, m, 30.0 / 7, 12, 0.01, np.random.default_rng(3))
    point = customer_lifetime_value(bgf, ggf, rows, months=12, time_unit_days=7, random_state=0)["clv"]
    z = (values.mean(axis=0) - point.to_numpy()) / (values.std(axis=0) / np.sqrt(draws))
    assert np.all(np.abs(z) < 4.5), z


# ---------------------------------------------------------------- API contract


def test_estimator_contract(cdnow: pd.DataFrame) -> None:
    model = BetaGeoModel(penalizer=0.1)
    assert model.get_params() == {"penalizer": 0.1}
    assert not hasattr(model, "params_")
    assert model.fit(cdnow) is model
    assert clone(model).get_params() == {"penalizer": 0.1}
    spend = GammaGammaModel()
    assert spend.fit(cdnow) is spend
    assert all(name.endswith("_") for name in vars(model) if name not in model.get_params())
    # a penalty shrinks the parameters
    plain = BetaGeoModel().fit(cdnow)
    assert sum(v**2 for v in model.params_.values()) < sum(v**2 for v in plain.params_.values())


def test_a_table_in_numpy_out(cdnow: pd.DataFrame, bgf: BetaGeoModel, ggf: GammaGammaModel) -> None:
    visits = bgf.expected_visits(cdnow, t=10)
    assert isinstance(visits, np.ndarray) and visits.shape == (len(cdnow),)
    assert isinstance(bgf.probability_alive(cdnow), np.ndarray)
    assert isinstance(ggf.expected_spend(cdnow), np.ndarray)
    per_customer_t = bgf.expected_visits(cdnow, t=np.full(len(cdnow), 10.0))
    np.testing.assert_array_equal(per_customer_t, visits)
    # columns are found by name: order and extra columns do not matter
    shuffled = cdnow[["T", "monetary_value", "recency", "frequency"]].assign(note="x")
    np.testing.assert_array_equal(bgf.expected_visits(shuffled, t=10), visits)
    np.testing.assert_array_equal(ggf.expected_spend(shuffled), ggf.expected_spend(cdnow))


def test_unfitted_models_raise() -> None:
    one = customers(1, 1.0, 2.0, 10.0)
    with pytest.raises(NotFittedError):
        BetaGeoModel().expected_visits(one, t=1)
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive(one)
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_spend(one)
    with pytest.raises(NotFittedError):
        customer_lifetime_value(BetaGeoModel(), GammaGammaModel(), one, months=3)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"frequency": [1, 2], "recency": [1.0, 1.0]}), "lacks the column.* T"),
        (pd.DataFrame({"frequency": [1], "t_x": [1.0], "T": [2.0]}), "lacks the column.* recency"),
        ({"frequency": [1], "recency": [1.0], "T": [2.0]}, "must be a pandas DataFrame"),
        (customers([1, 2], [1.0, 1.0], [2.0, 3.0]).iloc[:0], "empty"),
        (customers([1, np.nan], [1.0, 1.0], [2.0, 3.0]), "'frequency' contains NaN"),
        (customers([1, 2], [1.0, np.inf], [2.0, 3.0]), "'recency' contains NaN or infinite"),
        (customers([-1, 2], [1.0, 1.0], [2.0, 3.0]), "'frequency' has negative values"),
        (customers([1, 2], [-1.0, 1.0], [2.0, 3.0]), "'recency' has negative values"),
        (customers([1, 2], [1.0, 1.0], [2.0, -3.0]), "'T' has negative values"),
        (customers([1.5, 2], [1.0, 1.0], [2.0, 3.0]), "whole number"),
        (customers([1, 2], [1.0, 4.0], [2.0, 3.0]), "recency must be <= T"),
        (customers([0, 2], [1.0, 1.0], [2.0, 3.0]), "recency must be 0 where frequency is 0"),
        (customers(["a", "b"], [1.0, 1.0], [2.0, 3.0]), "'frequency' must be numeric"),
        (customers([1, 2], [1.0, 1.0], [2.0, 3.0]).set_axis([7, 7]), "appear once"),
    ],
)
def test_bad_history_raises(bgf: BetaGeoModel, table: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BetaGeoModel().fit(table)
    with pytest.raises(ValueError, match=message):
        bgf.expected_visits(table, t=1.0)
    with pytest.raises(ValueError, match=message):
        bgf.probability_alive(table)


def test_other_bad_inputs_raise(cdnow: pd.DataFrame, bgf: BetaGeoModel, ggf: GammaGammaModel) -> None:
    with pytest.raises(ValueError, match="monetary_value must be > 0"):
        GammaGammaModel().fit(customers([1, 2], monetary_value=[10.0, 0.0]))
    with pytest.raises(ValueError, match="lacks the column.* monetary_value"):
        ggf.expected_spend(cdnow.drop(columns="monetary_value"))
    with pytest.raises(ValueError, match="'monetary_value' contains NaN"):
        ggf.expected_spend(customers([1, 0], monetary_value=[10.0, np.nan]))
    with pytest.raises(ValueError, match="'monetary_value' has negative values"):
        ggf.expected_spend(customers([1, 0], monetary_value=[10.0, -1.0]))
    with pytest.raises(ValueError, match="frequency > 0"):
        GammaGammaModel().fit(customers([0, 0], monetary_value=[0.0, 0.0]))
    with pytest.raises(ValueError, match="penalizer"):
        BetaGeoModel(penalizer=-1.0).fit(customers(1, 1.0, 2.0))
    with pytest.raises(ValueError, match="t must be >= 0"):
        bgf.expected_visits(customers(1, 1.0, 2.0), t=-1.0)
    with pytest.raises(ValueError, match="one value per customer"):
        bgf.expected_visits(customers([1, 1, 1], 1.0, 2.0), t=[1.0, 2.0])

    for kwargs, message in [
        ({"months": 0}, "months"),
        ({"months": 2.5}, "months"),
        ({"months": 12, "interval": 1.2}, "interval"),
        ({"months": 12, "discount_rate_monthly": -0.1}, "discount"),
        ({"months": 12, "time_unit_days": 0.0}, "positive"),
        ({"months": 12, "n_draws": 2}, "n_draws"),
    ]:
        with pytest.raises(ValueError, match=message):
            customer_lifetime_value(bgf, ggf, cdnow, **kwargs)
    with pytest.raises(ValueError, match="lacks the column.* monetary_value"):
        customer_lifetime_value(bgf, ggf, cdnow.drop(columns="monetary_value"), months=12)


def test_clv_range_is_reproducible(cdnow: pd.DataFrame, bgf: BetaGeoModel, ggf: GammaGammaModel) -> None:
    first = customer_lifetime_value(bgf, ggf, cdnow, months=6, time_unit_days=7, random_state=11)
    again = customer_lifetime_value(bgf, ggf, cdnow, months=6, time_unit_days=7, random_state=11)
    other = customer_lifetime_value(bgf, ggf, cdnow, months=6, time_unit_days=7, random_state=12)
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["clv_hi"], other["clv_hi"])
    np.testing.assert_array_equal(first["clv"], other["clv"])  # the point value is not random
    assert np.all((first["clv_lo"] >= 0) & (first["clv_lo"] <= first["clv_hi"]))
    # longer horizons are worth more
    longer = customer_lifetime_value(bgf, ggf, cdnow, months=24, time_unit_days=7, random_state=11)
    assert np.all(longer["clv"] > first["clv"])


def test_clv_table_from_features() -> None:
    features = pd.DataFrame({"bg_frequency": [0, 2, 3, 1], "bg_recency": [0.0, 5.0, 9.0, 2.0],
                             "bg_T": [10.0, 12.0, 15.0, 4.0], "bg_monetary": [0.0, 3000.0, 0.0, 1000.0]},
                            index=pd.Index([11, 12, 13, 14], name="user_id"))
    table = clv.clv_table(features)
    assert list(table.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert table.index.equals(features.index)
    # a repeat customer whose repeat visits brought no money gets the typical repeat spend
    assert table["monetary_value"].tolist() == [0.0, 3000.0, 2000.0, 1000.0]
    assert clv.check_customers(table, clv.HISTORY + ("monetary_value",))["T"].tolist() == [10.0, 12.0, 15.0, 4.0]
    with pytest.raises(ValueError, match="bg_monetary"):
        clv.clv_table(features.drop(columns="bg_monetary"))


@pytest.mark.slow
def test_fifty_thousand_customers_give_finite_values() -> None:
    sim = simulate(50_000, np.random.default_rng(5), r=0.8, alpha=20.0, a=0.9, b=6.0, v=15_000.0, t_range=(1, 730))
    bgf = BetaGeoModel().fit(sim["table"])
    ggf = GammaGammaModel().fit(sim["table"])
    result = customer_lifetime_value(bgf, ggf, sim["table"], months=12, random_state=0)
    assert np.all(np.isfinite(result.to_numpy()))
