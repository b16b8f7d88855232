"""The campaign statistics without a database: the seeded split, and 90% intervals that cover the truth
about 90% of the time."""

from __future__ import annotations

import numpy as np
import pytest

from core.campaigns.stats import mean_difference, proportion_difference, split_groups

RUNS = 200


def _campaign(rng: np.random.Generator, n_treated: int, n_control: int, uplift: float, shape: float,
              scale: float, spend: float):
    """A campaign as the demo makes one: each customer visits at their own rate (Gamma across customers,
    Poisson visits); a contacted customer makes one extra visit with probability `uplift`; each visit
    brings Gamma-distributed revenue with mean `spend`."""
    def group(n: int, contacted: bool):
        rate = rng.gamma(shape, scale, n)
        visits = rng.poisson(rate) + (rng.random(n) < uplift if contacted else 0)
        # the sum of k visits' Gamma(4, spend/4) revenues is Gamma(4k, spend/4)
        revenue = np.where(visits > 0, rng.gamma(4.0 * np.maximum(visits, 1), spend / 4.0), 0.0)
        return visits.astype(float), revenue
    return group(n_treated, True), group(n_control, False)


def test_the_90_percent_intervals_cover_the_true_uplift_about_90_percent_of_the_time():
    uplift, shape, scale, spend = 0.12, 0.8, 1.5, 2500.0
    true_visits = uplift
    true_revenue = uplift * spend
    true_churn = -uplift * (1 + scale) ** -shape     # P(no visit) falls by uplift × P(no visit without it)
    covered = {"visits": 0, "revenue": 0, "churn": 0}
    significant = 0
    for seed in range(RUNS):
        rng = np.random.default_rng(1000 + seed)
        (tv, tr), (cv, cr) = _campaign(rng, 1700, 300, uplift, shape, scale, spend)
        v = mean_difference(tv, cv)
        r = mean_difference(tr, cr)
        c = proportion_difference(tv == 0, cv == 0)
        covered["visits"] += v.lo <= true_visits <= v.hi
        covered["revenue"] += r.lo <= true_revenue <= r.hi
        covered["churn"] += c.lo <= true_churn <= c.hi
        significant += c.clear
    for metric, hits in covered.items():
        assert 0.85 <= hits / RUNS <= 0.95, f"{metric}: the 90% interval covered the truth in {hits} of {RUNS} runs"
    assert significant > 0  # the effect is not invisible at this size


def test_no_effect_gives_intervals_around_zero():
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(RUNS):
        (tv, _tr), (cv, _cr) = _campaign(rng, 850, 150, 0.0, 1.0, 1.0, 1000.0)
        hits += mean_difference(tv, cv).lo <= 0 <= mean_difference(tv, cv).hi
    assert 0.85 <= hits / RUNS <= 0.95


def test_welch_interval_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(2)
    t, c = rng.normal(1.0, 2.0, 40), rng.normal(0.0, 0.5, 25)
    d = mean_difference(t, c)
    res = stats.ttest_ind(t, c, equal_var=False)
    lo, hi = res.confidence_interval(0.90)
    assert d.diff == pytest.approx(t.mean() - c.mean())
    assert (d.lo, d.hi) == pytest.approx((lo, hi))


def test_newcombe_interval_on_a_published_example():
    # Newcombe (1998), table II, example (a): 56/70 against 48/80 -> 0.2000, 95% CI 0.0524 to 0.3339
    t = np.r_[np.ones(56), np.zeros(14)]
    c = np.r_[np.ones(48), np.zeros(32)]
    d = proportion_difference(t, c, level=0.95)
    assert d.diff == pytest.approx(0.2)
    assert (d.lo, d.hi) == pytest.approx((0.0524, 0.3339), abs=5e-4)


def test_a_share_of_zero_still_has_an_interval():
    d = proportion_difference(np.zeros(300), np.zeros(50))
    assert d.diff == 0 and d.lo < 0 < d.hi


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least two"):
        mean_difference([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="missing or infinite"):
        mean_difference([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="0 or 1"):
        proportion_difference([0, 2], [1, 0])
    with pytest.raises(ValueError, match="level"):
        mean_difference([1.0, 2.0], [1.0, 2.0], level=90)


def test_the_split_is_seeded_stratified_and_independent_of_order():
    rng = np.random.default_rng(0)
    ids = rng.permutation(np.arange(1, 3001))
    bands = np.where(ids % 10 < 2, "high", np.where(ids % 10 < 5, "medium", "low"))
    control = split_groups(ids, bands, 0.15, seed=42)
    again = split_groups(ids, bands, 0.15, seed=42)
    order = np.argsort(ids)
    sorted_control = split_groups(ids[order], bands[order], 0.15, seed=42)
    assert np.array_equal(control, again)
    assert np.array_equal(control[order], sorted_control)           # the same customers, whatever the order
    for band in ("high", "medium", "low"):
        members = bands == band
        assert control[members].sum() == round(0.15 * members.sum())  # every band holds out its share
    other = split_groups(ids, bands, 0.15, seed=43)
    assert not np.array_equal(control, other)
    assert control.sum() == other.sum()


def test_the_split_refuses_bad_input():
    with pytest.raises(ValueError, match="twice"):
        split_groups([1, 1], ["low", "low"], 0.15, 1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_groups([1, 2], ["low", "low"], 1.5, 1)
    with pytest.raises(ValueError, match="one risk band"):
        split_groups([1, 2], ["low"], 0.15, 1)
