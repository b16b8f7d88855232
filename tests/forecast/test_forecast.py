"""Tests for core.forecast: API contracts, robustness and accuracy on synthetic club revenue."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from core.platform.calendar import holiday_flags
from core.forecast.model import Backtest, backtest, forecast, seasonal_naive

# Six clubs (seed, first day): different starts, so the held-out windows fall in
# different seasons (summer break ending, New Year, spring, ...).
SERIES = [
    (1, "2022-03-01"),
    (2, "2022-09-15"),
    (3, "2023-01-01"),
    (4, "2023-06-10"),
    (5, "2022-05-20"),
    (6, "2022-12-01"),
]
HORIZON, WINDOWS = 30, 4


def synthetic_revenue(seed: int, start: str = "2023-01-01", days: int = 730) -> pd.Series:
    """Daily revenue (KZT) of one gaming club, with the usual structure of real data.

    Weekly pattern (weekends +30-40%), school breaks and a winter peak, Kazakhstan
    holidays, growth (linear or saturating), an occasional level shift, persistent
    and daily multiplicative noise (~10-15% in total) and a few zero (outage) days.
    """
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=days, freq="D", name="day")
    flags = holiday_flags(index)
    t = np.arange(days) / 365.25

    week = np.array([1.0, 0.97, 0.98, 1.02, 1.12, rng.uniform(1.32, 1.42), rng.uniform(1.25, 1.36)])
    mult = week[index.day_of_week]
    summer = (index.month >= 6) & (index.month <= 8)
    breaks = flags["school_break"].to_numpy(bool)
    mult = mult * np.where(breaks & summer, 1 + rng.uniform(0.15, 0.30), 1.0)
    mult = mult * np.where(breaks & ~summer, 1 + rng.uniform(0.10, 0.25), 1.0)
    winter = rng.uniform(0.03, 0.08) * np.cos(2 * np.pi * (index.day_of_year.to_numpy() - 20) / 365.25)
    mult = mult * (1 + winter)
    holiday = flags["holiday"].to_numpy(bool)
    mult = mult * np.where(holiday, 1 + rng.uniform(0.20, 0.40), 1.0)
    eve = np.roll(holiday, -1) & ~holiday
    mult = mult * np.where(eve, 1.08, 1.0)

    if rng.random() < 0.5:  # steady growth
        growth = np.exp(rng.uniform(0.08, 0.25) * t)
    else:  # a newer club whose growth levels off
        growth = 1 + rng.uniform(0.3, 0.6) * (1 - np.exp(-t / rng.uniform(0.4, 0.8)))
    if rng.random() < 0.4:  # a competitor opens nearby, or a renovation pays off
        shift_day = rng.integers(days // 2, days - 60)
        growth = growth * np.where(np.arange(days) >= shift_day, rng.choice([0.88, 1.10]), 1.0)

    persistent = np.zeros(days)
    shocks = rng.normal(0, 0.035, days)
    for i in range(1, days):
        persistent[i] = 0.8 * persistent[i - 1] + shocks[i]
    noise = np.exp(persistent + rng.normal(0, rng.uniform(0.08, 0.11), days))

    revenue = rng.uniform(150_000, 400_000) * growth * mult * noise
    outages = rng.choice(days, size=rng.integers(2, 7), replace=False)
    revenue[outages] = 0.0
    return pd.Series(np.round(revenue), index=index, name="revenue")


# ---------------------------------------------------------------- helpers


def club(seed: int = 3) -> pd.Series:
    start = dict(SERIES).get(seed, "2023-01-01")
    return synthetic_revenue(seed, start)


def assert_ordered(fc: pd.DataFrame, levels: tuple[int, ...] = (80, 95)) -> None:
    """lo_95 <= lo_80 <= yhat <= hi_80 <= hi_95, all finite."""
    assert np.isfinite(fc.to_numpy()).all()
    inner = sorted(levels)
    for level in inner:
        assert (fc[f"lo_{level}"] <= fc["yhat"]).all()
        assert (fc["yhat"] <= fc[f"hi_{level}"]).all()
    for narrow, wide in zip(inner, inner[1:]):
        assert (fc[f"lo_{wide}"] <= fc[f"lo_{narrow}"] + 1e-9).all()
        assert (fc[f"hi_{narrow}"] <= fc[f"hi_{wide}"] + 1e-9).all()


def mase_scale(train: np.ndarray) -> float:
    """In-sample seasonal-naive(7) MAE, computed independently of core.forecast."""
    return float(np.nanmean(np.abs(train[7:] - train[:-7])))


def held_out_windows(y: pd.Series, horizon: int, windows: int):
    """(train, test) pairs of back-to-back windows that end the series."""
    for k in range(windows, 0, -1):
        origin = len(y) - horizon * k
        yield y.iloc[:origin], y.iloc[origin : origin + horizon]


@pytest.fixture(scope="module")
def scored() -> dict:
    """Our forecasts and seasonal-naive on every held-out window of every club."""
    rows = []
    for seed, start in SERIES:
        y = synthetic_revenue(seed, start)
        for train, test in held_out_windows(y, HORIZON, WINDOWS):
            fc = forecast(train, HORIZON)
            naive = np.resize(train.to_numpy()[-7:], HORIZON)
            scale = mase_scale(train.to_numpy())
            actual = test.to_numpy()
            rows.append(
                {
                    "seed": seed,
                    "cutoff": train.index[-1],
                    "mase": np.mean(np.abs(actual - fc["yhat"].to_numpy())) / scale,
                    "naive_mase": np.mean(np.abs(actual - naive)) / scale,
                    "in_80": (actual >= fc["lo_80"].to_numpy()) & (actual <= fc["hi_80"].to_numpy()),
                    "in_95": (actual >= fc["lo_95"].to_numpy()) & (actual <= fc["hi_95"].to_numpy()),
                    "scale": scale,
                    "actual": actual,
                }
            )
    return {"rows": pd.DataFrame(rows)}


# ---------------------------------------------------------------- accuracy bar


def test_beats_seasonal_naive(scored: dict) -> None:
    rows = scored["rows"]
    ours, naive = rows["mase"].mean(), rows["naive_mase"].mean()
    assert ours < naive, f"MASE {ours:.3f} vs seasonal-naive {naive:.3f}"
    per_club = rows.groupby("seed")[["mase", "naive_mase"]].mean()
    assert (per_club["mase"] < per_club["naive_mase"]).all(), per_club


def test_interval_coverage(scored: dict) -> None:
    rows = scored["rows"]
    cover_80 = np.concatenate(rows["in_80"].to_list()).mean()
    cover_95 = np.concatenate(rows["in_95"].to_list()).mean()
    assert 0.75 <= cover_80 <= 0.87, f"80% interval covers {cover_80:.3f}"
    assert 0.90 <= cover_95 <= 0.98, f"95% interval covers {cover_95:.3f}"


@pytest.mark.slow
def test_at_least_as_good_as_auto_ets(scored: dict) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    frames = [
        pd.DataFrame({"unique_id": str(seed), "ds": y.index, "y": y.to_numpy()})
        for seed, y in ((seed, synthetic_revenue(seed, start)) for seed, start in SERIES)
    ]
    cv = StatsForecast(models=[AutoETS(season_length=7)], freq="D").cross_validation(
        df=pd.concat(frames), h=HORIZON, n_windows=WINDOWS, step_size=HORIZON
    )
    rows = scored["rows"]
    ets = []
    for row in rows.itertuples():
        window = cv[(cv["unique_id"] == str(row.seed)) & (cv["cutoff"] == row.cutoff)]
        assert len(window) == HORIZON  # same windows as ours
        np.testing.assert_allclose(window["y"].to_numpy(), row.actual)
        pred = np.maximum(window["AutoETS"].to_numpy(), 0)
        ets.append(np.mean(np.abs(row.actual - pred)) / row.scale)
    ours, ets_mase = rows["mase"].mean(), float(np.mean(ets))
    assert ours <= ets_mase, f"MASE {ours:.3f} vs AutoETS {ets_mase:.3f}"


@pytest.mark.parametrize("horizon, windows", [(7, 8), (90, 2)])
def test_other_horizons_beat_naive_and_cover(horizon: int, windows: int) -> None:
    results = [backtest(synthetic_revenue(seed, start), horizon, windows) for seed, start in SERIES]
    ours = np.mean([r.mase for r in results])
    naive = np.mean([r.baseline_mase for r in results])
    cover_80 = np.mean([r.coverage[80] for r in results])
    cover_95 = np.mean([r.coverage[95] for r in results])
    assert ours < naive, f"h={horizon}: MASE {ours:.3f} vs seasonal-naive {naive:.3f}"
    assert 0.72 <= cover_80 <= 0.88, f"h={horizon}: 80% interval covers {cover_80:.3f}"
    assert 0.90 <= cover_95 <= 0.99, f"h={horizon}: 95% interval covers {cover_95:.3f}"


def test_backtest_matches_independent_scoring(scored: dict) -> None:
    rows = scored["rows"]
    seed, start = SERIES[0]
    result = backtest(synthetic_revenue(seed, start), HORIZON, WINDOWS)
    mine = rows[rows["seed"] == seed]
    assert result.mase == pytest.approx(mine["mase"].mean(), rel=1e-9)
    assert result.baseline_mase == pytest.approx(mine["naive_mase"].mean(), rel=1e-9)
    assert result.coverage[80] == pytest.approx(np.concatenate(mine["in_80"].to_list()).mean())
    assert result.coverage[95] == pytest.approx(np.concatenate(mine["in_95"].to_list()).mean())
    assert 0 < result.smape < result.baseline_smape < 200


# ---------------------------------------------------------------- API contracts


def test_columns_and_index() -> None:
    y = club()
    fc = forecast(y, 30)
    assert list(fc.columns) == ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(fc) == 30
    assert isinstance(fc.index, pd.DatetimeIndex)
    assert fc.index[0] == y.index[-1] + pd.Timedelta(days=1)
    assert (np.diff(fc.index.values) == np.timedelta64(1, "D")).all()
    assert fc.index.freqstr == "D"
    assert_ordered(fc)
    assert (fc.to_numpy() >= 0).all()


def test_custom_levels() -> None:
    fc = forecast(club(), 14, levels=(50, 99))
    assert list(fc.columns) == ["yhat", "lo_50", "hi_50", "lo_99", "hi_99"]
    assert_ordered(fc, (50, 99))
    with pytest.raises(ValueError, match="levels"):
        forecast(club(), 14, levels=(80, 100))


@pytest.mark.parametrize("horizon", [0, -5, 366, 2.5, "7", True, None])
def test_horizon_validation(horizon) -> None:
    with pytest.raises(ValueError, match="horizon"):
        forecast(club(), horizon)


@pytest.mark.parametrize("horizon", [1, 7, 90, 365])
def test_horizon_range(horizon: int) -> None:
    fc = forecast(club(), horizon)
    assert len(fc) == horizon
    assert_ordered(fc)


@pytest.mark.parametrize(
    "bad",
    [
        pd.Series(np.ones(100)),  # RangeIndex
        pd.Series(np.ones(100), index=pd.date_range("2024-01-01", periods=100, freq="h")),
        pd.Series(np.ones(100), index=pd.date_range("2020-01-05", periods=100, freq="W")),
        pd.Series(np.ones(100), index=pd.date_range("2020-01-31", periods=100, freq="ME")),
        pd.Series(["a"] * 100, index=pd.date_range("2024-01-01", periods=100)),
        pd.DataFrame({"y": np.ones(100)}, index=pd.date_range("2024-01-01", periods=100)),
    ],
    ids=["range-index", "hourly", "weekly", "monthly", "text", "dataframe"],
)
def test_rejects_non_daily_input(bad) -> None:
    with pytest.raises(ValueError):
        forecast(bad, 7)


def test_rejects_duplicate_days() -> None:
    y = club()
    with pytest.raises(ValueError, match="duplicate"):
        forecast(pd.concat([y, y.iloc[-1:]]), 7)


def test_minimum_history() -> None:
    y = club()
    with pytest.raises(ValueError, match="28"):
        forecast(y.iloc[-27:], 7)
    holes = y.iloc[-40:].copy()
    holes.iloc[5:20] = np.nan  # 40 days but only 25 observed
    with pytest.raises(ValueError, match="observed"):
        forecast(holes, 7)
    assert_ordered(forecast(y.iloc[-28:], 30))


def test_short_history_keeps_weekly_pattern() -> None:
    y = club().iloc[-60:]
    fc = forecast(y, 90)
    assert_ordered(fc)
    weekend = fc["yhat"][fc.index.day_of_week >= 5].mean()
    weekday = fc["yhat"][fc.index.day_of_week < 4].mean()
    assert weekend > 1.15 * weekday
    # Plausible level: within the range of the history.
    assert y.quantile(0.05) < fc["yhat"].median() < y.max()


def test_holidays_lift_the_forecast() -> None:
    y = synthetic_revenue(3, "2023-01-01", days=700)  # ends 2024-11-30
    fc = forecast(y, 30)["yhat"]
    independence_day = pd.Timestamp("2024-12-16")  # a Monday
    ordinary_mondays = fc[[pd.Timestamp("2024-12-09"), pd.Timestamp("2024-12-23")]]
    assert fc[independence_day] > 1.1 * ordinary_mondays.mean()


def test_missing_days_and_nans() -> None:
    y = club()
    rng = np.random.default_rng(0)
    gappy = y.drop(y.index[rng.choice(len(y) - 1, 30, replace=False)])
    gappy.iloc[100:110] = np.nan
    gappy.iloc[-1] = np.nan  # the last day is known to exist but not its value
    fc = forecast(gappy, 30)
    assert_ordered(fc)
    assert fc.index[0] == y.index[-1] + pd.Timedelta(days=1)
    full = forecast(y, 30)
    assert fc["yhat"].mean() == pytest.approx(full["yhat"].mean(), rel=0.05)


def test_outage_on_last_day_is_ignored() -> None:
    y = club().copy()
    y.iloc[-1] = 0.0
    fc = forecast(y, 7)
    assert fc["yhat"].iloc[0] > 0.5 * y.iloc[-60:].median()


def test_constant_series() -> None:
    y = pd.Series(50_000.0, index=pd.date_range("2024-01-01", periods=120))
    fc = forecast(y, 30)
    np.testing.assert_allclose(fc.to_numpy(), 50_000.0, rtol=1e-6)


def test_all_zero_series() -> None:
    y = pd.Series(0.0, index=pd.date_range("2024-01-01", periods=120))
    fc = forecast(y, 30)
    assert (fc.to_numpy() == 0).all()


def test_negative_values_do_not_crash() -> None:
    y = club()
    fc = forecast(y - y.mean(), 30)
    assert_ordered(fc)
    assert (fc["lo_95"] < 0).any()  # not clipped: the history itself goes negative


def test_same_forecast_for_any_unit_order_or_timezone() -> None:
    y = club()
    base = forecast(y, 30)
    in_millions = forecast(y / 1e6, 30)
    np.testing.assert_allclose(in_millions.to_numpy() * 1e6, base.to_numpy(), rtol=1e-6)
    shuffled = forecast(y.sample(frac=1.0, random_state=0), 30)
    np.testing.assert_allclose(shuffled.to_numpy(), base.to_numpy())
    almaty = forecast(y.tz_localize("Asia/Almaty"), 30)
    np.testing.assert_allclose(almaty.to_numpy(), base.to_numpy())
    assert str(almaty.index.tz) == "Asia/Almaty"
    periods = forecast(y.to_period("D"), 30)
    np.testing.assert_allclose(periods.to_numpy(), base.to_numpy())


def test_seasonal_naive_repeats_last_week() -> None:
    y = club()
    naive = seasonal_naive(y, 14)
    np.testing.assert_array_equal(naive.to_numpy()[:7], y.to_numpy()[-7:])
    np.testing.assert_array_equal(naive.to_numpy()[7:], y.to_numpy()[-7:])


def test_backtest_result_shape() -> None:
    result = backtest(club(), 14, 3)
    assert isinstance(result, Backtest)
    d = result.as_dict()
    assert set(d) == {
        "horizon", "windows", "mase", "smape", "coverage_80", "coverage_95",
        "baseline_mase", "baseline_smape",
    }
    assert d["horizon"] == 14 and d["windows"] == 3
    assert all(np.isfinite(v) for v in d.values())
    with pytest.raises(Exception):
        result.mase = 0.0  # frozen


def test_backtest_validation() -> None:
    y = club()
    with pytest.raises(ValueError, match="windows"):
        backtest(y, 30, 0)
    with pytest.raises(ValueError, match="horizon"):
        backtest(y, 0, 4)
    with pytest.raises(ValueError, match="too short"):
        backtest(y.iloc[-100:], 30, 4)
